"""The workbook port over files: ``FileStore`` (openpyxl), and opening, saving and creating
master workbooks safely.

Saving never endangers the clerk's file: the new version is written to a temporary file in the
same folder, checked, and only then moved over the original in one atomic step, after the
previous version was kept as ``<name>.bak.xlsx`` (itself replaced in one step). A run killed at
any moment leaves either the old file or the new one, never half of one, and its temporary files
are removed by the next run. The file is replaced only while it is still the version the run
read; a version someone saved meanwhile is kept and the run's result goes beside it. The CLI
holds the workbook's lock (``arxl.book.lock``) from reading to saving.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import os
import re
import shutil
import zipfile
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from arxl.book.documents import (
    TEMP_PREFIX,
    StagedDocuments,
    digest,
    journal_path,
    place_exclusively,
    recover,
    temp_name,
)
from arxl.book.files_guidance import GuidedTable, follow_resize, guide_workbook, print_setup
from arxl.book.files_report import FONT
from arxl.book.lock import BookLock, process_alive
from arxl.book.package import check_name, conform_file
from arxl.book.package_store import PackageStore
from arxl.book.port import EXCEL_MAX_ROWS, Workbook
from arxl.book.safety import check_not_open, inspect_package, owner_file
from arxl.book.sheetxml import DirectColumn, save_workbook
from arxl.book.store import BookError, RawTable, blank, filled_below
from arxl.contract import (
    AGING_SUMMARY,
    NEW_BOOK_SHEETS,
    NUMBER_FORMATS,
    TABLES,
    Kind,
    locate_table,
    sheet_position,
)
from arxl.core.adopt import ColumnMapping, own_table_name
from arxl.core.dunning import DEFAULT_LEVELS
from arxl.core.report import Report
from arxl.core.rollforward import default_matrix
from arxl.core.settings import KNOWN_SETTINGS

TABLE_STYLE = "TableStyleMedium2"
# values a column write can keep as plain values until the save
_PLAIN = {type(None), str, int, float, bool, Decimal, dt.date, dt.datetime}
_DATE_FORMATS = {NUMBER_FORMATS[Kind.DATE], NUMBER_FORMATS[Kind.DATETIME]}


class _Located:
    """Where a table lives: its sheet, its Excel table (None for a plain sheet), its columns."""

    def __init__(self, ws, table: Table | None, min_col: int, max_col: int, header_row: int, n_rows: int):
        self.ws, self.table = ws, table
        self.min_col, self.max_col, self.header_row, self.n_rows = min_col, max_col, header_row, n_rows

    @property
    def first_row(self) -> int:
        return self.header_row + 1


class FileStore:
    """``TableStore`` over an openpyxl workbook held in memory."""

    def __init__(self, wb: openpyxl.Workbook, source: Fingerprint | None = None):
        self.wb = wb
        self.source = source  # the version of the file this workbook was read from
        self._where: dict[str, _Located] = {}
        self._direct: dict[str, dict[int, DirectColumn]] = {}  # sheet title -> column -> values
        self._styles: dict[str | None, int] = {}
        self.mapping = ColumnMapping()  # the accepted ColumnMap of a workbook arxl adopted (AdoptableStore)
        self.notes: list[str] = []  # what the last save left out or added, for the clerk
        self._written: dict[str, set[int]] = {}  # table -> sheet columns written this run (to fit widths)

    def _style_id(self, ws, number_format: str | None) -> int:
        if number_format not in self._styles:
            probe = Cell(ws, row=1, column=1)
            if number_format:
                probe.number_format = number_format
            self._styles[number_format] = probe.style_id if number_format else 0
        return self._styles[number_format]

    def _absorb(self, ws, col: int, first_row: int, values: list, number_format: str | None,
                as_text: bool) -> bool:
        """Whether a column write may keep its values as plain values (see arxl.book.sheetxml):
        not when a value must stay a live formula or object, nor when a date would lack a date
        format (a direct column has one style), nor over a cell carrying a comment or a
        hyperlink. The cells it replaces are dropped."""
        if not as_text and any(type(v) not in _PLAIN or (type(v) is str and v.startswith("=")) for v in values):
            return False
        if number_format not in _DATE_FORMATS and any(isinstance(v, dt.date) for v in values):
            return False
        last = first_row + len(values) - 1
        if len(ws._cells) < len(values):
            covered = [(r, c) for (r, c) in ws._cells if c == col and first_row <= r <= last]
        else:
            covered = [(r, col) for r in range(first_row, last + 1) if (r, col) in ws._cells]
        if any(ws._cells[k]._comment is not None or ws._cells[k].hyperlink for k in covered):
            return False
        for key in covered:
            del ws._cells[key]
        return True

    def save(self, path: Path, suffix: str) -> None:
        """Write the workbook to ``path`` as the file type ``suffix`` names."""
        guide_workbook(self.wb, self._guided_tables())
        for ws in self.wb.worksheets:
            for table in ws.tables.values():
                align_table_columns(ws, table)
        save_workbook(self.wb, path, self._direct)
        self.notes = conform_file(path, suffix)

    def _guided_tables(self) -> list[GuidedTable]:
        """Every table of the contract in the workbook, for its guidance (drop-downs, colours,
        widths, print setup: arxl.book.files_guidance)."""
        found = []
        for name in TABLES:
            loc = None if self.mapping.clerks(name) else self._locate(name)  # the clerk's sheet is theirs
            if loc is not None:
                found.append(GuidedTable(name, loc.ws, loc.header_row, loc.min_col, loc.max_col, loc.n_rows,
                                         self._written.get(name, set()), self._direct.get(loc.ws.title, {})))
        return found

    # ---- finding --------------------------------------------------------------------------
    def _known(self, name: str) -> _Located:
        """A table this run found or created (writing to one that is not there is a bug)."""
        loc = self._locate(name)
        if loc is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        return loc

    def _locate(self, name: str) -> _Located | None:
        if name in self._where:
            return self._where[name]
        found = locate_table(name, [(t.displayName, (ws, t)) for ws in self.wb.worksheets for t in ws.tables.values()],
                             [(ws.title, (ws, None)) for ws in self.wb.worksheets], self.mapping.locations)
        if found is None:
            return None
        ws, table = found
        if table is None and name in self.mapping.placements:  # a placed sheet's list is its table at A1
            table = next((t for t in ws.tables.values() if t.ref.upper().startswith("A1:")), None)
        if table is not None:
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            n_rows = max_row - min_row - (table.totalsRowCount or 0)
            located = _Located(ws, table, min_col, max_col, min_row, n_rows)
        else:
            headers = [c.value for c in ws[1]] if ws.max_row >= 1 else []
            while headers and blank(headers[-1]):
                headers.pop()
            if not headers:
                return None
            located = _Located(ws, None, 1, len(headers), 1, max(0, ws.max_row - 1))
        self._where[name] = located
        return located

    def _grid(self, ws, loc: _Located) -> list[list]:
        """The table's data cells as rows of values, from one pass over the sheet's cells
        (much faster than a lookup per coordinate on 100,000-row tables)."""
        first, last = loc.first_row, loc.header_row + loc.n_rows
        width = loc.max_col - loc.min_col + 1
        rows = [[None] * width for _ in range(max(0, last - first + 1))]
        for (r, c), cell in ws._cells.items():
            if first <= r <= last and loc.min_col <= c <= loc.max_col:
                rows[r - first][c - loc.min_col] = cell._value
        for c, column in self._direct.get(ws.title, {}).items():
            if loc.min_col <= c <= loc.max_col:
                for r in range(max(first, column.first_row), min(last, column.first_row + len(column.values) - 1) + 1):
                    rows[r - first][c - loc.min_col] = column.value(r)
        return rows

    def find(self, name: str) -> RawTable | None:
        loc = self._locate(name)
        if loc is None:
            return None
        ws = loc.ws
        headers = [ws.cell(loc.header_row, c).value for c in range(loc.min_col, loc.max_col + 1)]
        rows = self._grid(ws, loc)
        while rows and all(blank(v) for v in rows[-1]):
            rows.pop()  # trailing blank rows hold nothing; the table may grow into them
        notes = []
        for merged in ws.merged_cells.ranges:
            if merged.min_row <= loc.header_row <= merged.max_row and not (
                    merged.max_col < loc.min_col or merged.min_col > loc.max_col):
                notes.append(f"header cells {merged.coord} are merged")
        below = None
        if loc.table is not None:
            after = loc.header_row + loc.n_rows + (loc.table.totalsRowCount or 0) + 1
            below = filled_below(ws.iter_rows(min_row=after, max_row=max(after, ws.max_row), min_col=loc.min_col,
                                              max_col=loc.max_col, values_only=True), after)
        return RawTable(name=name, sheet=ws.title, first_row=loc.first_row, rows=rows, problems=notes,
                        headers=["" if h is None else str(h) for h in headers], below=below)

    # ---- adopting a clerk's workbook (arxl.book.adoption) ----------------------------------
    def forget(self, keep: tuple[str, ...] = ()) -> None:
        """Locate every table but ``keep`` afresh (the ColumnMap placing them was just accepted)."""
        self._where = {name: loc for name, loc in self._where.items() if name in keep}

    def samples(self) -> list[RawTable]:
        """What every sheet holds: each Excel table, and each sheet without one read as a plain
        list under row 1 (a chart sheet holds nothing)."""
        found = []
        for ws in self.wb.worksheets:
            names = list(ws.tables) or [ws.title]
            for name in names:
                raw = self.find(name)
                self._where.pop(name, None)  # read to look at, not located as a table
                if raw is not None:
                    found.append(raw)
        return found

    def remove_sheet(self, title: str) -> bool:
        if title not in self.wb.sheetnames:
            return False
        self.wb.remove(self.wb[title])
        self._direct.pop(title, None)
        self._where = {k: v for k, v in self._where.items() if v.ws.title != title}
        return True

    def remove_columns(self, name: str, offsets: list[int]) -> None:
        """Take the columns at ``offsets`` (the rightmost of the table, which arxl added) out of
        the table and the sheet: their cells, widths and table columns."""
        loc = self._known(name)
        ws = loc.ws
        columns = sorted(loc.min_col + o for o in offsets)
        if columns != list(range(loc.max_col - len(columns) + 1, loc.max_col + 1)):
            raise BookError(f"{ws.title}: arxl removes only the columns it added at the right end of the table.")
        for key in [k for k in ws._cells if k[1] in columns]:
            del ws._cells[key]
        for c in columns:
            self._direct.get(ws.title, {}).pop(c, None)
            ws.column_dimensions.pop(get_column_letter(c), None)
        loc.max_col -= len(columns)
        if loc.table is not None:
            loc.table.tableColumns = loc.table.tableColumns[:len(loc.table.tableColumns) - len(columns)]
            self._set_ref(loc)

    # ---- creating and growing --------------------------------------------------------------
    def _new_sheet(self, name: str):
        if name in self.wb.sheetnames:
            raise BookError(f"A sheet named {name} exists but holds no {name} table; rename that sheet "
                            f"or give it headers in row 1.")
        return self.wb.create_sheet(name, sheet_position(name, self.wb.sheetnames))

    def create(self, name, headers, formats, widths) -> RawTable:
        title = self.mapping.locations.get(name, name)
        ws = self._new_sheet(title)
        for i, (header, width) in enumerate(zip(headers, widths), start=1):
            ws.cell(1, i, header)
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        taken = [t for other in self.wb.worksheets for t in other.tables] + list(self.wb.defined_names)
        table = Table(displayName=own_table_name(name, taken), ref=f"A1:{get_column_letter(len(headers))}2")
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        for i, header in enumerate(headers, start=1):
            table.tableColumns.append(TableColumn(id=i, name=header))
        ws.add_table(table)
        self._where[name] = _Located(ws, table, 1, len(headers), 1, 1)
        self._formats_row(ws, 2, formats)
        return RawTable(name=name, sheet=title, headers=list(headers), first_row=2, rows=[])

    @staticmethod
    def _formats_row(ws, row: int, formats) -> None:
        for i, fmt in enumerate(formats, start=1):
            if fmt:
                ws.cell(row, i).number_format = fmt

    def add_columns(self, name, headers, formats, widths) -> None:
        loc = self._known(name)
        ws = loc.ws
        last_row = loc.header_row + max(loc.n_rows, 1)
        for i, header in enumerate(headers):
            col = loc.max_col + 1 + i
            occupied = [ws.cell(r, col).coordinate for r in range(loc.header_row, last_row + 1)
                        if (r, col) in ws._cells and not blank(ws._cells[(r, col)].value)]
            if occupied:
                raise BookError(f"{ws.title}: arxl needs to add the column {header} to the right of the "
                                f"{name} table, but cell {occupied[0]} holds data. Move it and run again.")
            ws.cell(loc.header_row, col, header)
            if ws.column_dimensions[get_column_letter(col)].width in (None, 13.0):
                ws.column_dimensions[get_column_letter(col)].width = widths[i]
        loc.max_col += len(headers)
        if loc.table is not None:
            next_id = max((c.id for c in loc.table.tableColumns), default=0) + 1
            for i, header in enumerate(headers):
                loc.table.tableColumns.append(TableColumn(id=next_id + i, name=header))
            self._set_ref(loc)

    def _set_ref(self, loc: _Located) -> None:
        """The table's range (with its totals row) and its filter's (without)."""
        if loc.table is None:
            return
        last = loc.header_row + max(loc.n_rows, 1)
        start, end = f"{get_column_letter(loc.min_col)}{loc.header_row}", get_column_letter(loc.max_col)
        loc.table.ref = f"{start}:{end}{last + (loc.table.totalsRowCount or 0)}"
        if loc.table.autoFilter is not None:
            loc.table.autoFilter.ref = f"{start}:{end}{last}"

    # ---- writing ---------------------------------------------------------------------------
    def write_column(self, name, offset, first_row, values, number_format, as_text) -> None:
        loc = self._known(name)
        ws, col = loc.ws, loc.min_col + offset
        values = list(values)
        self._written.setdefault(name, set()).add(col)
        columns = self._direct.setdefault(ws.title, {})
        if self._absorb(ws, col, first_row, values, number_format, as_text):
            if col not in columns:
                columns[col] = DirectColumn(first_row, self._style_id(ws, number_format))
            columns[col].put(first_row, values)
            return
        if col in columns:  # these rows are cells again
            columns[col].put(first_row, [None] * len(values))
        cells = ws._cells  # direct access: ws.cell() per value costs more than the write itself
        style = None
        if number_format:
            probe = Cell(ws, row=first_row, column=col)
            probe.number_format = number_format
            style = probe._style
        for i, value in enumerate(values):
            key = (first_row + i, col)
            cell = cells.get(key)
            kind = type(value)
            if cell is None:
                if value is None:
                    continue
                cell = cells[key] = Cell(ws, row=key[0], column=col)
            elif (cell._value == value and type(cell._value) is kind
                  and (style is None or value is None or cell._style == style)
                  and not (kind is str and as_text and cell.data_type != "s")):
                continue  # a run mostly rewrites what is already there
            if kind is str and as_text:
                cell._value, cell.data_type = value, "s"  # text from outside never becomes a formula
            elif kind is float or kind is int:
                cell._value, cell.data_type = value, "n"
            elif value is None:
                cell._value, cell.data_type = None, "n"
            elif kind is Decimal:
                cell._value, cell.data_type = float(value), "n"
            elif kind is dt.date or kind is dt.datetime:
                cell._value, cell.data_type = value, "d"
            else:
                cell.value = value
            if style is not None and value is not None:
                cell._style = copy(style)

    def resize(self, name, n_rows) -> None:
        """The table holds ``n_rows`` data rows; its totals row, if it has one, moves with its
        last row (an import inserts above it)."""
        loc = self._known(name)
        ws = loc.ws
        totals = (loc.table.totalsRowCount or 0) if loc.table is not None else 0
        old_last = loc.header_row + loc.n_rows
        new_last = loc.header_row + n_rows
        if new_last + totals > EXCEL_MAX_ROWS:
            raise BookError(f"{ws.title}: the {name} table would end past row {EXCEL_MAX_ROWS:,}, the last row of "
                            f"an Excel sheet. Move older rows to an archive workbook and run again.")
        if new_last > old_last:
            below = old_last + totals
            for (r, c), cell in list(ws._cells.items()):
                if below < r <= new_last + totals and loc.min_col <= c <= loc.max_col and not blank(cell.value):
                    raise BookError(f"{ws.title}: the {name} table must grow to row {new_last + totals}, but cell "
                                    f"{cell.coordinate} below it holds data. Move that data and run again.")
        totals_cells = {c: ws._cells.pop((r, c)) for r in range(old_last + 1, old_last + totals + 1)
                        for c in range(loc.min_col, loc.max_col + 1) if (r, c) in ws._cells}
        for r in range(new_last + 1, old_last + 1):
            for c in range(loc.min_col, loc.max_col + 1):
                ws._cells.pop((r, c), None)
        for c, cell in totals_cells.items():  # one totals row: its cells keep their column
            moved = ws.cell(new_last + 1, c)
            moved._value, moved.data_type, moved._style = cell._value, cell.data_type, copy(cell._style)
        for c, column in self._direct.get(ws.title, {}).items():
            if loc.min_col <= c <= loc.max_col:
                column.keep_rows_up_to(new_last)
        follow_resize(ws, loc.min_col, loc.max_col, loc.first_row, loc.header_row + max(loc.n_rows, 1),
                      loc.header_row + max(n_rows, 1))
        loc.n_rows = n_rows
        if loc.table is not None:
            self._set_ref(loc)

    def step_written(self) -> None:
        """openpyxl writes the whole workbook when it is saved: nothing to begin ahead."""

    def write_report(self, sheet: str, report: Report) -> None:
        from arxl.book.files_report import draw_report

        index = None
        if sheet in self.wb.sheetnames:
            index = self.wb.sheetnames.index(sheet)
            # the VBA project of an .xlsm knows the sheet by its code name: the new sheet keeps it
            code_name = self.wb[sheet].sheet_properties.codeName
            self.wb.remove(self.wb[sheet])
            ws = self.wb.create_sheet(sheet, index)
            ws.sheet_properties.codeName = code_name
        else:
            ws = self._new_sheet(sheet)
        draw_report(ws, report)


def align_table_columns(ws, table: Table) -> None:
    """Excel's rule for a table: one table column per column of its range, each named exactly
    as its header cell, names unique (without regard to case) and header cells text. Excel
    repairs a file that breaks it, and may drop the table. A blank or repeated header is named
    the way Excel would name it (Column3, Amount2), in the cell too."""
    if not table.headerRowCount:
        return
    min_col, header_row, max_col, _ = range_boundaries(table.ref)
    existing = list(table.tableColumns)
    next_id = max((c.id for c in existing), default=0) + 1
    columns, seen = [], set()
    for i, col in enumerate(range(min_col, max_col + 1)):
        cell = ws.cell(header_row, col)
        name = "" if cell.value is None else str(cell.value)
        if not name.strip():
            name = f"Column{i + 1}"
        base, n = name, 2
        while name.lower() in seen:
            name, n = f"{base}{n}", n + 1
        seen.add(name.lower())
        if cell.value != name or cell.data_type != "s":
            cell.value = name
            cell.data_type = "s"
        if i < len(existing):
            column = existing[i]
        else:
            column, next_id = TableColumn(id=next_id, name=name), next_id + 1
        column.name = name
        columns.append(column)
    table.tableColumns = columns


# ---- opening and saving ---------------------------------------------------------------------

def _is_macro_book(path: Path) -> bool:
    return path.suffix.lower() in (".xlsm", ".xltm")


@dataclass(frozen=True)
class Fingerprint:
    """The version of a workbook file a run read: replaced only if it is still that version."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return cls(stat.st_size, stat.st_mtime_ns, digest(path))

    def same_file(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns):
            return False
        return digest(path) == self.sha256  # a save within the filesystem's time resolution


