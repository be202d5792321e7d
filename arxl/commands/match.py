"""``arxl match``: propose invoices for every payment not yet posted (see arxl.core.matching for
what each Matches row means)."""
from __future__ import annotations

import time

import pandas as pd

from arxl.book.convert import typed_column
from arxl.commands.registry import Outcome, RunContext, command
from arxl.core.balances import DISPUTED, compute_balances
from arxl.core.matching import AUTO, REVIEW, UNMATCHED, match_payments

DONE_STATUSES = {"posted", "reversed"}
CLERK_DECISIONS = {"approve": "Approve", "reject": "Reject"}


def number_blank_ids(ids: pd.Series, prefix_default: str = "P") -> pd.Series:
    """Blank PaymentIDs numbered after the highest existing one, in its style
    ("P000123" -> "P000124"; none yet -> P000001)."""
    styles = ids[ids != ""].str.extract(r"^(?P<prefix>.*?)(?P<number>\d+)$").dropna()
    if len(styles):
        prefix = styles["prefix"].mode().iloc[0]
        same = styles[styles["prefix"] == prefix]
        width = int(same["number"].str.len().max())
        start = int(same["number"].astype(int).max())
    else:
        prefix, width, start = prefix_default, 6, 0
    taken = set(ids)
    out, n = ids.copy(), start
    for row in ids.index[ids == ""]:
        n += 1
        while f"{prefix}{n:0{width}d}" in taken:
            n += 1
        out[row] = f"{prefix}{n:0{width}d}"
    return out


@command("match", "Match remittances", "FindDialog", "Propose invoices for every unposted payment",
         refresh_order=10)
def run(book, ctx: RunContext) -> Outcome:
    settings = book.settings
    ctx.progress("Reading payments and invoices", 0.0)
    payments = book.read("Payments")
    invoices = book.read("Invoices", extra=tuple(settings.match_columns))
    customers = book.read("Customers")
    applications = book.read("Applications", required=False)
    memos = book.read("Memos", required=False)
    previous = book.read("Matches", required=False)
    for column in settings.match_columns:
        if column not in invoices or not (invoices[column] != "").any():
            book.problems.add("Settings", None, "Value", column,
                              f"MatchColumns names {column}, which the Invoices table does not have or leaves blank",
                              "Add the column to Invoices, or remove it from MatchColumns.")

    blank_ids = payments["PaymentID"] == ""
    payments["PaymentID"] = number_blank_ids(payments["PaymentID"])
    balances, problems = compute_balances(invoices, applications, memos, payments)
    book.report(problems)
    disputed = balances.invoices["Status"] == DISPUTED

    status = payments["MatchStatus"].str.strip().str.lower()
    posted = set(applications["PaymentID"])
    todo = payments[~status.isin(DONE_STATUSES) & ~payments["PaymentID"].isin(posted)
                    & (payments["Action"].str.strip().str.lower() != "reverse")]

    started = time.perf_counter()
    (matches, columns), problems = match_payments(
        todo, invoices, customers, settings, balances.invoices["OpenBalance"], disputed, ctx.progress)
    elapsed = time.perf_counter() - started
    book.report(problems)
    matches = keep_clerk_decisions(matches, previous)

    ctx.progress("Writing Matches", 0.92)
    book.replace("Matches", matches)
    if blank_ids.any():
        book.update("Payments", payments.loc[blank_ids, ["PaymentID"]], fill_blank=("PaymentID",))
    book.update("Payments", columns)
    counts = {d: int((columns["MatchStatus"] == d).sum()) for d in (AUTO, REVIEW, UNMATCHED)}
    counts["matching_ms"] = int(elapsed * 1000)
    noun = "payment" if len(todo) == 1 else "payments"
    return Outcome(f"{len(todo)} {noun} matched: {counts[AUTO]} to post automatically, "
                   f"{counts[REVIEW]} to review, {counts[UNMATCHED]} unmatched.", counts)


def keep_clerk_decisions(matches: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """A clerk's Approve or Reject on a (PaymentID, InvoiceID) proposal stays on the new row
    for the same pair."""
    decided = previous["Decision"].str.strip().str.lower().map(CLERK_DECISIONS)
    kept = previous.assign(Decision=decided)[decided.notna()]
    if kept.empty:
        return matches
    by_pair = dict(zip(zip(kept["PaymentID"], kept["InvoiceID"]), kept["Decision"]))
    pairs = list(zip(matches["PaymentID"], matches["InvoiceID"]))
    clerk = [by_pair.get(p) for p in pairs]
    out = matches.copy()
    out["Decision"] = typed_column("text", [c or d for c, d in zip(clerk, matches["Decision"])],
                                   index=matches.index)
    return out


