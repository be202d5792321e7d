"""The workbook's guidance (``arxl.book.guidance``) applied with openpyxl, when the file store
saves: drop-downs and input messages, colours, widths, wrapped text and a print setup on every
table of the contract, and the clerk's own validations and formats kept.

- arxl's validations carry ``GUIDE_MARK`` as their error title and arxl's colours are the
  formulas of ``arxl.book.guidance``: a save replaces those, over the table's data rows as they
  now are, and keeps every other validation and format. A column where a clerk made a
  validation of their own keeps theirs alone (a cell takes one validation).
- When arxl resizes a table, validations and formats that covered its data rows exactly are
  made to cover the new rows, as Excel does when a table grows (``follow_resize``).
- A width is the clerk's unless it is unset, the contract's own, or one arxl fitted (marked
  best-fit, which Excel clears when a width is set by hand): arxl fits only the columns it wrote
  this run whose width is not the clerk's.
- A print setup is written where a sheet has none (no rows repeated as print titles).
"""
from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field

from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import Rule
from openpyxl.styles import PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from arxl.book.guidance import (
    EXCEL_DEFAULT_WIDTH,
    FOOTER_CENTER,
    FOOTER_RIGHT,
    GUIDE_MARK,
    Highlight,
    TableGuide,
    Validation,
    column_width,
    formula_for,
    is_guide_formula,
    landscape,
    row_height,
    table_guide,
    wrapped_lines,
)
from arxl.book.sheetxml import DirectColumn
from arxl.contract import TableSpec, header_key, spec


@dataclass
class GuidedTable:
    """A table of the contract as the file store found it, and the sheet columns it wrote in it
    this run (``written``); ``direct``: the store's plain-value columns of the sheet."""

    name: str
    ws: Worksheet
    header_row: int
    min_col: int
    max_col: int
    n_rows: int
    written: set[int] = field(default_factory=set)
    direct: dict[int, DirectColumn] = field(default_factory=dict)

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        """The last data row (an Excel table has one, blank, even when it holds nothing)."""
        return self.header_row + max(self.n_rows, 1)


def guide_workbook(wb, tables: list[GuidedTable]) -> None:
    styles: dict[tuple[int, bool], int] = {}
    for table in tables:
        _guide_table(wb, table, styles)


def _guide_table(wb, table: GuidedTable, styles: dict[tuple[int, bool], int]) -> None:
    ws, contract, guide = table.ws, spec(table.name), table_guide(table.name)
    columns: dict[str, int] = {}
    for c in range(table.min_col, table.max_col + 1):
        key = header_key(ws.cell(table.header_row, c).value)
        for col in contract.columns:
            if col.key == key and col.name not in columns:
                columns[col.name] = c
    _validate(ws, guide, columns, table)
    _highlight(ws, guide, columns, table)
    _fit_widths(ws, contract, guide, columns, table)
    _wrap(wb, ws, contract, guide, columns, table, styles)
    if ws.print_title_rows is None:
        widths = [_width(ws, c, EXCEL_DEFAULT_WIDTH) for c in range(table.min_col, table.max_col + 1)]
        print_setup(ws, widths, title_row=table.header_row)


# ---- drop-downs and input messages ------------------------------------------------------------

def _covers(ranges: MultiCellRange, min_col: int, max_col: int, first: int, last: int) -> bool:
    return any(r.min_col <= max_col and r.max_col >= min_col and r.min_row <= last and r.max_row >= first
               for r in ranges.ranges)


def _validate(ws, guide: TableGuide, columns: dict[str, int], table: GuidedTable) -> None:
    first, last = table.first_row, table.last_row
    held = ws.data_validations.dataValidation
    held[:] = [dv for dv in held if not (dv.errorTitle == GUIDE_MARK and all(
        table.min_col <= r.min_col and r.max_col <= table.max_col for r in dv.sqref.ranges))]
    for v in guide.validations:
        c = columns.get(v.column)
        if c is None or any(_covers(dv.sqref, c, c, first, last) for dv in held):
            continue  # a validation of the clerk's own holds these cells
        letter = get_column_letter(c)
        ws.add_data_validation(arxl_validation(v, f"{letter}{first}:{letter}{last}"))


