"""Make statements: one PDF per customer (a part per currency) as of the run's date, in the
open-item or the activity layout, each with its e-mail draft, listed in the Statements ledger."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from arxl.commands.command import Command, Context, Option
from arxl.commands.documents import (
    NO_DOCUMENT,
    Pdf,
    add_draft,
    company,
    customer_parties,
    document_folder,
    document_path,
)
from arxl.contract import STATEMENTS, DocumentKind, StatementLayout
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.numbering import next_ids
from arxl.core.statements import Statement, first_of_month, statements
from arxl.documents.statement_pdf import write_statement_pdf

PREFIX, DIGITS = "ST-", 6


def check_ledger(ledger: Ledger) -> None:
    """No statement is numbered while the Statements ledger has rows arxl cannot read."""
    ledger.require_readable("Statements", "No statement is numbered", "no number is used twice")


def record(made: list[Statement], ledger: Ledger, ctx: Context, step: Step, draft: bool) -> dict[str, Pdf]:
    """Number ``made`` after the Statements ledger, draw each as a PDF (with its e-mail draft
    when ``draft``), and append its rows to Statements. Returns each customer's document."""
    settings = ledger.settings
    ids = next_ids(ledger.ids("Statements"), len(made), PREFIX, DIGITS)
    customers = ledger.table("Customers")
    sender, parties = company(settings), customer_parties(customers)
    rows = dict(zip(customers["CustomerID"], customers.index))
    documents: dict[str, Pdf] = {}
    folder = (document_folder(settings.statement_folder, "StatementFolder", "Statements", ctx.workbook or "book")
              if ctx.folder is not None and made else None)
    for statement_id, statement in zip(ids, made):
        customer = parties[statement.customer_id]
        if folder is None:
            continue

        def write(target: Path, statement: Statement = statement, statement_id: str = statement_id) -> None:
            write_statement_pdf(target, statement, statement_id, sender, parties[statement.customer_id])

        pdf = Pdf(document_path(folder, statement_id, statement.customer_id), write)
        documents[statement.customer_id] = pdf
        step.documents.append(pdf.document)
        if draft:
            add_draft(step, settings, ctx.now, DocumentKind.STATEMENT, statement_id, customer,
                      int(rows[statement.customer_id]), [pdf],
                      {"Date": statement.as_of.isoformat(),
                       "Total": "; ".join(format_amount(s.balance, s.currency) for s in statement.sections)})
    pairs = [(statement_id, statement, section) for statement_id, statement in zip(ids, made)
             for section in statement.sections]
    step.append("Statements", table_frame(STATEMENTS, {
        "StatementID": [i for i, _, _ in pairs],
        "MadeAt": [pd.Timestamp(ctx.now)] * len(pairs),
        "CustomerID": [s.customer_id for _, s, _ in pairs],
        "Currency": [section.currency for _, _, section in pairs],
        "Layout": [str(s.layout) for _, s, _ in pairs],
        "FromDate": [pd.Timestamp(s.from_date) if s.from_date else None for _, s, _ in pairs],
        "AsOfDate": [pd.Timestamp(s.as_of) for _, s, _ in pairs],
        "OpeningBalance": [section.opening for _, _, section in pairs],
        "Balance": [section.balance for _, _, section in pairs],
        "Document": [str(documents[s.customer_id].path) if s.customer_id in documents else "" for _, s, _ in pairs],
    }))
    return documents


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    start = ctx.options.get("from_date")
    layout_given = ctx.options.get("layout")
    layout = (StatementLayout(str(layout_given)) if layout_given
              else StatementLayout.ACTIVITY if start else settings.statement_layout)
    if not isinstance(start, dt.date):
        start = first_of_month(settings.as_of)
    if start > settings.as_of:
        raise CannotRun(f"the period starts on {start.isoformat()}, after the statements' date "
                        f"{settings.as_of.isoformat()}: give a --from on or before the as-of date.")
    check_ledger(ledger)
    wanted = tuple(str(c) for c in ctx.options.get("customers") or ())  # type: ignore[attr-defined]
    ctx.progress("Statements: balances and activity", 0.1)
    made, problems = statements(ledger, settings.as_of, start, layout, wanted)
    step = Step(Outcome(""), problems)
    ctx.progress("Statements: drawing", 0.5)
    record(made, ledger, ctx, step, draft=True)
    totals: Counter[str] = Counter()
    for statement in made:
        for section in statement.sections:
            totals[section.currency] += section.balance
    name = "activity" if layout == StatementLayout.ACTIVITY else "open-item"
    text = (f"Made {len(made)} {name} statement(s) as of {settings.as_of.isoformat()}"
            + (f" (activity from {start.isoformat()})" if layout == StatementLayout.ACTIVITY else "")
            if made else f"No statement to make as of {settings.as_of.isoformat()}")
    if made and ctx.folder is None:
        text += f" ({NO_DOCUMENT})"
    if totals:
        text += ": balances " + ", ".join(format_amount(c, ccy) for ccy, c in sorted(totals.items()))
    step.outcome = Outcome(text + ".", {"made": len(made)})
    return step


COMMAND = Command(
    "statements", "Make statements", "FilePrintPreview",
    "Make a statement of account (PDF and e-mail draft) for every customer with something open or an event in "
    "the period, as of AsOfDate", run, in_refresh=False, drafts_mail=True, options=(
        Option("--from", "from_date", "activity statements from this date (balance forward; default: the first of "
               "the as-of month)", metavar="DATE"),
        Option("--layout", "layout", "Open items or Activity (default: Settings StatementLayout; Activity with "
               "--from)", kind="choice", choices=tuple(StatementLayout), metavar="LAYOUT"),
        Option("--customer", "customers", "only these customers (then made even with nothing open)", kind="ids",
               metavar="ID"),
    ))
