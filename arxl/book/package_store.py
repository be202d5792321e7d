"""``PackageStore``: the headless door's ``TableStore`` that edits a workbook file the way Excel
would, only where it changes.

Reading: the cell values of the sheets holding arxl's tables come from python-calamine (a fast
reader in Rust); formulas are found in the sheet's XML and read as openpyxl would give them
(``=`` and the formula), so the port's rules for them stay one. Tables, sheets and styles are
read from their parts.

Writing: a cell is written only when its value changes; what arxl writes down a column is kept
column by column, and its text goes into the workbook's shared strings, appended to the clerk's
(``arxl.book.shared_strings``). On save, the sheets arxl wrote are
rebuilt row by row where they change (``arxl.book.sheetedit``); the parts a change needs (the
table's range and columns, a style for a number format, a new sheet's entries in the workbook,
its relationships and content types, a rebuilt report sheet with its drawing and chart) are
written; every other part is copied byte for byte (``arxl.book.package``). Where processes may
be forked (``arxl.forking``), the largest sheets (or, where none is that large, the report) are
worked out in child processes (``arxl.forking.begin``) from the step that last wrote them on,
one at a time while the run goes on, to the same bytes (a sheet written again meanwhile is worked
out again). What a run changes
in a part arxl did not write is: a pivot table whose source holds a cell arxl wrote is marked
to refresh on open, and the calculation chain is dropped when a formula cell was overwritten
(Excel rebuilds it; a stale one makes Excel repair the file).

In a workbook arxl adopted (``arxl.book.adoption``), the accepted ColumnMap (``mapping``) says
where tables are; ``remove_sheet`` and ``remove_columns`` take out what arxl added.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import compress, repeat
from operator import is_, is_not, itemgetter, setitem
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from arxl.book.package import DOC_REL, Deflated, Deflater, Package, deflated, joined, parse_xml, relative, to_xml
from arxl.book.package_guidance import PlacedTable, fit_ahead, guide_around_rows, guide_sheet, wrap_rows
from arxl.book.shared_strings import SharedStrings
from arxl.book.sheetedit import DELETE, CellWriter, Edit, SheetEdits, Written, rewrite, rewrite_pieces, row_cells
from arxl.book.store import BookError, RawTable, blank, filled_below
from arxl.contract import header_key, locate_table, sheet_position
from arxl.core.adopt import ColumnMapping, own_table_name
from arxl.core.report import Report
from arxl.forking import Forked, begin, fork_workers

SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
Piece = tuple[tuple[int, ...], tuple[bytes, ...]]  # what a child makes of a sheet or report: counts, and bytes
M = f"{{{SML}}}"
R_ID = f"{{{DOC_REL}}}id"
WORKSHEET_REL = f"{DOC_REL}/worksheet"
TABLE_REL = f"{DOC_REL}/table"
STYLES_REL = f"{DOC_REL}/styles"
CALC_CHAIN_REL = f"{DOC_REL}/calcChain"
PIVOT_CACHE_REL = f"{DOC_REL}/pivotCacheDefinition"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
TABLE_STYLE = "TableStyleMedium2"
ASIDE_FROM = 200_000  # cells to write: a sheet's rewrite goes to a child process from this many on
DRAW_ASIDE_FROM = 10_000  # cells of a report: drawn in a child process from this many on
MAX_ASIDE = 2  # sheets rewritten in child processes, beside this one: on two cores, about even
_BUILTIN_IDS = {code: i for i, code in BUILTIN_FORMATS.items()}
_FORMULA_TAG = re.compile(rb"<f[\s>/]")  # a cell's formula (not <fill>, <firstFooter>...)
_FORMULA = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<f\b([^>]*?)(?:/>|>([^<]*)</f>)')


def _same(old: object, new: object) -> bool:
    """Whether writing ``new`` over a cell holding ``old`` changes nothing a reader sees."""
    if old is None or new is None or old == "" or new == "":
        return (old is None or old == "") and (new is None or new == "")
    if isinstance(old, str) or isinstance(new, str) or isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, dt.date) or isinstance(new, dt.date):
        if not (isinstance(old, dt.date) and isinstance(new, dt.date)):
            return False
        as_stamp = [v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day) for v in (old, new)]
        return as_stamp[0] == as_stamp[1]
    try:
        return float(old) == float(new)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return old == new


def _drawn_book(sheet: str, report: Report) -> bytes:
    """A workbook of one sheet, titled ``sheet``, with ``report`` drawn on it by openpyxl."""
    import openpyxl

    from arxl.book.files_report import draw_report

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    draw_report(ws, report)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cells(report: Report) -> int:
    return sum(len(row) for block in report.blocks for row in block.rows)


def _drawing(sheet: str, report: Report) -> Piece:
    return (), (_drawn_book(sheet, report),)


def _canonical(element: etree._Element) -> bytes:
    """The element's canonical XML, alike wherever it stands (c14n of an element inside a
    document can declare its children's namespace differently from a free-standing one)."""
    return etree.tostring(copy.deepcopy(element), method="c14n")