# errno -> (what happened, what to do), with {name}, {path} and {folder} of the file concerned
_OS_PROBLEMS = {
    errno.ENOSPC: ("the disk holding {name} is full", "Free some space there and run again."),
    getattr(errno, "EDQUOT", errno.ENOSPC): ("the disk holding {name} is full", "Free some space there and run again."),
    errno.EFBIG: ("{name} would be larger than this system lets a file be",
                  "Ask whoever runs the machine to raise the file-size limit, or save elsewhere with --output."),
    errno.EROFS: ("{folder} is on a read-only disk",
                  "Copy the workbook to a folder you can write to, or use --output."),
    errno.EACCES: ("arxl may not write {name} or its folder {folder}",
                   "Ask for write permission on the folder, or use --output to save elsewhere."),
    errno.EPERM: ("arxl may not write {name} or its folder {folder}",
                  "Ask for write permission on the folder, or use --output to save elsewhere."),
    errno.ENOENT: ("the folder {folder} does not exist", "Create it, or give a path in an existing folder."),
    errno.EISDIR: ("{path} is a folder", "Give a file name such as results.xlsx."),
}


def os_problem(exc: OSError, path: Path, doing: str) -> str:
    """One sentence for a clerk about a failed file operation: what, where, what to do."""
    what, todo = _OS_PROBLEMS.get(exc.errno or 0, (f"{exc.strerror or exc} ({{name}})",
                                                  "Check the disk and the folder, then run again."))
    return f"{doing} failed: {what.format(name=path.name, path=path, folder=path.parent)}. {todo}"