def arxl_validation(v: Validation, where: str) -> DataValidation:
    """arxl's drop-down and input message of ``v`` over the cells ``where``, as each store writes it."""
    dv = DataValidation(type="list" if v.choices else None, formula1=v.list_formula or None, allow_blank=True,
                        showInputMessage=bool(v.prompt), promptTitle=v.title if v.prompt else None,
                        prompt=v.prompt or None, showErrorMessage=bool(v.choices),
                        errorStyle="stop" if v.strict else "warning", errorTitle=GUIDE_MARK,
                        error=v.error if v.choices else None)
    dv.add(where)
    return dv


# ---- colours ------------------------------------------------------------------------------------

def _highlight(ws, guide: TableGuide, columns: dict[str, int], table: GuidedTable) -> None:
    formats = ws.conditional_formatting
    for key, rules in list(formats._cf_rules.items()):
        kept = [r for r in rules if not (r.formula and is_guide_formula(r.formula[0], guide))]
        if not kept:
            del formats._cf_rules[key]
        elif len(kept) < len(rules):
            formats._cf_rules[key] = kept
    if not guide.highlights or not guide.columns <= set(columns):
        return
    priority = max((r.priority or 0 for rules in formats._cf_rules.values() for r in rules), default=0)
    letters = {name: get_column_letter(c) for name, c in columns.items()}
    where = (f"{get_column_letter(table.min_col)}{table.first_row}:"
             f"{get_column_letter(table.max_col)}{table.last_row}")
    for highlight in guide.highlights:
        priority += 1
        rule = Rule(type="expression", formula=[formula_for(highlight.formula, letters, table.first_row)],
                    dxf=highlight_style(highlight), priority=priority)
        formats.add(where, rule)


def highlight_style(highlight: Highlight) -> DifferentialStyle:
    """The fill a highlighted row gets, as a conditional format's differential style."""
    fill = PatternFill(fill_type="solid", start_color=highlight.fill, end_color=highlight.fill)
    return DifferentialStyle(fill=fill)


def follow_resize(ws, min_col: int, max_col: int, first: int, old_last: int, new_last: int) -> None:
    """A table's data rows go from ``first``..``old_last`` to ``first``..``new_last``: the
    validations and conditional formats that covered exactly its data rows (of some of its
    columns) cover the new ones; rows it gave up lose the heights arxl set for wrapped text."""
    if old_last == new_last:
        return

    def follow(ranges: MultiCellRange) -> MultiCellRange:
        return MultiCellRange([
            CellRange(min_col=r.min_col, min_row=first, max_col=r.max_col, max_row=new_last)
            if (r.min_row, r.max_row) == (first, old_last) and min_col <= r.min_col and r.max_col <= max_col else r
            for r in ranges.ranges])

    for dv in ws.data_validations.dataValidation:
        dv.sqref = follow(dv.sqref)
    formats = ws.conditional_formatting
    entries = list(formats._cf_rules.items())
    formats._cf_rules.clear()
    for key, rules in entries:
        key.sqref = follow(key.sqref)
        formats._cf_rules.setdefault(key, []).extend(rules)
    for r in range(new_last + 1, old_last + 1):
        if r in ws.row_dimensions:
            ws.row_dimensions[r].height = None


# ---- widths, wrapping --------------------------------------------------------------------------

def _dimension(ws, col: int) -> ColumnDimension | None:
    """The column's own dimension, split off a group of columns sharing one (as Excel saves
    them) so that setting it changes that column alone; None when the column has none."""
    letter = get_column_letter(col)
    if letter in ws.column_dimensions:
        dim = ws.column_dimensions[letter]
        if dim.min is None or dim.min == dim.max:
            return dim
    for dim in list(ws.column_dimensions.values()):
        if dim.min is not None and dim.max is not None and dim.min <= col <= dim.max and dim.min < dim.max:
            for c in range(dim.min, dim.max + 1):
                part = copy(dim)
                part.index, part.min, part.max = get_column_letter(c), c, c
                ws.column_dimensions[part.index] = part
            return ws.column_dimensions[letter]
    return None


def _width(ws, col: int, default: float) -> float:
    dim = _dimension(ws, col)
    return dim.width if dim is not None and dim.width else default