class _Styles:
    """The workbook's styles part, grown only by the number formats and report styles arxl needs."""

    def __init__(self, package: Package, part: str | None):
        self.package, self.part = package, part
        self._root: etree._Element | None = None
        self._with_format: dict[tuple[int, str], int] = {}
        self.changed = False

    @property
    def root(self) -> etree._Element:
        if self._root is None:
            if self.part is None:
                raise BookError("the workbook has no styles part; open it in Excel and save it again")
            self._root = parse_xml(self.package.read(self.part))
        return self._root

    def _list(self, tag: str) -> etree._Element:
        found = self.root.find(M + tag)
        if found is None:
            found = etree.SubElement(self.root, M + tag, count="0")
            order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                     "tableStyles", "colors", "extLst"]
            if tag in order:  # keep the schema's order of the lists
                for later in order[order.index(tag) + 1:]:
                    there = self.root.find(M + later)
                    if there is not None:
                        there.addprevious(found)
                        break
        return found

    def format_id(self, code: str) -> int:
        if code in _BUILTIN_IDS:
            return _BUILTIN_IDS[code]
        formats = self._list("numFmts")
        for f in formats:
            if f.get("formatCode") == code:
                return int(f.get("numFmtId", "0"))
        new = max([163] + [int(f.get("numFmtId", "0")) for f in formats]) + 1
        etree.SubElement(formats, M + "numFmt", numFmtId=str(new), formatCode=code)
        formats.set("count", str(len(formats)))
        self.changed = True
        return new

    def _xf_index(self, xf: etree._Element) -> int:
        """The index of an xf like ``xf`` in cellXfs, added if there is none."""
        xfs = self._list("cellXfs")
        wanted = _canonical(xf)
        for i, existing in enumerate(xfs):
            if _canonical(existing) == wanted:
                return i
        xfs.append(xf)
        xfs.set("count", str(len(xfs)))
        self.changed = True
        return len(xfs) - 1

    @property
    def cell_styles(self) -> int:
        """How many cell styles (cellXfs) the workbook has."""
        return len(self._list("cellXfs"))

    def with_format(self, base: int, code: str) -> int:
        """The style of cells styled ``base`` but shown with number format ``code``."""
        key = (base, code)
        if key not in self._with_format:
            xfs = self._list("cellXfs")
            number = str(self.format_id(code))
            if base < len(xfs) and xfs[base].get("numFmtId", "0") == number:
                self._with_format[key] = base
            else:
                xf = copy.deepcopy(xfs[base]) if base < len(xfs) else etree.Element(
                    M + "xf", fontId="0", fillId="0", borderId="0", xfId="0")
                xf.set("numFmtId", number)
                xf.set("applyNumberFormat", "1")
                self._with_format[key] = self._xf_index(xf)
        return self._with_format[key]

    def aligned(self, base: int, wrap: bool) -> int:
        """The style of cells styled ``base`` aligned to the top of their cell, wrapping their
        text if ``wrap`` (the guidance's long-sentence columns)."""
        key = (base, "wrap" if wrap else "top")
        if key not in self._with_format:
            xfs = self._list("cellXfs")
            xf = copy.deepcopy(xfs[base]) if base < len(xfs) else etree.Element(
                M + "xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
            alignment = xf.find(M + "alignment")
            if alignment is None:
                alignment = etree.Element(M + "alignment")
                xf.insert(0, alignment)  # CT_Xf: alignment, protection, extLst
            alignment.set("vertical", "top")
            if wrap:
                alignment.set("wrapText", "1")
            else:
                alignment.attrib.pop("wrapText", None)
            xf.set("applyAlignment", "1")
            self._with_format[key] = self._xf_index(xf)
        return self._with_format[key]

    def dxf_id(self, dxf: etree._Element) -> int:
        """The index of a conditional format's differential style, added if there is none."""
        return self._same_or_added("dxfs", dxf)

    def _same_or_added(self, tag: str, element: etree._Element) -> int:
        items = self._list(tag)
        wanted = _canonical(element)
        for i, existing in enumerate(items):
            if _canonical(existing) == wanted:
                return i
        items.append(copy.deepcopy(element))
        items.set("count", str(len(items)))
        self.changed = True
        return len(items) - 1

    def import_style(self, source: etree._Element, index: int) -> int:
        """The style ``index`` of another styles part (a report drawn by openpyxl) as a style of
        this workbook: its font, fill, border and number format found or added here."""
        xf = copy.deepcopy(source.find(M + "cellXfs")[index])  # type: ignore[index]
        for tag, attribute in (("fonts", "fontId"), ("fills", "fillId"), ("borders", "borderId")):
            items = source.find(M + tag)
            at = int(xf.get(attribute, "0"))
            if items is not None and at < len(items):
                xf.set(attribute, str(self._same_or_added(tag, items[at])))
        number = int(xf.get("numFmtId", "0"))
        if number >= 164:
            codes = {int(f.get("numFmtId", "0")): f.get("formatCode", "General")
                     for f in source.iterfind(f"{M}numFmts/{M}numFmt")}
            xf.set("numFmtId", str(self.format_id(codes.get(number, "General"))))
        xf.set("xfId", "0")
        return self._xf_index(xf)


@dataclass(frozen=True)
class _Ahead:
    """A sheet's rewrite begun before the save (``PackageStore.step_written``): the child doing
    it (None where none may be forked) and what the sheet's edits and part were then."""
    forked: Forked[Piece] | None
    edits: SheetEdits
    state: tuple[object, ...]
    writes: int


@dataclass
class _Sheet:
    title: str
    part: str
    grid: list[list[Any]] | None = None  # the cells' values, [row - 1][column - 1]
    formulas: set[tuple[int, int]] = field(default_factory=set)
    # the master cell of each shared formula -> the cells that share it
    shared: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)
    edits: SheetEdits = field(default_factory=SheetEdits)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_col, min_row, max_col, max_row

    def value(self, row: int, col: int) -> Any:
        grid = self.grid or []
        if row - 1 < len(grid):
            cells = grid[row - 1]
            if col - 1 < len(cells):
                return cells[col - 1]
        return None

    def set(self, row: int, col: int, value: Any) -> None:
        grid = self.grid
        assert grid is not None
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        if len(cells) < col:
            cells.extend([None] * (col - len(cells)))
        cells[col - 1] = value

    def column(self, col: int, first_row: int, n: int) -> list[Any]:
        """The values of ``n`` cells of column ``col`` from ``first_row`` down."""
        rows = (self.grid or [])[first_row - 1:first_row - 1 + n]
        at = col - 1
        try:  # rows reaching the column (a table's, padded to its width): in one pass
            found = list(map(itemgetter(at), rows))
        except IndexError:
            found = [cells[at] if at < len(cells) else None for cells in rows]
        found.extend([None] * (n - len(found)))
        return found

    def set_column(self, col: int, first_row: int, offsets: list[int], values: list[Any], width: int = 0) -> None:
        """Cell ``first_row + i`` of column ``col`` set to ``values[i]``, for each ``i`` of ``offsets``.
        A row too short is padded to ``width`` (its table's last column) at once: a table written
        a column at a time pads each row once, not once per column."""
        grid = self.grid
        assert grid is not None
        at, pad_to = col - 1, max(col, width)
        if len(offsets) == len(values):  # every row (a rebuilt table, appended rows): one walk down them
            last = next(compress(range(len(values) - 1, -1, -1), map(is_not, reversed(values), repeat(None))), -1)
            reach = first_row + last if last >= 0 else 0
            if len(grid) < reach:
                grid.extend([] for _ in range(reach - len(grid)))
            rows = grid[first_row - 1:first_row - 1 + len(values)]
            if rows and min(map(len, rows)) > at:  # every row reaches the column: set in one pass, in C
                deque(map(setitem, rows, repeat(at), values), maxlen=0)
                return
            for cells, value in zip(rows, values):
                if len(cells) <= at:
                    if value is None:
                        continue
                    cells.extend([None] * (pad_to - len(cells)))
                cells[at] = value
            return
        for i in offsets:
            r, value = first_row - 1 + i, values[i]
            if r >= len(grid):
                if value is None:
                    continue
                grid.extend([] for _ in range(r + 1 - len(grid)))
            cells = grid[r]
            if len(cells) <= at:
                if value is None:
                    continue
                cells.extend([None] * (pad_to - len(cells)))
            cells[at] = value


@dataclass
class _Table:
    name: str
    sheet: _Sheet
    part: str | None  # the table part; None for a plain sheet
    root: etree._Element | None
    min_col: int
    max_col: int
    header_row: int
    n_rows: int
    totals: int = 0
    changed: bool = False  # its table part must be written
    written: bool = False  # arxl wrote cells of it (a pivot table over it is refreshed on open)
    read_last: int = 0  # its last data row when read (guidance follows a table that grows)
    written_columns: set[int] = field(default_factory=set)  # sheet columns arxl wrote this run

    @property
    def first_row(self) -> int:
        return self.header_row + 1


