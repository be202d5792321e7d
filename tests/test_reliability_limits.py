"""Reliability: Excel's limits and Excel's rules. Every workbook arxl writes opens in Excel
without a repair, and is valid against the ECMA-376 transitional schemas where they are at
hand (see tests/schemas/README.md)."""
from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table, TableColumn
from reliability import CAMT054, CAMT054_IDS, ROOT, small_demo

from arxl.book.excel_rules import repair_triggers, schema_errors, sheet_name_problem, valid_name
from arxl.book.files import open_book
from arxl.cli import main, process


def schema_folder() -> Path | None:
    """The ECMA-376 transitional schemas: ARXL_OOXML_SCHEMAS, tests/schemas, or the shared
    folder beside the repository (where CI finds it)."""
    for folder in (os.environ.get("ARXL_OOXML_SCHEMAS"), ROOT / "tests" / "schemas", ROOT.parent / "shared" /
                   "ooxml-schemas"):
        if folder and (Path(folder) / "sml.xsd").is_file():
            return Path(folder)
    return None


def check_excel_rules(path: Path) -> None:
    assert repair_triggers(path) == []
    folder = schema_folder()
    if folder is not None:
        assert schema_errors(path, folder) == []


# ---- every workbook arxl writes ---------------------------------------------------------------

def _new(folder):
    path = folder / "new.xlsx"
    assert main(["new", str(path)]) == 0
    return [path]


def _demo_refreshed(folder):
    path = small_demo(folder)
    before = folder / "before.xlsx"
    shutil.copy(path, before)  # as write_demo wrote it
    result, summary = process(path, ["match", "post", "memos", "aging"], as_of=None, output=None)
    assert result is not None, summary
    return [before, path]


def _imported_and_kept_beside(folder):
    path = small_demo(folder)
    book = open_book(path)
    from arxl.book.files import BookChanged, save_book
    from arxl.commands.command import Context
    from arxl.commands.runner import run_commands

    run_commands(book, ["import"], Context(files=(CAMT054,)))
    clerk = openpyxl.load_workbook(path)
    clerk["Settings"]["F1"] = "meanwhile"
    clerk.save(path)
    with pytest.raises(BookChanged) as kept:
        save_book(book)
    return [path, kept.value.kept]


def _master(folder):
    copy = folder / "arxl.xlsm"
    shutil.copy(ROOT / "workbooks" / "arxl.xlsm", copy)
    result, summary = process(copy, ["match", "post", "memos", "aging"], as_of=None, output=None)
    assert result is not None, summary
    return [ROOT / "workbooks" / "arxl.xlsm", copy]


@pytest.mark.attack("Excel's limits")
@pytest.mark.parametrize("make", [_new, _demo_refreshed, _imported_and_kept_beside, _master],
                         ids=["new", "demo and refreshed", "a result kept beside", "master xlsm and refreshed"])
def test_every_workbook_arxl_writes_keeps_excel_s_rules(tmp_path, make):
    for path in make(tmp_path):
        check_excel_rules(path)


def test_the_schemas_are_used_where_they_are_at_hand():
    if schema_folder() is None:
        pytest.skip("no ECMA-376 schemas here (tests/schemas/README.md says where they come from)")
    assert schema_errors(ROOT / "workbooks" / "arxl.xlsm", schema_folder()) == []


def test_table_columns_are_named_as_their_header_cells(tmp_path):
    _new(tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "new.xlsx")
    for ws in wb.worksheets:
        for table in ws.tables.values():
            headers = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))][:len(table.tableColumns)]
            assert [c.name for c in table.tableColumns] == headers


# ---- the checker finds what Excel would repair --------------------------------------------------

def test_the_checker_names_what_excel_would_repair(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payments"
    ws.append(["PaymentID", "Amount", None, "Note"])
    ws.append(["P1", 10, None, None])
    first = Table(displayName="Payments", ref="A1:D2")
    first.tableColumns = [TableColumn(id=i, name=f"Column{i}") for i in range(1, 5)]
    ws.add_table(first)
    second = Table(displayName="Payments2", ref="C2:E3")
    second.tableColumns = [TableColumn(id=i, name=n) for i, n in enumerate(["x", "X", "y"], 1)]
    ws.add_table(second)
    other = wb.create_sheet("Q3 receipts")
    other.append(["Amount"])
    third = Table(displayName="Payments3", ref="A1:A2")
    third.tableColumns = [TableColumn(id=1, name="Amount")]
    other.add_table(third)
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:  # a defined name no Excel accepts
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"Q3 receipts", b"Q3 receipts: all of them [draft]").replace(
        b"</sheets>", b'</sheets><definedNames><definedName name="A1">Payments!$A$1</definedName></definedNames>')
    parts["xl/tables/table3.xml"] = parts["xl/tables/table3.xml"].replace(b'"Payments3"', b'"payments"')
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    found = "\n".join(repair_triggers(path))
    assert "column 1 is named 'Column1' but its header cell says 'PaymentID'" in found
    assert "tables Payments and Payments2 overlap" in found
    assert "table Payments2 names a column twice" in found
    assert "table name 'payments' is used twice" in found
    assert "defined name 'A1' is not a valid Excel name" in found
    assert "sheet name 'Q3 receipts: all of them [draft]' is 32 characters long" in found


@pytest.mark.parametrize("name, ok", [("Payments", True), ("_tbl.2026", True), ("\\x", True), ("A1", False),
                                      ("XFD1048576", False), ("XFE1", True), ("R1C1", False), ("R", False),
                                      ("c", False), ("2026sales", False), ("my table", False), ("", False)])
def test_excel_names(name, ok):
    assert valid_name(name) is ok


