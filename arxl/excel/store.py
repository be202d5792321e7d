"""``XlwingsStore``: the workbook port's ``TableStore`` over a workbook open in Excel.

Two things matter in a live workbook, and both are handled here:
- Speed. Every read and write moves a whole range in one call (a table's header and body at
  once, a whole column at once); a call per cell would take minutes on 100,000 rows.
- Nothing is lost. Reads go to Excel at once, but every change is held back and applied by
  ``commit()`` only after all commands have run. A run that fails half-way (a bug, a crash)
  therefore leaves the workbook as it was, as WORKBOOK.md promises.

The ground rules (which columns arxl may write, text that must stay text...) are enforced above
this layer, by ``arxl.book.port.Workbook``; this class only moves cells.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from arxl.book.store import BookError, RawTable, blank, filled_below
from arxl.contract import OBJECT_MODEL_FORMATS, locate_table, sheet_position
from arxl.core.adopt import ColumnMapping, own_table_name
from arxl.core.report import Block, Chart, Report

TABLE_STYLE = "TableStyleMedium2"
TEXT_FORMAT = "@"  # cells formatted as text keep "=SUM(...)" or "00123" exactly as written
HEADER_FILL = (221, 235, 247)
POINTS_PER_CM = 72 / 2.54
CHART_TYPES = {("col", False): "column_clustered", ("col", True): "column_stacked",
               ("bar", False): "bar_clustered", ("bar", True): "bar_stacked"}


def _format(number_format: str) -> str:
    """A number format as Excel's object model names it (the built-in short date is "m/d/yyyy"
    there, "mm-dd-yy" in a file): set so, a date follows the clerk's regional settings."""
    return OBJECT_MODEL_FORMATS.get(number_format, number_format)