PACKAGE_ENGINE, OPENPYXL_ENGINE = "package", "openpyxl"


def engine() -> str:
    """How the headless door edits a workbook file: ``package`` (only what changes, every other
    part kept byte for byte; the default) or ``openpyxl`` (load and save the whole workbook, the
    engine of earlier versions), chosen by the environment variable ARXL_ENGINE."""
    chosen = os.environ.get("ARXL_ENGINE", "").strip().lower() or DEFAULT_ENGINE
    if chosen not in (PACKAGE_ENGINE, OPENPYXL_ENGINE):
        raise BookError(f"ARXL_ENGINE={chosen} is not an engine of arxl; use {PACKAGE_ENGINE} or {OPENPYXL_ENGINE}.")
    return chosen


DEFAULT_ENGINE = PACKAGE_ENGINE


def open_book(path: str | os.PathLike[str], as_of: dt.date | None = None,
              output: str | os.PathLike[str] | None = None) -> Workbook:
    """Open a master workbook for a run. Refuses (BookError) a file that is not a workbook, is
    open in Excel, is marked read-only, or holds things a save would drop unless the results go
    to ``output``. The store remembers the version read (``Fingerprint``): ``save_book``
    replaces the file only while it is still that version."""
    path = Path(path)
    check_name(path)
    if output is not None:
        check_name(Path(output), "The output")
    check_not_open(path)
    in_place = output is None or Path(output).resolve() == path.resolve()
    try:
        with open(path, "rb") as f:
            stat = os.fstat(f.fileno())
            data = f.read()
    except FileNotFoundError:
        raise BookError(f"{path} does not exist or is not a file.") from None
    except IsADirectoryError:
        raise BookError(f"{path} is a folder, not a workbook.") from None
    except OSError as exc:
        raise BookError(os_problem(exc, path, f"Reading {path.name}")) from exc
    if in_place and not stat.st_mode & 0o222:
        raise BookError(f"{path.name} is marked read-only, so arxl does not replace it. Nothing was changed. "
                        f"Remove the read-only mark (file properties), or run with --output NEW{path.suffix.lower()}.")
    source = Fingerprint(stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest())
    dropped = inspect_package(path, data)
    if engine() == PACKAGE_ENGINE:
        try:
            return Workbook(PackageStore(data, source=source), path=path, as_of=as_of)
        except BookError:
            raise
        except Exception as exc:  # a damaged package, a sheet calamine cannot read
            raise BookError(f"{path.name} could not be read as a workbook ({type(exc).__name__}: {exc}).") from exc
    if dropped and in_place:
        raise BookError(f"{path.name} holds {', '.join(dropped)}, which arxl's openpyxl engine would drop when "
                        f"saving. Nothing was changed. Run with --output NEW{path.suffix.lower()} to write the "
                        f"results to a new file, or use arxl's default engine (ARXL_ENGINE={PACKAGE_ENGINE}).")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=_is_macro_book(path), keep_links=True)
    except BookError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise BookError(f"{path.name} could not be read as a workbook ({type(exc).__name__}: {exc}).") from exc
    return Workbook(FileStore(wb, source=source), path=path, as_of=as_of)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def result_path(path: Path, when: dt.datetime) -> Path:
    """Where a run's result goes when its workbook was saved by someone else meanwhile."""
    return path.with_name(f"{path.stem}.arxl-result-{when:%Y%m%d-%H%M%S}{path.suffix}")


