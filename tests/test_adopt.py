"""arxl adopt on workbooks made the way clerks make them: a list with the clerk's own headers (in
an Excel table, with a formula column, a customer list and a chart), a list naming customers
with a paid-date column and dirty values, and one in German. Each is adopted, accepted,
refreshed and read back: the Aging against a computation from the clerk's own columns, to the
cent; dirty values reported under the clerk's sheet, row and header; the clerk's cells
(formulas included) untouched; and --undo giving back the workbook the clerk had. Two of them
are workbooks Excel saved (tests/corpus), with a chart and with pivot tables: every part arxl
does not own comes through byte for byte, and --undo gives back the parts it edited."""
from __future__ import annotations

import copy
import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.table import Table
from test_corpus import SHARED_STRINGS, strings
from test_package_store import parts, sheet_part
from test_reliability_limits import check_excel_rules

from arxl.cli import main
from arxl.core.adopt import Sample, header_score, impossible_date, near_duplicates, propose

AS_OF = "2025-04-15"


def cells(path: Path, sheets: list[str] | None = None) -> dict[str, dict[str, tuple[object, str]]]:
    """Every cell of the sheets (value, or formula text, and number format), by sheet."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: {c.coordinate: (c.value, c.number_format) for row in ws.iter_rows() for c in row
                       if c.value is not None}
            for ws in wb.worksheets if sheets is None or ws.title in sheets}


def rows_of(path: Path, sheet: str) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:]]


def cents(value: object) -> int:
    return int(Decimal(str(value).strip()).scaleb(2).to_integral_value())


def expected_aging(path: Path, sheet: str, number: str, issued: str, amount: str, due: str,
                   paid: str | None, as_of: dt.date, skip: set[int]) -> dict[str, tuple[int, int]]:
    """The open invoices as of ``as_of`` computed from the clerk's own columns alone:
    {invoice number: (open cents, days past due)}; ``skip``: sheet rows with values no one
    could read (arxl reports them and leaves them out)."""
    out = {}
    for row, r in enumerate(rows_of(path, sheet), start=2):
        if row in skip or r[issued].date() > as_of:
            continue
        if paid and r[paid] is not None and r[paid].date() <= as_of:
            continue
        out[r[number]] = (cents(r[amount]), (as_of - r[due].date()).days)
    return out


def aging_of(path: Path, sheet: str = "Aging") -> dict[str, tuple[int, int]]:
    return {r["DocID"]: (cents(r["OpenAmount"]), r["DaysPastDue"]) for r in rows_of(path, sheet)}


def exceptions_of(path: Path) -> list[tuple]:
    return [(r["Sheet"], r["Row"], r["Column"], r["Problem"]) for r in rows_of(path, "Exceptions")]


def adopt_and_refresh(path: Path, capsys) -> str:
    assert main(["--quiet", "adopt", str(path), "--accept", "--no-backup"]) == 0
    assert main(["--quiet", "refresh", str(path), "--as-of", AS_OF, "--no-backup"]) == 0
    return capsys.readouterr().out


# ---- the workbooks ------------------------------------------------------------------------

@pytest.fixture(params=["package", pytest.param("openpyxl", marks=pytest.mark.slow)])
def engine(request, monkeypatch) -> str:
    """Each headless engine (ARXL_ENGINE): the package engine, the default, and openpyxl's."""
    monkeypatch.setenv("ARXL_ENGINE", request.param)
    return request.param


