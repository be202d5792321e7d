"""Saving a workbook as openpyxl does, with a faster writer for the cells of each sheet.

openpyxl builds an XML element for every cell it saves, and the file store would build a Cell
object for every value arxl writes; on a 100,000-row ledger those two costs are most of a run.
Here:
- the columns arxl writes are kept as plain values (``DirectColumn``), never as Cell objects;
- each sheet's ``<sheetData>`` is written as text, row by row, merging the sheet's cells with
  those columns. Ordinary cells are written exactly as ``openpyxl.cell._writer`` writes them
  (inline strings, dates as serial numbers, formulas without their ``=``); the rare ones (array
  and data-table formulas, rich text) are handed to openpyxl's own cell writer.
Everything else of the sheet and the workbook (styles, tables, charts, drawings, comments,
hyperlinks, macros) is written by openpyxl itself.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import zipfile
from collections import defaultdict
from pathlib import Path

from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.functions import tostring

_PLACEHOLDER = "arxl:sheet-rows:5f0c9e"
_CHUNK_ROWS = 2000


class DirectColumn:
    """Values of one sheet column from ``first_row`` down, with one style. Every string in it
    is text: the file store keeps a column that holds a formula as cells."""

    def __init__(self, first_row: int, style_id: int):
        self.first_row, self.style_id = first_row, style_id
        self.values: list = []

    def put(self, start: int, values: list) -> None:
        if start < self.first_row:
            self.values[:0] = [None] * (self.first_row - start)
            self.first_row = start
        offset = start - self.first_row
        if len(self.values) < offset + len(values):
            self.values.extend([None] * (offset + len(values) - len(self.values)))
        self.values[offset:offset + len(values)] = values

    def keep_rows_up_to(self, last_row: int) -> None:
        del self.values[max(0, last_row - self.first_row + 1):]

    def value(self, row: int):
        i = row - self.first_row
        return self.values[i] if 0 <= i < len(self.values) else None


_NEEDS_ESCAPE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # and a carriage return, as Excel writes it


def escape_text(value: str) -> str:
    """Text as XML holds it: markup as entities, a carriage return as ``&#13;`` (a raw one reads
    back as a line feed); control characters XML cannot hold are left out, as openpyxl cannot
    keep them either (``excel_text`` keeps them)."""
    if not _NEEDS_ESCAPE.search(value):  # most text needs nothing; one scan in C tells
        return value
    return (ILLEGAL_CHARACTERS_RE.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def excel_escapes(value: str) -> str:
    """Text with Excel's own escapes (ST_Xstring): control characters, which XML cannot hold, as
    ``_xHHHH_``, and text that reads like such an escape escaped itself (``_x005F_``), so that
    Excel and calamine read back what was written."""
    if "_x" in value:
        value = _ESCAPE_LIKE.sub(r"_x005F_\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def excel_text(value: str) -> str:
    """Text as Excel writes it in a cell or a shared string: its escapes, then its markup."""
    return escape_text(excel_escapes(value))


def read_excel_text(value: str) -> str:
    """What ``excel_text`` wrote (or Excel), as Excel reads it."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value) if "_x" in value else value


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _attr(value) -> str:
    return escape_text(str(value)).replace('"', "&quot;")


def string_cell(ref: str, style: str, value: str) -> str:
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape_text(value)}</t></is></c>'


def _number(value) -> str:
    if type(value) is int or type(value) is float:
        return repr(value)
    return safe_string(value)  # Decimal, numpy numbers: as openpyxl writes them


def value_cell(ref: str, style: str, value, epoch) -> str:
    """A value arxl wrote into a direct column."""
    if type(value) is float or type(value) is int:  # the common case first
        return f'<c r="{ref}"{style} t="n"><v>{value!r}</v></c>'
    if isinstance(value, str):
        return string_cell(ref, style, value)
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return f'<c r="{ref}"{style} t="n"><v>{to_excel(value, epoch)!r}</v></c>'
    return f'<c r="{ref}"{style} t="n"><v>{_number(value)}</v></c>'


