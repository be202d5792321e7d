"""What every document arxl prints shares: the fonts, colours and paragraph styles, the
letterhead (the company's name and address beside the document's title and facts), the address
boxes, the tables of lines and totals, and the page itself (US Letter or A4 by currency, a footer
naming the company and the document, "Page 2 of 3").

Amounts are printed by ``arxl.core.money.format_amount`` with their currency's decimals (``money``
in columns): right-aligned in their own columns, with the currency code on totals; a zero is
"0.00", never "-0.00".
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from arxl.core.money import format_amount

# Countries of these currencies print on US Letter; the rest of the world on A4.
LETTER_CURRENCIES = frozenset({"USD", "CAD", "MXN", "PHP", "CLP", "COP"})

INK = colors.HexColor("#1F2A44")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#C9D1DB")
BAND = colors.HexColor("#EEF2F6")
MARGIN = 18 * mm


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
def register_fonts() -> str:
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


def style(name: str, size: float = 9, bold: bool = False, color: Any = INK, align: int | None = None,
          leading: float | None = None) -> ParagraphStyle:
    made = ParagraphStyle(name, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                          leading=leading or size * 1.3, textColor=color)
    if align is not None:
        made.alignment = align
    return made


BODY = style("body")
SMALL = style("small", 8, color=MUTED)
LABEL = style("label", 7.5, bold=True, color=MUTED)
COMPANY = style("company", 16, bold=True, leading=19)
TITLE = style("title", 20, bold=True, align=TA_RIGHT, leading=24)
RIGHT = style("right", align=TA_RIGHT)
RIGHT_BOLD = style("right_bold", bold=True, align=TA_RIGHT)
HEAD = style("head", 8, bold=True)
HEAD_RIGHT = style("head_right", 8, bold=True, align=TA_RIGHT)
HEADING = style("heading", 11, bold=True, leading=14)
CUSTOMER = style("customer", 11, bold=True)
DUE = style("due", 14, bold=True, leading=17)  # the amount a document asks the customer to pay


def p(text: str, with_style: ParagraphStyle = BODY) -> Paragraph:
    """Text as a paragraph (escaped: a customer's name may hold & or <)."""
    register_fonts()  # before any paragraph is measured
    return Paragraph(escape(text), with_style)


def lines(texts: Sequence[str], with_style: ParagraphStyle = BODY) -> Paragraph:
    register_fonts()
    return Paragraph("<br/>".join(escape(t) for t in texts if t), with_style)


def money(amount: int, currency: str) -> str:
    """An amount in a column: its currency's decimals, no code (the total names the currency)."""
    return format_amount(amount, currency, code=False)


def quantity_text(value: Decimal) -> str:
    """2.5, 12, 0.125: as typed, without trailing zeros."""
    return format(value.normalize(), "f")


def rate_text(rate: Fraction) -> str:
    """8% or 7.25%; a ratio that does not end within four decimals prints rounded, marked ~."""
    percent = rate * 100
    shown = Decimal(percent.numerator) / Decimal(percent.denominator)
    exact = shown.quantize(Decimal("0.0001"))
    text = format(exact.normalize(), "f")
    return f"{text}%" if exact == shown else f"~{format(shown.quantize(Decimal('0.001')).normalize(), 'f')}%"


def letterhead(company: Party, title: str, facts: Sequence[tuple[str, str]], width: float) -> Table:
    """The company's name and address on the left; the title and the document's facts (number,
    dates, currency...) on the right."""
    fact_table = Table([[p(k, LABEL), p(v, RIGHT_BOLD)] for k, v in facts],
                       colWidths=[width * 0.45 - 45 * mm, 45 * mm])
    fact_table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    left = [p(company.name, COMPANY), Spacer(1, 2 * mm),
            lines(list(company.address_lines) + ([company.email] if company.email else []), SMALL)]
    right = [p(title, TITLE), Spacer(1, 3 * mm), fact_table]
    table = Table([[left, right]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def customer_block(label: str, customer: Party) -> list[Flowable]:
    """A customer's name, ID, postal address and e-mail under ``label`` (BILL TO...)."""
    return [p(label, LABEL), Spacer(1, 1.5 * mm), p(customer.name, CUSTOMER),
            lines([f"Customer ID: {customer.identifier}", *customer.address_lines, customer.email])]


def boxes(left: list[Flowable], right: list[Flowable], width: float) -> Table:
    """Two framed boxes side by side (the customer; what the document is about)."""
    table = Table([[left, right]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (0, 0), 0.6, RULE), ("BOX", (1, 0), (1, 0), 0.6, RULE),
        ("BACKGROUND", (0, 0), (-1, -1), colors.white),
        ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 3 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
    ]))
    return table


def items_table(headers: Sequence[str], rows: Sequence[Sequence[str]], shares: Sequence[float], width: float,
                right: Sequence[int] = (), bold_last: bool = False, padding: float = 2.5 * mm) -> Table:
    """A table of lines: ``headers`` on a band repeated on every page, ``rows`` of text, column
    widths as ``shares`` of ``width``, the columns numbered in ``right`` (amounts) right-aligned.
    ``bold_last``: the last row is a total."""
    right_set = set(right)
    head = [p(h, HEAD_RIGHT if i in right_set else HEAD) for i, h in enumerate(headers)]
    body = []
    for n, row in enumerate(rows):
        bold = bold_last and n == len(rows) - 1
        body.append([p(cell, (RIGHT_BOLD if bold else RIGHT) if i in right_set else
                       (style("bold", bold=True) if bold else BODY)) for i, cell in enumerate(row)])
    table = Table([head, *body], colWidths=[width * s for s in shares], repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), padding), ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
        ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
    ]
    if bold_last and rows:
        commands += [("LINEABOVE", (0, -1), (-1, -1), 1.0, INK), ("BACKGROUND", (0, -1), (-1, -1), BAND)]
    table.setStyle(TableStyle(commands))
    return table


