"""The workbook's guidance (``arxl.book.guidance``) applied by the package engine to the
worksheet parts it writes: the same drop-downs, input messages, colours, widths, wrapped rows
and print setup the file store gives (``arxl.book.files_guidance``), edited in the sheet's XML
so that the clerk's own validations, formats, widths and print settings stay as they are.

Only the sheet around its ``<sheetData>`` is parsed (``guide_sheet``); the rows are written by
``arxl.book.sheetedit`` (row heights and the wrapped cells' alignment through its
``SheetEdits``). The XML elements come from the same openpyxl objects the file store writes
(``arxl_validation``, ``highlight_style``, ``PRINT_MARGINS``), put in the schema's order.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from lxml import etree
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.header_footer import HeaderFooter
from openpyxl.worksheet.page import PrintOptions

from arxl.book.files_guidance import PRINT_MARGINS, arxl_validation, highlight_style
from arxl.book.guidance import (
    EXCEL_DEFAULT_WIDTH,
    FOOTER_CENTER,
    FOOTER_RIGHT,
    GUIDE_MARK,
    column_width,
    formula_for,
    is_guide_formula,
    landscape,
    row_height,
    table_guide,
    wrapped_lines,
)
from arxl.book.package import declaration, to_xml
from arxl.book.sheetedit import SheetEdits
from arxl.contract import Column, header_key, spec

SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
M = f"{{{SML}}}"
_PLACEHOLDER = b"<sheetData/>"
_EMPTY_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\s*/>")

# CT_Worksheet's children in the order the schema requires.
_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
          "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
          "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
          "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
          "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
          "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
          "extLst")


@dataclass
class PlacedTable:
    """A table of the contract as the package engine holds it: where it is now, its last data
    row when read (``read_last``), the sheet columns arxl wrote this run and a way to read a
    cell's value."""

    name: str
    header_row: int
    min_col: int
    max_col: int
    n_rows: int
    read_last: int
    value: Callable[[int, int], Any]
    column: Callable[[int, int, int], list[Any]]  # (column, first row, how many rows) -> their values
    written: set[int] = field(default_factory=set)
    fitted: dict[int, float] = field(default_factory=dict)  # widths its values need, worked out ahead

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        return self.header_row + max(self.n_rows, 1)

    def columns(self) -> dict[str, int]:
        """The contract's columns by sheet column, as the headers name them."""
        found: dict[str, int] = {}
        contract = spec(self.name)
        for c in range(self.min_col, self.max_col + 1):
            key = header_key(self.value(self.header_row, c))
            for col in contract.columns:
                if col.key == key and col.name not in found:
                    found[col.name] = c
        return found

    def values(self, c: int) -> list[Any]:
        return self.column(c, self.first_row, self.last_row - self.first_row + 1)


def _sml(element: ElementTree.Element) -> etree._Element:
    """An element openpyxl built (no namespace) in the worksheet's namespace."""
    made = etree.Element(M + element.tag, {k: v for k, v in element.attrib.items()}, nsmap={None: SML})
    made.text = element.text
    for child in element:
        made.append(_sml(child))
    return made


def _place(root: etree._Element, element: etree._Element) -> None:
    """``element`` put among ``root``'s children where the schema wants it (after any of its kind)."""
    rank = _ORDER.index(etree.QName(element).localname)
    for child in root:
        name = etree.QName(child).localname
        if name in _ORDER and _ORDER.index(name) > rank:
            child.addprevious(element)
            return
    root.append(element)


def _ranges(sqref: str) -> list[tuple[int, int, int, int]]:
    found = []
    for ref in sqref.split():
        try:
            found.append(range_boundaries(ref if ":" in ref else f"{ref}:{ref}"))
        except (ValueError, TypeError):
            continue
    return found


def _inside(sqref: str, table: PlacedTable) -> bool:
    return all(table.min_col <= c0 and c1 <= table.max_col for c0, _r0, c1, _r1 in _ranges(sqref))


def _covers(sqref: str, col: int, first: int, last: int) -> bool:
    return any(c0 <= col <= c1 and r0 <= last and r1 >= first for c0, r0, c1, r1 in _ranges(sqref)
               if None not in (c0, r0, c1, r1))


def _followed(sqref: str, table: PlacedTable) -> str:
    """A range that covered exactly the table's data rows as read covers them as they are now
    (as Excel grows a validation or format with its table)."""
    first, old, new = table.first_row, table.read_last, table.last_row
    if old == new:
        return sqref
    out = []
    for ref in sqref.split():
        bounds = _ranges(ref)
        if bounds and (bounds[0][1], bounds[0][3]) == (first, old) and _inside(ref, table):
            c0, _r0, c1, _r1 = bounds[0]
            ref = f"{get_column_letter(c0)}{first}:{get_column_letter(c1)}{new}"
        out.append(ref)
    return " ".join(out)