@pytest.fixture
def with_names(tmp_path) -> Path:
    """The AR analyst's workbook of the issue: names, no IDs; a Payment Date; dirty values."""
    path = tmp_path / "ar.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoice_Master_Data"
    ws.append(["Invoice Number", "Issue Date", "Customer", "Amount", "Due Date", "Payment Date", "Status"])
    d = dt.datetime
    for r in [
        ("INV-1001", d(2025, 1, 5), "Rossi M.", 1200.50, d(2025, 2, 4), d(2025, 2, 1), "Paid"),
        ("INV-1002", d(2025, 2, 10), "Acme Corp", 830.00, d(2025, 3, 12), None, "Open"),
        ("INV-1003", "29/02/2025", "Acme Corp", 99.99, d(2025, 3, 30), None, "Open"),
        ("INV-1004", d(2025, 3, 1), "Beta Srl", "450.25", d(2025, 3, 31), None, "Open"),
        ("INV-1005", d(2025, 3, 3), "Rossi M", 10.10, d(2025, 4, 2), None, "Open"),
        ("INV-1006", d(2025, 3, 20), "Rossi M.", 2000.00, d(2025, 4, 19), d(2025, 4, 20), "Open"),
        ("INV-1007", d(2025, 1, 20), "Beta Srl", 0.30, d(2025, 2, 19), None, "Open"),
        ("INV-1007", d(2025, 3, 25), "Acme Corp", 70.00, d(2025, 4, 24), None, "Open"),
        ("INV-1008", d(2025, 4, 30), "Acme Corp", 55.00, d(2025, 5, 30), None, "Open"),
    ]:
        ws.append(r)
    for row in range(2, ws.max_row + 1):
        for col in "BEF":
            ws[f"{col}{row}"].number_format = "dd/mm/yyyy"
    analysis = wb.create_sheet("Analysis")
    analysis["A1"], analysis["B1"] = "Billed", "=SUM(Invoice_Master_Data!D2:D10)"
    analysis["A2"], analysis["B2"] = "Unpaid", '=SUMIFS(Invoice_Master_Data!D2:D10,Invoice_Master_Data!F2:F10,"")'
    wb.save(path)
    return path


@pytest.fixture
def own_headers(tmp_path) -> Path:
    """A list in an Excel table with the clerk's headers and a formula column, a customer list
    keyed by account codes, and a chart of the amounts."""
    path = tmp_path / "receivables.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Open items"
    ws.append(["Inv #", "Client", "Inv Date", "Total", "Due", "Days out"])
    d = dt.datetime
    data = [("A-17", "C001", d(2025, 1, 10), 1500.00, d(2025, 2, 9)),
            ("A-18", "C002", d(2025, 2, 14), 249.99, d(2025, 3, 16)),
            ("A-19", "C001", d(2025, 3, 30), 80.05, d(2025, 4, 29)),
            ("A-20", "C003", d(2024, 11, 2), 3200.40, d(2024, 12, 2)),
            ("A-21", "C004", d(2025, 4, 1), 42.00, d(2025, 5, 1))]  # a client not on the list
    for i, r in enumerate(data, start=2):
        ws.append([*r, f'=DATEDIF(C{i},DATE(2025,4,15),"d")'])
    ws.add_table(Table(displayName="tblOpen", ref=f"A1:F{len(data) + 1}"))
    clients = wb.create_sheet("Client list")
    clients.append(["Account", "Customer Name", "Payment Terms", "Credit Limit"])
    for r in [("C001", "Northwind Traders", "Net 30", 5000), ("C002", "Contoso Ltd", "Net 30", 1000),
              ("C003", "Fabrikam Inc", "Net 30", 2000)]:
        clients.append(r)
    dash = wb.create_sheet("Dashboard")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=len(data) + 1), titles_from_data=True)
    dash.add_chart(chart, "B2")
    wb.save(path)
    return path


@pytest.fixture
def german(tmp_path) -> Path:
    path = tmp_path / "offene_posten.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rechnungen"
    ws.append(["Rechnungsnummer", "Rechnungsdatum", "Kunde", "Betrag", "Fälligkeitsdatum", "Bezahlt am"])
    d = dt.datetime
    for r in [("RE-2025-001", d(2025, 1, 8), "Müller GmbH", 1190.00, d(2025, 2, 7), d(2025, 2, 5)),
              ("RE-2025-002", d(2025, 2, 12), "Schmidt AG", 595.50, d(2025, 3, 14), None),
              ("RE-2025-003", d(2025, 3, 5), "Müller GmbH", 2380.19, d(2025, 4, 4), None),
              ("RE-2025-004", d(2025, 4, 1), "Weber KG", 119.00, d(2025, 5, 1), d(2025, 4, 30))]:
        ws.append(r)
    wb.save(path)
    return path


# ---- the rules, on plain values -------------------------------------------------------------

@pytest.mark.parametrize("header,column", [
    ("Invoice No.", "InvoiceID"), ("Inv #", "InvoiceID"), ("Document No.", "InvoiceID"), ("Bill No.", "InvoiceID"),
    ("INVOICE NUMBER", "InvoiceID"), ("Rechnungs-Nr.", "InvoiceID"), ("N° facture", "InvoiceID"),
    ("Nº factura", "InvoiceID"), ("Factuurnummer", "InvoiceID"), ("N. fattura", "InvoiceID"),
    ("Issue Date", "InvoiceDate"), ("Date", "InvoiceDate"), ("Fecha de emisión", "InvoiceDate"),
    ("Client", "CustomerID"), ("Account", "CustomerID"), ("Amount Due", "Amount"), ("Montant TTC", "Amount"),
    ("Date Paid", "PaidDate"), ("Paid On", "PaidDate"), ("Betaald op", "PaidDate"), ("Pagato il", "PaidDate"),
])
def test_the_spellings_clerks_use_name_their_column(header, column):
    assert header_score("Invoices", column, header) == 1.0


