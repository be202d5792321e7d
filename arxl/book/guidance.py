"""How the workbook guides a clerk, as data drawn from the contract (docs/WORKBOOK.md,
"Guidance in the workbook"): what every store applies to the tables it writes, whatever the door.

- A drop-down on every column with ``choices`` (strict: Excel refuses another value; otherwise
  it warns and keeps it), and an input message on every column with a ``prompt``.
- Colours for the rows that need the clerk (``Highlight``): Matches rows awaiting a decision and
  rows a clerk changed (they differ from their Proposed), Payments and MemoRequests rows that
  posting or memos refused, Exceptions rows of the newest run.
- Column widths that fit what a column shows (``column_width``), text that wraps in the long
  sentence columns (``WRAPPED``) with rows tall enough for it (``wrapped_lines``), and a print
  setup: one page wide, header row repeated, sheet name and page in the footer.

``arxl.book.files_guidance`` applies this with openpyxl. The xlwings store could apply the same
data through Excel's object model (Range.Validation, FormatConditions, PageSetup).
"""
from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import cast

from arxl.contract import (
    NUMBER_FORMATS,
    Decision,
    Kind,
    MatchStatus,
    MemoStatus,
    spec,
)
from arxl.core.matching.decisions import NO_CUSTOMER_WORDS, ON_ACCOUNT_WORDS, PROPOSAL_LABELS

# The title of arxl's own validations' error box: how arxl tells its validations from a clerk's.
GUIDE_MARK = "arxl"

# Excel's limits: an input message's title and text, a drop-down's list of values, a formula of
# a conditional format as the rule dialog takes it.
MAX_TITLE, MAX_PROMPT, MAX_LIST, MAX_RULE_FORMULA = 32, 255, 255, 255

# Fills (RGB): awaiting the clerk, changed by the clerk, refused (see Exceptions).
AWAITING_FILL = "FFF2CC"
EDITED_FILL = "F8CBAD"
PROBLEM_FILL = "FFC7CE"

# Columns of long sentences: their text wraps at the contract's width and their rows grow.
WRAPPED = {"Matches": ("Evidence",), "Exceptions": ("Problem", "Hint"), "Settings": ("Explanation",)}

# Widths in Excel's units (one unit: the width of a digit of the default font, Calibri 11).
MIN_WIDTH, MAX_WIDTH = 6.0, 60.0
EXCEL_DEFAULT_WIDTH = 8.43  # a column's width where none is set
LINE_HEIGHT = 15.0  # points per line of Calibri 11
MAX_ROW_HEIGHT = 409.0  # Excel's tallest row
LANDSCAPE_FROM = 100.0  # a table wider than this (in width units) prints landscape
FOOTER_CENTER = "&A"  # the sheet's name
FOOTER_RIGHT = "Page &P of &N"


@dataclass(frozen=True)
class Validation:
    """A drop-down (``choices``) and/or an input message (``prompt``) on a column's data cells."""

    column: str
    choices: tuple[str, ...]
    strict: bool
    prompt: str

    @property
    def title(self) -> str:
        return self.column[:MAX_TITLE]

    @property
    def list_formula(self) -> str:
        """The drop-down's values as Excel stores a list typed into the dialog."""
        return '"' + ",".join(self.choices) + '"' if self.choices else ""

    @property
    def error(self) -> str:
        values = ", ".join(self.choices)
        if self.strict:
            return f"{self.column} takes one of: {values}."
        return f"arxl knows {values}. Keep what you typed?"


@dataclass(frozen=True)
class Highlight:
    """A conditional format on a table's data rows: where ``formula`` is true, the row gets
    ``fill``. ``formula`` names cells as ``{Column}`` (the column's cell in the row) and whole
    columns as ``{Column:all}``; ``formula_for`` writes them as A1 references."""

    meaning: str
    formula: str
    fill: str


