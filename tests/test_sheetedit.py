"""The worksheet rewrite of the package engine, on a sheet part as Excel writes one (rows with
spans, heights, an extLst, cells right of where arxl writes): every row arxl writes keeps its
other cells, in column order, with its spans grown; every other row stays byte for byte."""
from __future__ import annotations

import datetime as dt

from lxml import etree
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from arxl.book.sheetedit import DELETE, CellWriter, Edit, SheetEdits, Written, rewrite

SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW5 = b'<row r="5" spans="1:3" x14ac:dyDescent="0.25"><c r="A5" t="s"><v>4</v></c><c r="C5"><v>5</v></c></row>'
SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="' + SML.encode() + b'" xmlns:x14ac="http://schemas.microsoft.com/office/'
    b'spreadsheetml/2009/9/ac"><dimension ref="A1:G7"/><sheetData>'
    b'<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    b'<row r="2" spans="1:3"><c r="A2" s="2"><v>10</v></c><c r="B2"><v>11</v></c><c r="C2" s="4"><v>12</v></c></row>'
    b'<row r="3" spans="1:7"><c r="A3"><v>20</v></c><c r="G3" t="s"><v>2</v></c></row>'
    b'<row r="4" spans="1:5"><c r="A4"><v>30</v></c><c r="E4" s="3"><v>31</v></c></row>'
    + ROW5 +
    b'<row r="7" spans="1:3" ht="20" customHeight="1"/>'
    b'<row r="8" spans="1:3"><c r="A8"><v>40</v></c><extLst><ext uri="{x}"/></extLst></row>'
    b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    b'</worksheet>')


def _rows(xml: bytes, strings: dict[str, int]) -> dict[int, tuple[dict[str, str], list[tuple[str, str | None, str | None]]]]:
    """Each row's attributes and its cells as (reference, style, value or text)."""
    root = etree.fromstring(xml)
    text = {i: s for s, i in strings.items()}
    found = {}
    for row in root.iter(f"{{{SML}}}row"):
        cells = []
        for c in row.iter(f"{{{SML}}}c"):
            value = c.findtext(f"{{{SML}}}v")
            if c.get("t") == "s":
                value = text[int(value)]
            cells.append((c.get("r"), c.get("s"), value))
        found[int(row.get("r"))] = (dict(row.attrib), cells)
    return found


def _writer(strings: dict[str, int]) -> CellWriter:
    return CellWriter(lambda old, code: 9, CALENDAR_WINDOWS_1900, lambda text: strings.setdefault(text, len(strings)))


def test_columns_written_beside_and_below_a_sheets_rows_keep_every_other_cell_and_byte():
    edits = SheetEdits()
    rows = [2, 3, 4, 5, 6, 7, 8, 9]
    statuses = ["Open", "Paid", "Open", None, "Open", "Open", "Paid", "Open"]
    due = [dt.date(2026, 11, d) for d in range(1, 9)]
    # column E: rows 2-9 but row 5 (left alone); column F: every row
    edits.put_column(5, 2, [0, 1, 2, 4, 5, 6, 7], statuses, Written(None, True))
    edits.put_column(6, 2, list(range(len(rows))), due, Written("yyyy-mm-dd", True))
    strings = {f"clerk's {i}": i for i in range(5)}  # the sheet's own shared strings
    out = rewrite(SHEET, edits, _writer(strings))
    got = _rows(out, strings)

    # row 2: its cells kept, arxl's after them, spans grown to column F
    assert got[2][0]["spans"] == "1:6"
    assert got[2][1] == [("A2", "2", "10"), ("B2", None, "11"), ("C2", "4", "12"),
                         ("E2", None, "Open"), ("F2", "9", "46327")]
    # row 3 holds a cell right of arxl's columns: it stays last
    assert [ref for ref, _, _ in got[3][1]] == ["A3", "E3", "F3", "G3"]
    assert got[3][0]["spans"] == "1:7"
    # row 4 held a cell where arxl writes: the value is replaced, the cell's style kept
    assert got[4][1][1] == ("E4", "3", "Open")
    # row 5: E not written, F written
    assert [ref for ref, _, _ in got[5][1]] == ["A5", "C5", "F5"]
    assert got[5][0]["{http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac}dyDescent"] == "0.25"
    # row 6 was not in the sheet: it comes between rows 5 and 7
    assert list(got) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert got[6][1] == [("E6", None, "Open"), ("F6", "9", "46331")]
    # row 7 (an empty row with a height) gets cells and keeps its height
    assert got[7][0]["ht"] == "20" and got[7][0]["customHeight"] == "1"
    assert [ref for ref, _, _ in got[7][1]] == ["E7", "F7"]
    # row 8's extLst stays after its cells
    row8 = out[out.index(b'<row r="8"'):]
    row8 = row8[:row8.index(b"</row>")]
    assert row8.index(b'r="F8"') < row8.index(b"<extLst>")
    # row 9: new, below the sheet's rows
    assert [ref for ref, _, _ in got[9][1]] == ["E9", "F9"]
    # what arxl did not write is as it was
    assert out.count(b'<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>') == 1
    assert out.endswith(b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                        b'header="0.3" footer="0.3"/></worksheet>')