def test_a_header_that_is_no_spelling_names_nothing():
    assert header_score("Invoices", "InvoiceID", "Notes") == 0
    assert header_score("Invoices", "Amount", "Subtotal") == 0


def test_impossible_dates_are_told_from_ambiguous_ones():
    assert impossible_date("29/02/2025") and impossible_date("31.04.2025")
    assert not impossible_date("03/04/2025") and not impossible_date("29/02/2024")


def test_names_written_two_ways_are_near_duplicates_and_different_names_are_not():
    pairs = near_duplicates(["Rossi M.", "Acme Corp", "Rossi M", "ACME corp.", "Beta Srl", "Bela Srl"])
    assert [(a, b) for a, b, _ in pairs] == [("Rossi M.", "Rossi M"), ("Acme Corp", "ACME corp.")]


def test_values_decide_between_headers_and_a_sheet_without_invoices_is_no_table():
    d = dt.datetime(2025, 1, 1)
    notes = Sample("Notes", "Notes", ["Date", "Note"], [[d, "called"], [d, "emailed"]])
    invoices = Sample("Sales", "Sales", ["Date", "Invoice", "Customer", "Amount"],
                      [[d, "1", "A", 10.0], [d, "2", "B", "x"], [d, "3", "A", 5.0]])
    proposal = propose([notes, invoices])
    assert proposal.found == {"Invoices": "Sales"}
    amount = next(line for line in proposal.lines if line.column == "Amount")
    assert amount.header == "Amount" and amount.confidence == pytest.approx(66.7)


def test_last_years_invoices_are_not_taken_for_payments():
    d = dt.datetime(2025, 1, 1)
    headers = ["Invoice No.", "Date", "Customer", "Amount"]
    this_year = Sample("2025", "2025", headers, [["1", d, "A", 10.0], ["2", d, "B", 12.0]])
    last_year = Sample("2024", "2024", headers, [["0", d, "A", 9.0]])
    cash = Sample("Cash", "Cash", ["Date Received", "Payer", "Amount"], [[d, "A", 10.0]])
    assert propose([this_year, last_year]).found == {"Invoices": "2025"}
    assert propose([this_year, last_year, cash]).found == {"Invoices": "2025", "Payments": "Cash"}


# ---- whole workbooks --------------------------------------------------------------------------

def test_the_first_run_writes_only_the_column_map(with_names, capsys):
    before = cells(with_names)
    assert main(["--quiet", "adopt", str(with_names), "--no-backup"]) == 0
    after = cells(with_names)
    assert set(after) == set(before) | {"ColumnMap"}
    assert {s: after[s] for s in before} == before
    lines = {(r["Column"]): r for r in rows_of(with_names, "ColumnMap") if r["Table"] == "Invoices"}
    assert {c: lines[c]["Header"] for c in ("InvoiceID", "CustomerID", "InvoiceDate", "Amount", "DueDate",
                                            "PaidDate")} == {
        "InvoiceID": "Invoice Number", "CustomerID": "Customer", "InvoiceDate": "Issue Date", "Amount": "Amount",
        "DueDate": "Due Date", "PaidDate": "Payment Date"}
    assert all(r["Accepted"] == "No" for r in lines.values())
    assert lines["DueDate"]["Confidence"] == 100 and lines["InvoiceID"]["Confidence"] < 100  # a repeated number
    assert "1 typed as text" in lines["InvoiceDate"]["Evidence"]
    assert main(["--quiet", "adopt", str(with_names), "--no-backup"]) == 1  # a second proposal is refused
    assert "ColumnMap already" in capsys.readouterr().out


