"""The Post command: apply every decided payment to the Applications ledger (see
``arxl.core.posting`` for what is decided and how), then bring the Invoices and Payments [arxl]
columns up to date."""
from __future__ import annotations

from arxl.book.port import Workbook
from arxl.commands.registry import Outcome, RunContext, command
from arxl.core.posting import post_payments


@command("post", "Post payments", "AcceptInvitation",
         "Apply Auto matches, approved matches and ApplyTo instructions to the Applications "
         "ledger; reverse payments marked Reverse", refresh_order=20)
def run(book: Workbook, ctx: RunContext) -> Outcome:
    invoices = book.read("Invoices")
    payments = book.read("Payments")
    matches = book.read("Matches", required=False)
    applications = book.read("Applications", required=False)
    memos = book.read("Memos", required=False)
    customers = book.read("Customers", required=False)
    ctx.progress("Posting payments", 0.0)
    result, problems = post_payments(invoices, payments, matches, applications, memos, customers,
                                     book.settings, ctx.now, ctx.progress)
    book.report(problems)
    book.append("Applications", result.applications)
    book.update("Invoices", result.invoices)
    if len(result.payment_status):
        book.update("Payments", result.payment_status)
    if len(result.payment_matches):
        book.update("Payments", result.payment_matches)
    ctx.progress("Posted", 1.0)
    counts = result.counts
    summary = (f"Posted {counts['posted']} payment(s) ({len(result.applications)} ledger rows), "
               f"reversed {counts['reversed']}, {counts['on_account']} with cash on account, "
               f"{counts['awaiting']} awaiting a clerk's decision in Matches, "
               f"{counts['exceptions']} not posted (see Exceptions).")
    return Outcome(summary, counts)
