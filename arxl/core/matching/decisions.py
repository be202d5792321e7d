"""What a match run works on, and what it keeps of the clerk's work in Matches.

Rules (docs/WORKBOOK.md, Matches):
- The payments to match are those with no active application in the Applications ledger (never
  posted, or every application reversed: a cheque reversed and then presented again), and not
  marked Reverse. The ledger decides, not MatchStatus, which is arxl's own report.
- arxl writes, in each row's Proposed, what it proposed for the row in words. A clerk's edit is a
  difference between the row and its Proposed.
- A payment is in the clerk's hands once any of its rows carries a Decision the clerk typed
  (anything but Auto, Review and Unmatched), differs from its Proposed (the clerk changed the
  CustomerID, InvoiceID, ApplyAmount, Discount, WriteOff or ShortPay), or was added by the clerk
  (a row with neither Proposed nor Evidence). A match run keeps every row of such a payment as
  the clerk left it, and proposes afresh only for payments nobody touched; posting then reads
  what the clerk typed (``arxl.core.posting``).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from arxl.contract import Action, Decision, read_word
from arxl.core.balances import active_applications
from arxl.core.money import format_cents

# arxl's own decisions: a row showing one of these was not decided by a clerk
PROPOSED_DECISIONS = frozenset({Decision.AUTO, Decision.REVIEW, Decision.UNMATCHED})
# other spellings that can mean only one decision
DECISION_SPELLINGS = {"Approved": Decision.APPROVE, "Rejected": Decision.REJECT}


def read_decision(value: object) -> Decision | None:
    """A Matches.Decision cell as a decision (None: blank or not a decision)."""
    return read_word(value, Decision, DECISION_SPELLINGS)


def payments_to_match(payments: pd.DataFrame, applications: pd.DataFrame) -> pd.DataFrame:
    """Payments with no active application (see the module docstring), not being reversed."""
    active = set(applications.loc[active_applications(applications), "PaymentID"])
    reversing = payments["Action"].map(lambda a: read_word(a, Action) == Action.REVERSE)
    return payments[~payments["PaymentID"].isin(active) & ~reversing.astype(bool)]


# The words of a row's proposal (``proposal_text``); the workbook's colouring of a clerk's edits
# (arxl.book.guidance) reads Proposed with the same words.
NO_CUSTOMER_WORDS = "(no customer)"
ON_ACCOUNT_WORDS = "on account"
PROPOSAL_LABELS = (("Discount", "discount"), ("WriteOff", "write-off"), ("ShortPay", "short pay"))


def proposal_text(rows: pd.DataFrame) -> pd.Series:
    """What each Matches row proposes, in words: "C100: INV-1 60.00, discount 1.20"."""
    def amount(cents: Any) -> str:
        return "" if pd.isna(cents) else format_cents(int(cents))

    def words(customer: str, invoice: str, applied: Any, discount: Any, write_off: Any, short_pay: Any) -> str:
        text = f"{customer or NO_CUSTOMER_WORDS}: {invoice or ON_ACCOUNT_WORDS} {amount(applied)}".rstrip()
        labels = [label for _, label in PROPOSAL_LABELS]
        for label, cents in zip(labels, (discount, write_off, short_pay)):
            if not pd.isna(cents) and int(cents):
                text += f", {label} {amount(cents)}"
        return text

    values = zip(rows["CustomerID"], rows["InvoiceID"], rows["ApplyAmount"],
                 *[rows[column] for column, _ in PROPOSAL_LABELS])
    return pd.Series([words(*v) for v in values], index=rows.index, dtype=object)


def touched_by_clerk(matches: pd.DataFrame) -> pd.Series:
    """True for each row of a payment in the clerk's hands (see the module docstring)."""
    decided = ~matches["Decision"].map(lambda d: read_decision(d) in PROPOSED_DECISIONS)
    edited = (matches["Proposed"] != "") & (proposal_text(matches) != matches["Proposed"])
    added = (matches["Proposed"] == "") & (matches["Evidence"] == "")
    row_touched = decided | edited | added
    touched_payments = set(matches.loc[row_touched, "PaymentID"])
    return matches["PaymentID"].isin(touched_payments)


def keep_clerk_rows(proposed: pd.DataFrame, previous: pd.DataFrame, to_match: set[str]) -> pd.DataFrame:
    """The Matches table after a match run: every row of a payment still to match that the
    clerk touched, as the clerk left it, then arxl's new proposals (each with its Proposed) for
    the other payments."""
    kept = previous.loc[touched_by_clerk(previous) & previous["PaymentID"].isin(to_match)]
    fresh = proposed.loc[~proposed["PaymentID"].isin(set(kept["PaymentID"]))]
    fresh = fresh.assign(Proposed=proposal_text(fresh))
    if kept.empty:
        return fresh.reset_index(drop=True)
    return pd.concat([kept[list(proposed.columns)], fresh], ignore_index=True)
