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
from fractions import Fraction
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from arxl.core.memos import CREDIT, Memo
from arxl.core.money import format_amount
from arxl.documents.layout import (
    BAND,
    COMPANY,
    HEAD,
    HEAD_RIGHT,
    INK,
    LABEL,
    RIGHT,
    RIGHT_BOLD,
    RULE,
    SMALL,
    TITLE,
    footer,
    lines,
    page_size,
    para,
    register_fonts,
    style,
)


@dataclass(frozen=True)
class Party:
    """Who a document is from or to."""

    name: str
    identifier: str = ""  # the customer's ID with us
    address_lines: tuple[str, ...] = ()
    email: str = ""


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: str
    invoice_date: dt.date | None = None
    po_number: str = ""


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _rate(rate: Fraction) -> str:
    """8% or 7.25%; a ratio that does not end within four decimals prints rounded, marked ~."""
    percent = rate * 100
    shown = Decimal(percent.numerator) / Decimal(percent.denominator)
    exact = shown.quantize(Decimal("0.0001"))
    text = format(exact.normalize(), "f")
    return f"{text}%" if exact == shown else f"~{format(shown.quantize(Decimal('0.001')).normalize(), 'f')}%"


def _header(memo: Memo, company: Party, due_date: dt.date | None, width: float) -> Table:
    title = "CREDIT MEMO" if memo.kind == CREDIT else "DEBIT MEMO"
    facts = [("Memo number", memo.memo_id), ("Memo date", memo.memo_date.isoformat())]
    if memo.invoice_id:
        facts.append(("Invoice", memo.invoice_id))
    if due_date is not None:
        facts.append(("Due date", due_date.isoformat()))
    facts.append(("Currency", memo.currency))
    fact_table = Table([[para(k, LABEL), para(v, RIGHT_BOLD)] for k, v in facts],
                       colWidths=[width * 0.45 - 45 * mm, 45 * mm])
    fact_table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    left = [para(company.name, COMPANY), Spacer(1, 2 * mm),
            lines(list(company.address_lines) + ([company.email] if company.email else []), SMALL)]
    right = [para(title, TITLE), Spacer(1, 3 * mm), fact_table]
    table = Table([[left, right]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def _parties(memo: Memo, customer: Party, invoice: InvoiceRef | None, width: float) -> Table:
    who = [para("CREDIT TO" if memo.kind == CREDIT else "BILL TO", LABEL), Spacer(1, 1.5 * mm),
           para(customer.name, style("customer", 11, bold=True)),
           lines([f"Customer ID: {customer.identifier}", *customer.address_lines, customer.email])]
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
    what = [para(label, LABEL), Spacer(1, 1.5 * mm), para(reference),
            Spacer(1, 3 * mm), para("REASON", LABEL), Spacer(1, 1.5 * mm),
            para(memo.reason or f"{memo.type} adjustment")]
    table = Table([[who, what]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (0, 0), 0.6, RULE), ("BOX", (1, 0), (1, 0), 0.6, RULE),
        ("BACKGROUND", (0, 0), (-1, -1), colors.white),
        ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 3 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
    ]))
    return table


def _amount(memo: Memo, amount: int) -> str:
    """An amount of the memo with its currency's decimals (the code is printed with the total)."""
    return format_amount(amount, memo.currency, code=False)


def _line_items(memo: Memo, width: float) -> Table:
    action = "credit" if memo.kind == CREDIT else "charge"
    if memo.type == "Tax":
        row = [para(f"Tax {action}"), para("", RIGHT), para("", RIGHT), para(_amount(memo, memo.net), RIGHT)]
    else:
        quantity = memo.quantity if memo.quantity is not None else Decimal(1)
        unit_price = memo.unit_price if memo.unit_price is not None else memo.net
        row = [para(f"{memo.type} {action}"),
               para(_quantity(quantity), RIGHT), para(_amount(memo, unit_price), RIGHT),
               para(_amount(memo, memo.net), RIGHT)]
    header = [para("DESCRIPTION", HEAD), para("QUANTITY", HEAD_RIGHT), para("UNIT PRICE", HEAD_RIGHT),
              para("NET", HEAD_RIGHT)]
    table = Table([header, row], colWidths=[width * 0.52, width * 0.14, width * 0.17, width * 0.17])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * mm),
    ]))
    return table


def _totals(memo: Memo, width: float) -> Table:
    if memo.tax_rate is None:
        tax_label = "Tax"
    elif memo.tax_rate:
        tax_label = f"Tax ({_rate(memo.tax_rate)})"
    else:
        tax_label = "Tax (none)"
    total_label = "Total credit" if memo.kind == CREDIT else "Amount due"
    rows = [["", para("Net", RIGHT), para(_amount(memo, memo.net), RIGHT)],
            ["", para(tax_label, RIGHT), para(_amount(memo, memo.tax), RIGHT)],
            ["", para(f"{total_label} ({memo.currency})", RIGHT_BOLD),
             para(format_amount(memo.total, memo.currency), RIGHT_BOLD)]]
    # The first column is blank space, so the amounts line up under the NET column.
    table = Table(rows, colWidths=[width * 0.58, width * 0.25, width * 0.17])
    table.setStyle(TableStyle([
        ("LINEABOVE", (1, -1), (-1, -1), 1.0, INK),
        ("BACKGROUND", (1, -1), (-1, -1), BAND),
        ("TOPPADDING", (0, 0), (-1, -1), 1.8 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8 * mm),
    ]))
    return table


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    register_fonts()
    pagesize = page_size(memo.currency)
    margin = 18 * mm
    title = f"{'Credit' if memo.kind == CREDIT else 'Debit'} memo {memo.memo_id}"
    draw_footer = footer(f"{company.name}  \u00b7  {title}", margin, pagesize)

    doc = SimpleDocTemplate(str(path), pagesize=pagesize, leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=22 * mm, title=title,
                            author=company.name, subject=f"{title} for {customer.name}",
                            creator="arxl")
    width = pagesize[0] - 2 * margin
    story = [
        _header(memo, company, due_date, width),
        Spacer(1, 10 * mm),
        _parties(memo, customer, invoice, width),
        Spacer(1, 8 * mm),
        _line_items(memo, width),
        Spacer(1, 4 * mm),
        _totals(memo, width),
        Spacer(1, 10 * mm),
        para(_instruction(memo, due_date)),
    ]
    doc.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return path
