"""The ground rules through a whole `arxl refresh`: what the clerk owns survives, and every bad
input is listed on the Exceptions sheet with where it is and what to do."""
from __future__ import annotations

import datetime as dt

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.table import Table, TableColumn

from arxl.book.files import open_book
from arxl.cli import main

CUSTOMERS = [
    {"CustomerID": "C001", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": 5000},
    {"CustomerID": "C002", "Name": "Blue Ridge Plumbing LLC", "Terms": "2/10 Net 30", "CreditLimit": 20000},
]
INVOICES = [
    {"InvoiceID": "INV-2026-0101", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 1200.00},
    {"InvoiceID": "INV-2026-0102", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 15), "Amount": 310.55},
    {"InvoiceID": "INV-2026-0103", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 5000.00},
    {"InvoiceID": "INV-2026-0104", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 13), "Amount": 75.10},
]
PAYMENTS = [
    {"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "ACME TOOLS", "Amount": 1200.00,
     "Currency": "USD", "Method": "ACH", "Reference": "=HYPERLINK(\"http://x\",\"INV-2026-0101\")"},
    {"PaymentID": "P2", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "BLUE RIDGE PLUMB", "Amount": 5000.00,
     "Currency": "USD", "Method": "Check", "Reference": "INV 2026-0103"},
]


def _clerk_touches(path):
    """The clerk's own column in Invoices, and a sheet of their own with a table and a chart."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    table = ws.tables["Invoices"]
    last_col = ws.max_column + 1
    ws.cell(1, last_col, "Collector")
    for r, who in ((2, "Maria"), (3, "Maria"), (4, "Ken"), (5, "Ken")):
        ws.cell(r, last_col, who)
    table.ref = f"A1:{openpyxl.utils.get_column_letter(last_col)}5"
    table.tableColumns.append(TableColumn(id=last_col, name="Collector"))
    mine = wb.create_sheet("Collections plan")
    mine.append(["Collector", "Calls", "Promised"])
    mine.append(["Maria", 12, 4500.25])
    mine.append(["Ken", 7, 1200.0])
    mine.add_table(Table(displayName="CollectorPlan", ref="A1:C3"))
    chart = BarChart()
    chart.title = "Calls this week"
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(mine, min_col=1, min_row=2, max_row=3))
    mine.add_chart(chart, "E2")
    wb.save(path)


def test_a_refresh_keeps_the_clerk_s_column_sheet_table_and_chart(make_book):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS})
    _clerk_touches(path)
    assert main(["--quiet", "refresh", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    headers = [c.value for c in ws[1]]
    collector = headers.index("Collector") + 1
    assert [ws.cell(r, collector).value for r in range(2, 6)] == ["Maria", "Maria", "Ken", "Ken"]
    status = headers.index("Status") + 1
    assert ws.cell(2, status).value == "Paid" and ws.cell(3, status).value == "Open"
    mine = wb["Collections plan"]
    assert "CollectorPlan" in mine.tables and len(mine._charts) == 1
    assert [[c.value for c in row] for row in mine["A2:C3"]] == [["Maria", 12, 4500.25], ["Ken", 7, 1200.0]]
    # the remittance that looks like a formula is still text, in Payments and in the Matches evidence
    payments = wb["Payments"]
    ref_col = [c.value for c in payments[1]].index("Reference") + 1
    assert payments.cell(2, ref_col).data_type == "s"
    assert payments.cell(2, ref_col).value.startswith("=HYPERLINK")
    assert all(c.data_type != "f" for row in wb["Matches"].iter_rows() for c in row)


def test_every_kind_of_bad_input_is_listed_on_the_exceptions_sheet(make_book):
    invoices = INVOICES + [
        {"InvoiceID": "INV-2026-0105", "CustomerID": "C001", "InvoiceDate": "11/02/2026", "Amount": 99},
        {"InvoiceID": "INV-2026-0106", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 2), "Amount": "ninety"},
        {"InvoiceID": "INV-2026-0101", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 3), "Amount": 10},
    ]
    path = make_book({"Customers": CUSTOMERS, "Invoices": invoices, "Payments": PAYMENTS},
                     settings={"AgingBuckets": "30,20"})
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    ws.append(["Colour", "blue", ""])  # a setting arxl does not know
    ws.tables["Settings"].ref = f"A1:C{ws.max_row}"
    wb.save(path)
    assert main(["--quiet", "refresh", str(path)]) == 0  # bad rows are reported, not failures
    exceptions = open_book(path).read("Exceptions")
    listed = {(r.Sheet, r.Row, r.Column) for r in exceptions.itertuples()}
    assert ("Invoices", 6, "InvoiceDate") in listed  # a date as odd text
    assert ("Invoices", 7, "Amount") in listed  # text in an amount column
    assert ("Invoices", 2, "InvoiceID") in listed and ("Invoices", 8, "InvoiceID") in listed  # duplicates
    assert any(s == "Settings" and c == "Value" for s, _, c in listed)  # buckets not increasing
    assert any(s == "Settings" and c == "Setting" for s, _, c in listed)  # unknown setting
    assert exceptions["Hint"].str.len().gt(0).all() and exceptions["Problem"].str.len().gt(0).all()
    # nothing is lost: the clerk's rows are all still there, as typed
    ws = openpyxl.load_workbook(path)["Invoices"]
    assert [ws.cell(r, 1).value for r in range(2, 9)] == [r["InvoiceID"] for r in invoices]
    assert ws.cell(6, 3).value == "11/02/2026" and ws.cell(7, 4).value == "ninety"