@pytest.mark.parametrize("name, problem", [("Payments", ""), ("x" * 31, ""), ("x" * 32, "32 characters"),
                                           ("A/B", "holds one of"), ("'quoted'", "apostrophe"),
                                           ("history", "History"), (" ", "blank")])
def test_sheet_names(name, problem):
    assert problem in sheet_name_problem(name) and bool(problem) == bool(sheet_name_problem(name))


# ---- rows and characters ------------------------------------------------------------------------

def _payments_ending_near_the_last_row(make_book, tmp_path, rows_before_limit: int):
    path = make_book({"Payments": [{"PaymentID": f"P{i}", "ReceivedDate": "2026-11-01", "PayerName": "x",
                                     "Amount": 1, "Currency": "EUR"} for i in range(2)]})
    wb = openpyxl.load_workbook(path)
    ws = wb["Payments"]
    table = ws.tables["Payments"]
    last_col = table.ref.split(":")[1].rstrip("0123456789")
    shift = 1_048_576 - rows_before_limit - 3
    ws.move_range(table.ref, rows=shift)
    table.ref = f"A{1 + shift}:{last_col}{3 + shift}"
    wb.save(path)
    return path


@pytest.mark.attack("Excel's limits")
def test_an_import_past_excel_s_last_row_is_refused_naming_the_table(make_book, tmp_path):
    path = _payments_ending_near_the_last_row(make_book, tmp_path, rows_before_limit=2)
    result, summary = process(path, ["import"], as_of=None, output=None, files=(CAMT054,))
    assert "COULD NOT RUN" in summary and "the Payments table would need 5 rows" in summary
    assert "1,048,576" in summary
    book = open_book(path)
    assert len(book.read("Payments")) == 2
    problems = book.read("Exceptions")
    assert problems["Problem"].str.contains("past row 1,048,576").any()


@pytest.mark.attack("Excel's limits")
def test_an_import_up_to_the_last_row_is_fine(make_book, tmp_path):
    path = _payments_ending_near_the_last_row(make_book, tmp_path, rows_before_limit=3)
    result, summary = process(path, ["import"], as_of=None, output=None, files=(CAMT054,))
    assert result is not None and result.ok, summary
    assert CAMT054_IDS <= set(open_book(path).read("Payments")["PaymentID"])


@pytest.mark.attack("Excel's limits")
def test_text_longer_than_a_cell_holds_is_cut_and_the_cell_named(make_book, monkeypatch):
    """A 40,005-character remittance arriving with a payment (as a bank file can carry one)."""
    import pandas as pd

    from arxl.commands import registry
    from arxl.contract import spec
    from arxl.core.frames import table_frame
    from arxl.core.ledger import Outcome, Step

    path = make_book()
    long_reference = "INV-1001 " + "remittance detail " * 2222

    def receive(ledger, ctx):
        rows = table_frame(spec("Payments"), {"PaymentID": ["P1", "P2"], "ReceivedDate": [pd.Timestamp(2026, 11, 19)] * 2,
                                              "PayerName": ["Beta", "Acme"], "Amount": [25000, 148000],
                                              "Currency": ["EUR", "EUR"], "Reference": ["INV-2001", long_reference]})[
            [c.name for c in spec("Payments").columns if c.owner != "arxl"]]
        return Step(Outcome("Imported 2 payment(s)")).append("Payments", rows)

    monkeypatch.setitem(registry.COMMANDS, "import", registry.COMMANDS["import"].__class__(
        "import", "Import", "Import", "", receive))
    result, summary = process(path, ["import"], as_of=None, output=None)
    assert result is not None and result.ok, summary
    book = open_book(path)
    payments = book.read("Payments")
    assert payments["Reference"].tolist() == ["INV-2001", long_reference[:32_767]]
    problems = book.read("Exceptions")
    named = problems[problems["Problem"].str.contains("more than the 32,767 an Excel cell holds")]
    assert named[["Command", "Sheet", "Row", "Column"]].values.tolist() == [["import", "Payments", 3, "Reference"]]
    assert named["Problem"].iloc[0].startswith("40,005 characters")
    check_excel_rules(path)


@pytest.mark.attack("Excel's limits")
def test_an_import_goes_above_the_payments_totals_row(make_book):
    path = make_book({"Payments": [{"PaymentID": "P1", "ReceivedDate": "2026-11-01", "PayerName": "x",
                                    "Amount": 5, "Currency": "EUR"}]})
    wb = openpyxl.load_workbook(path)
    ws = wb["Payments"]
    table = ws.tables["Payments"]
    headers = [c.value for c in ws[1]]
    amount = headers.index("Amount")
    table.ref = table.ref[:-1] + "3"
    table.totalsRowCount = 1
    table.tableColumns[0].totalsRowLabel = "Total"
    table.tableColumns[amount].totalsRowFunction = "sum"
    ws["A3"] = "Total"
    ws.cell(3, amount + 1, "=SUBTOTAL(109,Payments[Amount])")
    wb.save(path)
    result, summary = process(path, ["import"], as_of=None, output=None, files=(CAMT054,))
    assert result is not None and result.ok, summary
    wb = openpyxl.load_workbook(path)
    ws, table = wb["Payments"], wb["Payments"].tables["Payments"]
    assert table.ref.endswith("6") and table.totalsRowCount == 1
    assert ws["A6"].value == "Total" and ws.cell(6, amount + 1).value == "=SUBTOTAL(109,Payments[Amount])"
    assert [ws.cell(r, 1).value for r in range(2, 6)] == ["P1", *sorted(CAMT054_IDS)]
    assert len(open_book(path).read("Payments")) == 4
    check_excel_rules(path)