class PackageStore:
    """``TableStore`` over a workbook file's package (see the module docstring)."""

    def __init__(self, data: bytes, source: Any = None):
        self.source = source  # the version of the file this was read from (files.Fingerprint)
        self.notes: list[str] = []
        self.package = Package(data)
        self._data = data
        self._calamine: Any = None
        self.workbook_part = self.package.workbook_part()
        self._workbook = parse_xml(self.package.read(self.workbook_part))
        self._workbook_changed = False
        pr = self._workbook.find(M + "workbookPr")
        self.epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") \
            else CALENDAR_WINDOWS_1900
        targets = self.package.targets(self.workbook_part)
        self._styles = _Styles(self.package, next((t for k, t in targets.values() if k == STYLES_REL), None))
        self._sheets: list[_Sheet] = []
        for element in self._workbook.iterfind(f"{M}sheets/{M}sheet"):
            kind, part = targets.get(element.get(R_ID, ""), ("", ""))
            if kind == WORKSHEET_REL:
                self._sheets.append(_Sheet(element.get("name", ""), part))
        self._tables: dict[str, _Table] = {}
        self._all_tables: list[tuple[str, tuple[_Sheet, str, etree._Element]]] | None = None
        self._formula_overwritten = False
        self._reports: dict[str, tuple[Report, Forked[Piece] | None]] = {}  # sheet -> the report, its drawing aside
        self._ahead: dict[str, _Ahead] = {}  # sheet part -> its rewrite begun before the save
        self.mapping = ColumnMapping()  # the accepted ColumnMap of a workbook arxl adopted (AdoptableStore)
        self._strings = SharedStrings(self.package, self.workbook_part)
        self._taken_out = False  # sheets or columns of arxl's removed (``arxl adopt --undo``)

    # ---- reading ------------------------------------------------------------------------------
    def _table_parts(self) -> list[tuple[str, tuple[_Sheet, str, etree._Element]]]:
        if self._all_tables is None:
            self._all_tables = []
            for sheet in self._sheets:
                for kind, part in self.package.targets(sheet.part).values():
                    if kind == TABLE_REL and self.package.has(part):
                        root = parse_xml(self.package.read(part))
                        self._all_tables.append((root.get("displayName", ""), (sheet, part, root)))
        return self._all_tables

    def _load(self, sheet: _Sheet) -> None:
        """The sheet's values (calamine) with its formulas as openpyxl reads them."""
        if sheet.grid is not None:
            return
        if self._calamine is None:
            import python_calamine  # not in Pyodide, where only the Excel doors run

            self._calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self._data))
        found = self._calamine.get_sheet_by_name(sheet.title)
        sheet.grid = found.to_python(skip_empty_area=False)
        for cells in sheet.grid:  # calamine gives a blank cell as ""
            if "" in cells:  # (a scan in C: most rows of a ledger are full)
                cells[:] = [None if v == "" else v for v in cells]
        sheet.merged = [(c0 + 1, r0 + 1, c1 + 1, r1 + 1) for (r0, c0), (r1, c1) in (found.merged_cell_ranges or [])]
        data = self.package.read(sheet.part)
        if _FORMULA_TAG.search(data) is None:
            return
        shared: dict[str, tuple[str, str]] = {}
        masters: dict[str, tuple[int, int]] = {}
        for m in _FORMULA.finditer(data):
            letters, row = m.group(1).decode(), int(m.group(2))
            col = column_index_from_string(letters)
            attrs, text = m.group(3), (m.group(4) or b"").decode("utf-8")
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
            ref = f"{letters}{row}"
            si = re.search(rb'\bsi="(\d+)"', attrs)
            if b'"shared"' in attrs and si:
                key = si.group(1).decode()
                if text:
                    shared[key] = (ref, text)
                    masters[key] = (row, col)
                    sheet.shared[(row, col)] = []
                elif key in shared:
                    origin, master = shared[key]
                    text = Translator("=" + master, origin=origin).translate_formula(ref)[1:]
                    sheet.shared[masters[key]].append((row, col))
            sheet.formulas.add((row, col))
            if text:
                sheet.set(row, col, "=" + text)

    def _locate(self, name: str) -> _Table | None:
        if name in self._tables:
            return self._tables[name]
        places: list[tuple[str, _Sheet | tuple[_Sheet, str, etree._Element]]] = [
            (title, place) for title, place in self._table_parts()]
        found = locate_table(name, places, [(s.title, s) for s in self._sheets], self.mapping.locations)
        if found is None:
            return None
        if isinstance(found, _Sheet) and name in self.mapping.placements:  # a placed sheet's list is its table at A1
            found = next((place for _, place in self._table_parts()
                          if place[0] is found and place[2].get("ref", "").upper().startswith("A1:")), found)
        if isinstance(found, _Sheet):
            self._load(found)
            grid = found.grid or []
            headers = list(grid[0]) if grid else []
            while headers and blank(headers[-1]):
                headers.pop()
            if not headers:
                return None
            table = _Table(name, found, None, None, 1, len(headers), 1, max(0, len(grid) - 1))
        else:
            sheet, part, root = found
            self._load(sheet)
            min_col, min_row, max_col, max_row = range_boundaries(root.get("ref", "A1:A1"))
            totals = int(root.get("totalsRowCount", "0") or 0)
            table = _Table(name, sheet, part, root, min_col, max_col, min_row, max_row - min_row - totals, totals)
        table.read_last = table.header_row + max(table.n_rows, 1)
        self._tables[name] = table
        return table

    def _known(self, name: str) -> _Table:
        table = self._locate(name)
        if table is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        return table

    def find(self, name: str) -> RawTable | None:
        table = self._locate(name)
        if table is None:
            return None
        sheet = table.sheet
        headers = [sheet.value(table.header_row, c) for c in range(table.min_col, table.max_col + 1)]
        width = len(headers)
        rows = []
        grid = sheet.grid or []
        for r in range(table.first_row, table.header_row + table.n_rows + 1):
            row = grid[r - 1][table.min_col - 1:table.max_col] if r - 1 < len(grid) else []  # a copy
            rows.append(row + [None] * (width - len(row)) if len(row) < width else row)
        while rows and all(blank(v) for v in rows[-1]):
            rows.pop()
        notes = [f"header cells {get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1} are merged"
                 for c0, r0, c1, r1 in sheet.merged
                 if r0 <= table.header_row <= r1 and not (c1 < table.min_col or c0 > table.max_col)]
        after = table.header_row + table.n_rows + table.totals + 1
        below = filled_below((cells[table.min_col - 1:table.max_col] for cells in grid[after - 1:]), after) \
            if table.root is not None else None
        return RawTable(name=name, sheet=sheet.title, first_row=table.first_row, rows=rows, problems=notes,
                        headers=["" if h is None else str(h) for h in headers], below=below)

    # ---- adopting a clerk's workbook (arxl.book.adoption) -------------------------------------
    def samples(self) -> list[RawTable]:
        """What every sheet holds: each Excel table, and each sheet without one read as a plain
        list under row 1 (a chart sheet holds nothing)."""
        found = []
        for sheet in list(self._sheets):
            for name in [t for t, (on, _, _) in self._table_parts() if on is sheet] or [sheet.title]:
                known = name in self._tables
                raw = self.find(name)
                if not known:
                    self._tables.pop(name, None)  # read to look at, not located as a table
                if raw is not None:
                    found.append(raw)
        return found

    def forget(self, keep: tuple[str, ...] = ()) -> None:
        """Locate every table but ``keep`` afresh (the ColumnMap placing them was just accepted);
        one arxl has written to stays, with its changes."""
        self._tables = {name: t for name, t in self._tables.items() if name in keep or t.written or t.changed}

    def remove_sheet(self, title: str) -> bool:
        """Remove the sheet ``title``: its entry in the workbook (defined names local to it, the
        active sheet kept), its part and the parts only it points to (its tables, drawing,
        charts), and a calculation chain naming its cells (Excel rebuilds it)."""
        sheets = self._workbook.find(M + "sheets")
        assert sheets is not None
        element = next((e for e in sheets if e.get("name") == title), None)
        if element is None:
            return False
        index = list(sheets).index(element)
        part = self.package.targets(self.workbook_part).get(element.get(R_ID, ""), ("", ""))[1]
        sheets.remove(element)
        names = self._workbook.find(M + "definedNames")
        for defined in list(names if names is not None else []):
            local = defined.get("localSheetId")
            if local is not None and int(local) == index:
                defined.getparent().remove(defined)
            elif local is not None and int(local) > index:
                defined.set("localSheetId", str(int(local) - 1))
        if names is not None and not len(names):
            self._workbook.remove(names)
        for view in self._workbook.iterfind(f"{M}bookViews/{M}workbookView"):
            for attribute in ("activeTab", "firstSheet"):  # the same sheet stays active (the one after, if it went)
                at = int(view.get(attribute, "-1"))
                if at > index or at == index == len(sheets):
                    view.set(attribute, str(at - 1))
        self._workbook_changed = True
        self._taken_out = True
        chain = next((t for k, t in self.package.targets(self.workbook_part).values() if k == CALC_CHAIN_REL), None)
        if chain is not None and self.package.has(chain) and re.search(
                rb'\bi="%s"' % element.get("sheetId", "").encode(), self.package.read(chain)):
            self._drop_calc_chain()
        self.package.drop_rels(self.workbook_part, lambda _kind, target: target != part)
        if self.package.has(part):
            self.package.remove_tree(part)
        self._sheets = [s for s in self._sheets if s.part != part]
        self._tables = {name: t for name, t in self._tables.items() if t.sheet.part != part}
        self._all_tables = [t for t in self._table_parts() if t[1][0].part != part]
        self._drop_report(title)
        self._stop_ahead(part)
        return True

    def remove_columns(self, name: str, offsets: list[int]) -> None:
        """Take the columns at ``offsets`` (the rightmost of the table, which arxl added) out of
        the table and the sheet: every cell of theirs, their widths and table columns; the used
        range shrinks to the cells left."""
        table = self._known(name)
        sheet = table.sheet
        columns = sorted(table.min_col + o for o in offsets)
        if columns != list(range(table.max_col - len(columns) + 1, table.max_col + 1)):
            raise BookError(f"{sheet.title}: arxl removes only the columns it added at the right end of the table.")
        gone = set(columns)
        self._taken_out = True
        kept = 0
        for letters, row in re.findall(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"', self.package.read(sheet.part)):
            col = column_index_from_string(letters.decode())
            if col in gone:
                sheet.edits.put(int(row), col, DELETE)
                if (int(row), col) in sheet.formulas:
                    sheet.formulas.discard((int(row), col))
                    self._formula_overwritten = True
                sheet.set(int(row), col, None)
            else:
                kept = max(kept, col)
        sheet.edits.dropped_widths |= gone
        sheet.edits.last_column = kept or 1
        table.max_col -= len(columns)
        table.written_columns -= gone
        table.changed = True
        if table.root is not None:
            table_columns = table.root.find(M + "tableColumns")
            assert table_columns is not None
            for column in list(table_columns)[len(table_columns) - len(columns):]:
                table_columns.remove(column)
            table_columns.set("count", str(len(table_columns)))
            auto = table.root.find(M + "autoFilter")
            for criteria in list(auto if auto is not None else []):
                if criteria.get("colId") is not None and int(criteria.get("colId", "0")) >= len(table_columns):
                    auto.remove(criteria)  # type: ignore[union-attr]
            self._set_ref(table)

    # ---- writing cells ------------------------------------------------------------------------
    def _overwrite_formula(self, sheet: _Sheet, row: int, col: int) -> None:
        """The formula of a cell arxl writes over goes (Excel rebuilds its calculation chain)."""
        if (row, col) not in sheet.formulas:
            return
        sheet.formulas.discard((row, col))
        self._formula_overwritten = True
        for shares in sheet.shared.pop((row, col), []):
            # the cells that shared the overwritten cell's formula each get it written out
            formula = sheet.value(*shares)
            if shares in sheet.formulas and isinstance(formula, str) and formula.startswith("="):
                sheet.edits.put(*shares, Edit(formula, None, as_text=False))

    def _put(self, sheet: _Sheet, row: int, col: int, edit: Edit) -> None:
        self._overwrite_formula(sheet, row, col)
        sheet.edits.put(row, col, edit)
        sheet.set(row, col, edit.value)

    def write_column(self, name: str, offset: int, first_row: int, values: list[Any], number_format: str | None,
                     as_text: bool) -> None:
        table = self._known(name)
        sheet, col = table.sheet, table.min_col + offset
        old = sheet.column(col, first_row, len(values))
        # only the cells that change (a formula written back as read stays a formula)
        if all(map(is_, old, repeat(None))):  # all blank (a new or rebuilt table): what is not blank
            changed = list(compress(range(len(values)), map(is_not, values, repeat(None))))
            if "" in values:
                changed = [i for i in changed if values[i] != ""]
        else:
            changed = [i for i, (o, v) in enumerate(zip(old, values))
                       if ((v is not None and v != "") if o is None  # a blank cell: the common case first
                           else not (o.__class__ is v.__class__ and o == v) and not _same(o, v))]
        if not changed:
            return
        if sheet.formulas:
            for i in changed:
                self._overwrite_formula(sheet, first_row + i, col)
        sheet.edits.put_column(col, first_row, changed, values, Written(number_format, as_text))
        sheet.set_column(col, first_row, changed, values, table.max_col)
        table.written = True
        table.written_columns.add(col)

    def resize(self, name: str, n_rows: int) -> None:
        """The table holds ``n_rows`` data rows; a totals row moves with its last row."""
        from arxl.book.port import EXCEL_MAX_ROWS

        table = self._known(name)
        sheet = table.sheet
        old_last, new_last = table.header_row + table.n_rows, table.header_row + n_rows
        if new_last + table.totals > EXCEL_MAX_ROWS:
            raise BookError(f"{sheet.title}: the {name} table would end past row {EXCEL_MAX_ROWS:,}, the last row of "
                            f"an Excel sheet. Move older rows to an archive workbook and run again.")
        columns = range(table.min_col, table.max_col + 1)
        if new_last > old_last:
            below = old_last + table.totals + 1  # only rows the sheet has can hold anything
            held = [(r, c) for r, cells in enumerate((sheet.grid or [])[below - 1:new_last], below)
                    for c in columns if c <= len(cells) and not blank(cells[c - 1])]
            if held:
                r, c = min(held)
                raise BookError(f"{sheet.title}: the {name} table must grow to row {new_last + table.totals}, "
                                f"but cell {get_column_letter(c)}{r} below it holds data. Move that data and "
                                f"run again.")
        moved = row_cells(self.package.read(sheet.part), old_last + 1) if table.totals and new_last != old_last \
            and self.package.has(sheet.part) else {}
        totals_values = {c: sheet.value(old_last + 1, c) for c in columns} if table.totals else {}
        cut = list(range(old_last + table.totals - new_last))  # the rows below the table's new end
        if cut:
            for c in columns:
                if sheet.formulas:
                    for i in cut:
                        if (new_last + 1 + i, c) in sheet.formulas:
                            sheet.formulas.discard((new_last + 1 + i, c))
                            self._formula_overwritten = True
                sheet.edits.put_column(c, new_last + 1, cut, [None] * len(cut), DELETE)
                sheet.set_column(c, new_last + 1, cut, [None] * len(cut))
        if table.totals and new_last != old_last:
            for c in columns:
                if c in moved:
                    sheet.edits.put(new_last + 1, c, Edit(raw=moved[c]))
                    sheet.set(new_last + 1, c, totals_values.get(c))
        table.n_rows = n_rows
        table.written = True
        self._set_ref(table)

    def _set_ref(self, table: _Table) -> None:
        if table.root is None:
            return
        last = table.header_row + max(table.n_rows, 1)
        start, end = f"{get_column_letter(table.min_col)}{table.header_row}", get_column_letter(table.max_col)
        if table.root.get("ref") == f"{start}:{end}{last + table.totals}":
            return
        table.changed = True
        table.root.set("ref", f"{start}:{end}{last + table.totals}")
        auto = table.root.find(M + "autoFilter")
        if auto is not None:
            auto.set("ref", f"{start}:{end}{last}")
            sort = auto.find(M + "sortState")
            if sort is not None:
                sort.getparent().remove(sort)  # sorted rows arxl rewrote; Excel sorts again when asked
        sort = table.root.find(M + "sortState")
        if sort is not None:
            table.root.remove(sort)

    def add_columns(self, name: str, headers: list[str], formats: list[str | None], widths: list[float]) -> None:
        table = self._known(name)
        sheet = table.sheet
        last_row = table.header_row + max(table.n_rows, 1)
        for i, header in enumerate(headers):
            col = table.max_col + 1 + i
            below = sheet.column(col, table.header_row, last_row + 1 - table.header_row)
            occupied = next((i for i, value in enumerate(below) if not blank(value)), None)
            if occupied is not None:
                raise BookError(f"{sheet.title}: arxl needs to add the column {header} to the right of the "
                                f"{name} table, but cell {get_column_letter(col)}{table.header_row + occupied} "
                                f"holds data. Move it and run again.")
            self._put(sheet, table.header_row, col, Edit(header, None, True))
            sheet.edits.widths[col] = widths[i]
        table.max_col += len(headers)
        table.changed = True
        if table.root is not None:
            columns = table.root.find(M + "tableColumns")
            assert columns is not None
            next_id = max([int(c.get("id", "0")) for c in columns] + [0]) + 1
            for i, header in enumerate(headers):
                etree.SubElement(columns, M + "tableColumn", id=str(next_id + i), name=header)
            columns.set("count", str(len(columns)))
            self._set_ref(table)

    # ---- new sheets ---------------------------------------------------------------------------
    def _new_sheet(self, title: str, body: bytes) -> _Sheet:
        """A worksheet part ``body`` added as sheet ``title`` where the contract puts it."""
        if any(s.title.lower() == title.lower() for s in self._sheets) or any(
                e.get("name", "").lower() == title.lower() for e in self._workbook.iterfind(f"{M}sheets/{M}sheet")):
            raise BookError(f"A sheet named {title} exists but holds no {title} table; rename that sheet "
                            f"or give it headers in row 1.")
        part = self.package.free_name("xl/worksheets/sheet{}.xml")
        self.package.write(part, body)
        self.package.set_override(part, WORKSHEET_TYPE)
        rid = self.package.add_rel(self.workbook_part, WORKSHEET_REL, part)
        sheets = self._workbook.find(M + "sheets")
        assert sheets is not None
        titles = [e.get("name", "") for e in sheets]
        index = sheet_position(title, titles)
        ids = [int(e.get("sheetId", "0")) for e in sheets]
        element = etree.Element(M + "sheet", nsmap={"r": DOC_REL})
        element.set("name", title)
        element.set("sheetId", str(max(ids + [0]) + 1))
        element.set(R_ID, rid)
        sheets.insert(index, element)
        for defined in self._workbook.iterfind(f"{M}definedNames/{M}definedName"):
            local = defined.get("localSheetId")
            if local is not None and int(local) >= index:
                defined.set("localSheetId", str(int(local) + 1))
        for view in self._workbook.iterfind(f"{M}bookViews/{M}workbookView"):
            active = view.get("activeTab")
            if active is not None and int(active) >= index:  # the same sheet stays active
                view.set("activeTab", str(int(active) + 1))
        self._workbook_changed = True
        sheet = _Sheet(title, part, grid=[])
        self._sheets.insert(min(index, len(self._sheets)), sheet)
        return sheet

    def create(self, name: str, headers: list[str], formats: list[str | None], widths: list[float]) -> RawTable:
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
        body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{SML}" '
                f'xmlns:r="{DOC_REL}"><dimension ref="A1"/><sheetViews><sheetView workbookViewId="0">'
                f'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
                f'<cols>{cols}</cols><sheetData/>'
                f'<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
                f'<tableParts count="1"><tablePart r:id="rIdT"/></tableParts></worksheet>').encode()
        title = self.mapping.locations.get(name, name)
        sheet = self._new_sheet(title, body)
        table_part = self.package.free_name("xl/tables/table{}.xml")
        rid = self.package.add_rel(sheet.part, TABLE_REL, table_part)
        self.package.write(sheet.part, body.replace(b'r:id="rIdT"', f'r:id="{rid}"'.encode()))
        ids = [int(root.get("id", "0")) for _, (_, _, root) in self._table_parts()]
        end = get_column_letter(len(headers))
        display = own_table_name(name, [t for t, _ in self._table_parts()] + [
            d.get("name", "") for d in self._workbook.iterfind(f"{M}definedNames/{M}definedName")])
        root = etree.Element(M + "table", nsmap={None: SML})
        for attribute, value in (("id", str(max(ids + [0]) + 1)), ("name", display), ("displayName", display),
                                 ("ref", f"A1:{end}2")):
            root.set(attribute, value)
        etree.SubElement(root, M + "autoFilter", ref=f"A1:{end}2")
        columns = etree.SubElement(root, M + "tableColumns", count=str(len(headers)))
        for i, header in enumerate(headers, 1):
            etree.SubElement(columns, M + "tableColumn", id=str(i), name=header)
        etree.SubElement(root, M + "tableStyleInfo", name=TABLE_STYLE, showFirstColumn="0", showLastColumn="0",
                         showRowStripes="1", showColumnStripes="0")
        self.package.write(table_part, to_xml(root))  # the name is taken from now on
        self.package.set_override(table_part, TABLE_TYPE)
        assert self._all_tables is not None
        self._all_tables.append((display, (sheet, table_part, root)))
        table = _Table(name, sheet, table_part, root, 1, len(headers), 1, 1, changed=True, read_last=2)
        self._tables[name] = table
        for i, header in enumerate(headers, 1):
            self._put(sheet, 1, i, Edit(header, None, True))
        for i, number_format in enumerate(formats, 1):
            if number_format:
                sheet.edits.put(2, i, Edit(None, number_format, True))
        return RawTable(name=name, sheet=title, headers=list(headers), first_row=2, rows=[])

    # ---- report sheets ------------------------------------------------------------------------
    def write_report(self, sheet: str, report: Report) -> None:
        """Replace the report sheet with ``report``, placed when the workbook is saved. A large
        one is drawn from now on in a forked child, while the run's later steps go on here, unless
        sheets are large enough to be rewritten in children (``_large``): they keep the other core
        busy already, and one more child would hold as much again of the pages this process writes
        meanwhile (some 40 MB more at the peak on the 100k workbook, for no time gained); it is
        drawn when saved."""
        self._drop_report(sheet)
        aside = _cells(report) >= DRAW_ASIDE_FROM and fork_workers(2) > 1 and not self._large()
        self._reports[sheet] = (report, begin(partial(_drawing, sheet, report)) if aside else None)

    def _drop_report(self, sheet: str) -> None:
        _, drawing = self._reports.pop(sheet, (None, None))
        if drawing is not None:
            drawing.stop()

    def _place_report(self, sheet: str, drawn_book: bytes) -> None:
        """The report sheet replaced by the one sheet of ``drawn_book`` (``_drawn_book``), moved
        into this workbook with its drawing, charts and styles."""
        source = Package(drawn_book)
        drawn_sheet = "xl/worksheets/sheet1.xml"
        body = source.read(drawn_sheet)
        source_styles = parse_xml(source.read("xl/styles.xml"))
        mapped: dict[bytes, bytes] = {}

        def restyle(m: re.Match[bytes]) -> bytes:
            index = m.group(2)
            if index not in mapped:
                mapped[index] = str(self._styles.import_style(source_styles, int(index))).encode()
            return m.group(1) + mapped[index] + b'"'

        body = re.sub(rb'(<(?:c|row)\b[^>]*?\bs=")(\d+)"', restyle, body)
        body = re.sub(rb'(<col\b[^>]*?\bstyle=")(\d+)"', restyle, body)
        existing = next((s for s in self._sheets if s.title == sheet), None)
        if existing is None:
            target = self._new_sheet(sheet, body)
        else:
            target = existing
            old = self.package.read(target.part)
            if _FORMULA_TAG.search(old) is not None:
                self._formula_overwritten = True
            code_name = re.search(rb'codeName="([^"]*)"', old[:old.find(b"<sheetData")])
            if code_name:  # the VBA project knows the sheet by it
                body = re.sub(rb"<sheetPr\b", b'<sheetPr codeName="' + code_name.group(1) + b'"', body, count=1) \
                    if b"<sheetPr" in body else body.replace(b"<dimension", b'<sheetPr codeName="' +
                                                             code_name.group(1) + b'"/><dimension', 1)
            for part in self.package.drop_rels(target.part, lambda _k, _t: False):
                self.package.remove_tree(part)
            self.package.write(target.part, body)
            target.grid, target.edits, target.formulas = [], SheetEdits(), set()
        rels = source.rels(drawn_sheet)
        for rel in rels:
            part = source.targets(drawn_sheet)[rel.get("Id", "")][1]
            copied = self._copy_tree(source, part)
            rel.set("Target", relative(target.part, copied))
        self.package.put_rels(target.part, rels)

    def _copy_tree(self, source: Package, part: str) -> str:
        """``part`` of ``source`` and the parts it points to, under free names here."""
        stem, ext = part.rsplit(".", 1)
        new = self.package.free_name(re.sub(r"\d*$", "", stem) + "{}." + ext)
        self.package.write(new, source.read(part))
        content_type = source.content_type(part)
        if content_type:
            self.package.set_override(new, content_type)
        rels = source.rels(part)
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            child = source.targets(part)[rel.get("Id", "")][1]
            rel.set("Target", relative(new, self._copy_tree(source, child)))
        if len(rels):
            self.package.put_rels(new, rels)
        return new

    # ---- saving -------------------------------------------------------------------------------
    def save(self, path: Path, suffix: str) -> None:
        """Write the package with arxl's changes to ``path``, as the file type ``suffix`` names."""
        guided = self._guided()
        for sheet in self._sheets:
            for place in guided.get(sheet.title, []):
                wrap_rows(place, sheet.edits, self._styles.aligned)
        aside: dict[str, Forked[Piece] | None] = {}
        try:
            aside = self._rewrite_aside(fork_workers(2) > 1)  # large sheets rewritten in children meanwhile
            self._write_out(path, suffix, guided, aside)
        finally:  # a child whose piece was not taken (the save failed) ends with it
            for part in list(self._ahead):
                self._stop_ahead(part)
            for forked in (*(drawing for _, drawing in self._reports.values()), *aside.values()):
                if forked is not None:
                    forked.stop()

    def _write_out(self, path: Path, suffix: str, guided: dict[str, list[PlacedTable]],
                   aside: dict[str, Forked[Piece] | None]) -> None:
        """``save`` once its children are started: the reports placed, the sheets rewritten and
        guided, and the parts written."""
        for sheet_name, (report, drawing) in self._reports.items():
            done = drawing.result() if drawing is not None else None
            self._place_report(sheet_name, done[1][0] if done is not None else _drawn_book(sheet_name, report))
        self._reports = {}
        self._refresh_pivots()
        untitled = self._untitled(guided)
        writer = CellWriter(self._styles.with_format, self.epoch, self._strings.index)
        for sheet in self._sheets:
            if sheet.part not in aside:
                self._finish_sheet(sheet, guided.get(sheet.title, []), None, writer, untitled)
        aside_sheets = [sheet for sheet in self._sheets if sheet.part in aside]
        for sheet in aside_sheets:  # while the children still rewrite these: their tables' widths
            fit_ahead(guided.get(sheet.title, []))
        for sheet in aside_sheets:
            self._finish_sheet(sheet, guided.get(sheet.title, []), aside[sheet.part], writer, untitled)
        self._strings.dropped += writer.dropped
        self._strings.save()
        if self._taken_out:
            self._strings.trim([sheet.part for sheet in self._sheets])
        for table in self._tables.values():
            if table.changed:
                if table.part is not None and table.root is not None:
                    self.package.write_xml(table.part, table.root)
                    table.changed = False
        if self._styles.changed and self._styles.part:
            self.package.write_xml(self._styles.part, self._styles.root)
        if self._formula_overwritten:
            self._drop_calc_chain()
        if self._workbook_changed:
            self.package.write_xml(self.workbook_part, self._workbook)
        self.notes = self.package.conform(suffix)
        self.package.save(path)

    def _finish_sheet(self, sheet: _Sheet, placed: list[PlacedTable], forked: Forked[Piece] | None, writer: CellWriter,
                      untitled: set[str]) -> None:
        """Write ``sheet``'s part with its edits (the rewrite ``forked`` worked out, when it did)
        and the guidance of the tables ``placed`` on it."""
        edits = sheet.edits
        if not (edits or placed):
            return
        done = forked.result() if forked is not None and edits else None
        sheet.edits = SheetEdits()
        if done is not None:
            self._take_piece(sheet, placed, untitled, writer, done)
            return
        original = self.package.read(sheet.part)
        data = rewrite(original, edits, writer) if edits else original
        if placed:
            data = guide_sheet(data, placed, self._styles.dxf_id, untitled)
        if data != original:
            self.package.write(sheet.part, data)

    def _take_piece(self, sheet: _Sheet, placed: list[PlacedTable], untitled: set[str], writer: CellWriter,
                    done: Piece) -> None:
        """Write ``sheet``'s part from the rewrite a child did (``_rewriter``): the rows it
        compressed there, between the parts before and after them with the guidance of the tables
        ``placed`` on the sheet."""
        (referred, dropped, crc, size), (head, tail, rows) = done
        self._strings.referred += referred
        writer.dropped += dropped
        guided = guide_around_rows(head, tail, placed, self._styles.dxf_id, untitled) if placed else None
        if guided is not None:
            head, tail = guided
        self.package.write(sheet.part, joined([deflated(head, whole=False), Deflated(crc, size, rows),
                                               deflated(tail)]))

    def step_written(self) -> None:
        """Begin the rewrite of the largest sheet (of ``ASIDE_FROM`` cells to write on) written
        since its last one began (``_begin``: its text numbered now, the same on every machine),
        and fork the child of the largest sheet begun that has none yet, where that is allowed and
        no other child is at work: it rewrites the sheet while the run's next steps go on here
        (on two cores, one is mostly idle meanwhile). One at a time, so that the children leave
        this process its core, and the pages this process writes meanwhile are copied for one
        child, not two (some 40 MB at the peak on the 100k workbook). The save takes a child's
        sheet if nothing was written to it since, and forks or begins the rest
        (``_rewrite_aside``)."""
        waiting = [s for s in self._large() if not self._holds(s)]
        if waiting:
            self._begin(waiting[0], False)
        if fork_workers(2) > 1 and not any(ahead.forked is not None and ahead.forked.at_work()
                                           for ahead in self._ahead.values()):
            self._fork_begun(1)

    def _fork_begun(self, most: int) -> None:
        """Fork the rewrite of up to ``most`` sheets begun without a child, the largest first
        (the one that would keep the save waiting longest)."""
        pending = [sheet for sheet in self._sheets
                   if sheet.part in self._ahead and self._ahead[sheet.part].forked is None]
        for sheet in sorted(pending, key=lambda sheet: -sheet.edits.size())[:most]:
            self._ahead[sheet.part] = replace(self._ahead[sheet.part], forked=begin(self._rewriter(sheet)))

    def _large(self) -> list[_Sheet]:
        """The sheets with at least ``ASIDE_FROM`` cells to write (reports aside), the most first."""
        sizes = {s.part: s.edits.size() for s in self._sheets if s.edits and s.title not in self._reports}
        return sorted((s for s in self._sheets if sizes.get(s.part, 0) >= ASIDE_FROM), key=lambda s: -sizes[s.part])

    def _holds(self, sheet: _Sheet) -> bool:
        """Whether the rewrite of ``sheet`` begun ahead is still the one to save: neither its
        edits nor its part were written since."""
        ahead = self._ahead.get(sheet.part)
        return (ahead is not None and ahead.edits is sheet.edits and ahead.state == sheet.edits.state()
                and ahead.writes == self.package.writes(sheet.part) and sheet.title not in self._reports)

    def _begin(self, sheet: _Sheet, forks: bool) -> None:
        """``sheet``'s text given its shared strings and its new cells their styles now, and its
        rewrite started in a forked child where ``forks``; otherwise it is rewritten when saved."""
        self._stop_ahead(sheet.part)
        self._strings.add(sheet.edits.texts())
        for number_format in sheet.edits.number_formats():  # the style of a new cell shown so
            self._styles.with_format(0, number_format)
        self._ahead[sheet.part] = _Ahead(begin(self._rewriter(sheet)) if forks else None, sheet.edits,
                                         sheet.edits.state(), self.package.writes(sheet.part))

    def _stop_ahead(self, part: str) -> None:
        ahead = self._ahead.pop(part, None)
        if ahead is not None and ahead.forked is not None:
            ahead.forked.stop()

    def _rewrite_aside(self, forks: bool) -> dict[str, Forked[Piece] | None]:
        """The sheets rewritten apart, by part: those whose rewrite began ahead and still holds
        (its child forked now if it has none yet), and of the other large sheets the
        ``MAX_ASIDE`` largest, begun now (the same on every machine, so that the workbook is too:
        their text given its shared strings and their new cells their styles when begun, a forked
        child doing the rewrite where ``forks``, to go on while this process draws the reports and
        rewrites the other sheets). A child's sheet is taken only when it needed no string or
        style the workbook lacked when it was forked (numbered here meanwhile); otherwise, or
        when the child died, the sheet is rewritten here, as without one."""
        held = {s.part for s in self._sheets if self._holds(s)}
        for part in set(self._ahead) - held:
            self._stop_ahead(part)
        if forks:
            self._fork_begun(len(self._ahead))
        for sheet in [s for s in self._large() if s.part not in held][:MAX_ASIDE]:
            self._begin(sheet, forks)
        aside, self._ahead = {part: ahead.forked for part, ahead in self._ahead.items()}, {}
        return aside

    def _rewriter(self, sheet: _Sheet) -> Callable[[], Piece]:
        """``sheet``'s rewrite, as a forked child does it: the parts before and after the rows,
        and the rows compressed as they are made (neither they nor the whole part held at once;
        ``_take_piece`` joins them). The part is read there too: this process never holds it (the
        save takes the child's sheet only if the part was not written since, ``_holds``)."""
        part, edits = sheet.part, sheet.edits
        strings, styles, referred = self._strings.size, self._styles.cell_styles, self._strings.referred

        def work() -> Piece:
            writer = CellWriter(self._styles.with_format, self.epoch, self._strings.index)
            head, rows, tail = rewrite_pieces(self.package.read(part), edits, writer)
            compressing = Deflater()
            for chunk in rows:
                compressing.add(chunk)
            if self._strings.size != strings or self._styles.cell_styles != styles:
                raise LookupError("a string or style the workbook has not got yet")
            done = compressing.piece()
            return (self._strings.referred - referred, writer.dropped, done.crc, done.size), (head, tail, done.raw)

        return work

    def _guided(self) -> dict[str, list[PlacedTable]]:
        """The contract's tables arxl wrote or changed this run, by sheet, for their guidance."""
        guided: dict[str, list[PlacedTable]] = {}
        for name, table in self._tables.items():
            if (table.written or table.changed) and not self.mapping.clerks(name):  # the clerk's sheet is theirs
                guided.setdefault(table.sheet.title, []).append(PlacedTable(
                    name, table.header_row, table.min_col, table.max_col, table.n_rows, table.read_last,
                    table.sheet.value, table.sheet.column, table.written_columns))
        return guided

    def _untitled(self, guided: dict[str, list[PlacedTable]]) -> set[str]:
        """The guided tables whose sheet has no print titles: each gets its header row as the
        print titles (here) and a print setup (``guide_sheet``), as the file store gives them."""
        sheets = self._workbook.find(M + "sheets")
        assert sheets is not None
        positions = {e.get("name", "").lower(): i for i, e in enumerate(sheets)}
        names = self._workbook.find(M + "definedNames")
        titled = {int(d.get("localSheetId", "-1")) for d in (names if names is not None else [])
                  if d.get("name", "").lower() == "_xlnm.print_titles"}
        untitled = set()
        for title, tables in guided.items():
            index = positions.get(title.lower())
            if index is None or index in titled or not tables:
                continue
            table = tables[0]
            if names is None:
                names = etree.Element(M + "definedNames")
                sheets.addnext(names)  # CT_Workbook: ... sheets, functionGroups, externalReferences, definedNames
                for later in ("functionGroups", "externalReferences"):
                    there = self._workbook.find(M + later)
                    if there is not None:
                        there.addnext(names)
            quoted = "'" + title.replace("'", "''") + "'"
            element = etree.SubElement(names, M + "definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
            element.text = f"{quoted}!${table.header_row}:${table.header_row}"
            self._workbook_changed = True
            untitled.add(table.name)
        return untitled

    def _refresh_pivots(self) -> None:
        """A pivot table whose source holds a cell arxl wrote is refreshed when Excel opens it;
        one over the clerk's own columns beside which arxl wrote its [arxl] columns is left as it is."""
        tables = {t.root.get("displayName", "").lower(): t for t in self._tables.values() if t.root is not None}
        names = {d.get("name", "").lower(): d.text or ""
                 for d in self._workbook.iterfind(f"{M}definedNames/{M}definedName") if d.get("localSheetId") is None}
        edited: dict[str, set[tuple[int, int]]] = {}  # sheet title in lower case -> (row, column) arxl wrote
        for kind, part in self.package.targets(self.workbook_part).values():
            if kind != PIVOT_CACHE_REL or not self.package.has(part):
                continue
            if not edited:
                edited = {sheet.title.lower(): sheet.edits.touched() for sheet in self._sheets if sheet.edits}
            root = parse_xml(self.package.read(part))
            source = root.find(f"{M}cacheSource/{M}worksheetSource")
            if source is None or root.get("refreshOnLoad") in ("1", "true"):
                continue
            if _source_written(source, root, tables, names, edited):
                root.set("refreshOnLoad", "1")
                self.package.write_xml(part, root)

    def _drop_calc_chain(self) -> None:
        for part in self.package.drop_rels(self.workbook_part, lambda kind, _t: kind != CALC_CHAIN_REL):
            self.package.remove_tree(part)


_NAMED_RANGE = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)$")
_NAMED_TABLE = re.compile(r"^=?([^\[\]!]+)\[")