def _cell(value):
    """A value as xlwings should hand it to Excel."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


_BELOW_BLOCK = 200  # rows under a table read at once, looking for a blank one


@dataclass
class _Located:
    """Where a table lives: its sheet, its Excel table (None for a plain sheet with headers in
    row 1), its first column, width, header row and number of data rows."""

    sheet: str
    table: str | None
    min_col: int
    n_cols: int
    header_row: int
    n_rows: int
    new: bool = False  # created by this run: its sheet appears at commit(), with nothing in the way

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def max_col(self) -> int:
        return self.min_col + self.n_cols - 1


class XlwingsStore:
    """``TableStore`` over an ``xlwings.Book``. Call ``commit()`` to apply the held changes."""

    def __init__(self, book):
        self.book = book
        self._where: dict[str, _Located] = {}
        self._pending: list[Callable[[], None]] = []
        self.applied = 0  # changes applied by commit(); non-zero means the workbook was touched
        self.mapping = ColumnMapping()  # the accepted ColumnMap of a workbook arxl adopted (AdoptableStore)

    # ---- finding ----------------------------------------------------------------------------
    def _sheet(self, name: str):
        return self.book.sheets[name]

    def _range(self, loc: _Located, row: int, col: int, last_row: int, last_col: int):
        return self._sheet(loc.sheet).range((row, col), (last_row, last_col))

    def _known(self, name: str) -> _Located:
        """A table this run found or created (writing to one that is not there is a bug)."""
        loc = self._locate(name)
        if loc is None:
            raise BookError(f"The workbook has no {name} table to write to.")
        return loc

    def _locate(self, name: str) -> _Located | None:
        if name in self._where:
            return self._where[name]
        sheets = list(self.book.sheets)
        found = locate_table(name, [(t.name, (sheet, t)) for sheet in sheets for t in sheet.tables],
                             [(sheet.name, (sheet, None)) for sheet in sheets], self.mapping.locations)
        if found is None:
            return None
        sheet, table = found
        if table is None and name in self.mapping.placements:  # a placed sheet's list is its table at A1
            table = next((t for t in sheet.tables if (t.range.row, t.range.column) == (1, 1)), None)
        if table is not None:
            whole = table.range
            body = table.data_body_range
            located = _Located(sheet.name, table.name, whole.column, whole.columns.count, whole.row,
                               body.rows.count if body is not None else 0)
        else:
            last = sheet.used_range.last_cell
            headers = sheet.range((1, 1), (1, last.column)).options(ndim=1).value
            while headers and blank(headers[-1]):
                headers.pop()
            if not headers:
                return None
            located = _Located(sheet.name, None, 1, len(headers), 1, max(0, last.row - 1))
        self._where[name] = located
        return located

    def find(self, name: str) -> RawTable | None:
        loc = self._locate(name)
        if loc is None:
            return None
        # header and body in one read; cell errors (#N/A...) come as text, to be reported
        values = self._range(loc, loc.header_row, loc.min_col, loc.header_row + loc.n_rows,
                             loc.max_col).options(ndim=2, err_to_str=True).value
        headers, rows = values[0], [list(r) for r in values[1:]]
        while rows and all(blank(v) for v in rows[-1]):
            rows.pop()  # trailing blank rows hold nothing; the table may grow into them
        notes = []
        if loc.table is None:  # cells of an Excel table's header row cannot be merged
            header = self._range(loc, loc.header_row, loc.min_col, loc.header_row, loc.max_col)
            try:
                merged = header.merge_cells
            except NotImplementedError:  # xlwings Lite and the remote engine cannot tell at once
                merged = False
            if merged is not False:
                notes.append(f"some header cells in {header.address.replace('$', '')} are merged")
        return RawTable(name=name, sheet=loc.sheet, first_row=loc.first_row, rows=rows, problems=notes,
                        headers=["" if h is None else str(h) for h in headers],
                        below=self._filled_below(loc) if loc.table is not None else None)

    def _filled_below(self, loc: _Located) -> tuple[int, int] | None:
        """The rows right under an Excel table (and its totals row) holding something in its
        columns, up to the first blank row (``filled_below``, as the file stores find them)."""
        sheet = self._sheet(loc.sheet)
        after = sheet.tables[loc.table].range.last_cell.row + 1
        last = sheet.used_range.last_cell.row

        def rows() -> Iterator[list[object]]:
            # a block at a time, read only until ``filled_below`` meets a blank row: a sheet
            # formatted down to its last row is not read whole
            for first in range(after, last + 1, _BELOW_BLOCK):
                yield from sheet.range((first, loc.min_col), (min(last, first + _BELOW_BLOCK - 1),
                                                              loc.max_col)).options(ndim=2, err_to_str=True).value
        return filled_below(rows(), after)

    # ---- adopting a clerk's workbook (arxl.book.adoption) ------------------------------------
    def forget(self, keep: tuple[str, ...] = ()) -> None:
        """Locate every table but ``keep`` afresh (the ColumnMap placing them was just accepted)."""
        self._where = {name: loc for name, loc in self._where.items() if name in keep}

    def samples(self) -> list[RawTable]:
        """What every sheet holds: each Excel table, and each sheet without one read as a plain
        list under row 1."""
        found = []
        for sheet in self.book.sheets:
            for name in [t.name for t in sheet.tables] or [sheet.name]:
                raw = self.find(name)
                self._where.pop(name, None)  # read to look at, not located as a table
                if raw is not None:
                    found.append(raw)
        return found

    # ---- changes, held until commit() -------------------------------------------------------
    def _later(self, change: Callable[[], None]) -> None:
        self._pending.append(change)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def commit(self) -> None:
        """Apply the held changes to the workbook, in the order they were made."""
        changes, self._pending = self._pending, []
        for change in changes:
            change()
            self.applied += 1

    def _check_empty(self, loc: _Located, row: int, col: int, last_row: int, last_col: int, why: str) -> None:
        if loc.new or last_row < row or last_col < col:
            return
        values = self._range(loc, row, col, last_row, last_col).options(ndim=2).value
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                if not blank(value):
                    address = self._sheet(loc.sheet).range((row + r, col + c)).get_address(False, False)
                    raise BookError(f"{loc.sheet}: {why}, but cell {address} holds data. Move that data "
                                    f"and run again.")

    def create(self, name, headers, formats, widths) -> RawTable:
        title = self.mapping.locations.get(name, name)
        if title in [s.name for s in self.book.sheets]:
            raise BookError(f"A sheet named {title} exists but holds no {name} table; rename that sheet "
                            f"or give it headers in row 1.")
        table = own_table_name(name, [t.name for s in self.book.sheets for t in s.tables])
        loc = _Located(title, table, 1, len(headers), 1, 0, new=True)
        self._where[name] = loc

        def change():
            sheet = self._add_sheet(title)
            sheet.range((1, 1), (1, len(headers))).value = [list(headers)]
            sheet.tables.add(source=sheet.range((1, 1), (2, len(headers))), name=table,
                             table_style_name=TABLE_STYLE, has_headers=True)
            self._format_columns(loc, 2, 2, formats, widths)
        self._later(change)
        return RawTable(name=name, sheet=title, headers=list(headers), first_row=2, rows=[])

    def _add_sheet(self, name: str):
        """A new sheet where WORKBOOK.md's order puts it."""
        sheets = self.book.sheets
        index = sheet_position(name, [s.name for s in sheets])
        if index == 0:
            return sheets.add(name, before=sheets[0])
        # "after the previous sheet": xlwings 0.37.8's remote engine puts before= one place early
        return sheets.add(name, after=sheets[index - 1])

    def _format_columns(self, loc: _Located, row: int, last_row: int, formats, widths, first_offset: int = 0) -> None:
        sheet = self._sheet(loc.sheet)
        for i, (fmt, width) in enumerate(zip(formats, widths)):
            col = loc.min_col + first_offset + i
            sheet.range((1, col)).column_width = width
            if fmt:
                sheet.range((row, col), (last_row, col)).number_format = _format(fmt)

    def add_columns(self, name, headers, formats, widths) -> None:
        loc = self._known(name)
        first_new = loc.n_cols
        last_row = loc.header_row + max(loc.n_rows, 1)
        self._check_empty(loc, loc.header_row, loc.max_col + 1, last_row, loc.max_col + len(headers),
                          f"arxl needs to add the column(s) {', '.join(headers)} to the right of the {name} table")
        loc.n_cols += len(headers)

        def change():
            self._range(loc, loc.header_row, loc.min_col + first_new, loc.header_row,
                        loc.max_col).value = [list(headers)]
            self._format_columns(loc, loc.first_row, loc.header_row + max(loc.n_rows, 1), formats, widths, first_new)
            self._fit_table(loc)
        self._later(change)

    def _fit_table(self, loc: _Located) -> None:
        if loc.table is not None:
            self._sheet(loc.sheet).tables[loc.table].resize(
                self._range(loc, loc.header_row, loc.min_col, loc.header_row + max(loc.n_rows, 1), loc.max_col))

    def write_column(self, name, offset, first_row, values, number_format, as_text) -> None:
        if not values:
            return
        loc = self._known(name)
        col = loc.min_col + offset
        cells = [[_cell(v)] for v in values]
        fmt = _format(number_format) if number_format else TEXT_FORMAT if as_text else None

        def change():
            target = self._range(loc, first_row, col, first_row + len(cells) - 1, col)
            if fmt:  # before the values: a text-formatted cell keeps "=..." as text
                target.number_format = fmt
            target.value = cells
        self._later(change)

    def resize(self, name, n_rows) -> None:
        loc = self._known(name)
        old = loc.n_rows
        self._check_empty(loc, loc.header_row + old + 1, loc.min_col, loc.header_row + n_rows, loc.max_col,
                          f"the {name} table must grow to row {loc.header_row + n_rows}")
        loc.n_rows = n_rows

        def change():
            if old > n_rows:
                self._range(loc, loc.first_row + n_rows, loc.min_col, loc.header_row + old,
                            loc.max_col).clear_contents()
            self._fit_table(loc)
        self._later(change)

    # ---- report sheets ----------------------------------------------------------------------
    def step_written(self) -> None:
        """Excel holds the workbook and saves it: nothing to begin ahead."""

    def write_report(self, sheet: str, report: Report) -> None:
        def change():
            if sheet in [s.name for s in self.book.sheets]:
                ws = self.book.sheets[sheet]
                for chart in list(ws.charts):
                    chart.delete()
                ws.clear()
            else:
                ws = self._add_sheet(sheet)
            if report.title:
                title = ws.range((1, 1))
                title.number_format = TEXT_FORMAT
                title.value = report.title
                title.font.bold, title.font.size = True, 16
            for block in report.blocks:
                self._draw_block(ws, block)
            for column, width in report.widths.items():
                ws.range((1, column)).column_width = width
            for chart in report.charts:
                self._draw_chart(ws, chart, report.blocks[chart.block])
        self._later(change)

    @staticmethod
    def _draw_block(ws, block: Block) -> None:
        if not block.rows:
            return
        n_cols = max(len(r) for r in block.rows)
        bottom, right = block.top + len(block.rows) - 1, block.left + n_cols - 1
        if block.title:
            title = ws.range((block.top - 1, block.left))
            title.number_format = TEXT_FORMAT
            title.value = block.title
            title.font.bold, title.font.size = True, 12
        # text columns as text (customer names never become formulas); numbers keep theirs
        for c in range(n_cols):
            column = [r[c] if c < len(r) else None for r in block.rows]
            if c in block.formats:
                ws.range((block.top + (1 if block.header else 0), block.left + c),
                         (bottom, block.left + c)).number_format = _format(block.formats[c])
            elif any(isinstance(v, str) for v in column):
                ws.range((block.top, block.left + c), (bottom, block.left + c)).number_format = TEXT_FORMAT
        ws.range((block.top, block.left), (bottom, right)).value = [
            [_cell(v) for v in r] + [None] * (n_cols - len(r)) for r in block.rows]
        if block.header:
            header = ws.range((block.top, block.left), (block.top, right))
            header.font.bold = True
            header.color = HEADER_FILL
        if block.bold_last_row and len(block.rows) > (1 if block.header else 0):
            ws.range((bottom, block.left), (bottom, right)).font.bold = True

    @staticmethod
    def _draw_chart(ws, chart: Chart, block: Block) -> None:
        last = chart.last_data_row if chart.last_data_row is not None else len(block.rows) - 1
        top = block.top + chart.first_data_row - (1 if block.header else 0)  # the header names the series
        bottom = block.top + last
        columns = sorted({chart.category_col, *chart.value_cols})
        if columns == list(range(columns[0], columns[-1] + 1)):
            spans = [(columns[0], columns[-1])]
        else:
            spans = [(c, c) for c in columns]
        address = ",".join(ws.range((top, block.left + a), (bottom, block.left + b)).get_address(False, False)
                           for a, b in spans)
        made = ws.charts.add(anchor=ws.range(chart.anchor), width=chart.width_cm * POINTS_PER_CM,
                             height=chart.height_cm * POINTS_PER_CM,
                             chart_type=CHART_TYPES[(chart.kind, chart.stacked)],
                             source=ws.range(address), plot_by="columns")
        made.title = chart.title