def _validate(root: etree._Element, table: PlacedTable, columns: dict[str, int]) -> None:
    holder = root.find(M + "dataValidations")
    if holder is None:
        holder = etree.Element(M + "dataValidations")
    for dv in list(holder):
        if dv.get("errorTitle") == GUIDE_MARK and _inside(dv.get("sqref", ""), table):
            holder.remove(dv)
        else:
            dv.set("sqref", _followed(dv.get("sqref", ""), table))
    first, last = table.first_row, table.last_row
    for v in table_guide(table.name).validations:
        c = columns.get(v.column)
        if c is None or any(_covers(dv.get("sqref", ""), c, first, last) for dv in holder):
            continue  # a validation of the clerk's own holds these cells
        letter = get_column_letter(c)
        holder.append(_sml(arxl_validation(v, f"{letter}{first}:{letter}{last}").to_tree()))
    holder.set("count", str(len(holder)))
    if len(holder) and holder.getparent() is None:
        _place(root, holder)
    elif not len(holder) and holder.getparent() is not None:
        root.remove(holder)


def _highlight(root: etree._Element, table: PlacedTable, columns: dict[str, int],
               dxf_id: Callable[[etree._Element], int]) -> None:
    guide = table_guide(table.name)
    for formats in root.findall(M + "conditionalFormatting"):
        for rule in formats.findall(M + "cfRule"):
            formula = rule.findtext(M + "formula")
            if formula and is_guide_formula(formula, guide):
                formats.remove(rule)
        if formats.find(M + "cfRule") is None:
            root.remove(formats)
        else:
            formats.set("sqref", _followed(formats.get("sqref", ""), table))
    if not guide.highlights or not guide.columns <= set(columns):
        return
    priority = max((int(r.get("priority", "0")) for r in root.iter(M + "cfRule")), default=0)
    letters = {name: get_column_letter(c) for name, c in columns.items()}
    formats = etree.Element(M + "conditionalFormatting", sqref=f"{get_column_letter(table.min_col)}{table.first_row}:"
                                                               f"{get_column_letter(table.max_col)}{table.last_row}")
    for highlight in guide.highlights:
        priority += 1
        rule = etree.SubElement(formats, M + "cfRule", type="expression",
                                dxfId=str(dxf_id(_sml(highlight_style(highlight).to_tree()))), priority=str(priority))
        etree.SubElement(rule, M + "formula").text = formula_for(highlight.formula, letters, table.first_row)
    _place(root, formats)


def _col(root: etree._Element, c: int) -> etree._Element | None:
    """The column's own ``<col>``, split off a group of columns sharing one."""
    cols = root.find(M + "cols")
    if cols is None:
        return None
    for element in cols:
        low, high = int(element.get("min", "0")), int(element.get("max", "0"))
        if not low <= c <= high:
            continue
        if low == high:
            return element
        own = None
        for part in range(low, high + 1):
            piece = etree.Element(M + "col", dict(element.attrib))
            piece.set("min", str(part))
            piece.set("max", str(part))
            element.addprevious(piece)
            own = piece if part == c else own
        cols.remove(element)
        return own
    return None


def _width(root: etree._Element, c: int, default: float) -> float:
    element = _col(root, c)
    return float(element.get("width", default)) if element is not None else default


def fit_ahead(tables: list[PlacedTable]) -> None:
    """Work out the widths the values of ``tables`` need now (a save does it while the rewrite of
    their sheet goes on in another process); ``guide_sheet`` then uses them."""
    for table in tables:
        for col, c in _fitted_columns(table, table.columns()):
            table.fitted[c] = _fitted_width(table, col, c)


def _fitted_columns(table: PlacedTable, columns: dict[str, int]) -> list[tuple[Column, int]]:
    """The columns arxl wrote whose width follows their values (not those wrapped), with where."""
    guide = table_guide(table.name)
    return [(col, columns[col.name]) for col in spec(table.name).columns if columns.get(col.name) in table.written
            and col.name not in guide.wrapped]


def _fitted_width(table: PlacedTable, col: Column, c: int) -> float:
    header = table.value(table.header_row, c)
    return column_width(str(header or col.name), col.kind, table.values(c), col.width)


def _fit_widths(root: etree._Element, table: PlacedTable, columns: dict[str, int]) -> None:
    for col, c in _fitted_columns(table, columns):
        element = _col(root, c)
        width = float(element.get("width", "0")) if element is not None else 0.0
        if element is not None and width and width != col.width and element.get("bestFit") not in ("1", "true"):
            continue  # the clerk's width
        fitted = table.fitted[c] if c in table.fitted else _fitted_width(table, col, c)
        if element is None:
            cols = root.find(M + "cols")
            if cols is None:
                cols = etree.Element(M + "cols")
                _place(root, cols)
            element = etree.Element(M + "col", min=str(c), max=str(c))
            later = next((e for e in cols if int(e.get("min", "0")) > c), None)
            if later is not None:
                later.addprevious(element)
            else:
                cols.append(element)
        element.set("width", f"{fitted:g}")
        element.set("bestFit", "1")
        element.set("customWidth", "1")


