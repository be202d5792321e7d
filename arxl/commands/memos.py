"""Make memos: turn ready MemoRequests rows into numbered credit and debit memos in the Memos
ledger, each with a PDF next to the workbook, then bring the Invoices [arxl] columns up to date."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from arxl.commands.command import Command, Context
from arxl.commands.documents import (
    NO_DOCUMENT,
    Pdf,
    add_draft,
    company,
    customer_parties,
    document_folder,
    document_path,
)
from arxl.contract import MEMOS, DocumentKind
from arxl.core import memos as core
from arxl.core.aging import due_on_terms
from arxl.core.balances import compute_balances
from arxl.core.frames import table_frame
from arxl.core.ledger import Document, Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.settings import Settings
from arxl.documents import InvoiceRef, Party, write_memo_pdf


def _documents(memos: list[core.Memo], customers: pd.DataFrame, invoices: pd.DataFrame,
               settings: Settings, step: Step, now: dt.datetime, workbook: str) -> dict[str, Document]:
    """Each memo's PDF in the workbook's memo folder, by MemoID, each followed by its e-mail draft."""
    folder = document_folder(settings.memo_folder, "MemoFolder", "Memos", workbook)
    sender = company(settings)
    parties = customer_parties(customers)
    rows = dict(zip(customers["CustomerID"], customers.index))
    by_customer = customers.set_index("CustomerID")
    by_invoice = invoices.set_index("InvoiceID")
    documents = {}
    for memo in memos:
        customer = parties[memo.customer_id]
        invoice = None
        if memo.invoice_id:
            inv = by_invoice.loc[memo.invoice_id]
            invoice = InvoiceRef(memo.invoice_id, inv["InvoiceDate"].date(), inv["PONumber"])
        due = (due_on_terms(memo.memo_date, by_customer.loc[memo.customer_id, "Terms"], settings.default_terms)
               if memo.kind == core.DEBIT else None)

        def write(target: Path, memo: core.Memo = memo, customer: Party = customer,
                  invoice: InvoiceRef | None = invoice, due: dt.date | None = due) -> None:
            write_memo_pdf(target, memo, sender, customer, invoice, due)

        pdf = Pdf(document_path(folder, memo.memo_id), write)
        documents[memo.memo_id] = pdf.document
        step.documents.append(pdf.document)
        add_draft(step, settings, now, DocumentKind.MEMO, memo.memo_id, customer, int(rows[memo.customer_id]),
                  [pdf], {"Date": memo.memo_date.isoformat(), "DueDate": due.isoformat() if due else "",
                          "Total": format_amount(memo.total, memo.currency)})
    return documents


def _ledger_rows(memos: list[core.Memo], documents: dict[str, Document]) -> pd.DataFrame:
    return table_frame(MEMOS, {
        "MemoID": [m.memo_id for m in memos],
        "MemoDate": [pd.Timestamp(m.memo_date) for m in memos],
        "RequestID": [m.request_id for m in memos],
        "CustomerID": [m.customer_id for m in memos],
        "InvoiceID": [m.invoice_id for m in memos],
        "Kind": [str(m.kind) for m in memos],
        "Type": [str(m.type) for m in memos],
        "NetAmount": [m.net for m in memos],
        "TaxAmount": [m.tax for m in memos],
        "TotalAmount": [m.total for m in memos],
        "Currency": [m.currency for m in memos],
        "Reason": [m.reason for m in memos],
        "Document": [str(documents[m.memo_id].path) if m.memo_id in documents else "" for m in memos],
    })


def _status_frame(statuses: dict[int, tuple[str, str]]) -> pd.DataFrame:
    order = sorted(statuses)
    frame = pd.DataFrame({"MemoID": [statuses[r][0] for r in order],
                          "Status": [str(statuses[r][1]) for r in order]}, dtype=object)
    frame.index = pd.Index(order, dtype="int64", name="row")
    return frame


def _summary(memos: list[core.Memo], statuses: dict[int, tuple[str, str]], documents_written: bool) -> Outcome:
    kinds = Counter(m.kind for m in memos)
    states = Counter(status for _, status in statuses.values())
    counts = {"made": len(memos), "credit": kinds[core.CREDIT], "debit": kinds[core.DEBIT],
              "awaiting approval": states[core.STATUS_AWAITING], "not made": states[core.STATUS_NOT_MADE]}
    text = (f"Made {len(memos)} memo(s): {kinds[core.CREDIT]} credit, {kinds[core.DEBIT]} debit"
            if memos else "No new memo")
    if memos and not documents_written:
        text += f" ({NO_DOCUMENT})"
    if counts["awaiting approval"]:
        text += f"; {counts['awaiting approval']} awaiting approval"
    if counts["not made"]:
        text += f"; {counts['not made']} not made (see Exceptions)"
    totals: Counter[tuple[str, str]] = Counter()
    for memo in memos:
        totals[(memo.kind, memo.currency)] += memo.total
    if totals:
        text += ". Totals: " + ", ".join(f"{kind.lower()} {format_amount(cents, ccy)}"
                                         for (kind, ccy), cents in sorted(totals.items()))
    return Outcome(text + ".", counts)


def run(ledger: Ledger, ctx: Context) -> Step:
    if not ledger.has("MemoRequests"):
        return Step(Outcome("No MemoRequests table: no memo to make.", {"made": 0}))
    settings = ledger.settings
    requests = ledger.table("MemoRequests")
    customers = ledger.table("Customers")
    invoices = ledger.table("Invoices")
    memo_ledger = ledger.table("Memos", required=False)
    ledger.require_readable("Memos", "No memo is numbered", "no number is used twice")
    balances, _ = ledger.balances()
    open_balances = dict(zip(invoices["InvoiceID"], balances.invoices["OpenBalance"].astype("int64")))

    ctx.progress("Making memos", None)
    result, problems = core.make_memos(requests, customers, invoices, memo_ledger, open_balances,
                                       settings, settings.as_of)
    step = Step(Outcome(""), problems)
    memos = result.memos
    documents = (_documents(memos, customers, invoices, settings, step, ctx.now, ctx.workbook or "book")
                 if ctx.folder is not None and memos else {})
    if memos and ctx.folder is None:
        for memo in memos:
            memo_id, status = result.statuses[memo.request_row]
            result.statuses[memo.request_row] = (memo_id, f"{status}; {NO_DOCUMENT}")
    new_rows = _ledger_rows(memos, documents)
    step.append("Memos", new_rows)
    statuses = dict(result.statuses)
    for row in ledger.unread.get("MemoRequests", ()):
        statuses[row] = ("", core.STATUS_NOT_MADE)
    step.update("MemoRequests", _status_frame(statuses))
    if memos:
        # The new memos change what the invoices owe: the same computation posting writes.
        refreshed, _ = compute_balances(invoices, ledger.table("Applications", required=False),
                                        pd.concat([memo_ledger, new_rows], ignore_index=True),
                                        ledger.table("Payments", required=False))
        step.update("Invoices", refreshed.invoices)
    step.outcome = _summary(memos, statuses, ctx.folder is not None)
    return step


COMMAND = Command("memos", "Make memos", "FileSaveAsPdfOrXps",
                  "Turn ready MemoRequests rows into numbered credit and debit memos, each with a PDF and an e-mail "
                  "draft", run, drafts_mail=True)