class BookChanged(BookError):
    """The workbook was saved by someone else while arxl worked: it was not replaced, and the
    run's result was kept beside it (``kept``)."""

    def __init__(self, message: str, kept: Path):
        super().__init__(message)
        self.kept = kept


def _keep_beside(tmp: Path, target: Path) -> Path:
    when = dt.datetime.now()
    for n in range(100):
        candidate = result_path(target, when + dt.timedelta(seconds=n))
        try:
            place_exclusively(tmp, candidate)
            return candidate
        except FileExistsError:
            continue
    raise BookError(f"arxl could not find a free name for its result beside {target.name}.")


def _backup(target: Path) -> None:
    """``target`` as ``NAME.bak.xlsx``, replaced in one step: a hard link to the current file
    where the filesystem has them (no copy, so no half-written backup on a full disk), else a
    copy written under a temporary name first."""
    tmp = temp_name(target, "bak-")
    try:
        try:
            os.link(target, tmp)
        except OSError:
            shutil.copy2(target, tmp)
        os.replace(tmp, backup_path(target))
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_atomically(store: FileStore | PackageStore, target: Path, backup: bool, expected: Fingerprint | None = None,
                      lock: BookLock | None = None, documents: StagedDocuments | None = None) -> None:
    """Save into a temporary file beside ``target``, check it, keep the old version as a
    backup, and move the new one into place in one step. The new file keeps the old one's
    permissions (a temporary file is private by default).

    ``expected``: the version the run read; if the file is no longer that version (or the
    run's ``lock`` was taken over), the file is not replaced and the result is kept beside it
    (``BookChanged``). ``documents`` are published once the new version is in place."""
    tmp = temp_name(target)
    try:
        try:
            store.save(tmp, target.suffix)
        except OSError as exc:
            raise BookError(os_problem(exc, target, f"Saving {target.name}") + " The workbook was not changed.") \
                from exc
        with zipfile.ZipFile(tmp) as z:  # a truncated write fails here, before the original is touched
            if z.testzip() is not None or "xl/workbook.xml" not in z.namelist():
                raise BookError(f"the new version of {target.name} did not verify; the original is unchanged")
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else _default_mode())
        if target.exists() and backup:
            try:
                _backup(target)
            except OSError as exc:
                raise BookError(os_problem(exc, backup_path(target), f"Keeping the backup of {target.name}")
                                + " The workbook was not changed.") from exc
        if documents is not None:
            documents.commit(tmp)
        owner = owner_file(target)
        if owner is not None:
            why = f"{target.name} is open in Excel ({owner.name} exists)"
        elif expected is not None and not expected.same_file(target):
            why = f"{target.name} was saved by someone else while arxl worked"
        elif lock is not None and not lock.still_held():
            why = f"another run took over the lock on {target.name}"
        else:
            why = ""
        if why:
            kept = _keep_beside(tmp, target)
            tag = kept.stem.rsplit(".", 1)[-1]
            also = (f" Its documents are beside where they belong, named *.{tag}.pdf."
                    if documents is not None and documents.keep_aside(tag) else "")
            raise BookChanged(f"{why}, so arxl did not replace it. Nothing is lost: this run's result is in "
                              f"{kept.name}.{also} Close the workbook in Excel if it is open, and run again "
                              f"to work on its latest version.", kept)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise BookError(os_problem(exc, target, f"Replacing {target.name}") + " The workbook was not changed.") \
                from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def save_book(book: Workbook, output: str | os.PathLike | None = None, backup: bool = True,
              lock: BookLock | None = None, documents: StagedDocuments | None = None) -> Path:
    """Write the workbook to ``output`` (default: over its own file) atomically; the replaced
    version is kept as ``<name>.bak.xlsx``. Over its own file, only while the file is still
    the version that was read (see ``_write_atomically``)."""
    target = Path(output) if output else book.path
    if target is None:
        raise ValueError("no file to save to")
    target = target.resolve()
    check_name(target, "The output" if output else "The workbook")
    if not isinstance(book.store, FileStore | PackageStore):
        raise TypeError("save_book saves workbooks opened from files")
    if target.is_dir():
        raise BookError(f"{target} is a folder; give a file name such as results.xlsx. Nothing was changed.")
    if not target.parent.is_dir():
        raise BookError(f"The folder {target.parent} does not exist. Create it, or give a path in an existing "
                        f"folder. Nothing was changed.")
    in_place = book.path is not None and target == book.path.resolve()
    _write_atomically(book.store, target, backup, book.store.source if in_place else None, lock, documents)
    return target