def test_names_and_a_paid_date_aged_to_the_cent_dirty_values_named_and_undone(with_names, capsys, engine):
    original = cells(with_names)
    adopt_and_refresh(with_names, capsys)
    as_of = dt.date.fromisoformat(AS_OF)
    # row 4: a date no one can read; rows 8 and 9: one invoice number twice
    expected = expected_aging(with_names, "Invoice_Master_Data", "Invoice Number", "Issue Date", "Amount",
                              "Due Date", "Payment Date", as_of, skip={4, 8, 9})
    assert aging_of(with_names) == expected
    assert set(expected) == {"INV-1002", "INV-1004", "INV-1005", "INV-1006"}  # INV-1006 is paid after the day

    found = exceptions_of(with_names)
    sheet = "Invoice_Master_Data"
    assert (sheet, 4, "Issue Date", "a date typed as text, of a day that does not exist") in found
    assert (sheet, 5, "Amount", "an amount typed as text: arxl reads it, but Excel's SUM, pivot tables and charts "
                                "leave it out") in found
    assert {(s, r, c) for s, r, c, p in found if "appears more than once" in p} == {(sheet, 8, "Invoice Number"),
                                                                                   (sheet, 9, "Invoice Number")}
    assert any(s == sheet and r == 6 and c == "Customer" and "look like the same customer" in p
               for s, r, c, p in found)

    customers = {r["CustomerID"]: r["Name"] for r in rows_of(with_names, "Customers")}
    assert customers == {n: n for n in ("Acme Corp", "Beta Srl", "Rossi M", "Rossi M.")}
    invoices = {r["Invoice Number"]: r for r in rows_of(with_names, sheet)}
    assert invoices["INV-1001"]["Status [arxl]"] == "Paid" and invoices["INV-1001"]["OpenBalance [arxl]"] == 0
    assert invoices["INV-1001"]["Status"] == "Paid"  # the clerk's own Status column is theirs
    settings = {r["Setting"]: r["Value"] for r in rows_of(with_names, "Settings")}
    assert settings["BaseCurrency"] == "USD"

    now = cells(with_names)
    assert {c: v for c, v in now[sheet].items() if c[0] <= "G"} == original[sheet]  # the clerk's columns
    assert now["Analysis"] == original["Analysis"]  # formulas as written

    assert main(["--quiet", "adopt", str(with_names), "--undo", "--no-backup"]) == 0
    assert cells(with_names) == original
    assert openpyxl.load_workbook(with_names).sheetnames == ["Invoice_Master_Data", "Analysis"]


def test_own_headers_in_an_excel_table_with_a_customer_list_and_a_chart(own_headers, capsys, engine):
    original = cells(own_headers)
    adopt_and_refresh(own_headers, capsys)
    lines = {(r["Table"], r["Column"]): r for r in rows_of(own_headers, "ColumnMap")}
    assert lines[("Invoices", "InvoiceID")]["Sheet"] == "tblOpen"
    assert lines[("Customers", "CustomerID")]["Header"] == "Account"
    assert lines[("Customers", "Terms")]["Header"] == "Payment Terms"
    expected = expected_aging(own_headers, "Open items", "Inv #", "Inv Date", "Total", "Due", None,
                              dt.date.fromisoformat(AS_OF), skip=set())
    assert aging_of(own_headers) == expected
    names = {r["DocID"]: (r["CustomerName"], r["CreditLimit"]) for r in rows_of(own_headers, "Aging")}
    assert names["A-20"] == ("Fabrikam Inc", 2000) and names["A-21"] == ("(not in Customers)", None)

    wb = openpyxl.load_workbook(own_headers)
    table = wb["Open items"].tables["tblOpen"]
    assert table.ref == "A1:M6"  # the clerk's table grew by arxl's seven [arxl] columns
    assert [c.name for c in table.tableColumns][5:7] == ["Days out", "Paid [arxl]"]
    chart = wb["Dashboard"]._charts[0]
    assert chart.series[0].val.numRef.f == "'Open items'!$D$2:$D$6"
    now = cells(own_headers)
    assert {c: v for c, v in now["Open items"].items() if c[0] <= "F"} == original["Open items"]
    assert now["Client list"] == original["Client list"]  # the clerk's list is theirs to add C004 to
    assert ("Open items", 6, "Client", "customer C004 has open items but is not in Customers") in exceptions_of(
        own_headers)

    assert main(["--quiet", "adopt", str(own_headers), "--undo", "--no-backup"]) == 0
    assert cells(own_headers) == original
    wb = openpyxl.load_workbook(own_headers)
    assert wb["Open items"].tables["tblOpen"].ref == "A1:F6"
    assert len(wb["Dashboard"]._charts) == 1