def test_a_new_sheet_written_down_its_columns_reads_back_cell_for_cell():
    body = (b'<?xml version="1.0"?><worksheet xmlns="' + SML.encode() + b'"><dimension ref="A1"/>'
            b"<sheetData/></worksheet>")
    edits = SheetEdits()
    edits.put(1, 1, Edit("Customer", None, True))
    edits.put(1, 2, Edit("Amount", None, True))
    edits.put(1, 3, Edit("Note", None, True))
    n = 10_000  # more rows than are built at once
    names = [f"C{i % 37:03d}" for i in range(n)]
    amounts = [i * 1.25 for i in range(n)]
    notes = ["=SUM(A1)" if i == 5 else ("" if i % 2 else f" note {i}") for i in range(n)]
    edits.put_column(1, 2, list(range(n)), names, Written(None, True))
    edits.put_column(2, 2, list(range(n)), amounts, Written("#,##0.00", True))
    edits.put_column(3, 2, list(range(n)), notes, Written(None, True))
    edits.put(2, 3, DELETE)  # a scattered edit wins over the column's
    strings: dict[str, int] = {}
    got = _rows(rewrite(body, edits, _writer(strings)), strings)
    assert list(got) == list(range(1, n + 2))
    assert [v for _, _, v in got[1][1]] == ["Customer", "Amount", "Note"]
    for i in range(n):
        cells = {ref[0]: (style, value) for ref, style, value in got[i + 2][1]}
        assert cells["A"][1] == names[i]
        assert cells["B"] == ("9", repr(amounts[i]).removesuffix(".0"))
        if i == 0:
            assert "C" not in cells  # removed by the scattered edit
        elif notes[i]:
            assert cells["C"][1] == notes[i]  # text (the formula too), as a shared string
        else:
            assert "C" not in cells  # blank text: no cell
    assert got[7][1][2] == ("C7", None, "=SUM(A1)")


def test_the_text_and_formats_a_save_numbers_ahead_are_each_cells_as_first_met():
    """``texts`` and ``number_formats`` (numbered before a sheet is rewritten in a child) give
    what a walk down every written cell gives, each once, in the order first met: for a column
    written one way (read without a look at each row) and for one written over in part, cleared,
    or holding formulas and blanks."""
    edits = SheetEdits()
    text, amount, formula = Written(None, True), Written("#,##0.00", False), Written("0%", False)
    edits.put_column(1, 2, [0, 1, 2, 3, 4], ["b", "a", "b", "", "c"], text)
    edits.put_column(2, 2, [0, 1, 2], [1.5, "=SUM(A1)", "x"], formula)
    edits.put_column(2, 2, [1], [None, "y"], amount)  # row 3 written over, another way
    edits.put_column(3, 2, [0, 1], ["gone", "kept"], text)
    edits.put(2, 3, Edit("scattered"))  # clears row 2 of column 3
    edits.put_column(4, 2, [0], ["never"], Written("0.0", False))
    edits.put(2, 4, DELETE)  # the only row of column 4, taken by a scattered delete

    def walked() -> tuple[list[str], list[str]]:
        texts: dict[str, None] = {}
        formats: dict[str, None] = {}
        for column in edits.columns.values():
            for how, value in zip(column.how, column.values):
                if isinstance(how, Written):
                    if how.number_format:
                        formats[how.number_format] = None
                    if isinstance(value, str) and value and (how.as_text or not value.startswith("=")):
                        texts[value] = None
        texts.update(dict.fromkeys(["scattered"]))
        return list(texts), list(formats)

    assert (edits.texts(), edits.number_formats()) == walked()
    assert edits.texts() == ["b", "a", "c", "y", "x", "kept", "scattered"]
    assert edits.number_formats() == ["0%", "#,##0.00"]  # column 4's format writes no cell: left out


def test_the_state_of_a_sheets_edits_changes_with_every_write():
    """A sheet's rewrite begun before the save is taken only if the sheet's edits are in the
    state they were in then: every kind of write changes it, a write of what a cell already
    holds too; reading them does not."""
    edits = SheetEdits()
    writes = [
        lambda: edits.put_column(3, 2, [0, 1], ["a", "b"], Written(None, True)),
        lambda: edits.put_column(3, 2, [0], ["a"], Written(None, True)),  # the same again
        lambda: edits.put(5, 1, Edit("x")),
        lambda: edits.put(5, 1, DELETE),
        lambda: edits.widths.__setitem__(4, 12.0),
        lambda: edits.styles.__setitem__(2, lambda _col, style: style),
        lambda: edits.heights.__setitem__(2, 30.0),
        lambda: edits.dropped_widths.add(7),
        lambda: setattr(edits, "last_column", 3),
    ]
    for write in writes:
        before = edits.state()
        edits.texts(), edits.number_formats(), edits.size(), edits.touched()
        assert edits.state() == before
        write()
        assert edits.state() != before