def clean_leftovers(target: Path) -> list[Path]:
    """Remove the temporary files that runs killed while saving ``target`` left beside it (and
    finish or undo their documents). Call while holding the workbook's lock; a file whose
    process still runs on this machine is left alone."""
    recover(target)
    removed = []
    # this workbook's temporary files, and those of its documents' journal (a run killed while
    # writing the journal leaves the new one under a temporary name of its own)
    prefixes = (f"{TEMP_PREFIX}{target.name}-", f"{TEMP_PREFIX}{journal_path(target).name}-")
    legacy = re.compile(rf"^{re.escape(TEMP_PREFIX + target.stem)}-[a-z0-9_]{{8}}{re.escape(target.suffix)}$")
    for leftover in target.parent.glob(f"{TEMP_PREFIX}*"):
        name = leftover.name
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is not None:
            pid = name[len(prefix):].split("-", 1)[0]
            if name == journal_path(target).name or (pid.isdigit() and process_alive(int(pid))):
                continue
        elif not legacy.match(name):
            continue
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed.append(leftover)
    return removed


# ---- a new master workbook ----------------------------------------------------------------

def starting_rows(settings: dict[str, object] | None = None) -> dict[str, list[dict[str, object]]]:
    """The rows arxl's own tables start with, in a new workbook and in one it adopts: Settings
    with every known setting, its default (or the value in ``settings``) and what it means, and
    three reminder levels (``arxl.core.dunning.DEFAULT_LEVELS``) and a provision matrix
    (``arxl.core.rollforward.default_matrix``)."""
    values = {s.name: s.default for s in KNOWN_SETTINGS}
    unknown = set(settings or {}) - set(values)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(sorted(unknown))}")
    values.update(settings or {})
    return {"Settings": [{"Setting": s.name, "Value": values[s.name], "Explanation": s.explanation}
                         for s in KNOWN_SETTINGS],
            "DunningLevels": [dict(level) for level in DEFAULT_LEVELS],
            "ProvisionMatrix": default_matrix()}