def test_a_german_workbook(german, capsys):
    original = cells(german)
    with zipfile.ZipFile(german) as z:
        parts = sorted(z.namelist())
    adopt_and_refresh(german, capsys)
    lines = {r["Column"]: r["Header"] for r in rows_of(german, "ColumnMap") if r["Table"] == "Invoices"}
    assert lines["InvoiceID"] == "Rechnungsnummer" and lines["PaidDate"] == "Bezahlt am"
    assert lines["CustomerID"] == "Kunde" and lines["DueDate"] == "Fälligkeitsdatum"
    as_of = dt.date.fromisoformat(AS_OF)
    expected = expected_aging(german, "Rechnungen", "Rechnungsnummer", "Rechnungsdatum", "Betrag",
                              "Fälligkeitsdatum", "Bezahlt am", as_of, skip=set())
    assert aging_of(german) == expected == {"RE-2025-002": (59550, 32), "RE-2025-003": (238019, 11),
                                            "RE-2025-004": (11900, -16)}
    assert not [e for e in exceptions_of(german) if e[0] == "Rechnungen"]
    assert main(["--quiet", "adopt", str(german), "--undo", "--no-backup"]) == 0
    assert cells(german) == original
    with zipfile.ZipFile(german) as z:
        assert sorted(z.namelist()) == parts  # no part of arxl's left behind


@pytest.mark.slow
def test_workbooks_are_adopted_in_worker_processes(german, with_names, capsys):
    """A batch carries the phase of adopt (propose, accept, undo) to its workers by name."""
    books = [str(german), str(with_names)]
    originals = [cells(german), cells(with_names)]
    assert main(["--quiet", "adopt", *books, "--accept", "--no-backup", "--jobs", "2"]) == 0
    assert "2 of 2 workbook(s) done" in capsys.readouterr().out
    assert all("ColumnMap" in openpyxl.load_workbook(b).sheetnames for b in books)
    assert main(["--quiet", "adopt", *books, "--undo", "--no-backup", "--jobs", "2"]) == 0
    assert [cells(german), cells(with_names)] == originals


def test_a_workbook_without_invoices_is_refused_and_left_alone(tmp_path, capsys):
    path = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Call", "Note"])
    wb.save(path)
    before = path.read_bytes()
    assert main(["--quiet", "adopt", str(path), "--accept"]) == 1
    assert "found no list of invoices" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_refresh_on_a_workbook_not_yet_adopted_changes_nothing(with_names, capsys):
    before = with_names.read_bytes()
    assert main(["--quiet", "refresh", str(with_names), "--as-of", AS_OF]) == 1
    assert "run arxl adopt on it" in capsys.readouterr().out
    assert with_names.read_bytes() == before
    assert main(["--quiet", "adopt", str(with_names), "--no-backup"]) == 0
    proposed = with_names.read_bytes()
    assert main(["--quiet", "refresh", str(with_names), "--as-of", AS_OF]) == 1  # the ColumnMap awaits acceptance
    assert with_names.read_bytes() == proposed


def test_a_cash_sheet_of_the_clerks_is_matched_posted_and_its_arxl_columns_undone(tmp_path, capsys):
    path = tmp_path / "cash.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices list"
    ws.append(["Invoice No.", "Date", "Customer", "Amount Due", "Due Date"])
    ws.append(["10045", dt.datetime(2025, 3, 1), "Northwind Traders", 1500.00, dt.datetime(2025, 3, 31)])
    ws.append(["10046", dt.datetime(2025, 3, 5), "Contoso Ltd", 249.99, dt.datetime(2025, 4, 4)])
    cash = wb.create_sheet("Cash received")
    cash.append(["Date Received", "Payer", "Amount", "Reference"])
    cash.append([dt.datetime(2025, 4, 2), "NORTHWIND TRADERS", 1500.00, "INV 10045"])
    wb.save(path)
    original = cells(path)
    adopt_and_refresh(path, capsys)
    received = rows_of(path, "Cash received")[0]
    assert (received["MatchStatus [arxl]"], received["MatchedInvoices [arxl]"]) == ("Posted", "10045")
    assert [r["InvoiceID"] for r in rows_of(path, "Applications")] == ["10045"]
    assert aging_of(path) == {"10046": (24999, 11)}
    assert main(["--quiet", "adopt", str(path), "--undo", "--no-backup"]) == 0
    assert cells(path) == original


