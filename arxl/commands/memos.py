"""Make memos: turn ready MemoRequests rows into numbered credit and debit memos in the Memos
ledger, each with a PDF next to the workbook, then bring the Invoices [arxl] columns up to date."""
from __future__ import annotations

import posixpath
from collections import Counter
from pathlib import Path, PurePosixPath

import pandas as pd

from arxl.commands.command import Command, Context
from arxl.contract import ADDRESS_COLUMNS, MEMOS
from arxl.core import memos as core
from arxl.core.balances import compute_balances
from arxl.core.frames import table_frame
from arxl.core.ledger import CannotRun, Document, Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.settings import Settings
from arxl.documents import InvoiceRef, Party, write_memo_pdf

NO_DOCUMENT = "no PDF (the workbook was never saved)"


def _file_name(memo_id: str) -> str:
    """The memo number as a file name (a prefix such as CM/2026/ must not make folders)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in memo_id) + ".pdf"


def memo_folder(settings: Settings, workbook: str) -> PurePosixPath:
    """Where a workbook's memo PDFs go: a folder of its own (named like the workbook file) in
    Settings MemoFolder, so that two workbooks in one folder never share a memo's file name.
    MemoFolder is relative to the workbook's folder and must stay inside it; an absolute path
    is the clerk's deliberate choice of another place and is used as written."""
    written = settings.memo_folder.strip() or "Memos"
    if Path(written).is_absolute():  # joined to the workbook's folder, it stays itself
        return PurePosixPath(Path(written).as_posix()) / workbook
    folder = PurePosixPath(posixpath.normpath(Path(written).as_posix()))
    if folder.parts[:1] == ("..",):
        raise CannotRun(f"Settings MemoFolder {written!r} leads outside the workbook's folder. Name a folder "
                        f"inside it (such as Memos), or write a full path (such as D:\\Memos) if the memos "
                        f"belong elsewhere on purpose.")
    return folder / workbook


def _documents(memos: list[core.Memo], customers: pd.DataFrame, invoices: pd.DataFrame,
               settings: Settings, folder: PurePosixPath) -> dict[str, Document]:
    """Each memo's PDF in the workbook's memo folder, by MemoID."""
    company = Party(settings.company_name,
                    address_lines=tuple(p.strip() for p in settings.company_address.split(";") if p.strip()))
    address_columns = [c for c in ADDRESS_COLUMNS if c in customers]
    by_customer = customers.set_index("CustomerID")
    by_invoice = invoices.set_index("InvoiceID")
    documents = {}
    for memo in memos:
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

        def write(target: Path, memo: core.Memo = memo, customer: Party = customer,
                  invoice: InvoiceRef | None = invoice, due=due) -> None:
            write_memo_pdf(target, memo, company, customer, invoice, due)

        documents[memo.memo_id] = Document(folder / _file_name(memo.memo_id), write)
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
    if ledger.unread.get("Memos"):
        rows = ", ".join(str(r) for r in sorted(ledger.unread["Memos"]))
        raise CannotRun(f"The Memos ledger has rows arxl cannot read (row {rows}; see Exceptions). "
                        f"No memo is numbered until they are fixed, so that no number is used twice.")
    balances, _ = ledger.balances()
    open_balances = dict(zip(invoices["InvoiceID"], balances.invoices["OpenBalance"].astype("int64")))

    ctx.progress("Making memos", None)
    result, problems = core.make_memos(requests, customers, invoices, memo_ledger, open_balances,
                                       settings, settings.as_of)
    step = Step(Outcome(""), problems)
    memos = result.memos
    documents = (_documents(memos, customers, invoices, settings, memo_folder(settings, ctx.workbook or "book"))
                 if ctx.folder is not None and memos else {})
    step.documents.extend(documents.values())
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
                  "Turn ready MemoRequests rows into numbered credit and debit memos, each with a PDF", run)
