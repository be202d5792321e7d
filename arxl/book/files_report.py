"""Drawing a ``Report`` (blocks of cells and charts) onto an openpyxl worksheet.

The FileStore calls ``draw_report`` on a fresh sheet. Charts are real Excel charts whose series
refer to the block cells, so a clerk who edits a figure sees the chart follow.
"""
from __future__ import annotations

import math
from copy import copy

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from arxl.book.files_guidance import print_setup
from arxl.book.guidance import EXCEL_DEFAULT_WIDTH, shown_text, text_width, wrapped_lines
from arxl.book.sheetxml import excel_escapes
from arxl.core.report import Block, Chart, Report

HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
# fonts named as the workbook's own (a font without a name is drawn in another face elsewhere)
FONT = "Calibri"
HEADER_FONT = Font(name=FONT, bold=True, color="1F3864")
TITLE_FONT = Font(name=FONT, bold=True, size=12, color="1F3864")
REPORT_TITLE_FONT = Font(name=FONT, bold=True, size=16, color="1F3864")
TOTAL_FONT = Font(name=FONT, bold=True)
RULE = Side(style="thin", color="8EA9DB")
TOTAL_RULE = Side(style="double", color="1F3864")
CHART_AXIS_FORMAT = "#,##0"
LINE_HEIGHT = 15  # points per line of 11-point text


def _put(ws, row: int, col: int, value):
    cell = ws.cell(row, col)
    if isinstance(value, str):  # Excel's escapes: openpyxl refuses control characters a clerk's text may hold
        value = excel_escapes(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # report text (customer names, notes) never becomes a formula
    return cell


def _header_lines(block: Block, widths: dict[int, float]) -> int:
    """Lines the widest-wrapping header needs; the row is made that tall (Excel does not grow
    a row for wrapped text that a program wrote)."""
    return max(wrapped_lines(value, widths.get(block.left + c, EXCEL_DEFAULT_WIDTH), bold=True)
               for c, value in enumerate(block.rows[0]))


def fitted_widths(report: Report) -> dict[int, float]:
    """The report's column widths, widened where a figure would not show whole ("###") or a
    header word would break."""
    widths = dict(report.widths)

    def widen(column: int, need: float) -> None:
        widths[column] = max(widths.get(column, EXCEL_DEFAULT_WIDTH), math.ceil(need * 4) / 4)

    for block in report.blocks:
        rows = block.rows[1:] if block.header else block.rows
        if block.header and block.rows:
            for c, value in enumerate(block.rows[0]):
                widen(block.left + c, max((text_width(word, bold=True) for word in str(value or "").split()),
                                          default=0.0))
        bold_from = len(rows) - 1 if block.bold_last_row else len(rows)
        for c, number_format in block.formats.items():
            for part, bold in ((rows[:bold_from], False), (rows[bold_from:], True)):
                figures = [values[c] for values in part if c < len(values) and isinstance(values[c], int | float)]
                for text in _widest_figures(number_format, figures):
                    widen(block.left + c, text_width(text, bold))
    return widths


def _widest_figures(number_format: str, figures: list[int | float]) -> set[str]:
    """What the widest of a column's figures show: digits are equally wide, so of a format with
    fixed decimals, the largest or the smallest figure; of another (General), each figure."""
    fixed = number_format.split(";")[0] not in ("", "General", "@")
    shown = {shown_text(number_format, v) for v in figures if isinstance(v, bool) or not fixed}
    numbers = [v for v in figures if not isinstance(v, bool)]
    if fixed and numbers:
        shown.update((shown_text(number_format, max(numbers)), shown_text(number_format, min(numbers))))
    return shown


def _header_alignment(block: Block, c: int) -> Alignment:
    # a header sits over its figures: right over numbers, centred over flags, left over text
    horizontal = "right" if c in block.formats else "center" if c in block.centered else "left"
    return Alignment(wrap_text=True, vertical="center", horizontal=horizontal)


def _styled(cell, block: Block, c: int, is_total: bool) -> None:
    if c in block.formats:
        cell.number_format = block.formats[c]
    if c in block.centered:
        cell.alignment = Alignment(horizontal="center")
    elif not block.header:
        cell.alignment = Alignment(horizontal="left")  # a label-and-value list reads left to right
    if is_total:
        cell.font = TOTAL_FONT
        cell.border = Border(top=RULE, bottom=TOTAL_RULE)


def _draw_block(ws, block: Block, widths: dict[int, float]) -> None:
    if block.title:
        _put(ws, block.top - 1, block.left, block.title).font = TITLE_FONT
    if block.page_break_before:
        ws.row_breaks.append(Break(id=block.top - (2 if block.title else 1)))
    if not block.rows:
        return
    if block.header:
        ws.row_dimensions[block.top].height = LINE_HEIGHT * _header_lines(block, widths)
    last = len(block.rows) - 1
    # a sheet of thousands of customers: style each kind of cell once, then copy its style
    styles: dict[tuple[int, bool], object] = {}
    for r, values in enumerate(block.rows):
        if block.header and r == 0:
            for c, value in enumerate(values):
                cell = _put(ws, block.top, block.left + c, value)
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                cell.border = Border(bottom=RULE)
                cell.alignment = _header_alignment(block, c)
            continue
        is_total = block.bold_last_row and r == last
        for c, value in enumerate(values):
            cell = _put(ws, block.top + r, block.left + c, value)
            key = (c, is_total)
            if key in styles:
                cell._style = copy(styles[key])
            else:
                _styled(cell, block, c, is_total)
                styles[key] = cell._style


def _draw_chart(ws, chart: Chart, block: Block) -> None:
    last = chart.last_data_row if chart.last_data_row is not None else len(block.rows) - 1
    first_row = block.top + chart.first_data_row
    last_row = block.top + last
    bars = BarChart()
    bars.type = chart.kind
    bars.title = chart.title
    bars.style = 10
    bars.width, bars.height = chart.width_cm, chart.height_cm
    if chart.stacked:
        bars.grouping = "stacked"
        bars.overlap = 100
    for value_col in chart.value_cols:
        col = block.left + value_col
        # the header cell above the first data row names the series
        data = Reference(ws, min_col=col, max_col=col, min_row=first_row - 1 if block.header else first_row,
                         max_row=last_row)
        bars.add_data(data, titles_from_data=block.header)
    bars.set_categories(Reference(ws, min_col=block.left + chart.category_col, min_row=first_row,
                                  max_row=last_row))
    bars.y_axis.title = chart.y_title or None
    bars.y_axis.numFmt = CHART_AXIS_FORMAT
    # openpyxl 3.1 marks axes as deleted unless told otherwise; Excel would then hide them
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    if len(chart.value_cols) == 1:
        bars.legend = None  # the title names the only series
    else:
        bars.legend.position = "b"
    ws.add_chart(bars, chart.anchor)


def draw_report(ws, report: Report) -> None:
    """Draw ``report`` on the (empty) worksheet ``ws``: blocks with bold headers, number
    formats and bold total rows, column widths, and one bar chart per ``Chart``."""
    if report.title:
        _put(ws, 1, 1, report.title).font = REPORT_TITLE_FONT
        ws.row_dimensions[1].height = 24
    widths = fitted_widths(report)
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for block in report.blocks:
        _draw_block(ws, block, widths)
    for chart in report.charts:
        _draw_chart(ws, chart, report.blocks[chart.block])
    ws.sheet_view.showGridLines = False
    # printed, a report is read across: landscape, every column on one page width
    print_setup(ws, list(widths.values()), gridlines=False)
    ws.page_setup.orientation = "landscape"
