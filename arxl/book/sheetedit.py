"""Editing a worksheet part where it changes, the way Excel would: the rows arxl writes to are
rebuilt, cell by cell, from what they held and what arxl changed; every other row, and every
byte of the sheet outside ``<sheetData>`` but its used range and column widths, is copied as it
was. Cells arxl writes lose nothing but their old value (their style stays unless arxl gives the
cell a number format, which is then set on a copy of the cell's own style).

What arxl writes down a column (a rebuilt table, an appended ledger, its own columns of a
clerk's table) is kept column by column (``ColumnEdits``: a value and how it is written per
row, no object per cell); scattered cells (headers, a moved totals row) one by one (``Edit``).
Text goes into the workbook's shared strings, as Excel writes it."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress, islice, repeat
from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import to_excel

from arxl.book.sheetxml import escape_text, value_cell

_ROW = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_R_ATTR = re.compile(rb'\br="([A-Z]+)?(\d+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_SPANS = re.compile(rb'\s+spans="([^"]*)"')
_SPAN = re.compile(rb"(\d+):(\d+)")
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"\s*/>')
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>")

DELETE = object()  # an edit that removes the cell
Strings = Callable[[str], int]  # text -> its index in the shared strings


@dataclass(slots=True)  # one per cell written: a run may write millions
class Edit:
    """What arxl puts in one cell: a value (with a number format to set, or None to keep the
    cell's own; ``as_text``: a string is text, never a formula), or raw XML (a cell moved)."""

    value: object = None
    number_format: str | None = None
    as_text: bool = True
    raw: bytes | None = None  # the cell's XML as it was (with its old reference)


@dataclass(slots=True, frozen=True)
class Written:
    """How the cells of one column write are written: a number format to set (None: keep the
    cell's own) and whether a string is text (never a formula)."""

    number_format: str | None
    as_text: bool


class ColumnEdits:
    """What arxl wrote down one column: for each row from ``first`` on, the value and how it is
    written (a ``Written``, DELETE, or None where the row was not written)."""

    __slots__ = ("first", "values", "how", "_put")

    def __init__(self, first: int):
        self.first = first
        self.values: list[object] = []
        self.how: list[object] = []
        self._put: dict[int, object] = {}  # every how ever put here, by identity (kept alive by it)

    def _reach(self, low: int, high: int) -> None:
        if low < self.first:
            pad = [None] * (self.first - low)
            self.values[:0], self.how[:0] = pad, pad
            self.first = low
        more = high - self.first + 1 - len(self.how)
        if more > 0:
            self.values.extend([None] * more)
            self.how.extend([None] * more)

    def put(self, first_row: int, offsets: list[int], values: list[object], how: object) -> None:
        """``values[i]`` into row ``first_row + i`` for each ``i`` of ``offsets`` (ascending)."""
        self._reach(first_row + offsets[0], first_row + offsets[-1])
        self._put.setdefault(id(how), how)
        shift = first_row - self.first
        if len(offsets) == len(values):  # every row: one slice each
            self.values[shift:shift + len(values)] = values
            self.how[shift:shift + len(values)] = [how] * len(values)
            return
        for i in offsets:
            self.values[shift + i] = values[i]
            self.how[shift + i] = how

    def clear(self, row: int) -> None:
        i = row - self.first
        if 0 <= i < len(self.how):
            self.values[i] = self.how[i] = None

    def rows(self) -> list[int]:
        return [self.first + i for i, how in enumerate(self.how) if how is not None]

    def ways(self) -> list[object]:
        """How the rows are written (``Written``, DELETE), each once, as first met down the column.
        Most columns are written once, one way: then without a look at each row."""
        if len(self._put) == 1 and any(how is not None for how in self.how):
            return list(self._put.values())
        return [how for how in dict(zip(map(id, self.how), self.how)).values() if how is not None]


@dataclass
class SheetEdits:
    """The changes to one worksheet: scattered cells by row, what arxl wrote down whole columns,
    widths of columns arxl added. A cell is in ``cells`` or in ``columns``, never both: the
    later write wins."""

    cells: dict[int, dict[int, object]] = field(default_factory=dict)  # row -> column -> Edit | DELETE
    columns: dict[int, ColumnEdits] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    # row -> (column, the cell's style) -> the style to give it (guidance aligns a table's rows)
    styles: dict[int, Callable[[int, int], int]] = field(default_factory=dict)
    heights: dict[int, float | None] = field(default_factory=dict)  # row -> its height in points; None: Excel's
    dropped_widths: set[int] = field(default_factory=set)  # columns taken out: their own widths go too
    last_column: int = 0  # the used range's last column once columns were taken out (0: as it is)
    max_row: int = 0
    max_col: int = 0
    version: int = 0  # counts the writes of cells and columns (``state``)

    def __bool__(self) -> bool:
        return bool(self.cells or self.columns or self.widths or self.heights or self.styles or self.dropped_widths
                    or self.last_column)

    def put(self, row: int, col: int, edit: object) -> None:
        self.version += 1
        self.cells.setdefault(row, {})[col] = edit
        column = self.columns.get(col)
        if column is not None:
            column.clear(row)
        if edit is not DELETE:
            self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)

    def put_column(self, col: int, first_row: int, offsets: list[int], values: list[object], how: object) -> None:
        """Rows ``first_row + i`` (``i`` in ``offsets``, ascending) of column ``col`` written
        ``how`` (a ``Written`` or DELETE) with ``values[i]``."""
        if not offsets:
            return
        self.version += 1
        low, high = first_row + offsets[0], first_row + offsets[-1]
        if self.cells:  # a scattered edit of these cells is overwritten
            hit = [r for r, cells in self.cells.items() if low <= r <= high and col in cells]
            written = set(offsets) if hit and len(offsets) < len(values) else None
            for r in hit:
                if written is None or r - first_row in written:
                    del self.cells[r][col]
                    if not self.cells[r]:
                        del self.cells[r]
        column = self.columns.get(col)
        if column is None:
            column = self.columns[col] = ColumnEdits(low)
        column.put(first_row, offsets, values, how)
        if how is not DELETE:
            self.max_row, self.max_col = max(self.max_row, high), max(self.max_col, col)

    def state(self) -> tuple[object, ...]:
        """What these edits are now, in short: equal to a state taken earlier only if nothing
        was written since (cells and columns by their writes, the few rest as they are)."""
        return (self.version, dict(self.widths), dict(self.styles), dict(self.heights), set(self.dropped_widths),
                self.last_column, self.max_row, self.max_col)

    def texts(self) -> list[str]:
        """The text these edits write as shared strings (strings that are no formula), each once,
        as first met: column by column, then the scattered cells'."""
        found: dict[str, None] = {}
        for column in self.columns.values():
            ways = column.ways()
            if len(ways) == 1 and isinstance(ways[0], Written):  # written one way: each string once
                strings = dict.fromkeys(compress(column.values, map(isinstance, column.values, repeat(str))))
                pairs: Iterable[tuple[object, object]] = zip(repeat(ways[0]), strings)
            else:
                pairs = zip(column.how, column.values)
            for how, value in pairs:
                if isinstance(value, str) and value and isinstance(how, Written) and (
                        how.as_text or not value.startswith("=")):
                    found[value] = None
        for cells in self.cells.values():
            for edit in cells.values():
                if isinstance(edit, Edit) and edit.raw is None and isinstance(edit.value, str) and edit.value and (
                        edit.as_text or not edit.value.startswith("=")):
                    found[edit.value] = None
        return list(found)

    def number_formats(self) -> list[str]:
        """The number formats these edits set, each once, as first met."""
        found: dict[str, None] = {}
        for column in self.columns.values():
            for how in column.ways():
                if isinstance(how, Written) and how.number_format:
                    found[how.number_format] = None
        for cells in self.cells.values():
            for edit in cells.values():
                if isinstance(edit, Edit) and edit.raw is None and edit.number_format:
                    found[edit.number_format] = None
        return list(found)

    def size(self) -> int:
        """How many cells these edits write, about (rows by columns written down, and scattered)."""
        return sum(len(column.how) for column in self.columns.values()) + sum(map(len, self.cells.values()))

    def touched(self) -> set[tuple[int, int]]:
        """Every cell written or removed, as (row, column)."""
        found = {(r, c) for r, cells in self.cells.items() for c in cells}
        for c, column in self.columns.items():
            found.update((r, c) for r in column.rows())
        return found


