"""Make memos: turn ready MemoRequests rows into numbered credit and debit memos in the Memos
ledger, each with a PDF next to the workbook, then bring the Invoices [arxl] columns up to date."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from arxl.book.contract import MEMOS, header_key
from arxl.book.convert import typed_column
from arxl.book.port import Workbook
from arxl.book.store import BookError
from arxl.commands.registry import Outcome, RunContext, command
from arxl.core import memos as core
from arxl.core.balances import compute_balances
from arxl.core.money import format_cents
from arxl.documents import InvoiceRef, Party, write_memo_pdf

# Extra Customers columns a clerk may keep the postal address in; printed on the memo if present.
ADDRESS_HEADERS = ("Address", "BillingAddress")
NO_DOCUMENT = "no PDF (the workbook was never saved)"


def _file_name(memo_id: str) -> str:
    """The memo number as a file name (a prefix such as CM/2026/ must not make folders)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in memo_id) + ".pdf"


def _address_columns(book: Workbook) -> tuple[str, ...]:
    raw = book.raw("Customers")
    keys = {header_key(h) for h in raw.headers} if raw is not None else set()
    return tuple(h for h in ADDRESS_HEADERS if header_key(h) in keys)


def _write_documents(book: Workbook, memos: list[core.Memo], customers: pd.DataFrame,
                     invoices: pd.DataFrame, address_columns: tuple[str, ...], ctx: RunContext) -> dict[str, str]:
    """Write each memo's PDF into the memo folder; MemoID -> its path relative to the workbook."""
    settings = book.settings
    folder = Path(settings.memo_folder)
    company = Party(settings.company_name,
                    address_lines=tuple(p.strip() for p in settings.company_address.split(";") if p.strip()))
    by_customer = customers.set_index("CustomerID")
    by_invoice = invoices.set_index("InvoiceID")
    documents = {}
    for i, memo in enumerate(memos):
        ctx.progress(f"Writing {memo.memo_id}.pdf", i / len(memos))
        c = by_customer.loc[memo.customer_id]
        address = tuple(line.strip() for col in address_columns
                        for line in str(c[col]).replace("\n", ";").split(";") if line.strip())
        customer = Party(c["Name"], memo.customer_id, address, c["Email"])
        invoice = None
        if memo.invoice_id:
            inv = by_invoice.loc[memo.invoice_id]
            invoice = InvoiceRef(memo.invoice_id, inv["InvoiceDate"].date(), inv["PONumber"])
        due = (core.debit_memo_due_date(memo.memo_date, c["Terms"], settings.default_terms)
               if memo.kind == core.DEBIT else None)
        relative = folder / _file_name(memo.memo_id)
        try:
            write_memo_pdf(book.path.parent / relative, memo, company, customer, invoice, due)
        except OSError as exc:
            raise BookError(f"The memo document {relative} could not be written ({exc}). Check that "
                            f"the folder '{settings.memo_folder}' (Settings MemoFolder) can be written "
                            f"to; no memo was recorded.") from exc
        documents[memo.memo_id] = relative.as_posix()
    return documents


def _ledger_rows(memos: list[core.Memo], documents: dict[str, str]) -> pd.DataFrame:
    values = {
        "MemoID": [m.memo_id for m in memos],
        "MemoDate": [pd.Timestamp(m.memo_date) for m in memos],
        "RequestID": [m.request_id for m in memos],
        "CustomerID": [m.customer_id for m in memos],
        "InvoiceID": [m.invoice_id for m in memos],
        "Kind": [m.kind for m in memos],
        "Type": [m.type for m in memos],
        "NetAmount": [m.net for m in memos],
        "TaxAmount": [m.tax for m in memos],
        "TotalAmount": [m.total for m in memos],
        "Currency": [m.currency for m in memos],
        "Reason": [m.reason for m in memos],
        "Document": [documents.get(m.memo_id, "") for m in memos],
    }
    return pd.DataFrame({c.name: typed_column(c.kind, values[c.name]) for c in MEMOS.columns})


def _with_unread_rows(book: Workbook, statuses: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """MemoID and Status for every request row, including those the read left out."""
    rows = dict(statuses)
    for row in book.rejected.get("MemoRequests", ()):
        rows[row] = ("", core.STATUS_NOT_MADE)
    return rows


def _status_frame(statuses: dict[int, tuple[str, str]]) -> pd.DataFrame:
    order = sorted(statuses)
    frame = pd.DataFrame({"MemoID": typed_column("id", [statuses[r][0] for r in order]),
                          "Status": typed_column("text", [statuses[r][1] for r in order])})
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
    totals = Counter()
    for memo in memos:
        totals[(memo.kind, memo.currency)] += memo.total
    if totals:
        text += ". Totals: " + ", ".join(f"{kind.lower()} {format_cents(cents, ccy)}"
                                         for (kind, ccy), cents in sorted(totals.items()))
    return Outcome(text + ".", counts)


@command("memos", "Make memos", "FileSaveAsPdfOrXps",
         "Turn ready MemoRequests rows into numbered credit and debit memos, each with a PDF",
         refresh_order=30)
def run(book: Workbook, ctx: RunContext) -> Outcome:
    if not book.exists("MemoRequests"):
        return Outcome("No MemoRequests table: no memo to make.", {"made": 0})
    settings = book.settings
    requests = book.read("MemoRequests")
    address_columns = _address_columns(book)
    customers = book.read("Customers", extra=address_columns)
    invoices = book.read("Invoices")
    ledger = book.read("Memos", required=False)
    if book.rejected.get("Memos"):
        rows = ", ".join(str(r) for r in sorted(book.rejected["Memos"]))
        raise BookError(f"The Memos ledger has rows arxl cannot read (row {rows}; see Exceptions). "
                        f"No memo is numbered until they are fixed, so that no number is used twice.")
    applications = book.read("Applications", required=False)
    payments = book.read("Payments", required=False)
    balances, _ = compute_balances(invoices, applications, ledger, payments)
    open_balances = dict(zip(invoices["InvoiceID"], balances.invoices["OpenBalance"].astype("int64")))

    ctx.progress("Making memos", None)
    result, problems = core.make_memos(requests, customers, invoices, ledger, open_balances,
                                       settings, ctx.now.date())
    book.report(problems)
    memos = result.memos
    documents = {}
    if book.path is not None and memos:
        documents = _write_documents(book, memos, customers, invoices, address_columns, ctx)
    elif memos:
        for memo in memos:
            memo_id, status = result.statuses[memo.request_row]
            result.statuses[memo.request_row] = (memo_id, f"{status}; {NO_DOCUMENT}")

    new_rows = _ledger_rows(memos, documents)
    book.append("Memos", new_rows)
    statuses = _with_unread_rows(book, result.statuses)
    book.update("MemoRequests", _status_frame(statuses))
    if memos:
        # The new memos change what the invoices owe: the same computation posting writes.
        refreshed, _ = compute_balances(invoices, applications,
                                        pd.concat([ledger, new_rows], ignore_index=True), payments)
        book.update("Invoices", refreshed.invoices)
    return _summary(memos, statuses, book.path is not None)