def _source_written(source: etree._Element, cache: etree._Element, tables: dict[str, _Table],
                    names: dict[str, str], edited: dict[str, set[tuple[int, int]]]) -> bool:
    """Whether arxl wrote into a pivot cache's source: a table's rows (grown or cut) or a cell
    of a column the cache reads (any column when it names none), a range's cells, or what a
    defined name refers to (a range or a table; any cell arxl wrote when arxl cannot read it)."""
    name = source.get("name")
    if not name:
        return _range_written(source.get("sheet", ""), source.get("ref", ""), edited)
    table = tables.get(name.lower())
    fields = {header_key(f.get("name")) for f in cache.iterfind(f"{M}cacheFields/{M}cacheField")}
    if table is None:
        refers_to = (names.get(name.lower()) or "").strip()
        if not refers_to:
            return False  # a table or name arxl did not touch
        in_range = _NAMED_RANGE.match(refers_to)
        if in_range:
            sheet = in_range.group(1).replace("''", "'") if in_range.group(1) else in_range.group(2)
            return _range_written(sheet, in_range.group(3).replace("$", ""), edited)
        of_table = _NAMED_TABLE.match(refers_to)
        table = tables.get(of_table.group(1).lower()) if of_table else None
        if table is None:
            return bool(edited)  # OFFSET(...) and the like: refreshed if arxl wrote anything
        fields = set()  # a part of the table (its [#Data], a column): every column counts
    last = table.header_row + max(table.n_rows, 1)
    if last != table.read_last:
        return True
    return any(table.min_col <= c <= table.max_col and table.header_row <= r <= last + table.totals
               and (not fields or header_key(table.sheet.value(table.header_row, c)) in fields)
               for r, c in edited.get(table.sheet.title.lower(), ()))


def _range_written(sheet: str, ref: str, edited: dict[str, set[tuple[int, int]]]) -> bool:
    """Whether arxl wrote a cell of range ``ref`` of ``sheet``."""
    cells = edited.get(sheet.lower(), set())
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return bool(cells)  # a range arxl cannot read: any cell of the sheet counts
    return any((min_col or 1) <= c <= (max_col or 16384) and (min_row or 1) <= r <= (max_row or 1048576)
               for r, c in cells)