def test_a_clerks_sheets_named_like_arxls_stay_the_clerks(tmp_path, capsys, engine):
    """The clerk's list is called Invoices (with their own headers) and they keep an Aging
    sheet of their own: arxl reads the first through the ColumnMap and ages on 'Aging (arxl)',
    whose Excel table grows with the aging run after run."""
    path = tmp_path / "named.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["Invoice No.", "Date", "Client", "Total", "Due Date", "Status"])
    ws.append(["10045", dt.datetime(2025, 3, 1), "Northwind", 1500.00, dt.datetime(2025, 3, 31), "sent"])
    ws.append(["10046", dt.datetime(2025, 4, 10), "Northwind", 200.00, dt.datetime(2025, 5, 10), "draft"])
    mine = wb.create_sheet("Aging")
    mine["A1"], mine["A2"] = "My own aging", "=SUM(Invoices!D2:D3)"
    wb.save(path)
    original = cells(path)
    assert main(["--quiet", "adopt", str(path), "--accept", "--no-backup"]) == 0
    assert main(["--quiet", "refresh", str(path), "--as-of", "2025-04-01", "--no-backup"]) == 0
    assert aging_of(path, "Aging (arxl)") == {"10045": (150000, 1)}
    assert main(["--quiet", "refresh", str(path), "--as-of", AS_OF, "--no-backup"]) == 0
    assert aging_of(path, "Aging (arxl)") == {"10045": (150000, 15), "10046": (20000, -25)}
    tables = openpyxl.load_workbook(path)["Aging (arxl)"].tables
    assert [t.ref.split(":")[1][1:] for t in tables.values()] == ["3"]  # arxl's table holds both rows
    now = cells(path)
    assert now["Aging"] == original["Aging"]
    assert rows_of(path, "Invoices")[0]["Status"] == "sent" and rows_of(path, "Invoices")[0]["Status [arxl]"] == "Open"
    assert main(["--quiet", "adopt", str(path), "--undo", "--no-backup"]) == 0
    assert cells(path) == original


# ---- workbooks Excel saved (tests/corpus), with a chart and with pivot tables ---------------------

CORPUS = Path(__file__).resolve().parent / "corpus"
# What adopting edits besides the clerk's list (its sheet and its Excel table): the list of
# sheets and their relationships, the content types of the new parts, styles for arxl's formats.
# the parts arxl edits when it sets up its tables; the shared strings it only appends to
OWNED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", SHARED_STRINGS}


def rezip(source: Path, target: Path, change) -> None:
    """``source`` written to ``target`` with ``change(parts)`` made (a clerk's typing in Excel),
    every part in its place and order."""
    with zipfile.ZipFile(source) as z:
        infos = z.infolist()
        package = {i.filename: z.read(i) for i in infos}
    change(package)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            z.writestr(info, package[info.filename])


def text(ref: str, value: str, style: str = "") -> str:
    return f'<c r="{ref}"{style} t="inlineStr"><is><t>{value}</t></is></c>'


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


@pytest.fixture
def chart_book(tmp_path) -> tuple[Path, str, dict[str, str]]:
    """chart_bar01.xlsx, whose bar chart plots Sheet1!A1:C5: the clerk typed their invoices
    over its data (a date style added for their dates)."""
    path = tmp_path / "chart.xlsx"
    headers = ["Invoice No.", "Amount", "Qty", "Customer", "Issue Date", "Due Date", "Paid On"]
    d = dt.date
    data = [("A-101", 1200.5, 2, "Northwind Traders", d(2025, 1, 10), d(2025, 2, 9), d(2025, 2, 3)),
            ("A-102", 830, 1, "Contoso Ltd", d(2025, 2, 14), d(2025, 3, 16), None),
            ("A-103", 99.99, 5, "Northwind Traders", d(2025, 3, 30), d(2025, 4, 29), None),
            ("A-104", 450.25, 3, "Fabrikam Inc", d(2024, 11, 2), d(2024, 12, 2), d(2025, 4, 20))]

    def typed(package):
        rows = ['<row r="1" spans="1:7">' + "".join(text(f"{chr(65 + i)}1", h) for i, h in enumerate(headers))
                + "</row>"]
        for r, (number, amount, qty, customer, issued, due, paid) in enumerate(data, start=2):
            cells = [text(f"A{r}", number), f'<c r="B{r}"><v>{amount}</v></c>', f'<c r="C{r}"><v>{qty}</v></c>',
                     text(f"D{r}", customer), f'<c r="E{r}" s="1"><v>{serial(issued)}</v></c>',
                     f'<c r="F{r}" s="1"><v>{serial(due)}</v></c>']
            cells += [f'<c r="G{r}" s="1"><v>{serial(paid)}</v></c>'] if paid else []
            rows.append(f'<row r="{r}" spans="1:7">' + "".join(cells) + "</row>")
        sheet = package["xl/worksheets/sheet1.xml"].decode()
        sheet = re.sub(r"<sheetData>.*</sheetData>", "<sheetData>" + "".join(rows) + "</sheetData>", sheet)
        package["xl/worksheets/sheet1.xml"] = sheet.replace('<dimension ref="A1:C5"/>', '<dimension ref="A1:G5"/>'
                                                            ).encode()
        package["xl/styles.xml"] = package["xl/styles.xml"].replace(
            b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>',
            b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" '
            b'fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>')

    rezip(CORPUS / "chart_bar01.xlsx", path, typed)
    return path, "Sheet1", {"number": "Invoice No.", "issued": "Issue Date", "amount": "Amount", "due": "Due Date",
                            "paid": "Paid On"}


