"""``arxl match``: propose invoices for every payment not yet posted (see arxl.core.matching for
what each Matches row means)."""
from __future__ import annotations

import time

from arxl.commands.command import Command, Context
from arxl.contract import Decision, InvoiceStatus
from arxl.core.ledger import Ledger, Outcome, Step
from arxl.core.matching import match, read_history
from arxl.core.matching.decisions import keep_clerk_rows, payment_status, payments_to_match
from arxl.core.numbering import number_blank_ids


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    ledger.require_readable("Matches", "Nothing is matched", "no decision you typed in Matches is lost")
    ctx.progress("Reading payments and invoices", 0.0)
    payments = ledger.table("Payments")
    invoices = ledger.table("Invoices")
    step = Step(Outcome(""))
    for column in settings.match_columns:
        if column not in invoices or not (invoices[column] != "").any():
            step.problems.add("Settings", None, "Value", column,
                              f"MatchColumns names {column}, which the Invoices table does not have or leaves blank",
                              "Add the column to Invoices, or remove it from MatchColumns.")

    blank_ids = payments["PaymentID"] == ""
    if blank_ids.any():
        numbered = number_blank_ids(payments["PaymentID"], ledger.ids("Payments"))
        payments = payments.assign(PaymentID=numbered)
        step.update("Payments", payments.loc[blank_ids, ["PaymentID"]], fill_blank=("PaymentID",))
    balances, problems = ledger.balances()
    step.report(problems)
    applications = ledger.table("Applications", required=False)
    todo = payments_to_match(payments, applications)
    customers = ledger.table("Customers")
    # what posted payments and the clerk's LearnedPayers teach of who pays from which account
    history = read_history(customers["CustomerID"].tolist(), step.problems, payments, applications,
                           ledger.table("LearnedPayers", required=False))

    started = time.perf_counter()
    found = match(todo, invoices, customers, settings, balances.invoices["OpenBalance"],
                  balances.invoices["Status"] == InvoiceStatus.DISPUTED, history, ctx.progress)
    elapsed = time.perf_counter() - started
    step.report(found.problems)
    matches = found.matches

    ctx.progress("Writing Matches", 0.92)
    # a payment that names no currency is in the BaseCurrency (WORKBOOK.md, Amounts)
    currency = payments["Currency"].str.strip().str.upper()
    currencies = dict(zip(payments["PaymentID"], currency.where(currency != "", settings.base_currency)))
    # a payment whose row could not be read this run keeps the clerk's decisions till it is fixed
    rebuilt = keep_clerk_rows(matches, ledger.table("Matches", required=False),
                              set(todo["PaymentID"]) | ledger.unread_ids("Payments"), currencies)
    step.rebuild("Matches", rebuilt)
    step.rebuild("LearnedPayers", found.learned_payers)
    columns = payment_status(rebuilt, todo)
    step.update("Payments", columns)
    counts = {str(d): int((columns["MatchStatus"] == d).sum())
              for d in (Decision.AUTO, Decision.REVIEW, Decision.UNMATCHED)}
    counts["matching_ms"] = int(elapsed * 1000)
    noun = "payment" if len(todo) == 1 else "payments"
    step.outcome = Outcome(f"{len(todo)} {noun} matched: {counts[Decision.AUTO]} to post automatically, "
                           f"{counts[Decision.REVIEW]} to review, {counts[Decision.UNMATCHED]} unmatched.", counts)
    return step


COMMAND = Command("match", "Match remittances", "FindDialog", "Propose invoices for every unposted payment", run)
