"""The Post command: apply every decided payment to the Applications ledger (see
``arxl.core.posting`` for what is decided and how), then bring the Invoices and Payments [arxl]
columns up to date."""
from __future__ import annotations

from arxl.commands.command import Command, Context
from arxl.core.ledger import Ledger, Outcome, Step, run_stamp
from arxl.core.posting import post_payments


def run(ledger: Ledger, ctx: Context) -> Step:
    ctx.progress("Posting payments", 0.0)
    result, problems = post_payments(ledger, run_stamp(ledger.settings.as_of, ctx.now), ctx.progress)
    step = Step(Outcome(""), problems)
    step.append("Applications", result.applications)
    step.update("Invoices", result.invoices)
    step.update("Payments", result.payment_status)
    step.update("Payments", result.payment_matches)
    matches = ledger.table("Matches", required=False)
    if len(matches):  # what is posted or reversed has nothing left to decide
        step.rebuild("Matches", matches.loc[~matches["PaymentID"].isin(result.settled)].reset_index(drop=True))
    ctx.progress("Posted", 1.0)
    counts = result.counts
    step.outcome = Outcome(
        f"Posted {counts['posted']} payment(s) ({len(result.applications)} ledger rows), "
        f"reversed {counts['reversed']}, {counts['on_account']} with cash on account, "
        f"{counts['awaiting']} awaiting a clerk's decision in Matches, "
        f"{counts['exceptions']} not posted (see Exceptions).", counts)
    return step


COMMAND = Command("post", "Post payments", "AcceptInvitation",
                  "Apply Auto matches, approved matches and ApplyTo instructions to the Applications "
                  "ledger; reverse payments marked Reverse", run)