def totals_table(rows: Sequence[tuple[str, str]], width: float, amount_share: float = 0.17,
                 label_share: float = 0.25) -> Flowable:
    """Labels and amounts under a table of lines, the amounts in line with its last column; the
    last row is the total, ruled and banded; kept on one page."""
    table = Table([["", p(label, RIGHT_BOLD if n == len(rows) - 1 else RIGHT),
                    p(amount, RIGHT_BOLD if n == len(rows) - 1 else RIGHT)] for n, (label, amount) in enumerate(rows)],
                  colWidths=[width * (1 - amount_share - label_share), width * label_share, width * amount_share])
    table.setStyle(TableStyle([
        ("LINEABOVE", (1, -1), (-1, -1), 1.0, INK),
        ("BACKGROUND", (1, -1), (-1, -1), BAND),
        ("TOPPADDING", (0, 0), (-1, -1), 1.8 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8 * mm),
        ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
    ]))
    return KeepTogether([table])


def page_size(currency: str) -> tuple[float, float]:
    return LETTER if currency in LETTER_CURRENCIES else A4


def text_width(pagesize: tuple[float, float]) -> float:
    return pagesize[0] - 2 * MARGIN


def write_pdf(path: Path, story: list[Flowable], pagesize: tuple[float, float], company: Party, title: str,
              subject: str) -> Path:
    """Lay out ``story`` into a PDF at ``path`` (its folder is created): margins, document
    properties, and on every page a footer with the company, ``title`` and "Page n of N"."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    register_fonts()
    footer_text = f"{company.name}  \u00b7  {title}"

    class NumberedCanvas(Canvas):
        """Pages are kept until the end, so that each footer can say how many there are."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(len(self._pages))
                super().showPage()
            super().save()

        def _footer(self, pages: int) -> None:
            self.saveState()
            self.setFont(FONT, 7.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(RULE)
            self.line(MARGIN, 14 * mm, pagesize[0] - MARGIN, 14 * mm)
            self.drawString(MARGIN, 10 * mm, footer_text)
            self.drawRightString(pagesize[0] - MARGIN, 10 * mm, f"Page {self._pageNumber} of {pages}")
            self.restoreState()

    bottom = 22 * mm
    doc = BaseDocTemplate(str(path), pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=bottom, title=title, author=company.name, subject=subject, creator="arxl")
    # no padding inside the frame: paragraphs line up with the tables' edges and the letterhead
    frame = Frame(MARGIN, bottom, text_width(pagesize), pagesize[1] - MARGIN - bottom, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("page", [frame])])
    doc.build(story, canvasmaker=NumberedCanvas)
    return path


def date_text(value: object) -> str:
    """A date of a frame's row as the documents print it (ISO), blank where there is none."""
    return "" if pd.isna(value) else pd.Timestamp(value).date().isoformat()