Styler = Callable[[int, str], int]  # (the cell's style index, a number format) -> the style to give it
_COLUMNS: dict[bytes, int] = {}  # column letters -> index, as met


def _column(letters: bytes) -> int:
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_index_from_string(letters.decode())
    return col


def _style_of(xml: bytes) -> int:
    m = _S_ATTR.search(xml, 0, xml.find(b">"))
    return int(m.group(1)) if m else 0


def _shared(xml: bytes) -> bool:
    """Whether a cell's XML refers to a shared string."""
    return b't="s"' in xml[:xml.find(b">")]


def _number(value: float) -> str:
    """A number as Excel writes it: a whole number without ".0" (dates are whole days)."""
    if value.__class__ is float and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


_NUMBERS = {float, int}
_FLOATS = {float}
_TEXTS = {str, type(None)}


class CellWriter:
    """Writes the XML of the cells arxl changes in one sheet: the old cell's style kept (or
    given the number format arxl sets), text as a shared string (``strings``)."""

    def __init__(self, styler: Styler, epoch: dt.datetime, strings: Strings):
        self.styler, self.epoch, self.strings = styler, epoch, strings
        self._styles: dict[tuple[int, str | None], str] = {}
        self._serials: dict[dt.date, str] = {}  # a date -> its serial number as written
        self.dropped = 0  # shared strings no longer referred to by a cell replaced here

    def _style(self, old_style: int, number_format: str | None) -> str:
        """The s="..." attribute of a cell that was styled ``old_style`` ("" for the default style)."""
        key = (old_style, number_format)
        style = self._styles.get(key)
        if style is None:
            style_id = self.styler(old_style, number_format) if number_format else old_style
            style = self._styles[key] = f' s="{style_id}"' if style_id else ""
        return style

    def cell(self, ref: str, old: bytes | None, value: object, number_format: str | None,
             as_text: bool) -> bytes | None:
        """The XML of a cell arxl writes (None: no cell at all)."""
        if old is None:
            style = self._style(0, number_format)
        else:
            self.removed(old)
            style = self._style(_style_of(old), number_format)
        if (value is None or value == "") and not style and old is None:
            return None
        return self._xml(ref, style, value, as_text).encode("utf-8")

    def new_cells(self, letter: str, rows: list[int], first: int, hows: list[object],
                  values: list[object]) -> list[str]:
        """The XML of column ``letter``'s cells in ``rows``, none of which the sheet held ("" where
        arxl wrote nothing): a rebuilt table's or an appended ledger's rows, written a column at a
        time with one call per cell."""
        n = len(hows)
        lo = rows[0] - first if rows else -1
        if 0 <= lo and rows[-1] - first < n and rows[-1] - rows[0] + 1 == len(rows):
            span = hows[lo:lo + len(rows)]
            if span[0].__class__ is Written and span.count(span[0]) == len(span):  # one write of every row
                return self._column_cells(letter, rows[0], span[0], values[lo:lo + len(rows)])
        styles: dict[int, tuple[str, bool]] = {}  # id(how) -> (its s="..." for a new cell, as_text)
        xml = self._xml
        out: list[str] = []
        append = out.append
        for r in rows:
            i = r - first
            how = hows[i] if 0 <= i < n else None
            if how is None or how is DELETE:
                append("")
                continue
            found = styles.get(id(how))
            if found is None:
                assert isinstance(how, Written)
                found = styles[id(how)] = (self._style(0, how.number_format), how.as_text)
            style, as_text = found
            value = values[i]
            if (value is None or value == "") and not style:
                append("")
            else:
                append(xml(f"{letter}{r}", style, value, as_text))
        return out

    def _column_cells(self, letter: str, start: int, how: Written, values: list[Any]) -> list[str]:
        """``new_cells`` of rows ``start`` on, all written ``how``: a column of numbers, or of
        text, in one pass (as ``_xml`` writes each)."""
        style = self._style(0, how.number_format)
        refs = range(start, start + len(values))
        kinds = set(map(type, values))
        if kinds == _FLOATS:  # (``_number`` of each, inline)
            return [f'<c r="{letter}{r}"{style}><v>{int(v) if v.is_integer() and -1e15 < v < 1e15 else repr(v)}</v></c>'
                    for r, v in zip(refs, values)]
        if kinds <= _NUMBERS:
            return [f'<c r="{letter}{r}"{style}><v>{_number(v)}</v></c>' for r, v in zip(refs, values)]
        blank = f'<c r="{letter}{{}}"{style}/>' if style else ""
        if kinds <= _TEXTS and (how.as_text or not any(v and v.startswith("=") for v in values)):
            strings = self.strings
            return [f'<c r="{letter}{r}"{style} t="s"><v>{strings(v)}</v></c>' if v else blank.format(r)
                    for r, v in zip(refs, values)]
        xml, as_text = self._xml, how.as_text
        return [blank.format(r) if v is None or v == "" else xml(f"{letter}{r}", style, v, as_text)
                for r, v in zip(refs, values)]

    def _xml(self, ref: str, style: str, value: object, as_text: bool) -> str:
        kind = value.__class__
        if kind is float or kind is int:  # the common case first, written as Excel writes it
            assert isinstance(value, int | float)
            return f'<c r="{ref}"{style}><v>{_number(value)}</v></c>'
        if kind is dt.date:  # a ledger's dates repeat: each is worked out once
            assert isinstance(value, dt.date)
            serial = self._serials.get(value)
            if serial is None:
                serial = self._serials[value] = _number(to_excel(value, self.epoch))
            return f'<c r="{ref}"{style}><v>{serial}</v></c>'
        if kind is dt.datetime:
            return f'<c r="{ref}"{style}><v>{_number(to_excel(value, self.epoch))}</v></c>'
        if value is None or value == "":
            return f'<c r="{ref}"{style}/>'
        if isinstance(value, str):
            if not as_text and value.startswith("="):
                return f'<c r="{ref}"{style}><f>{escape_text(value[1:])}</f></c>'
            return f'<c r="{ref}"{style} t="s"><v>{self.strings(value)}</v></c>'
        return value_cell(ref, style, value, self.epoch)

    def removed(self, old: bytes | None) -> None:
        if old is not None and _shared(old):
            self.dropped += 1


