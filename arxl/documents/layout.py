"""The layout pieces every arxl document shares (memos, the month-end pack): the page size for a
currency, an embedded sans font with wide coverage, the colours, the paragraph styles, and the
footer that names the document and numbers its pages."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

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


def para(text: str, chosen: ParagraphStyle = BODY) -> Paragraph:
    """Text as a paragraph, never read as markup."""
    return Paragraph(escape(text), chosen)


def lines(texts: Iterable[str], chosen: ParagraphStyle = BODY) -> Paragraph:
    """Lines of text (blank ones left out) as one paragraph."""
    return Paragraph("<br/>".join(escape(t) for t in texts if t), chosen)


def page_size(currency: str) -> tuple[float, float]:
    """US Letter where the currency's country prints on it, else A4."""
    return LETTER if currency in LETTER_CURRENCIES else A4


def footer(left: str, margin: float, pagesize: tuple[float, float]) -> Callable[[Any, Any], None]:
    """A page's footer: a rule, ``left`` (who and what) and the page number."""
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(margin, 14 * mm, pagesize[0] - margin, 14 * mm)
        canvas.drawString(margin, 10 * mm, left)
        canvas.drawRightString(pagesize[0] - margin, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()
    return draw