@dataclass(frozen=True)
class TableGuide:
    table: str
    validations: tuple[Validation, ...]
    highlights: tuple[Highlight, ...]
    wrapped: tuple[str, ...]

    @property
    def columns(self) -> set[str]:
        """The columns the highlights' formulas name."""
        return {name for h in self.highlights for name in _PLACEHOLDER.findall(h.formula)}


_PLACEHOLDER = re.compile(r"\{(\w+)(?::all)?\}")


def formula_for(template: str, letters: dict[str, str], row: int) -> str:
    """``template`` with each ``{Column}`` written as ``$<letter><row>`` and each
    ``{Column:all}`` as ``$<letter>:$<letter>``; ``letters`` maps column names to letters."""
    def put(match: re.Match[str]) -> str:
        letter = letters[match.group(1)]
        return f"${letter}:${letter}" if match.group(0).endswith(":all}") else f"${letter}{row}"
    return _PLACEHOLDER.sub(put, template)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    cell, column = r"\$[A-Z]{1,3}\d+", r"\$[A-Z]{1,3}:\$[A-Z]{1,3}"
    parts = re.split(r"(\{\w+(?::all)?\})", template)
    return re.compile("".join(column if p.endswith(":all}") else cell if p.startswith("{") else re.escape(p)
                              for p in parts if p))


def is_guide_formula(formula: str, guide: TableGuide) -> bool:
    """Whether a conditional format's formula is one of ``guide``'s highlights, wherever the
    columns were then (a clerk may have moved them)."""
    return any(_pattern(h.formula).fullmatch(formula.lstrip("=")) for h in guide.highlights)


# ---- the highlights ---------------------------------------------------------------------------

def _is_one_of(column: str, values: Iterable[str]) -> str:
    tests = [f'{{{column}}}="{v}"' for v in values]
    return tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"


def _number_after(start: str) -> str:
    """The amount Proposed shows from character ``start`` on ("1,234.50" up to the next ", "),
    read whatever the clerk's regional settings (NUMBERVALUE ignores the padding spaces)."""
    return (f'IFERROR(_xlfn.NUMBERVALUE(LEFT(SUBSTITUTE(MID({{Proposed}},{start},99),", ",REPT(" ",99)),40),'
            f'".",","),0)')


def _differs(column: str, start: str) -> str:
    return f'AND({{PaymentID}}<>"",ROUND(N({{{column}}})-{_number_after(start)},4)<>0)'


def _edit_rules() -> tuple[Highlight, ...]:
    """A Matches row differs from its Proposed (``proposal_text``: "C100: INV-1 1,234.50,
    discount 1.20"): the customer and invoice it begins with, the amount after them, or an
    amount after one of the labels. One rule per part keeps each formula short."""
    customer = f'IF({{CustomerID}}="","{NO_CUSTOMER_WORDS}",{{CustomerID}})'
    invoice = f'IF({{InvoiceID}}="","{ON_ACCOUNT_WORDS}",{{InvoiceID}})'
    length = (f'IF({{CustomerID}}="",{len(NO_CUSTOMER_WORDS)},LEN({{CustomerID}}))'
              f'+IF({{InvoiceID}}="",{len(ON_ACCOUNT_WORDS)},LEN({{InvoiceID}}))+2')
    meaning = "changed by the clerk (differs from Proposed)"
    # the prefix ends at a space (the amount follows) or a comma (no amount, a label follows)
    prefix = f'LEFT(SUBSTITUTE({{Proposed}},","," ")&" ",{length}+1)<>{customer}&": "&{invoice}&" "'
    rules = [Highlight(meaning, f'AND({{PaymentID}}<>"",{prefix})', EDITED_FILL),
             Highlight(meaning, _differs("ApplyAmount", f"{length}+2"), EDITED_FILL)]
    for column, label in PROPOSAL_LABELS:
        start = f'SEARCH(", {label} ",{{Proposed}})+{len(label) + 3}'
        rules.append(Highlight(meaning, _differs(column, start), EDITED_FILL))
    return tuple(rules)


