"""A credit or debit memo as a one-page PDF a company can send its customer.

Layout: the company's name and address with the document title, number and date; the customer
and the invoice the memo adjusts; the line (description, quantity, unit price, net); net, tax
and total in the memo's currency; the reason; and a sentence telling the customer what to do.
Amounts print as positive numbers: the title says whether they are a credit or a charge.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from arxl.core.memos import CREDIT, Memo
from arxl.core.money import format_amount

# Countries of these currencies print on US Letter; the rest of the world on A4.
LETTER_CURRENCIES = frozenset({"USD", "CAD", "MXN", "PHP", "CLP", "COP"})

INK = colors.HexColor("#1F2A44")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#C9D1DB")
BAND = colors.HexColor("#EEF2F6")


# Customer names and reasons come in every language: a TrueType sans with wide coverage is
# embedded when the machine has one (the PDF standard fonts stop at Latin-1); else Helvetica.
FONT, FONT_BOLD = "ArxlSans", "ArxlSans-Bold"
_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
FONT_FILES = (
    (_WINDOWS_FONTS / "arial.ttf", _WINDOWS_FONTS / "arialbd.ttf"),
    (Path("/System/Library/Fonts/Supplemental/Arial.ttf"),
     Path("/System/Library/Fonts/Supplemental/Arial Bold.ttf")),
    (Path("/Library/Fonts/Arial.ttf"), Path("/Library/Fonts/Arial Bold.ttf")),
    (Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
     Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf")),
    (Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
     Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")),
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
)


@lru_cache(maxsize=1)
def _register_fonts() -> str:
    """Register FONT and FONT_BOLD once; returns the file used ('' for Helvetica)."""
    for regular, bold in FONT_FILES:
        if regular.is_file() and bold.is_file():
            try:
                pdfmetrics.registerFont(TTFont(FONT, str(regular)))
                pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
                return str(regular)
            except Exception:  # a damaged or unreadable font file: try the next one
                continue
    pdfmetrics.registerFont(pdfmetrics.Font(FONT, "Helvetica", "WinAnsiEncoding"))
    pdfmetrics.registerFont(pdfmetrics.Font(FONT_BOLD, "Helvetica-Bold", "WinAnsiEncoding"))
    return ""


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


def _style(name: str, size: float = 9, bold: bool = False, color=INK, align=None, leading=None) -> ParagraphStyle:
    style = ParagraphStyle(name, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                           leading=leading or size * 1.3, textColor=color)
    if align is not None:
        style.alignment = align
    return style


BODY = _style("body")
SMALL = _style("small", 8, color=MUTED)
LABEL = _style("label", 7.5, bold=True, color=MUTED)
COMPANY = _style("company", 16, bold=True, leading=19)
TITLE = _style("title", 20, bold=True, align=TA_RIGHT, leading=24)
RIGHT = _style("right", align=TA_RIGHT)
RIGHT_BOLD = _style("right_bold", bold=True, align=TA_RIGHT)
HEAD = _style("head", 8, bold=True)
HEAD_RIGHT = _style("head_right", 8, bold=True, align=TA_RIGHT)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _lines(texts, style=BODY) -> Paragraph:
    return Paragraph("<br/>".join(escape(t) for t in texts if t), style)


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
    fact_table = Table([[_p(k, LABEL), _p(v, RIGHT_BOLD)] for k, v in facts],
                       colWidths=[width * 0.45 - 45 * mm, 45 * mm])
    fact_table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    left = [_p(company.name, COMPANY), Spacer(1, 2 * mm),
            _lines(list(company.address_lines) + ([company.email] if company.email else []), SMALL)]
    right = [_p(title, TITLE), Spacer(1, 3 * mm), fact_table]
    table = Table([[left, right]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def _parties(memo: Memo, customer: Party, invoice: InvoiceRef | None, width: float) -> Table:
    who = [_p("CREDIT TO" if memo.kind == CREDIT else "BILL TO", LABEL), Spacer(1, 1.5 * mm),
           _p(customer.name, _style("customer", 11, bold=True)),
           _lines([f"Customer ID: {customer.identifier}", *customer.address_lines, customer.email])]
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
    what = [_p(label, LABEL), Spacer(1, 1.5 * mm), _p(reference),
            Spacer(1, 3 * mm), _p("REASON", LABEL), Spacer(1, 1.5 * mm),
            _p(memo.reason or f"{memo.type} adjustment")]
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
        row = [_p(f"Tax {action}"), _p("", RIGHT), _p("", RIGHT), _p(_amount(memo, memo.net), RIGHT)]
    else:
        quantity = memo.quantity if memo.quantity is not None else Decimal(1)
        unit_price = memo.unit_price if memo.unit_price is not None else memo.net
        row = [_p(f"{memo.type} {action}"),
               _p(_quantity(quantity), RIGHT), _p(_amount(memo, unit_price), RIGHT), _p(_amount(memo, memo.net), RIGHT)]
    header = [_p("DESCRIPTION", HEAD), _p("QUANTITY", HEAD_RIGHT), _p("UNIT PRICE", HEAD_RIGHT),
              _p("NET", HEAD_RIGHT)]
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
    rows = [["", _p("Net", RIGHT), _p(_amount(memo, memo.net), RIGHT)],
            ["", _p(tax_label, RIGHT), _p(_amount(memo, memo.tax), RIGHT)],
            ["", _p(f"{total_label} ({memo.currency})", RIGHT_BOLD),
             _p(format_amount(memo.total, memo.currency), RIGHT_BOLD)]]
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
    _register_fonts()
    pagesize = LETTER if memo.currency in LETTER_CURRENCIES else A4
    margin = 18 * mm
    title = f"{'Credit' if memo.kind == CREDIT else 'Debit'} memo {memo.memo_id}"

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(margin, 14 * mm, pagesize[0] - margin, 14 * mm)
        canvas.drawString(margin, 10 * mm, f"{company.name}  \u00b7  {title}")
        canvas.drawRightString(pagesize[0] - margin, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

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
        _p(_instruction(memo, due_date)),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path
