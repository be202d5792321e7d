"""The ground rules of WORKBOOK.md, checked on real workbooks written and read back."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.table import Table

from arxl.book.files import open_book, save_book
from arxl.core.frames import typed_column
from arxl.core.ledger import CannotRun, Outcome, Step


def change(book, **changes) -> Step:
    """Apply a step of ``update=(table, frame)``, ``append=...``, ``rebuild=...`` to ``book``."""
    step = Step(Outcome(""))
    for kind, (table, frame) in changes.items():
        getattr(step, kind)(table, frame)
    book.apply(step)
    return step

CUSTOMERS = [
    {"CustomerID": "C001", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": 50000},
    {"CustomerID": "C002", "Name": "Blue Ridge Plumbing LLC", "Terms": "2/10 Net 30", "CreditLimit": 10000},
]
INVOICES = [
    {"InvoiceID": "INV-1001", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 0.1},
    {"InvoiceID": "INV-1002", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 2), "Amount": 0.2},
    {"InvoiceID": "INV-1003", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 10, 3), "Amount": 1234.56},
]


def test_amounts_are_exact_cents_and_dates_are_dates(make_book):
    book = open_book(make_book({"Customers": CUSTOMERS, "Invoices": INVOICES}))
    inv = book.read("Invoices")
    assert inv["Amount"].tolist() == [10, 20, 123456]
    assert int(inv["Amount"].sum()) == 123486  # 0.1 + 0.2 + 1234.56, no stray cent
    assert inv["InvoiceDate"].dt.date.tolist() == [dt.date(2026, 10, d) for d in (1, 2, 3)]
    assert list(inv.index) == [2, 3, 4]  # sheet rows, so problems can name them


def test_table_found_by_name_on_any_sheet_and_headers_match_loosely(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Open items"
    ws.append(["Notes above the table"])
    ws.append(["invoice_id", "Customer ID", "INVOICE DATE", "amount", "My remarks"])
    ws.append(["A-1", "C9", dt.date(2026, 1, 5), 99.99, "call Bob"])
    ws.add_table(Table(displayName="Invoices", ref="A2:E3"))
    wb.save(tmp_path / "b.xlsx")
    book = open_book(tmp_path / "b.xlsx")
    inv = book.read("Invoices")
    assert inv.loc[3, "InvoiceID"] == "A-1" and inv.loc[3, "Amount"] == 9999
    assert book.load().sheet("Invoices") == "Open items"


def test_sheet_without_a_table_is_found_by_its_name(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["CustomerID", "Name"])
    ws.append([101, "Acme"])  # a numeric ID reads as the text the clerk sees
    wb.save(tmp_path / "b.xlsx")
    assert open_book(tmp_path / "b.xlsx").read("Customers").loc[2, "CustomerID"] == "101"


def test_clerk_columns_and_sheets_survive_a_write_and_save(make_book):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES})
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    table = ws.tables["Invoices"]
    # the clerk inserts a column of their own in the middle of the table...
    ws.insert_cols(3)
    ws.cell(1, 3, "Collector notes")
    ws.cell(2, 3, "promised Friday")
    table.ref = "A1:R4"
    from openpyxl.worksheet.table import TableColumn
    table.tableColumns.insert(2, TableColumn(id=99, name="Collector notes"))
    # ...and keeps a sheet of their own with a chart and a pivot-ready table
    mine = wb.create_sheet("My analysis")
    mine.append(["Region", "Total"])
    for region, total in (("East", 100), ("West", 250)):
        mine.append([region, total])
    mine.add_table(Table(displayName="MyRegions", ref="A1:B3"))
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(mine, min_col=1, min_row=2, max_row=3))
    mine.add_chart(chart, "D2")
    wb.save(path)

    book = open_book(path)
    inv = book.read("Invoices")
    update = pd.DataFrame({"Status": typed_column("text", ["Open"] * 3, index=inv.index),
                           "OpenBalance": typed_column("money", inv["Amount"].tolist(), index=inv.index)})
    change(book, update=("Invoices", update))
    save_book(book)

    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    assert ws.cell(1, 3).value == "Collector notes" and ws.cell(2, 3).value == "promised Friday"
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("Status") + 1).value == "Open"
    assert ws.cell(4, headers.index("OpenBalance") + 1).value == 1234.56
    assert ws.cell(2, headers.index("Amount") + 1).value == 0.1  # the clerk's value, untouched
    mine = wb["My analysis"]
    assert len(mine._charts) == 1 and "MyRegions" in mine.tables
    assert [mine.cell(r, 2).value for r in (2, 3)] == [100, 250]


def test_arxl_never_rewrites_a_clerk_column(make_book):
    book = open_book(make_book({"Invoices": INVOICES}))
    inv = book.read("Invoices")
    with pytest.raises(PermissionError):
        change(book, update=("Invoices", inv[["Amount"]]))


def test_formula_looking_text_stays_text(make_book):
    path = make_book({"Customers": CUSTOMERS})
    book = open_book(path)
    evidence = ["=HYPERLINK(\"http://evil\")", "+1-555-0100 called", "-5 short", "@SUM(A1)"]
    frame = pd.DataFrame({
        "RunAt": typed_column("datetime", [pd.Timestamp("2026-11-20 10:00")] * 4),
        "Command": typed_column("text", ["match"] * 4), "Sheet": typed_column("text", ["Payments"] * 4),
        "Row": typed_column("integer", [2, 3, 4, 5]), "Column": typed_column("text", ["Reference"] * 4),
        "Value": typed_column("external", evidence), "Problem": typed_column("external", evidence),
        "Hint": typed_column("external", [""] * 4)})
    change(book, rebuild=("Exceptions", frame))
    save_book(book)
    ws = openpyxl.load_workbook(path)["Exceptions"]
    for r, text in enumerate(evidence, start=2):
        cell = ws.cell(r, 6)
        assert cell.value == text and cell.data_type == "s"


def test_ledgers_only_grow(make_book):
    path = make_book()
    book = open_book(path)
    row = {"ApplicationID": "A0000001", "PostedAt": pd.Timestamp("2026-11-20 09:00"), "PaymentID": "P1",
           "InvoiceID": "INV-1001", "CustomerID": "C001", "AppliedAmount": 1000, "DiscountTaken": 0,
           "WriteOff": 0, "ShortPay": 0, "ReasonCode": "", "Source": "Auto", "Confidence": 99.0}
    from arxl.contract import APPLICATIONS
    frame = pd.DataFrame({c.name: typed_column(c.kind, [row.get(c.name)]) for c in APPLICATIONS.columns})
    change(book, append=("Applications", frame))
    save_book(book)
    book = open_book(path)
    frame2 = frame.copy()
    frame2["ApplicationID"] = typed_column("id", ["A0000002"])
    change(book, append=("Applications", frame2))
    with pytest.raises(PermissionError):
        change(book, rebuild=("Applications", frame2))
    save_book(book)
    apps = open_book(path).read("Applications")
    assert apps["ApplicationID"].tolist() == ["A0000001", "A0000002"]
    assert apps["AppliedAmount"].tolist() == [1000, 1000]


def test_output_table_rebuild_keeps_clerk_column_by_row_key(make_book):
    path = make_book()
    book = open_book(path)
    from arxl.contract import MATCHES

    def matches(pairs):
        n = len(pairs)
        cols = {c.name: typed_column(c.kind, [None] * n) for c in MATCHES.columns}
        cols["PaymentID"] = typed_column("id", [p for p, _ in pairs])
        cols["InvoiceID"] = typed_column("id", [i for _, i in pairs])
        cols["Decision"] = typed_column("text", ["Review"] * n)
        return pd.DataFrame(cols)

    change(book, rebuild=("Matches", matches([("P1", "I1"), ("P2", "I2")])))
    save_book(book)
    wb = openpyxl.load_workbook(path)
    ws = wb["Matches"]
    ws.cell(1, 13, "My note")
    ws.tables["Matches"].ref = "A1:M3"
    from openpyxl.worksheet.table import TableColumn
    ws.tables["Matches"].tableColumns.append(TableColumn(id=13, name="My note"))
    ws.cell(3, 13, "asked customer")  # on P2/I2
    ws.cell(2, 13, "promised Friday")  # on P1/I1, which the rebuild leaves out
    wb.save(path)
    book = open_book(path)
    step = change(book, rebuild=("Matches", matches([("P2", "I2"), ("P3", "I3"), ("P4", "I4")])))
    save_book(book)
    ws = openpyxl.load_workbook(path)["Matches"]
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["P2", "P3", "P4"]
    assert ws.cell(2, 13).value == "asked customer" and ws.cell(3, 13).value is None
    assert ws.tables["Matches"].ref == "A1:M4"
    # the note on the row left out is named, with its text, not lost without a word
    assert [(p.sheet, p.row, p.column, p.value) for p in step.problems] == [("Matches", 2, "My note", "promised Friday")]
    assert "P1 I1 is no longer in Matches" in list(step.problems)[0].problem


def test_bad_rows_are_reported_with_sheet_row_column_and_the_rest_goes_on(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["InvoiceID", "CustomerID", "InvoiceDate", "Amount"])
    ws.append(["I-1", "C1", dt.date(2026, 10, 1), 100])
    ws.append(["I-2", "C1", "10/02/2026", 100])  # a date as odd text
    ws.append(["I-3", "C1", dt.date(2026, 10, 3), "twelve"])  # text in an amount column
    ws.append([None, None, None, None])  # an empty row in the middle
    ws.append(["I-4", "C1", "2026-10-04", "1,250.50"])  # ISO text and a thousands separator are fine
    ws.append(["I-1", "C2", dt.date(2026, 10, 5), 5])  # a duplicate ID
    ws.append(["I-6", "", dt.date(2026, 10, 6), 5])  # a required value blank
    wb.save(tmp_path / "b.xlsx")
    ledger = open_book(tmp_path / "b.xlsx").load()
    inv = ledger.table("Invoices")
    assert inv["InvoiceID"].tolist() == ["I-4"]
    assert inv.loc[6, "Amount"] == 125050
    found = {(p.sheet, p.row, p.column) for p in ledger.problems}
    assert ("Invoices", 3, "InvoiceDate") in found
    assert ("Invoices", 4, "Amount") in found
    assert ("Invoices", 2, "InvoiceID") in found and ("Invoices", 7, "InvoiceID") in found
    assert ("Invoices", 8, "CustomerID") in found
    assert ("Invoices", 5, "") in found  # the empty row in the middle is named, and skipped
    assert ledger.unread["Invoices"] == {2, 3, 4, 7, 8}
    assert ledger.ids("Invoices") == {"I-1", "I-2", "I-3", "I-4", "I-6"}  # unread rows' IDs are taken
    odd = next(p for p in ledger.problems if p.row == 3)
    assert odd.value == "10/02/2026" and "2026-11-20" in odd.hint


def test_missing_table_and_missing_required_column_are_clear(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["InvoiceID", "CustomerID", "Amount"])
    wb.save(tmp_path / "b.xlsx")
    ledger = open_book(tmp_path / "b.xlsx").load()
    with pytest.raises(CannotRun, match="InvoiceDate"):
        ledger.table("Invoices")
    with pytest.raises(CannotRun, match="no Payments table"):
        ledger.table("Payments")
    assert ledger.table("MemoRequests", required=False).empty


def test_merged_header_cells_are_reported(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["CustomerID", "Name", "Name"])
    ws.merge_cells("B1:C1")
    ws.append(["C1", "Acme", None])
    wb.save(tmp_path / "b.xlsx")
    ledger = open_book(tmp_path / "b.xlsx").load()
    assert any("merged" in p.problem and p.row == 1 for p in ledger.problems)


def test_a_bad_cell_is_reported_once_however_many_commands_run(tmp_path, run):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["InvoiceID", "CustomerID", "InvoiceDate", "Amount"])
    ws.append(["I-1", "C1", "yesterday", 100])
    wb.save(tmp_path / "b.xlsx")
    run(tmp_path / "b.xlsx", "match", "post", "aging")
    problems = openpyxl.load_workbook(tmp_path / "b.xlsx")["Exceptions"]
    found = [(r[1].value, r[3].value, r[4].value) for r in problems.iter_rows(min_row=2) if r[3].value == 2]
    assert found == [("read", 2, "InvoiceDate")]


def test_large_output_tables_written_directly_read_back_exactly(make_book):
    """Output tables and ledger appends bypass openpyxl's cell objects at save time; what is
    read back must be exactly what was written: text, cents, dates, blanks, formats."""
    from arxl.contract import AGING
    path = make_book()
    book = open_book(path)
    n = 3000
    cols = {c.name: typed_column(c.kind, [None] * n) for c in AGING.columns}
    cols["DocID"] = typed_column("id", [f"INV-{i:05d}" for i in range(n)])
    cols["DocType"] = typed_column("text", ["Invoice"] * n)
    cols["CustomerName"] = typed_column("external", ["=cmd|' /C calc'!A0", " Smith & <Sons> ", "Ünïcode ✓"] * (n // 3))
    cols["OpenAmount"] = typed_column("money", [i * 101 - 5 for i in range(n)])
    cols["DueDate"] = typed_column("date", [dt.date(2026, 1, 1) + dt.timedelta(days=i % 400) for i in range(n)])
    cols["DaysPastDue"] = typed_column("integer", [i % 200 for i in range(n)])
    change(book, rebuild=("Aging", pd.DataFrame(cols)))
    save_book(book)
    back = open_book(path).read("Aging")
    assert back["DocID"].tolist() == [f"INV-{i:05d}" for i in range(n)]
    assert back["OpenAmount"].tolist() == [i * 101 - 5 for i in range(n)]
    assert back["CustomerName"].tolist()[:3] == ["=cmd|' /C calc'!A0", "Smith & <Sons>", "Ünïcode ✓"]
    assert back["DueDate"].iloc[399].date() == dt.date(2027, 2, 4)
    assert back["CreditLimit"].isna().all()
    ws = openpyxl.load_workbook(path)["Aging"]
    assert ws.tables["Aging"].ref == f"A1:R{n + 1}"
    assert ws["P2"].number_format == "#,##0.00##;[Red]-#,##0.00##"
    assert ws["K2"]._style.numFmtId == 14  # Excel's built-in short date: the clerk's regional format
    assert ws["C2"].data_type == "s" and ws["C3"].value == " Smith & <Sons> " and ws.max_row == n + 1
    # a second rebuild, smaller, leaves no stale rows behind
    book = open_book(path)
    change(book, rebuild=("Aging", pd.DataFrame(cols).head(10)))
    save_book(book)
    ws = openpyxl.load_workbook(path)["Aging"]
    assert ws.max_row == 11 and ws.tables["Aging"].ref == "A1:R11"


def test_a_ledger_after_a_step_is_what_a_fresh_load_of_the_saved_workbook_gives(make_book):
    """The runner hands the next command the ledger with the step applied: it must equal what
    reading the saved workbook gives, for updated, appended and rebuilt tables alike."""
    from arxl.contract import APPLICATIONS, MATCHES
    from arxl.core.frames import table_frame
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES,
                      "Applications": [{"ApplicationID": "A0000001", "PaymentID": "P0", "InvoiceID": "INV-1001",
                                        "AppliedAmount": 0.1, "Source": "Auto"}]})
    book = open_book(path)
    ledger = book.load()
    inv = ledger.table("Invoices")
    step = Step(Outcome("")).update("Invoices", pd.DataFrame({
        "Status": typed_column("text", ["Paid", "Open", "Partially paid"], index=inv.index),
        "OpenBalance": typed_column("money", [0, 20, 100000], index=inv.index),
        "LastPaymentDate": typed_column("date", [dt.date(2026, 11, 19), None, dt.date(2026, 11, 20)],
                                        index=inv.index)}))
    step.append("Applications", table_frame(APPLICATIONS, {
        "ApplicationID": ["A0000002"], "PostedAt": [pd.Timestamp("2026-11-20 10:00")], "PaymentID": ["P1"],
        "InvoiceID": ["INV-1003"], "AppliedAmount": [100000], "Source": ["Auto"], "Confidence": [97.5]}))
    step.rebuild("Matches", table_frame(MATCHES, {"PaymentID": ["P2", "P3"], "InvoiceID": ["INV-1002", ""],
                                                  "ApplyAmount": [20, 500], "Decision": ["Review", "Unmatched"]}))
    book.apply(step)
    ledger.apply(step)
    save_book(book)
    fresh = open_book(path).load()
    for name in ("Invoices", "Applications", "Matches"):
        pd.testing.assert_frame_equal(ledger.table(name), fresh.table(name), check_index_type=False)
    assert ledger.table("Invoices")["OpenBalance"].tolist() == [0, 20, 100000]
    assert ledger.ids("Applications") == {"A0000001", "A0000002"}


def test_a_currency_filled_in_after_a_status_was_written_scales_the_next_amounts(make_book):
    """The currency of each row is worked out once and kept while arxl writes columns it is not
    read from (a status); a step filling in a payment's blank Currency changes it, and the
    Applications rows posted from that payment afterwards are in yen, not in the base dollars."""
    from arxl.contract import APPLICATIONS
    from arxl.core.frames import table_frame
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES,
                      "Payments": [{"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 20), "PayerName": "ACME",
                                    "Amount": 1234.0}]})
    book = open_book(path)
    ledger = book.load()
    rows = ledger.table("Payments").index
    book.apply(Step(Outcome("")).update("Payments", pd.DataFrame(
        {"MatchStatus": typed_column("text", ["Review"], index=rows)})))
    book.apply(Step(Outcome("")).update("Payments", pd.DataFrame(
        {"Currency": typed_column("text", ["JPY"], index=rows)}), fill_blank=("Currency",)))
    book.apply(Step(Outcome("")).append("Applications", table_frame(APPLICATIONS, {
        "ApplicationID": ["A0000001"], "PostedAt": [pd.Timestamp("2026-11-20 10:00")], "PaymentID": ["P1"],
        "InvoiceID": [""], "AppliedAmount": [1234], "Source": ["Auto"]})))
    save_book(book)
    sheet = openpyxl.load_workbook(path)["Applications"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("AppliedAmount") + 1).value == 1234  # yen have no minor unit
    assert open_book(path).load().table("Applications")["AppliedAmount"].tolist() == [1234]


def _one_payment_book() -> openpyxl.Workbook:
    """Invoices, Customers and Payments as plain sheets: one invoice of Acme's, one payment of it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["InvoiceID", "CustomerID", "InvoiceDate", "Amount"])
    ws.append(["I-1", "C1", dt.date(2026, 10, 1), 100])
    customers = wb.create_sheet("Customers")
    customers.append(["CustomerID", "Name"])
    customers.append(["C1", "Acme"])
    payments = wb.create_sheet("Payments")
    payments.append(["PaymentID", "ReceivedDate", "Amount", "PayerName"])
    payments.append(["P-1", dt.date(2026, 10, 5), 100, "Acme"])
    return wb


