"""A credit or debit memo as a one-page PDF a company can send its customer.

Layout: the company's name and address with the document title, number and date; the customer
and the invoice the memo adjusts; the line (description, quantity, unit price, net); net, tax
and total in the memo's currency; the reason; and a sentence telling the customer what to do.
Amounts print as positive numbers: the title says whether they are a credit or a charge.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table

from arxl.core.memos import CREDIT, Memo
from arxl.core.money import format_amount
from arxl.documents.layout import (
    BODY,
    LABEL,
    Party,
    boxes,
    customer_block,
    items_table,
    letterhead,
    money,
    p,
    page_size,
    quantity_text,
    rate_text,
    text_width,
    totals_table,
    write_pdf,
)


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str
    invoice_date: dt.date | None = None
    po_number: str = ""


def _header(memo: Memo, company: Party, due_date: dt.date | None, width: float) -> Table:
    title = "CREDIT MEMO" if memo.kind == CREDIT else "DEBIT MEMO"
    facts = [("Memo number", memo.memo_id), ("Memo date", memo.memo_date.isoformat())]
    if memo.invoice_id:
        facts.append(("Invoice", memo.invoice_id))
    if due_date is not None:
        facts.append(("Due date", due_date.isoformat()))
    facts.append(("Currency", memo.currency))
    return letterhead(company, title, facts, width)


def _parties(memo: Memo, customer: Party, invoice: InvoiceRef | None, width: float) -> Table:
    who = customer_block("CREDIT TO" if memo.kind == CREDIT else "BILL TO", customer)
    if invoice is not None:
        adjusts = [f"Invoice {invoice.invoice_id}"]
        if invoice.invoice_date is not None:
            adjusts.append(f"dated {invoice.invoice_date.isoformat()}")
        if invoice.po_number:
            adjusts.append(f"your PO {invoice.po_number}")
        label, reference = "ADJUSTS", ", ".join(adjusts)
    elif memo.kind == CREDIT:
        label, reference = "ACCOUNT", "A credit held on your account (no single invoice)"
    else:
        label, reference = "ACCOUNT", "A charge to your account (no single invoice)"
    what = [p(label, LABEL), Spacer(1, 1.5 * mm), p(reference),
            Spacer(1, 3 * mm), p("REASON", LABEL), Spacer(1, 1.5 * mm),
            p(memo.reason or f"{memo.type} adjustment")]
    return boxes(who, what, width)


def _amount(memo: Memo, amount: int) -> str:
    """An amount of the memo with its currency's decimals (the code is printed with the total)."""
    return money(amount, memo.currency)


def _line_items(memo: Memo, width: float) -> Table:
    action = "credit" if memo.kind == CREDIT else "charge"
    if memo.type == "Tax":
        row = [f"Tax {action}", "", "", _amount(memo, memo.net)]
    else:
        quantity = memo.quantity if memo.quantity is not None else Decimal(1)
        unit_price = memo.unit_price if memo.unit_price is not None else memo.net
        row = [f"{memo.type} {action}", quantity_text(quantity), _amount(memo, unit_price), _amount(memo, memo.net)]
    return items_table(["DESCRIPTION", "QUANTITY", "UNIT PRICE", "NET"], [row], [0.52, 0.14, 0.17, 0.17], width,
                       right=(1, 2, 3))


def _totals(memo: Memo, width: float) -> Table:
    if memo.tax_rate is None:
        tax_label = "Tax"
    elif memo.tax_rate:
        tax_label = f"Tax ({rate_text(memo.tax_rate)})"
    else:
        tax_label = "Tax (none)"
    total_label = "Total credit" if memo.kind == CREDIT else "Amount due"
    return totals_table([("Net", _amount(memo, memo.net)), (tax_label, _amount(memo, memo.tax)),
                         (f"{total_label} ({memo.currency})", format_amount(memo.total, memo.currency))], width)


def _instruction(memo: Memo, due_date: dt.date | None) -> str:
    total = format_amount(memo.total, memo.currency)
    if memo.kind == CREDIT and memo.invoice_id:
        return (f"This credit memo reduces what you owe on invoice {memo.invoice_id} by {total}. "
                f"Please quote {memo.memo_id} with your remittance. Any part of it beyond the "
                f"balance still open on that invoice stays as a credit on your account.")
    if memo.kind == CREDIT:
        return (f"This credit of {total} is held on your account. It will be set against your "
                f"next invoices, or refunded on request; please quote {memo.memo_id}.")
    due = f" by {due_date.isoformat()}" if due_date is not None else ""
    return f"Please pay {total}{due}, quoting {memo.memo_id} with your remittance."


def write_memo_pdf(path: Path, memo: Memo, company: Party, customer: Party,
                   invoice: InvoiceRef | None = None, due_date: dt.date | None = None) -> Path:
    """Draw ``memo`` as a PDF at ``path`` (its folder is created); returns ``path``."""
    pagesize = page_size(memo.currency)
    width = text_width(pagesize)
    title = f"{'Credit' if memo.kind == CREDIT else 'Debit'} memo {memo.memo_id}"
    story = [
        _header(memo, company, due_date, width),
        Spacer(1, 10 * mm),
        _parties(memo, customer, invoice, width),
        Spacer(1, 8 * mm),
        _line_items(memo, width),
        Spacer(1, 4 * mm),
        _totals(memo, width),
        Spacer(1, 10 * mm),
        p(_instruction(memo, due_date), BODY),
    ]
    return write_pdf(path, story, pagesize, company, title, f"{title} for {customer.name}")