def new_workbook(path: str | os.PathLike, rows: dict[str, list[dict]] | None = None,
                 settings: dict[str, object] | None = None, overwrite: bool = False) -> Path:
    """A blank master workbook with every table of WORKBOOK.md (headers, formats, widths, frozen
    header rows) and a Settings table listing every known setting with its default and what it
    means, three reminder levels to start from (``arxl.core.dunning.DEFAULT_LEVELS``) and a
    default ProvisionMatrix. ``rows`` fills input tables (the demo); ``settings`` overrides
    defaults."""
    path = Path(path)
    check_name(path)
    if path.exists() and not overwrite:
        raise BookError(f"{path} exists already; arxl new never overwrites a workbook.")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    store = FileStore(wb)
    book = Workbook(store, path=path)
    start = starting_rows(settings)
    rows = {"DunningLevels": start["DunningLevels"], "ProvisionMatrix": start["ProvisionMatrix"], **(rows or {}),
            "Settings": start["Settings"]}
    for name in NEW_BOOK_SHEETS:
        if name == AGING_SUMMARY:
            ws = wb.create_sheet(name)
            ws["A1"] = "Aging summary"
            ws["A1"].font = Font(name=FONT, bold=True, size=14)
            ws["A3"] = "Run 'Refresh aging' (or arxl aging) to build the summary, its KPIs and its chart."
            print_setup(ws, [], gridlines=False)
            continue
        book.fill_new(name, rows.get(name, []))
    settings_ws = wb["Settings"]
    as_of_row = 2 + [s.name for s in KNOWN_SETTINGS].index("AsOfDate")
    settings_ws.cell(as_of_row, 2).number_format = NUMBER_FORMATS[Kind.DATE]
    wb.active = 0
    target = path.resolve()
    with BookLock(target):
        if target.exists() and not overwrite:
            raise BookError(f"{path} exists already; arxl new never overwrites a workbook.")
        _write_atomically(store, target, backup=False)
    return path