@pytest.fixture
def pivot_book(tmp_path) -> tuple[Path, str, dict[str, str]]:
    """ExcelPivotTableSample.xlsx (Apache POI): a pivot table over Tabelle1!A1:C4 and one over
    the Excel table Tabelle1 (E1:G4). The clerk's list is that table: headed Invoice No., Amount,
    Issue Date, with a Customer column added, its pivot cache refreshed since."""
    path = tmp_path / "pivots.xlsx"
    customers = {2: "Acme Corp", 3: "Beta Srl", 4: "Acme Corp"}
    names = {"Field1": "Invoice No.", "Field2": "Amount", "Field3": "Issue Date"}

    def typed(package):
        sheet = package["xl/worksheets/sheet1.xml"].decode()
        for ref, header in (("E1", "Invoice No."), ("F1", "Amount"), ("G1", "Issue Date")):
            sheet = re.sub(rf'<c r="{ref}" t="s"><v>\d+</v></c>', text(ref, header), sheet)
        sheet = re.sub(r'(<c r="G1".*?</c>)', lambda m: m.group(1) + text("H1", "Customer"), sheet, count=1)
        for r, customer in customers.items():
            sheet = re.sub(rf'<c r="E{r}" t="s"><v>\d+</v></c>', text(f"E{r}", f"INV-{r - 1}"), sheet)
            sheet = re.sub(rf'(<c r="G{r}"[^>]*><v>\d+</v></c>)', lambda m, c=customer, r=r: m.group(1) + text(
                f"H{r}", c), sheet)
        package["xl/worksheets/sheet1.xml"] = sheet.replace('spans="1:7"', 'spans="1:8"').replace(
            '<dimension ref="A1:G4"/>', '<dimension ref="A1:H4"/>').encode()
        table = package["xl/tables/table1.xml"].decode().replace("E1:G4", "E1:H4").replace(
            '<tableColumns count="3">', '<tableColumns count="4">').replace(
            "</tableColumns>", '<tableColumn id="4" name="Customer"/></tableColumns>')
        cache = package["xl/pivotCache/pivotCacheDefinition2.xml"].decode().replace(
            '<s v="x"/><s v="y"/><s v="z"/>', '<s v="INV-1"/><s v="INV-2"/><s v="INV-3"/>')
        for old, new in names.items():
            table, cache = table.replace(f'name="{old}"', f'name="{new}"'), cache.replace(f'name="{old}"', f'name="{new}"')
        package["xl/tables/table1.xml"], package["xl/pivotCache/pivotCacheDefinition2.xml"] = table.encode(), \
            cache.encode()

    rezip(CORPUS / "ExcelPivotTableSample.xlsx", path, typed)
    return path, "Tabelle1", {"number": "Invoice No.", "issued": "Issue Date", "amount": "Amount", "due": "",
                              "paid": ""}


def canonical(data: bytes | etree._Element) -> bytes:
    element = etree.fromstring(data) if isinstance(data, bytes) else copy.deepcopy(data)
    return etree.tostring(element, method="c14n")


def styles_kept(before: bytes, after: bytes) -> list[str]:
    """The lists of the styles part (fonts, cell formats...) whose styles are not all where they
    were (arxl may only add its own after them)."""
    old, new = etree.fromstring(before), etree.fromstring(after)
    moved = []
    for kept in old:
        there = new.find(kept.tag)
        if there is None or [canonical(e) for e in kept] != [canonical(e) for e in list(there)[:len(kept)]]:
            moved.append(etree.QName(kept).localname)
    return moved