def test_a_column_arxl_adds_never_covers_a_clerks_cell_beside_the_table(tmp_path, run):
    wb = _one_payment_book()
    wb["Invoices"].append(["I-2", "C1", dt.date(2026, 10, 2), 200])
    wb["Invoices"]["E3"] = "call back Friday"  # the clerk's note right of the table, where arxl's columns go
    wb.save(tmp_path / "b.xlsx")
    result, _ = run(tmp_path / "b.xlsx", "match", "post")
    assert result.failures["post"] == ("Invoices: arxl needs to add the column Paid to the right of the Invoices "
                                       "table, but cell E3 holds data. Move it and run again.")
    invoices = openpyxl.load_workbook(tmp_path / "b.xlsx")["Invoices"]
    assert invoices["E3"].value == "call back Friday" and invoices["E1"].value is None


@pytest.mark.parametrize("engine", ["package", "openpyxl"])
def test_rows_typed_right_below_an_excel_table_are_named_not_dropped(tmp_path, run, monkeypatch, engine):
    """A payment typed right under the Payments table where Excel did not extend the table (its
    auto-expansion off, a blank row pasted over, a file another program wrote) is outside it:
    arxl names the rows, and reads them once the table covers them."""
    monkeypatch.setenv("ARXL_ENGINE", engine)
    wb = _one_payment_book()
    payments = wb["Payments"]
    payments.add_table(Table(displayName="Payments", ref="A1:D2"))
    payments.append(["P-2", dt.date(2026, 10, 6), "50,00", "Acme"])  # rows 3 and 4: outside the table
    payments.append(["P-3", dt.date(3026, 10, 7), 75, "Acme"])
    payments["A6"] = "a note two rows down, after a blank row: not the table's"
    wb.save(tmp_path / "b.xlsx")
    run(tmp_path / "b.xlsx", "match")
    found = [(r[2], r[3], r[4], r[6]) for r in openpyxl.load_workbook(tmp_path / "b.xlsx")["Exceptions"].iter_rows(
        min_row=2, values_only=True) if r[2] == "Payments"]
    assert found == [("Payments", 3, None, "rows 3 to 4 hold data right below the Payments table, outside it: "
                                            "arxl does not read them")]

    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    wb["Payments"].tables["Payments"].ref = "A1:D4"
    wb.save(tmp_path / "b.xlsx")
    run(tmp_path / "b.xlsx", "match")
    found = {(r[3], r[4]) for r in openpyxl.load_workbook(tmp_path / "b.xlsx")["Exceptions"].iter_rows(
        min_row=2, values_only=True) if r[2] == "Payments"}
    assert found == {(3, "Amount"), (4, "ReceivedDate")}  # read now: the bad cells named
