"""What a match run works on, and what it keeps of the clerk's work: the payments still to
match, and the Approve or Reject a clerk typed on a proposal."""
from __future__ import annotations

import pandas as pd

from arxl.contract import Action, Decision, MatchStatus
from arxl.core.frames import typed_column

_DONE = {MatchStatus.POSTED.lower(), MatchStatus.REVERSED.lower()}
_CLERK = {Decision.APPROVE.lower(): Decision.APPROVE, Decision.REJECT.lower(): Decision.REJECT}


def payments_to_match(payments: pd.DataFrame, applications: pd.DataFrame) -> pd.DataFrame:
    """Payments not yet posted: not marked Posted or Reversed, with no application in the
    ledger, and not being reversed."""
    status = payments["MatchStatus"].str.strip().str.lower()
    posted = set(applications["PaymentID"])
    reversing = payments["Action"].str.strip().str.lower() == Action.REVERSE.lower()
    return payments[~status.isin(_DONE) & ~payments["PaymentID"].isin(posted) & ~reversing]


def keep_clerk_decisions(matches: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """A clerk's Approve or Reject on a (PaymentID, InvoiceID) proposal stays on the new row
    for the same pair."""
    decided = previous["Decision"].str.strip().str.lower().map(_CLERK)
    kept = previous.assign(Decision=decided)[decided.notna()]
    if kept.empty:
        return matches
    by_pair = dict(zip(zip(kept["PaymentID"], kept["InvoiceID"]), kept["Decision"]))
    clerk = [by_pair.get(p) for p in zip(matches["PaymentID"], matches["InvoiceID"])]
    return matches.assign(Decision=typed_column(
        "text", [str(c) if c else d for c, d in zip(clerk, matches["Decision"])], index=matches.index))
