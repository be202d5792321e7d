"""Make invoices: turn ready InvoiceRequests rows into numbered invoices (rows of Invoices, their
lines in the InvoiceLines ledger), each with a PDF and its e-mail draft next to the workbook."""
from __future__ import annotations

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
from arxl.contract import INVOICE_LINES, INVOICES, DocumentKind, InvoiceRequestStatus, Owner
from arxl.core.balances import compute_balances
from arxl.core.frames import table_frame
from arxl.core.invoicing import Invoice, make_invoices
from arxl.core.ledger import Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.documents.invoice_pdf import write_invoice_pdf


def _invoice_rows(invoices: list[Invoice], first_row: int) -> pd.DataFrame:
    """The new Invoices rows (the clerk's columns; the [arxl] ones follow from the ledgers)."""
    return table_frame(INVOICES, {
        "InvoiceID": [i.invoice_id for i in invoices],
        "CustomerID": [i.customer_id for i in invoices],
        "InvoiceDate": [pd.Timestamp(i.invoice_date) for i in invoices],
        "Amount": [i.total for i in invoices],
        "DueDate": [pd.Timestamp(i.due_date) for i in invoices],
        "TaxAmount": [i.tax for i in invoices],
        "FreightAmount": [i.freight or None for i in invoices],
        "Currency": [i.currency for i in invoices],
        "PONumber": [i.po_number for i in invoices],
    }, index=pd.Index(range(first_row, first_row + len(invoices)), dtype="int64", name="row"))[
        INVOICES.owned_by(Owner.CLERK)]


def _line_rows(invoices: list[Invoice], documents: dict[str, Pdf]) -> pd.DataFrame:
    lines = [(i, line) for i in invoices for line in i.lines]
    return table_frame(INVOICE_LINES, {
        "InvoiceID": [i.invoice_id for i, _ in lines],
        "Line": [line.line for _, line in lines],
        "RequestID": [line.request_id for _, line in lines],
        "CustomerID": [i.customer_id for i, _ in lines],
        "InvoiceDate": [pd.Timestamp(i.invoice_date) for i, _ in lines],
        "Description": [line.description for _, line in lines],
        "Quantity": [float(line.quantity) for _, line in lines],
        "UnitPrice": [line.unit_price for _, line in lines],
        "NetAmount": [line.net for _, line in lines],
        "TaxCode": [line.tax_code for _, line in lines],
        "TaxRate": [line.tax_rate.numerator / line.tax_rate.denominator if line.tax_code else None
                    for _, line in lines],
        "TaxAmount": [line.tax for _, line in lines],
        "Freight": [line.freight or None for _, line in lines],
        "Currency": [i.currency for i, _ in lines],
        "Document": [str(documents[i.invoice_id].path) if i.invoice_id in documents else "" for i, _ in lines],
    })


def _status_frame(statuses: dict[int, tuple[str, str]]) -> pd.DataFrame:
    order = sorted(statuses)
    frame = pd.DataFrame({"InvoiceID": [statuses[r][0] for r in order],
                          "Status": [str(statuses[r][1]) for r in order]}, dtype=object)
    frame.index = pd.Index(order, dtype="int64", name="row")
    return frame


def _summary(invoices: list[Invoice], statuses: dict[int, tuple[str, str]], documents_written: bool) -> Outcome:
    states = Counter(status for _, status in statuses.values())
    counts = {"made": len(invoices), "on hold": states[InvoiceRequestStatus.HOLD],
              "not made": states[InvoiceRequestStatus.NOT_MADE]}
    text = f"Made {len(invoices)} invoice(s)" if invoices else "No new invoice"
    if invoices and not documents_written:
        text += f" ({NO_DOCUMENT})"
    totals: Counter[str] = Counter()
    for invoice in invoices:
        totals[invoice.currency] += invoice.total
    if totals:
        text += ": " + ", ".join(format_amount(cents, ccy) for ccy, cents in sorted(totals.items()))
    if counts["on hold"]:
        text += f"; {counts['on hold']} request row(s) of customers on hold"
    if counts["not made"]:
        text += f"; {counts['not made']} request row(s) not made (see Exceptions)"
    return Outcome(text + ".", counts)


def run(ledger: Ledger, ctx: Context) -> Step:
    if not ledger.has("InvoiceRequests"):
        return Step(Outcome("No InvoiceRequests table: no invoice to make.", {"made": 0}))
    settings = ledger.settings
    requests = ledger.table("InvoiceRequests")
    customers = ledger.table("Customers")
    ledger.table("Invoices")  # new invoices are rows of it: without the table the command cannot run
    ledger.require_readable("InvoiceLines", "No invoice is made", "no request is invoiced twice")
    ctx.progress("Making invoices", None)
    result, problems = make_invoices(requests, customers, ledger.table("TaxRates", required=False),
                                     ledger.table("InvoiceLines", required=False),
                                     ledger.ids("Invoices") | ledger.ids("InvoiceLines"), settings, settings.as_of)
    step = Step(Outcome(""), problems)
    made = result.invoices
    documents: dict[str, Pdf] = {}
    if ctx.folder is not None and made:
        folder = document_folder(settings.invoice_folder, "InvoiceFolder", "Invoices", ctx.workbook or "book")
        sender, parties = company(settings), customer_parties(customers)
        customer_rows = dict(zip(customers["CustomerID"], customers.index))
        for invoice in made:
            def write(target: Path, invoice: Invoice = invoice) -> None:
                write_invoice_pdf(target, invoice, sender, parties[invoice.customer_id])

            pdf = Pdf(document_path(folder, invoice.invoice_id), write)
            documents[invoice.invoice_id] = pdf
            step.documents.append(pdf.document)
            add_draft(step, settings, ctx.now, DocumentKind.INVOICE, invoice.invoice_id, parties[invoice.customer_id],
                      int(customer_rows[invoice.customer_id]), [pdf],
                      {"Date": invoice.invoice_date.isoformat(), "DueDate": invoice.due_date.isoformat(),
                       "Total": format_amount(invoice.total, invoice.currency)})
    statuses = dict(result.statuses)
    if made and ctx.folder is None:
        for invoice in made:
            for line in invoice.lines:
                statuses[line.row] = (invoice.invoice_id, f"{InvoiceRequestStatus.MADE}; {NO_DOCUMENT}")
    for row in ledger.unread.get("InvoiceRequests", ()):
        statuses[row] = ("", InvoiceRequestStatus.NOT_MADE)
    new_invoices = _invoice_rows(made, ledger.next_rows.get("Invoices", ledger.first_rows.get("Invoices", 2)))
    step.append("Invoices", new_invoices)
    step.append("InvoiceLines", _line_rows(made, documents))
    step.update("InvoiceRequests", _status_frame(statuses))
    if made:
        # the new rows' [arxl] columns, as posting would write them (nothing is applied to them yet)
        balances, _ = compute_balances(new_invoices, ledger.table("Applications", required=False),
                                       ledger.table("Memos", required=False), ledger.table("Payments", required=False))
        step.update("Invoices", balances.invoices)
    step.outcome = _summary(made, statuses, ctx.folder is not None)
    return step


COMMAND = Command("invoice", "Make invoices", "AccountingFormat",
                  "Turn ready InvoiceRequests rows into numbered invoices with sales tax, each with a PDF and an "
                  "e-mail draft", run, in_refresh=False, drafts_mail=True)