def _print_setup(root: etree._Element, widths: list[float]) -> None:
    """One page wide, landscape when wide, gridlines, the sheet's name and page in the footer
    (the print titles are the workbook's: ``PackageStore``)."""
    pr = root.find(M + "sheetPr")
    if pr is None:
        pr = etree.Element(M + "sheetPr")
        _place(root, pr)
    fit = pr.find(M + "pageSetUpPr")
    if fit is None:
        fit = etree.SubElement(pr, M + "pageSetUpPr")
        outline = pr.find(M + "outlinePr")
        if outline is not None:  # CT_SheetPr: tabColor, outlinePr, pageSetUpPr
            outline.addnext(fit)
    fit.set("fitToPage", "1")
    options = root.find(M + "printOptions")
    if options is None:
        _place(root, _sml(PrintOptions(gridLines=True).to_tree()))
    else:
        options.set("gridLines", "1")
    margins = root.find(M + "pageMargins")
    if margins is not None:
        root.remove(margins)
    _place(root, _sml(PRINT_MARGINS.to_tree()))
    setup = root.find(M + "pageSetup")
    if setup is None:
        setup = etree.Element(M + "pageSetup")
        _place(root, setup)
    setup.set("orientation", "landscape" if landscape(widths) else "portrait")
    setup.set("fitToWidth", "1")
    setup.set("fitToHeight", "0")
    if root.find(M + "headerFooter") is None:
        footer = HeaderFooter()
        footer.oddFooter.center.text = FOOTER_CENTER
        footer.oddFooter.right.text = FOOTER_RIGHT
        _place(root, _sml(footer.to_tree()))


def wrap_rows(table: PlacedTable, edits: SheetEdits, aligned: Callable[[int, bool], int]) -> None:
    """Wrapped text in the long-sentence columns, the table's rows aligned to the top, each
    row as tall as its text, when arxl wrote one of those columns (as the file store does)."""
    columns = table.columns()
    contract, guide = spec(table.name), table_guide(table.name)
    wrapped = {columns[name]: contract.column(name).width for name in guide.wrapped if name in columns}
    if not set(wrapped) & table.written:
        return
    low, high = table.min_col, table.max_col

    def restyle(col: int, style_id: int) -> int:
        return aligned(style_id, col in wrapped) if low <= col <= high else style_id

    for r in range(table.first_row, table.last_row + 1):
        lines = max([1] + [wrapped_lines(table.value(r, c), width) for c, width in wrapped.items()])
        edits.styles[r] = restyle
        edits.heights[r] = row_height(lines) if lines > 1 else None
    for r in range(table.last_row + 1, table.read_last + 1):
        edits.heights[r] = None


def guide_sheet(data: bytes, tables: list[PlacedTable], dxf_id: Callable[[etree._Element], int],
                untitled: set[str]) -> bytes:
    """The worksheet part ``data`` with the guidance of ``tables`` (``untitled``: those whose
    sheet has no print titles yet, which get a print setup). Unchanged bytes if nothing changes."""
    begin = data.find(b"<sheetData")
    if begin < 0:
        return data
    close = data.find(b"</sheetData>", begin)
    end = close + len(b"</sheetData>") if close >= 0 else data.index(b">", begin) + 1  # <sheetData/>
    guided = guide_around_rows(data[:begin], data[end:], tables, dxf_id, untitled)
    if guided is None:
        return data
    return b"".join((guided[0], memoryview(data)[begin:end], guided[1]))


def guide_around_rows(before: bytes, after: bytes, tables: list[PlacedTable],
                      dxf_id: Callable[[etree._Element], int], untitled: set[str]) -> tuple[bytes, bytes] | None:
    """``guide_sheet`` on the parts of a worksheet before and after its rows (``<sheetData>``),
    which stay where they are: the two parts guided, or None if nothing changes."""
    root = etree.fromstring(before + _PLACEHOLDER + after)
    was = etree.tostring(root, method="c14n")
    for table in tables:
        columns = table.columns()
        _validate(root, table, columns)
        _highlight(root, table, columns, dxf_id)
        _fit_widths(root, table, columns)
        if table.name in untitled:
            _print_setup(root, [_width(root, c, EXCEL_DEFAULT_WIDTH) for c in range(table.min_col, table.max_col + 1)])
    if etree.tostring(root, method="c14n") == was:
        return None
    out = to_xml(root, declaration(before))
    at = _EMPTY_SHEET_DATA.search(out)
    assert at is not None
    return out[:at.start()], out[at.end():]