def _highlights(table: str) -> tuple[Highlight, ...]:
    if table == "Matches":
        awaiting = Highlight("awaiting the clerk's decision",
                             _is_one_of("Decision", (Decision.REVIEW, Decision.UNMATCHED)), AWAITING_FILL)
        return (*_edit_rules(), awaiting)  # a changed row shows as changed, decided or not
    if table == "Payments":
        return (Highlight("refused by posting: see Exceptions", _is_one_of("MatchStatus", (MatchStatus.EXCEPTION,)),
                          PROBLEM_FILL),
                Highlight("awaiting a decision in Matches",
                          _is_one_of("MatchStatus", (MatchStatus.REVIEW, MatchStatus.UNMATCHED)), AWAITING_FILL))
    if table == "MemoRequests":
        return (Highlight("not made: see Exceptions", _is_one_of("Status", (MemoStatus.NOT_MADE,)), PROBLEM_FILL),
                Highlight("awaiting approval", _is_one_of("Status", (MemoStatus.AWAITING,)), AWAITING_FILL))
    if table == "Exceptions":
        return (Highlight("found by the newest run", 'AND({RunAt}<>"",{RunAt}>=MAX({RunAt:all}))', PROBLEM_FILL),)
    return ()


@cache
def table_guide(table: str) -> TableGuide:
    """The guidance of a table of the contract."""
    columns = spec(table).columns
    validations = tuple(Validation(c.name, c.choices, c.strict, c.prompt) for c in columns if c.choices or c.prompt)
    return TableGuide(table, validations, _highlights(table), WRAPPED.get(table, ()))


# ---- widths -----------------------------------------------------------------------------------

# Advance widths of the printable ASCII characters (space to ~) in Carlito, the font with
# Calibri's metrics, in 1/2048 of the font size (bench/char_widths.py prints them).
_ADVANCES = (
    463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 791, 1038, 1038, 1038,
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020, 949, 1831, 1185, 1114, 1092, 1260,
    1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1322, 1356, 1058, 1378, 1112, 941, 998, 1314, 1162, 1822,
    1063, 998, 959, 628, 791, 628, 1020, 1020, 596, 981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931,
    470, 1636, 1076, 1080, 1076, 1076, 714, 801, 686, 1076, 925, 1464, 887, 927, 809, 644, 943, 644, 1020)
_OTHER_ADVANCE = 1150  # a letter outside ASCII (accented letters are about as wide as capitals)
_EM = 2048
_FONT_POINTS = 11
_PIXELS_PER_UNIT = 7  # Excel's digit width of Calibri 11 on a 96-dpi screen
_PADDING_PIXELS = 7  # the cell's margins and a little room, so a value never touches the edge
_BOLD = 1.04  # Carlito Bold is about 4% wider
FILTER_BUTTON = 2.4  # the table header's filter arrow, in width units
_DATE_SAMPLE, _DATETIME_SAMPLE = "00/00/0000", "00/00/0000 00:00"  # the widest a short date shows
_DATE_FORMATS = {NUMBER_FORMATS[Kind.DATE], "yyyy-mm-dd"}
_DATETIME_FORMATS = {NUMBER_FORMATS[Kind.DATETIME], "yyyy-mm-dd hh:mm:ss"}
_NUMBERS_OR_BLANK = {int, float, type(None)}
_CANDIDATES = 40  # the longest texts by count of characters, measured character by character


def text_pixels(text: str, bold: bool = False) -> float:
    """How wide ``text`` is in Calibri 11 on a 96-dpi screen, in pixels."""
    advances = sum(_ADVANCES[o - 32] if 32 <= (o := ord(ch)) < 127 else _OTHER_ADVANCE for ch in text)
    return advances / _EM * _FONT_POINTS * 96 / 72 * (_BOLD if bold else 1.0)


def text_width(text: str, bold: bool = False) -> float:
    """The column width (Excel's units) a cell needs to show ``text`` whole."""
    return (text_pixels(text, bold) + _PADDING_PIXELS) / _PIXELS_PER_UNIT