def _moved(raw: bytes, ref: str) -> bytes:
    return _R_ATTR.sub(f'r="{ref}"'.encode(), raw, count=1)


_CELL_AND_COLUMN = re.compile(rb'(<c\b(?:[^>]*?\br="([A-Z]+)\d+")?[^>]*?(?:/>|>.*?</c>))', re.S)


def _cells(inner: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """A row's cells as (column, XML), and whatever else the row holds (its extLst)."""
    found = _CELL_AND_COLUMN.findall(inner)
    if sum(len(xml) for xml, _ in found) == len(inner) and all(letters for _, letters in found):
        return [(_column(letters), xml) for xml, letters in found], b""  # the common row: cells only
    cells = []
    col = 0
    last = 0
    rest = []
    for m in _CELL.finditer(inner):
        rest.append(inner[last:m.start()])
        last = m.end()
        r = _R_ATTR.search(m.group(1))
        col = _column(r.group(1)) if r and r.group(1) else col + 1
        cells.append((col, m.group(0)))
    rest.append(inner[last:])
    return cells, b"".join(rest).strip()


_HEIGHT = re.compile(rb'\s+(?:ht|customHeight)="[^"]*"')


def _restyled(xml: bytes, style_id: int) -> bytes:
    end = xml.find(b">")
    start = _S_ATTR.sub(b"", xml[:end]).rstrip()
    if start.endswith(b"/"):
        return start[:-1].rstrip() + f' s="{style_id}"/>'.encode() + xml[end + 1:]
    return start + f' s="{style_id}"'.encode() + xml[end:]


# a written column as _row_xml reads it: its index and letters, first row, length, how and values by row
_Column = tuple[int, str, int, int, list[object], list[object]]


def _row_xml(attrs: bytes, row: int, old_cells: list[tuple[int, bytes]], extra: bytes,
             edits: SheetEdits, columns: list[_Column], writer: CellWriter) -> bytes:
    cells = dict(old_cells)
    digits = str(row)
    for col, letter, first, n, hows, values in columns:  # what arxl wrote down whole columns
        i = row - first
        if i < 0 or i >= n:
            continue
        how = hows[i]
        if how is None:
            continue
        if how is DELETE:
            writer.removed(cells.pop(col, None))
            continue
        assert isinstance(how, Written)
        xml = writer.cell(letter + digits, cells.get(col), values[i], how.number_format, how.as_text)
        if xml is None:
            cells.pop(col, None)
        else:
            cells[col] = xml
    changes = edits.cells.get(row, {})
    for col in sorted(changes):
        change = changes[col]
        ref = f"{get_column_letter(col)}{row}"
        if change is DELETE:
            writer.removed(cells.pop(col, None))
            continue
        assert isinstance(change, Edit)
        if change.raw is not None:
            writer.removed(cells.get(col))
            xml = _moved(change.raw, ref)
        else:
            xml = writer.cell(ref, cells.get(col), change.value, change.number_format, change.as_text)
        if xml is None:
            cells.pop(col, None)
        else:
            cells[col] = xml
    restyle = edits.styles.get(row)
    if restyle is not None:
        for col, xml in cells.items():
            old_style = _style_of(xml)
            new_style = restyle(col, old_style)
            if new_style != old_style:
                cells[col] = _restyled(xml, new_style)
    attrs = _spans(attrs, sorted(cells), edits.last_column) if attrs else f' r="{row}"'.encode()
    if row in edits.heights:
        height = edits.heights[row]
        attrs = _HEIGHT.sub(b"", attrs) + (f' ht="{height}" customHeight="1"'.encode() if height else b"")
    if not cells and not extra and b"customHeight" not in attrs and b" s=" not in attrs and b"hidden" not in attrs:
        return b""
    return b"<row" + attrs + b">" + b"".join(cells[c] for c in sorted(cells)) + extra + b"</row>"


def _spans(attrs: bytes, columns: list[int], last_column: int) -> bytes:
    """A row's attributes with its spans (the columns its cells take, a hint Excel gives each
    block of 16 rows) grown to the cells it now holds, or cut back to ``last_column`` once
    columns were taken out: an edit undone gives the row back as it was."""
    m = _SPANS.search(attrs)
    if m is None:
        return attrs
    span = _SPAN.fullmatch(m.group(1))
    if span is None or not columns:
        return attrs[:m.start()] + attrs[m.end():]
    low, high = min(int(span.group(1)), columns[0]), max(int(span.group(2)), columns[-1])
    if last_column:
        high = max(min(high, last_column), columns[-1])
    return attrs[:m.start()] + f' spans="{low}:{high}"'.encode() + attrs[m.end():]


def row_cells(data: bytes, row: int) -> dict[int, bytes]:
    """The cells of one row of a worksheet part, as XML by column (a table's totals row, moved)."""
    start = _SHEET_DATA.search(data)
    if start is None:
        return {}
    m = re.compile(rb'<row\b[^>]*?\br="%d"[^>]*?(?:/>|>(.*?)</row>)' % row, re.S).search(data, start.end())
    if m is None or m.group(1) is None:
        return {}
    return dict(_cells(m.group(1))[0])


def rewrite(data: bytes, edits: SheetEdits, writer: CellWriter) -> bytes:
    """The worksheet part ``data`` with ``edits`` made."""
    head, rows, tail = rewrite_pieces(data, edits, writer)
    return b"".join((head, *rows, tail))


def rewrite_pieces(data: bytes, edits: SheetEdits, writer: CellWriter
                   ) -> tuple[bytes, Iterator[bytes | memoryview], bytes]:
    """``rewrite`` in three pieces: the part before the rows, the rows (``<sheetData>`` to
    ``</sheetData>``, given block by block as they are made, so that they need not be held at
    once) and the part after them."""
    start = _SHEET_DATA.search(data)
    if start is None:
        raise ValueError("a worksheet without sheetData")
    if start.group(0).endswith(b"/>"):
        begin = end = tail_at = start.end()
    else:
        begin, end = start.end(), data.index(b"</sheetData>", start.end())
        tail_at = end + len(b"</sheetData>")
    return _head(data[:start.start()], edits), _sheet_data(data, begin, end, edits, writer), data[tail_at:]


def _sheet_data(data: bytes, begin: int, end: int, edits: SheetEdits, writer: CellWriter
                ) -> Iterator[bytes | memoryview]:
    """The rows of ``data`` (from ``begin`` to ``end``) with ``edits`` made, as ``<sheetData>``."""
    view = memoryview(data)  # the rows are read in place (no copy of a sheet that may be tens of megabytes)
    yield b"<sheetData>"
    special = set(edits.cells) | set(edits.styles) | set(edits.heights)  # rows written cell by cell
    rows = set(special)
    for column in edits.columns.values():
        rows.update(column.rows())
    columns = [(col, get_column_letter(col), column.first, len(column.how), column.how, column.values)
               for col, column in sorted(edits.columns.items())]
    planned = _planned(data, begin, end, sorted(rows))
    last = begin
    while plan := list(islice(planned, _BLOCK)):
        block: list[bytes | memoryview] = []
        for row, old, place in _rows_xml(plan, edits, columns, special, writer):
            block.append(view[last:place])
            block.append(row)
            last = old.end() if old is not None else place
        yield b"".join(block)
    yield view[last:end]
    yield b"</sheetData>"


def _planned(data: bytes, begin: int, end: int, pending: list[int]
             ) -> Iterator[tuple[int, re.Match[bytes] | None, int]]:
    """The rows to write, in the sheet's order: (row, its old XML or None, where a new row goes)."""
    p = 0
    row_no = 0
    for m in _ROW.finditer(data, begin, end):
        if p == len(pending):
            return
        r = _ROW_NUMBER.search(m.group(1))
        row_no = int(r.group(1)) if r else row_no + 1
        while p < len(pending) and pending[p] < row_no:  # new rows above this one
            yield pending[p], None, m.start()
            p += 1
        if p < len(pending) and pending[p] == row_no:
            yield row_no, m, m.start()
            p += 1
    for row in pending[p:]:
        yield row, None, end


_BLOCK = 4096  # rows built at once (bounds the cells held in memory)


def _appends_only(old: re.Match[bytes], leftmost: int) -> bool:
    """Whether an old row's cells all lie left of ``leftmost``, the first column arxl wrote
    down, and nothing follows its last cell: arxl's cells then go after them, as they are."""
    inner = old.group(3)
    if not inner:
        return True
    k = inner.rfind(b"<c ")
    if k < 0:
        return not inner.strip()
    tail = inner[k:]
    r = _R_ATTR.search(tail, 0, tail.find(b">"))
    return (r is not None and r.group(1) is not None and _column(r.group(1)) < leftmost
            and (tail.endswith(b"</c>") or tail.endswith(b"/>")) and b"<extLst" not in tail)


def _rows_xml(plan: list[tuple[int, re.Match[bytes] | None, int]], edits: SheetEdits, columns: list[_Column],
              special: set[int], writer: CellWriter) -> list[tuple[bytes, re.Match[bytes] | None, int]]:
    """The XML of the planned rows. A row arxl writes only down whole ``columns``, new or with
    its old cells all to the left of them (a rebuilt table, an appended ledger, arxl's columns
    added to a clerk's table), is built a column at a time; any other row (``special``: with
    scattered cells, a style or a height) cell by cell."""
    leftmost = columns[0][0] if columns else 0
    fast = [row for row, old, _ in plan
            if row not in special and (old is None or _appends_only(old, leftmost))]
    by_column = [writer.new_cells(letter, fast, first, hows, values)
                 for _col, letter, first, _n, hows, values in columns]
    built = dict(zip(fast, zip(*by_column)))
    out = []
    for row, old, place in plan:
        cells = built.get(row)
        if cells is None:
            attrs, old_cells, extra = (old.group(1), *_cells(old.group(3) or b"")) if old else (b"", [], b"")
            out.append((_row_xml(attrs, row, old_cells, extra, edits, columns, writer), old, place))
            continue
        body = "".join(cells)
        if old is None:
            out.append((f'<row r="{row}">{body}</row>'.encode() if body else b"", old, place))
        elif not body:
            out.append((old.group(0), old, place))
        else:
            written = [col for (col, *_), cell in zip(columns, cells) if cell]
            attrs = _spans(old.group(1), written, edits.last_column)
            out.append((b"<row" + attrs + b">" + (old.group(3) or b"") + body.encode() + b"</row>", old, place))
    return out


def _head(head: bytes, edits: SheetEdits) -> bytes:
    """The part before ``<sheetData>``: the used range grown to the cells arxl wrote (or cut
    to the columns left), and the widths of columns arxl added (or took out)."""
    if edits.max_row or edits.last_column:
        m = _DIMENSION.search(head)
        if m is not None:
            ref = m.group(1).decode()
            try:
                min_col, min_row, max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
            except (ValueError, TypeError):
                min_col, min_row, max_col, max_row = 1, 1, 1, 1
            last = max(edits.last_column or max_col or 1, edits.max_col)
            new = (f"{get_column_letter(min_col or 1)}{min_row or 1}:"
                   f"{get_column_letter(last)}{max(max_row or 1, edits.max_row)}")
            head = head[:m.start()] + f'<dimension ref="{new}"/>'.encode() + head[m.end():]
    if edits.dropped_widths:
        def kept(m: re.Match[bytes]) -> bytes:
            low, high = int(m.group(1)), int(m.group(2))
            return b"" if set(range(low, high + 1)) <= edits.dropped_widths else m.group(0)
        head = re.sub(rb'<col\b[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"[^>]*/>', kept, head)
        head = re.sub(rb"<cols>\s*</cols>", b"", head)
    if edits.widths:
        covered: set[int] = set()
        for m in re.finditer(rb'<col\b[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"', head):
            covered.update(range(int(m.group(1)), int(m.group(2)) + 1))
        new_cols = b"".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'.encode()
                            for c, w in sorted(edits.widths.items()) if c not in covered)
        if new_cols:
            end = head.find(b"</cols>")
            if end >= 0:  # Excel wants them in column order
                cols = re.findall(rb"<col\b[^>]*/>", head[:end]) + re.findall(rb"<col\b[^>]*/>", new_cols)
                start = head.find(b"<cols>")
                cols.sort(key=lambda c: int(re.search(rb'min="(\d+)"', c).group(1)))  # type: ignore[union-attr]
                head = head[:start] + b"<cols>" + b"".join(cols) + head[end:]
            else:
                head = head + b"<cols>" + new_cols + b"</cols>"
    return head
