"""Editing a worksheet part where it changes, the way Excel would: the rows arxl writes to are
rebuilt, cell by cell, from what they held and what arxl changed; every other row, and every
byte of the sheet outside ``<sheetData>`` but its used range and column widths, is copied as it
was. Cells arxl writes lose nothing but their old value (their style stays unless arxl gives the
cell a number format, which is then set on a copy of the cell's own style)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string

from arxl.book.sheetxml import escape_text, string_cell, value_cell

_ROW = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_R_ATTR = re.compile(rb'\br="([A-Z]+)?(\d+)"')
_S_ATTR = re.compile(rb'\bs="(\d+)"')
_SPANS = re.compile(rb'\s+spans="([^"]*)"')
_SPAN = re.compile(rb"(\d+):(\d+)")
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"\s*/>')
_SHEET_DATA = re.compile(rb"<sheetData\s*/>|<sheetData\b[^>]*>")

DELETE = object()  # an edit that removes the cell


@dataclass(slots=True)  # one per cell written: a run may write millions
class Edit:
    """What arxl puts in one cell: a value (with a number format to set, or None to keep the
    cell's own; ``as_text``: a string is text, never a formula), or raw XML (a cell moved)."""

    value: object = None
    number_format: str | None = None
    as_text: bool = True
    raw: bytes | None = None  # the cell's XML as it was (with its old reference)


@dataclass
class SheetEdits:
    """The changes to one worksheet: cells by row, widths of columns arxl added."""

    cells: dict[int, dict[int, object]] = field(default_factory=dict)  # row -> column -> Edit | DELETE
    widths: dict[int, float] = field(default_factory=dict)
    # row -> (column, the cell's style) -> the style to give it (guidance aligns a table's rows)
    styles: dict[int, Callable[[int, int], int]] = field(default_factory=dict)
    heights: dict[int, float | None] = field(default_factory=dict)  # row -> its height in points; None: Excel's
    dropped_widths: set[int] = field(default_factory=set)  # columns taken out: their own widths go too
    last_column: int = 0  # the used range's last column once columns were taken out (0: as it is)
    max_row: int = 0
    max_col: int = 0

    def __bool__(self) -> bool:
        return bool(self.cells or self.widths or self.heights or self.styles or self.dropped_widths
                    or self.last_column)

    def put(self, row: int, col: int, edit: object) -> None:
        self.cells.setdefault(row, {})[col] = edit
        if edit is not DELETE:
            self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)


Styler = Callable[[int, str], int]  # (the cell's style index, a number format) -> the style to give it


def cell_xml(ref: str, old: bytes | None, edit: Edit, styler: Styler, epoch: dt.datetime) -> bytes | None:
    """The XML of a cell arxl writes, keeping the old cell's style."""
    old_style = 0
    if old is not None:
        m = _S_ATTR.search(old[:old.find(b">") + 1] if old else b"")
        old_style = int(m.group(1)) if m else 0
    style_id = styler(old_style, edit.number_format) if edit.number_format else old_style
    style = f' s="{style_id}"' if style_id else ""
    value = edit.value
    if value is None or (isinstance(value, str) and value == ""):
        return f'<c r="{ref}"{style}/>'.encode() if style_id or old is not None else None
    if isinstance(value, str):
        if not edit.as_text and value.startswith("="):
            return f'<c r="{ref}"{style}><f>{escape_text(value[1:])}</f></c>'.encode()
        return string_cell(ref, style, value).encode("utf-8")
    return value_cell(ref, style, value, epoch).encode("utf-8")


def _moved(raw: bytes, ref: str) -> bytes:
    return _R_ATTR.sub(f'r="{ref}"'.encode(), raw, count=1)


def _cells(inner: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """A row's cells as (column, XML), and whatever else the row holds (its extLst)."""
    found = []
    col = 0
    last = 0
    rest = []
    for m in _CELL.finditer(inner):
        rest.append(inner[last:m.start()])
        last = m.end()
        r = _R_ATTR.search(m.group(1))
        col = column_index_from_string(r.group(1).decode()) if r and r.group(1) else col + 1
        found.append((col, m.group(0)))
    rest.append(inner[last:])
    return found, b"".join(rest).strip()


_HEIGHT = re.compile(rb'\s+(?:ht|customHeight)="[^"]*"')


def _restyled(xml: bytes, style_id: int) -> bytes:
    end = xml.find(b">")
    start = _S_ATTR.sub(b"", xml[:end]).rstrip()
    if start.endswith(b"/"):
        return start[:-1].rstrip() + f' s="{style_id}"/>'.encode() + xml[end + 1:]
    return start + f' s="{style_id}"'.encode() + xml[end:]


def _style_of(xml: bytes) -> int:
    m = _S_ATTR.search(xml[:xml.find(b">")])
    return int(m.group(1)) if m else 0


def _row_xml(attrs: bytes, row: int, old_cells: list[tuple[int, bytes]], extra: bytes,
             edits: SheetEdits, styler: Styler, epoch: dt.datetime) -> bytes:
    changes = edits.cells.get(row, {})
    cells = dict(old_cells)
    for col in sorted(changes):
        change = changes[col]
        ref = f"{get_column_letter(col)}{row}"
        if change is DELETE:
            cells.pop(col, None)
            continue
        assert isinstance(change, Edit)
        xml = _moved(change.raw, ref) if change.raw is not None else cell_xml(ref, cells.get(col), change, styler,
                                                                               epoch)
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


def rewrite(data: bytes, edits: SheetEdits, styler: Styler, epoch: dt.datetime) -> bytes:
    """The worksheet part ``data`` with ``edits`` made."""
    start = _SHEET_DATA.search(data)
    if start is None:
        raise ValueError("a worksheet without sheetData")
    # the rows are read in place (no copy of a sheet that may be tens of megabytes)
    if start.group(0).endswith(b"/>"):
        begin = end = tail_at = start.end()
    else:
        begin, end = start.end(), data.index(b"</sheetData>", start.end())
        tail_at = end + len(b"</sheetData>")
    head = _head(data[:start.start()], edits)
    out = [head, b"<sheetData>"]
    pending = sorted(set(edits.cells) | set(edits.styles) | set(edits.heights))
    p = 0
    last = begin
    row_no = 0
    for m in _ROW.finditer(data, begin, end):
        attrs = m.group(1)
        r = re.search(rb'\br="(\d+)"', attrs)
        row_no = int(r.group(1)) if r else row_no + 1
        while p < len(pending) and pending[p] < row_no:  # new rows above this one
            out.append(data[last:m.start()])
            last = m.start()
            out.append(_row_xml(b"", pending[p], [], b"", edits, styler, epoch))
            p += 1
        if p < len(pending) and pending[p] == row_no:
            out.append(data[last:m.start()])
            inner = m.group(3) or b""
            old, extra = _cells(inner)
            out.append(_row_xml(attrs, row_no, old, extra, edits, styler, epoch))
            last = m.end()
            p += 1
    out.append(data[last:end])
    while p < len(pending):
        out.append(_row_xml(b"", pending[p], [], b"", edits, styler, epoch))
        p += 1
    out.append(b"</sheetData>")
    out.append(data[tail_at:])
    return b"".join(out)


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