def shown_text(number_format: str | None, value: object) -> str:
    """What a cell of ``number_format`` shows for ``value``, as wide as Excel shows it (a date:
    the widest short date; the formats arxl writes: thousands, decimals, percent)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        if hasattr(value, "year"):
            return _DATETIME_SAMPLE if number_format in _DATETIME_FORMATS else _DATE_SAMPLE
        return "" if value is None else str(value)
    fmt = (number_format or "").split(";")[0]
    if fmt in _DATE_FORMATS or fmt in _DATETIME_FORMATS:
        return _DATETIME_SAMPLE if fmt in _DATETIME_FORMATS else _DATE_SAMPLE
    if not fmt or fmt in ("General", "@"):
        return f"{value:.0f}" if value == int(value) else repr(value)
    decimals = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
    number = value * 100 if fmt.endswith("%") else value
    return f"{number:{',' if ',' in fmt else ''}.{decimals}f}" + ("%" if fmt.endswith("%") else "")


def shown_texts(kind: Kind, values: Iterable[object]) -> list[str]:
    """What the widest of a column's values show in the contract's number format for ``kind``."""
    values = list(values)
    fmt = NUMBER_FORMATS[kind]
    distinct = set(values)  # each value once: a column repeats its dates and words
    kinds = set(map(type, distinct))
    if bool in kinds:  # True is 1 in a set: then value by value
        distinct = set()
        numbers: list[float] = []
        for value in values:
            if isinstance(value, int | float) and not isinstance(value, bool):
                numbers.append(float(value))
            else:
                distinct.add(value)
    elif kinds <= _NUMBERS_OR_BLANK:  # a column of amounts: the widest is the largest or the smallest
        amounts = cast(set[float], distinct - {None})
        numbers = [float(max(amounts)), float(min(amounts))] if amounts else []
        distinct = set()
    else:
        numbers = [float(v) for v in distinct if isinstance(v, int | float)]
        distinct = {v for v in distinct if not isinstance(v, int | float)}
    distinct.discard(None)
    distinct.discard("")
    texts = {v for v in distinct if v.__class__ is str}  # text shows as it is
    rest = distinct - texts
    date = next((v for v in rest if hasattr(v, "year")), None)  # every date shows as wide: one stands for all
    texts.update(shown_text(fmt, v) for v in rest if v is date or not hasattr(v, "year"))
    shown = heapq.nlargest(_CANDIDATES, texts, key=len)
    shown.extend(shown_text(fmt, number) for number in {max(numbers, default=0.0), min(numbers, default=0.0)}
                 if numbers)
    return shown


def column_width(header: str, kind: Kind, values: Iterable[object], default: float) -> float:
    """The width that shows the header (with its filter arrow) and every value whole, within
    ``MIN_WIDTH`` and ``MAX_WIDTH``; ``default`` (the contract's width) for a column holding
    nothing yet. Rounded up to a quarter unit."""
    shown = shown_texts(kind, values)
    if not shown:
        return default
    need = max(text_width(header, bold=True) + FILTER_BUTTON, *(text_width(t) for t in shown))
    return min(MAX_WIDTH, max(MIN_WIDTH, math.ceil(need * 4) / 4))


def wrapped_lines(text: object, width: float, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` units wide: words (broken after a
    hyphen too) go on a line while they fit, as Excel and LibreOffice wrap; a word wider than
    a line is broken."""
    if text is None or text == "":
        return 1
    room = width * _PIXELS_PER_UNIT + 5 - _PADDING_PIXELS
    space = text_pixels(" ", bold)
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split(" "):
            for i, part in enumerate(_HYPHENATED.findall(word) or [""]):
                size = text_pixels(part, bold)
                gap = space if used and i == 0 else 0.0
                if used and used + gap + size > room:
                    lines += 1
                    used, gap = 0.0, 0.0
                used += gap + size
                while used > room:  # a word wider than the column runs over the next line
                    lines += 1
                    used -= room
    return lines


_HYPHENATED = re.compile(r"[^-]*-|[^-]+")


def row_height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 2)


def landscape(widths: Iterable[float]) -> bool:
    return sum(widths) > LANDSCAPE_FROM