class _Collect:
    """Stands in for openpyxl's xmlfile when its own cell writer handles a rare cell."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, element) -> None:
        self.parts.append(tostring(element))


class _SheetWriter(WorksheetWriter):
    def __init__(self, ws, direct: dict[int, DirectColumn]):
        super().__init__(ws)
        self.direct = direct
        self.special: dict[tuple[int, int], str] = {}

    def write_dimensions(self):
        """The used range, counting the direct columns (readers size the sheet by it)."""
        rows = [r for r, _ in self.ws._cells]
        cols = [c for _, c in self.ws._cells]
        for col, column in self.direct.items():
            filled = [r for r, v in enumerate(column.values, column.first_row) if v is not None]
            if filled:
                rows += [filled[0], filled[-1]]
                cols.append(col)
        if not rows:
            return super().write_dimensions()
        ref = f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"
        self.xf.send(SheetDimension(ref).to_tree())

    def write_rows(self):
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            xf.write(_PLACEHOLDER)  # replaced by the rows when the sheet goes into the archive
        self.xf.send(None)
        # what openpyxl's own write_rows gathers on its way, in the same order
        for (row, col), cell in sorted(self.ws._cells.items()):
            if cell._comment is not None:
                self.ws._comments.append(CommentRecord.from_cell(cell))
            value = cell._value
            if cell.data_type == "f" and not isinstance(value, str) or isinstance(value, CellRichText):
                collect = _Collect()
                etree_write_cell(collect, self.ws, cell, cell.has_style)  # records its hyperlink
                self.special[(row, col)] = b"".join(collect.parts).decode("utf-8")
            elif cell.hyperlink:
                self.ws._hyperlinks.append(cell.hyperlink)

    @staticmethod
    def _cell(cell, ref: str, style: str, epoch, iso_dates: bool) -> str | None:
        value, kind = cell._value, cell.data_type
        if value is None or value == "":
            if not style and cell._comment is None:
                return None
        if value is None or value == "":
            t = "inlineStr" if kind == "s" else kind
            return f'<c r="{ref}"{style}/>' if kind == "f" else f'<c r="{ref}"{style} t="{t}"/>'
        if kind == "s":
            return string_cell(ref, style, value)
        if kind == "f":
            return f'<c r="{ref}"{style}><f>{escape_text(value[1:])}</f><v/></c>'
        if kind == "d":
            if iso_dates:
                return f'<c r="{ref}"{style} t="d"><v>{value.isoformat()}</v></c>'
            return f'<c r="{ref}"{style} t="n"><v>{to_excel(value, epoch)!r}</v></c>'
        if kind == "n":
            return f'<c r="{ref}"{style} t="n"><v>{_number(value)}</v></c>'
        if kind == "b":
            return f'<c r="{ref}"{style} t="b"><v>{int(bool(value))}</v></c>'
        return f'<c r="{ref}"{style} t="{kind}"><v>{escape_text(str(value))}</v></c>'

    def _style(self, cell, cache: dict) -> str:
        """The s="..." attribute of a cell ("" when unstyled), cached per style: most cells of
        a column share one."""
        key = cell._style.tobytes() if cell._style is not None else b""
        if key not in cache:
            cache[key] = f' s="{cell.style_id}"' if cell.has_style else ""
        return cache[key]

    def rows_xml(self):
        """The <row> elements, in chunks of bytes."""
        ws = self.ws
        wb = ws.parent
        epoch, iso_dates = wb.epoch, wb.iso_dates
        # each row's XML fragments as (column, xml), built column by column
        fragments: dict[int, list[tuple[int, str]]] = defaultdict(list)
        styles: dict[bytes, str] = {}
        letters: dict[int, str] = {}
        for (row, col) in sorted(ws._cells):
            cell = ws._cells[(row, col)]
            xml = self.special.get((row, col))
            if xml is None:
                if col not in letters:
                    letters[col] = get_column_letter(col)
                xml = self._cell(cell, f"{letters[col]}{row}", self._style(cell, styles), epoch, iso_dates)
            if xml is not None:
                fragments[row].append((col, xml))
        interleaved = False
        for col, column in sorted(self.direct.items()):
            letter = get_column_letter(col)
            style = f' s="{column.style_id}"' if column.style_id else ""
            for row, value in enumerate(column.values, column.first_row):
                if value is None:
                    continue
                xml = value_cell(f"{letter}{row}", style, value, epoch)
                here = fragments[row]
                interleaved = interleaved or bool(here and here[-1][0] >= col)
                here.append((col, xml))
        rows = sorted(set(fragments) | set(ws.row_dimensions))
        parts: list[str] = []
        for n, row in enumerate(rows, 1):
            attrs = "".join(f' {k}="{_attr(v)}"' for k, v in ws.row_dimensions[row]) if row in ws.row_dimensions else ""
            here = fragments.get(row, ())
            if interleaved and here:
                here = sorted(dict(here).items())  # a direct value replaces a cell in its column
            parts.append(f'<row r="{row}"{attrs}>{"".join(x for _, x in here)}</row>')
            if n % _CHUNK_ROWS == 0:
                yield "".join(parts).encode("utf-8")
                parts = []
        yield "".join(parts).encode("utf-8")


class _Writer(ExcelWriter):
    def __init__(self, workbook, archive, direct: dict[str, dict[int, DirectColumn]]):
        super().__init__(workbook, archive)
        self.direct = direct

    def write_worksheet(self, ws):
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws, self.direct.get(ws.title, {}))
        writer.write()
        ws._rels = writer._rels
        head, tail = Path(writer.out).read_bytes().split(_PLACEHOLDER.encode(), 1)
        with self._archive.open(ws.path[1:], "w", force_zip64=True) as part:
            part.write(head)
            for chunk in writer.rows_xml():
                part.write(chunk)
            part.write(tail)
        self.manifest.append(ws)
        writer.cleanup()


def save_workbook(wb, path: Path, direct: dict[str, dict[int, DirectColumn]]) -> None:
    """``openpyxl.Workbook.save`` with the faster sheet writer and arxl's direct columns."""
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    try:
        _Writer(wb, archive, direct).save()
    except BaseException:
        # a failed write (a full disk) must not fail again when the archive is collected
        fp, archive.fp = archive.fp, None
        with contextlib.suppress(Exception):
            if fp is not None:
                fp.close()
        raise
