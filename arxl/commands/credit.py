"""``arxl credit``: rebuild the Credit table: each customer's exposure against its credit limit,
its risk class from how it pays, and the holds, releases and reviews to consider, with their
reasons. See ``arxl.core.credit``."""
from __future__ import annotations

from collections import Counter

from arxl.commands.command import Command, Context
from arxl.contract import CreditAction
from arxl.core.collections import broken_by_customer, check_promises
from arxl.core.credit import credit_table
from arxl.core.ledger import Ledger, Outcome, Step


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    ctx.progress("Checking promises", 0.1)
    promises, _ = check_promises(ledger, settings.as_of)  # their problems are the worklist's to report
    broken = broken_by_customer(promises, settings.as_of, settings.promise_grace_days)
    ctx.progress("Exposure and risk", 0.4)
    table, problems = credit_table(ledger, settings.as_of, broken)
    step = Step(Outcome(""), problems).rebuild("Credit", table)
    counts = Counter(table["Suggestion"])
    over = int((table["Available"].fillna(0) < 0).sum())
    step.outcome = Outcome(
        f"{table['CustomerID'].nunique()} customer(s): {counts[CreditAction.HOLD]} to put on hold, "
        f"{counts[CreditAction.RELEASE]} to release, {counts[CreditAction.REVIEW]} to review; {over} over "
        f"their limit.", {"hold": counts[CreditAction.HOLD], "release": counts[CreditAction.RELEASE],
                          "review": counts[CreditAction.REVIEW], "over_limit": over})
    return step


COMMAND = Command("credit", "Credit review", "ShieldInformation",
                  "Rebuild the Credit table: exposure against each credit limit, risk class, and the holds, "
                  "releases and reviews to consider", run)