@pytest.mark.parametrize("fixture", ["chart_book", "pivot_book"])
def test_an_excel_workbook_is_adopted_with_its_charts_and_pivots_byte_for_byte_and_undone(fixture, request, capsys):
    path, sheet, columns = request.getfixturevalue(fixture)
    original = parts(path)
    clerks = {sheet_part(path, sheet)} | {n for n in original if n.startswith("xl/tables/")}
    kept = {n for n in original if n.startswith(("xl/charts/", "xl/drawings/", "xl/pivot"))}
    assert kept and clerks <= set(original)  # a chart or pivot tables, and their data, to keep
    adopt_and_refresh(path, capsys)
    assert main(["--quiet", "refresh", str(path), "--as-of", AS_OF, "--no-backup"]) == 0
    now = parts(path)
    assert [n for n in original if n not in OWNED | clerks and now.get(n) != original[n]] == []
    check_excel_rules(path)
    as_of = dt.date.fromisoformat(AS_OF)
    expected = expected_aging(path, sheet, columns["number"], columns["issued"], columns["amount"],
                              columns["due"] or columns["issued"], columns["paid"] or None, as_of, skip=set())
    if not columns["due"]:  # no due date: the default terms, Net 30
        expected = {k: (v, days - 30) for k, (v, days) in expected.items()}
    assert aging_of(path) == expected and expected
    assert not [e for e in exceptions_of(path) if e[0] == sheet]

    assert main(["--quiet", "adopt", str(path), "--undo", "--no-backup"]) == 0
    back = parts(path)
    assert set(back) == set(original)
    # the parts arxl edited come back as they were: byte for byte, or, where lxml wrote the XML
    # anew (its namespace declarations before the attributes), the same XML; styles keep theirs
    rewritten = {n for n in original if back[n] != original[n]}
    if fixture == "pivot_book":
        # the fixture's edit left the last of the workbook's own strings referred to by no cell
        # (Excel drops such strings when it saves): they go with arxl's, after the last one a
        # cell refers to; every other string is where it was
        referred = [int(i) for n in back if n.startswith("xl/worksheets/sheet")
                    for i in re.findall(rb'<c\b[^>]*?\bt="s"[^>]*><v>(\d+)</v>', back[n])]
        assert strings(back[SHARED_STRINGS]) == strings(original[SHARED_STRINGS])[:max(referred) + 1]
        rewritten.discard(SHARED_STRINGS)
    # the shared strings are as they were: arxl's, after the clerk's, went with the cells that referred to them
    assert rewritten <= {"xl/styles.xml", "xl/workbook.xml"} | {n for n in clerks if n.startswith("xl/tables/")}
    assert all(canonical(back[n]) == canonical(original[n]) for n in rewritten - {"xl/styles.xml"})
    assert styles_kept(original["xl/styles.xml"], back["xl/styles.xml"]) == []
    assert back[sheet_part(path, sheet)] == original[sheet_part(path, sheet)]


def test_undo_leaves_a_sheet_of_the_clerks_a_line_was_pointed_at(with_names, capsys):
    """The clerk points the Settings line at their own Config sheet: arxl reads its settings
    there, and --undo leaves it as it is."""
    wb = openpyxl.load_workbook(with_names)
    config = wb.create_sheet("Config")
    config.append(["Setting", "Value"])
    config.append(["BaseCurrency", "EUR"])
    wb.save(with_names)
    original = cells(with_names)
    assert main(["--quiet", "adopt", str(with_names), "--no-backup"]) == 0
    wb = openpyxl.load_workbook(with_names)
    column_map = wb["ColumnMap"]
    headers = [c.value for c in column_map[1]]
    for row in column_map.iter_rows(min_row=2):
        if row[headers.index("Table")].value == "Settings":
            row[headers.index("Sheet")].value = "Config"
    wb.save(with_names)
    capsys.readouterr()
    adopt_and_refresh(with_names, capsys)
    assert "Settings" not in openpyxl.load_workbook(with_names).sheetnames  # the clerk's Config serves
    assert {r["Currency"] for r in rows_of(with_names, "Aging")} == {"EUR"}
    assert main(["--quiet", "adopt", str(with_names), "--undo", "--no-backup"]) == 0
    assert "left the sheets Config as they are" in capsys.readouterr().out
    assert cells(with_names) == original