def _values(ws, table: GuidedTable, wanted: set[int]) -> dict[int, list]:
    """The data values of the ``wanted`` sheet columns, one per data row (None for a blank),
    from one pass over the sheet's cells."""
    first, last = table.first_row, table.last_row
    values = {c: [None] * (last - first + 1) for c in wanted}
    for c in wanted:
        column = table.direct.get(c)
        if column is not None:
            start = max(first, column.first_row)
            stop = min(last, column.first_row + len(column.values) - 1)
            if start <= stop:
                values[c][start - first:stop - first + 1] = column.values[start - column.first_row:
                                                                          stop - column.first_row + 1]
    for (r, c), cell in ws._cells.items():
        if c in values and first <= r <= last and cell._value is not None:
            values[c][r - first] = cell._value
    return values


def _fit_widths(ws, contract: TableSpec, guide: TableGuide, columns: dict[str, int], table: GuidedTable) -> None:
    fitting = {}
    for col in contract.columns:
        c = columns.get(col.name)
        if c is None or c not in table.written or col.name in guide.wrapped:
            continue
        dim = _dimension(ws, c)
        if dim is None or not dim.width or dim.width == col.width or dim.bestFit:
            fitting[c] = col
    values = _values(ws, table, set(fitting))
    for c, col in fitting.items():
        dim = _dimension(ws, c)
        if dim is None:
            dim = ws.column_dimensions[get_column_letter(c)]
        dim.width = column_width(str(ws.cell(table.header_row, c).value or col.name), col.kind, values[c], col.width)
        dim.bestFit = True


def _aligned(wb, ws, style_id: int, wrap: bool, styles: dict[tuple[int, bool], int]) -> int:
    """The style ``style_id`` aligned to the top of its cell, wrapping its text if ``wrap``."""
    if (style_id, wrap) not in styles:
        probe = Cell(ws, row=1, column=1)
        probe._style = copy(wb._cell_styles[style_id])
        alignment = copy(probe.alignment)
        alignment.vertical, alignment.wrap_text = "top", wrap or None
        probe.alignment = alignment
        styles[(style_id, wrap)] = probe.style_id
        styles[(probe.style_id, wrap)] = probe.style_id
    return styles[(style_id, wrap)]


def _wrap(wb, ws, contract: TableSpec, guide: TableGuide, columns: dict[str, int], table: GuidedTable,
          styles: dict[tuple[int, bool], int]) -> None:
    """Wrapped text in the long-sentence columns, every cell of the table's rows aligned to the
    top, and each row as tall as its wrapped text, when arxl wrote one of those columns."""
    wrapped = {columns[name]: contract.column(name).width for name in guide.wrapped if name in columns}
    if not set(wrapped) & table.written:
        return
    first, last = table.first_row, table.last_row
    for c in range(table.min_col, table.max_col + 1):
        column = table.direct.get(c)
        if column is not None:
            column.style_id = _aligned(wb, ws, column.style_id, c in wrapped, styles)
    for (r, c), cell in ws._cells.items():
        if first <= r <= last and table.min_col <= c <= table.max_col:
            cell._style = copy(wb._cell_styles[_aligned(wb, ws, cell.style_id, c in wrapped, styles)])
    values = _values(ws, table, set(wrapped))
    widths = {c: _width(ws, c, default) for c, default in wrapped.items()}
    lines = [1] * (last - first + 1)
    for c, texts in values.items():
        for i, text in enumerate(texts):
            lines[i] = max(lines[i], wrapped_lines(text, widths[c]))
    for i, n in enumerate(lines):
        r = first + i
        if n > 1:
            ws.row_dimensions[r].height = row_height(n)
        elif r in ws.row_dimensions:
            ws.row_dimensions[r].height = None


# ---- printing -------------------------------------------------------------------------------------

def print_setup(ws, widths: list[float], title_row: int | None = None, gridlines: bool = True) -> None:
    """One page wide (as many pages down as it takes), landscape when wide, the header row
    repeated on every page, gridlines printed, the sheet's name and the page in the footer."""
    if title_row is not None:
        ws.print_title_rows = f"{title_row}:{title_row}"
    ws.page_setup.orientation = "landscape" if landscape(widths) else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = gridlines
    ws.page_margins = copy(PRINT_MARGINS)
    ws.oddFooter.center.text = FOOTER_CENTER
    ws.oddFooter.right.text = FOOTER_RIGHT


PRINT_MARGINS = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
