"""Reliability, bad values (issue 12): money by each currency's own minor units, text amounts by
one stated decimal-separator rule, numbers too large to be money, dates inside the stated range,
ledgers numbered against every row, clerk text carried as text. Each case is a workbook written,
run and read back cell by cell; each is an attack of the category "bad values"."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import TableColumn

from arxl.book.files import open_book

pytestmark = pytest.mark.attack("bad values")
D = dt.date
REFRESH = ("match", "post", "memos", "aging")


def cells(path, sheet: str) -> list[dict]:
    """The sheet's rows as {header: cell value}, as Excel would show them (no arxl reading)."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def problems(path) -> list[tuple]:
    """(sheet, row, column, problem) of every Exceptions row."""
    return [(r["Sheet"], r["Row"], r["Column"], r["Problem"]) for r in cells(path, "Exceptions")]


def problem_at(path, sheet: str, row: int, column: str) -> str:
    found = [p for s, r, c, p in problems(path) if (s, r, c) == (sheet, row, column)]
    assert found, f"no Exception at {sheet} row {row} column {column}: {problems(path)}"
    return found[0]


def customer(cid: str, currency: str = "", **more) -> dict:
    return {"CustomerID": cid, "Name": f"Customer {cid}", "Currency": currency, **more}


def invoice(iid: str, cid: str, amount, **more) -> dict:
    return {"InvoiceID": iid, "CustomerID": cid, "InvoiceDate": D(2026, 11, 1), "Amount": amount, **more}


def payment(pid: str, amount, currency: str = "", **more) -> dict:
    return {"PaymentID": pid, "ReceivedDate": D(2026, 11, 9), "PayerName": "SOMEONE", "Amount": amount,
            "Currency": currency, **more}


# ---- money by the currency's own minor units ----------------------------------------------------

def test_kwd_keeps_its_three_decimals_from_cell_to_ledger_and_back(make_book, run):
    path = make_book({"Customers": [customer("K1", "KWD")],
                      "Invoices": [invoice("KI-1", "K1", 12.345), invoice("KI-2", "K1", 100.001)],
                      "Payments": [payment("P1", 12.345, "KWD", ApplyTo="KI-1"),
                                   payment("P2", 60.5, "KWD", ApplyTo="KI-2=50.125; ON ACCOUNT")]})
    result, _ = run(path, "post")
    assert result.ok, result.failures
    apps = {(a["PaymentID"], a["InvoiceID"]): a["AppliedAmount"] for a in cells(path, "Applications")}
    assert apps == {("P1", "KI-1"): 12.345, ("P2", "KI-2"): 50.125, ("P2", None): 10.375}
    invoices = {i["InvoiceID"]: (i["Paid"], i["OpenBalance"]) for i in cells(path, "Invoices")}
    assert invoices == {"KI-1": (12.345, 0), "KI-2": (50.125, 49.876)}
    assert open_book(path).read("Invoices")["Amount"].tolist() == [12345, 100001]  # minor units of KWD


def test_jpy_has_no_decimals_and_a_fraction_of_a_yen_is_refused(make_book, run):
    path = make_book({"Customers": [customer("J1", "JPY")],
                      "Invoices": [invoice("JI-1", "J1", 150000), invoice("JI-2", "J1", 1000.50)],
                      "Payments": [payment("P1", 150000, "JPY", ApplyTo="JI-1"),
                                   payment("P2", 1000.50, "JPY", ApplyTo="JI-1")]})
    run(path, "post")
    assert "JPY" in problem_at(path, "Invoices", 3, "Amount")
    assert "decimal" in problem_at(path, "Payments", 3, "Amount")
    assert [(a["PaymentID"], a["AppliedAmount"]) for a in cells(path, "Applications")] == [("P1", 150000)]
    assert {i["InvoiceID"]: i["Paid"] for i in cells(path, "Invoices")}["JI-1"] == 150000


YEN_WITH_CENTS = {"Customers": [customer("J1", "JPY")],
                  "Invoices": [invoice("JI-1", "J1", 14240.26), invoice("JI-2", "J1", 3000.5),
                               invoice("JI-3", "J1", 1200.75), invoice("JI-4", "J1", 5000)],
                  "Payments": [payment("P1", 14240.26, "JPY", ApplyTo="JI-1"),
                               payment("P2", 1000.25, "JPY", ApplyTo="JI-2")]}


def test_yen_an_erp_keeps_to_the_cent_is_read_so_and_said_once(make_book, run):
    """Three of four JPY invoices show cents: the books keep yen to the hundredth (as some ERPs
    export them), and arxl reads them so, exactly, saying it once; nothing refused or rounded."""
    path = make_book(YEN_WITH_CENTS)
    result, _ = run(path, "post", "aging")
    assert result.ok, result.failures
    assert [(s, r, c) for s, r, c, _ in problems(path)] == [("Invoices", 2, "Amount")]
    assert "JPY amounts are read to the cent in this workbook, as 3 of its 4 JPY invoices" in \
        problem_at(path, "Invoices", 2, "Amount")
    assert [(a["PaymentID"], a["AppliedAmount"]) for a in cells(path, "Applications")] == [
        ("P1", 14240.26), ("P2", 1000.25)]
    assert {i["InvoiceID"]: i["OpenBalance"] for i in cells(path, "Invoices")} == {
        "JI-1": 0, "JI-2": 2000.25, "JI-3": 1200.75, "JI-4": 5000}
    assert {a["DocID"]: a["OpenAmount"] for a in cells(path, "Aging")} == {
        "JI-2": 2000.25, "JI-3": 1200.75, "JI-4": 5000}
    assert open_book(path).read("Invoices")["Amount"].tolist() == [1424026, 300050, 120075, 500000]


@pytest.mark.parametrize("setting, noted, refused", [("JPY 2", False, False), ("JPY 0", False, True)])
def test_currency_decimals_in_settings_say_how_the_books_keep_a_currency(make_book, run, setting, noted, refused):
    path = make_book(YEN_WITH_CENTS, settings={"CurrencyDecimals": setting})
    run(path, "post")
    said = [p for s, r, c, p in problems(path) if "read to the cent" in p]
    assert bool(said) == noted
    assert [r for s, r, c, p in problems(path) if s == "Invoices" and "decimals" in p] == ([2, 3, 4] if refused else [])
    assert [a["PaymentID"] for a in cells(path, "Applications")] == ([] if refused else ["P1", "P2"])


def test_a_usd_amount_with_a_third_decimal_is_refused_not_rounded(make_book, run):
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-1", "C1", 200.005), invoice("I-2", "C1", 200.25)]})
    run(path, "aging")
    assert "USD" in problem_at(path, "Invoices", 2, "Amount")
    assert [a["DocID"] for a in cells(path, "Aging")] == ["I-2"]


def test_currency_of_a_row_follows_the_stated_rule(make_book, run):
    """Invoices: own Currency, else the customer's, else BaseCurrency; Payments: own, else base;
    Customers.CreditLimit: the customer's own."""
    path = make_book({"Customers": [customer("K1", "KWD", CreditLimit=1000.125), customer("U1")],
                      "Invoices": [invoice("KI-1", "K1", 5.125), invoice("UI-1", "U1", 5.125),
                                   invoice("JI-1", "K1", 700, Currency="JPY"),
                                   invoice("JI-2", "K1", 700.5, Currency="JPY")],
                      "Payments": [payment("P1", 1.125), payment("P2", 1.125, "BHD")]},
                     settings={"BaseCurrency": "USD"})
    run(path, "aging")
    assert [(s, r, c) for s, r, c, _ in problems(path)] == [
        ("Invoices", 3, "Amount"), ("Invoices", 5, "Amount"), ("Payments", 2, "Amount")]
    book = open_book(path)
    assert book.read("Customers")["CreditLimit"].tolist()[0] == 1000125  # minor units of KWD
    assert {(a["DocID"], a["Currency"]): a["OpenAmount"] for a in cells(path, "Aging")
            if a["DocType"] == "Invoice"} == {("KI-1", "KWD"): 5.125, ("JI-1", "JPY"): 700}
    assert {a["DocID"]: a["CreditLimit"] for a in cells(path, "Aging")}["KI-1"] == 1000.125


def test_text_amounts_follow_the_decimal_separator_setting_or_are_refused(make_book, run):
    rows = {"Customers": [customer("C1")],
            "Invoices": [invoice("I-1", "C1", "1.234,56"), invoice("I-2", "C1", "50,00"),
                         invoice("I-3", "C1", "1,234.50"), invoice("I-4", "C1", "1 234,5")]}
    point = make_book(rows, name="point.xlsx")
    run(point, "aging")
    assert [r for s, r, c, _ in problems(point) if c == "Amount"] == [2, 3, 5]
    assert "DecimalSeparator" in problem_at(point, "Invoices", 3, "Amount")
    assert {a["DocID"]: a["OpenAmount"] for a in cells(point, "Aging")} == {"I-3": 1234.5}

    comma = make_book(rows, settings={"DecimalSeparator": ","}, name="comma.xlsx")
    run(comma, "aging")
    assert [r for s, r, c, _ in problems(comma) if c == "Amount"] == [4]
    assert {a["DocID"]: a["OpenAmount"] for a in cells(comma, "Aging")} == {
        "I-1": 1234.56, "I-2": 50, "I-4": 1234.5}


@pytest.mark.parametrize("amount", [1e18, 1e308, "1e30", 10_000_000_000_000.0])
def test_numbers_too_large_to_be_money_are_exceptions(make_book, run, amount):
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-1", "C1", amount), invoice("I-2", "C1", 10)],
                      "Payments": [payment("P1", amount), payment("P2", 10, ApplyTo="I-2")]})
    result, _ = run(path, *REFRESH)
    assert result.ok, result.failures
    problem_at(path, "Invoices", 2, "Amount")
    problem_at(path, "Payments", 2, "Amount")
    assert [a["AppliedAmount"] for a in cells(path, "Applications")] == [10]


def test_apply_to_and_quantity_too_large_are_exceptions(make_book, run):
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-1", "C1", 100)],
                      "Payments": [payment("P1", 100, ApplyTo="I-1=1e30"), payment("P2", 100, ApplyTo="I-1=99.999")],
                      "MemoRequests": [{"RequestID": "R1", "CustomerID": "C1", "Kind": "Credit", "Type": "Product",
                                        "Quantity": 1e300, "UnitPrice": 10.0}]})
    result, _ = run(path, *REFRESH)
    assert result.ok, result.failures
    assert "ApplyTo" in problem_at(path, "Payments", 2, "ApplyTo")
    assert "ApplyTo" in problem_at(path, "Payments", 3, "ApplyTo")
    problem_at(path, "MemoRequests", 2, "Quantity")
    assert cells(path, "Memos") == [] and cells(path, "Applications") == []


def test_write_off_tolerance_is_in_each_currencys_own_units(make_book, run):
    """WriteOffTolerance 5.00 lets 5 KWD go, not 5.001 KWD (nor 500 yen)."""
    path = make_book({"Customers": [customer("K1", "KWD", Aliases="KUWAIT TRADING"),
                                    customer("J1", "JPY", Aliases="TOKYO TRADING")],
                      "Invoices": [invoice("KI-1", "K1", 100.000), invoice("KI-2", "K1", 100.000),
                                   invoice("JI-1", "J1", 10000)],
                      "Payments": [payment("P1", 94.999, "KWD", PayerName="KUWAIT TRADING", Reference="KI-1"),
                                   payment("P2", 95.001, "KWD", PayerName="KUWAIT TRADING", Reference="KI-2"),
                                   payment("P3", 9600, "JPY", PayerName="TOKYO TRADING", Reference="JI-1")]},
                     settings={"WriteOffTolerance": "5.00"})
    run(path, "match")
    write_offs = {m["PaymentID"]: m["WriteOff"] or 0 for m in cells(path, "Matches") if m["InvoiceID"]}
    assert write_offs == {"P1": 0, "P2": 4.999, "P3": 0}


# ---- dates inside 1900-01-01 .. 2199-12-31 -------------------------------------------------------

def test_dates_outside_the_range_are_exceptions_and_never_wrap(make_book, run):
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-1", "C1", 100, InvoiceDate=D(3026, 10, 1)),
                                   invoice("I-2", "C1", 100, DueDate=D(9999, 12, 31)),
                                   invoice("I-3", "C1", 100, InvoiceDate="3026-10-01"),
                                   invoice("I-4", "C1", 100, InvoiceDate="1899-12-31"),
                                   invoice("I-5", "C1", 100, DueDate=D(2199, 12, 31))]})
    result, _ = run(path, "aging")
    assert result.ok, result.failures
    for row, column in ((2, "InvoiceDate"), (3, "DueDate"), (4, "InvoiceDate"), (5, "InvoiceDate")):
        assert "2199-12-31" in problem_at(path, "Invoices", row, column)
    assert not [p for p in problems(path) if "before" in p[3]]
    assert [(a["DocID"], a["DueDate"]) for a in cells(path, "Aging")] == [("I-5", dt.datetime(2199, 12, 31))]


def test_an_as_of_date_outside_the_range_is_a_settings_problem(make_book, run):
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("I-1", "C1", 100)]},
                     settings={"AsOfDate": D(3026, 1, 1)})
    result, _ = run(path, "aging")
    assert result.ok, result.failures
    assert "2199-12-31" in problem_at(path, "Settings", 2, "Value")


# ---- ledgers stay whole ----------------------------------------------------------------------------

def test_post_refuses_to_run_while_an_applications_row_is_unreadable(make_book, run):
    app = {"ApplicationID": "A0000002", "PostedAt": dt.datetime(2026, 11, 10, 9), "PaymentID": "P1",
           "InvoiceID": "I-1", "CustomerID": "C1", "AppliedAmount": "a hundred", "Source": "Override"}
    first = dict(app, ApplicationID="A0000001", PaymentID="P0", InvoiceID="I-0", AppliedAmount=5)
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-0", "C1", 5), invoice("I-1", "C1", 100)],
                      "Payments": [payment("P0", 5), payment("P1", 100, ApplyTo="I-1"),
                                   payment("P2", 100, ApplyTo="ON ACCOUNT")],
                      "Applications": [first, app]})
    result, _ = run(path, "post")
    assert "Applications" in result.failures["post"] and "row 3" in result.failures["post"]
    assert [a["ApplicationID"] for a in cells(path, "Applications")] == ["A0000001", "A0000002"]


def test_blank_payment_ids_are_numbered_past_every_row_even_skipped_ones(make_book, run):
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("I-1", "C1", 100)],
                      "Payments": [payment("P000001", 10), payment("P000002", 20, ReceivedDate="last Tuesday"),
                                   payment("", 30), payment("", 40)]})
    run(path, "match")
    assert [p["PaymentID"] for p in cells(path, "Payments")] == ["P000001", "P000002", "P000003", "P000004"]
    problem_at(path, "Payments", 3, "ReceivedDate")


def test_application_ids_follow_every_row_of_the_ledger_even_an_unread_one(make_book, run):
    """An ApplicationID in a row arxl cannot read (a formula in its ID cell) still counts."""
    path = make_book({"Customers": [customer("C1")],
                      "Invoices": [invoice("I-0", "C1", 5), invoice("I-1", "C1", 100)],
                      "Payments": [payment("P0", 5), payment("P1", 100, ApplyTo="I-1")],
                      "Applications": [{"ApplicationID": "A0000001", "PostedAt": dt.datetime(2026, 11, 10, 9),
                                        "PaymentID": "P0", "InvoiceID": "I-0", "CustomerID": "C1",
                                        "AppliedAmount": 5, "Source": "Override"}]})
    run(path, "post")
    run(path, "post")  # nothing new: numbering never repeats
    ids = [a["ApplicationID"] for a in cells(path, "Applications")]
    assert ids == ["A0000001", "A0000002"] and len(set(ids)) == len(ids)


# ---- text stays text ---------------------------------------------------------------------------------

def test_a_clerks_note_carried_through_a_rebuilt_table_stays_text(make_book, run):
    path = make_book({"Customers": [customer("C1", Aliases="ACME")],
                      "Invoices": [invoice("I-1", "C1", 100), invoice("I-2", "C1", 200)],
                      "Payments": [payment("P1", 100, PayerName="ACME", Reference="I-1"),
                                   payment("P2", 200, PayerName="ACME", Reference="I-2")]})
    run(path, "match")
    wb = openpyxl.load_workbook(path)
    ws = wb["Matches"]
    assert [ws.cell(r, 1).value for r in (2, 3)] == ["P1", "P2"]
    note = ws.max_column + 1
    ws.cell(1, note, "Note")
    ws.tables["Matches"].ref = f"A1:{get_column_letter(note)}3"
    ws.tables["Matches"].tableColumns.append(TableColumn(id=note, name="Note"))
    ws.cell(3, note).value = "=> call P2 customer"
    ws.cell(3, note).data_type = "s"  # typed as text, as Excel keeps a cell formatted as text
    payments = wb["Payments"]
    action = [c.value for c in payments[1]].index("Action") + 1
    payments.cell(2, action, "Reverse")  # P1 leaves Matches: P2's row moves up
    wb.save(path)
    run(path, "match")
    ws = openpyxl.load_workbook(path)["Matches"]
    header = [c.value for c in ws[1]]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["P2"]
    moved = ws.cell(2, header.index("Note") + 1)
    assert moved.value == "=> call P2 customer" and moved.data_type == "s"


def test_rows_naming_a_payment_numbered_in_the_same_run_take_its_currency(make_book, run):
    """Matches rows follow their payment's currency even when match numbered the payment just now."""
    path = make_book({"Customers": [customer("K1", "KWD", Aliases="KUWAIT TRADING")],
                      "Invoices": [invoice("KI-1", "K1", 5.000)],
                      "Payments": [payment("", 12.345, "KWD", PayerName="KUWAIT TRADING", Reference="no invoice")]})
    run(path, "match")
    (pay,) = cells(path, "Payments")
    rows = [(m["PaymentID"], m["InvoiceID"], m["ApplyAmount"]) for m in cells(path, "Matches")]
    assert pay["PaymentID"] == "P000001" and sum(a or 0 for _, _, a in rows) == pytest.approx(12.345)
    assert all(p == "P000001" for p, _, _ in rows)


# What clerks and attackers typed into every column a clerk types in: nothing of it may stop a
# refresh (a CreditLimit of 0, "Net" with a number past any calendar, a payment naming an invoice
# of a customer we do not know each did).
MISTYPED = [0, -1, -100.5, 1e15, "", " ", "abc", "=1/0", "12,34", "1.234,56", "31/12/2026", dt.datetime(1899, 1, 1),
            dt.datetime(2400, 1, 1), "x" * 40000, "Ωμέγα №5", True, "Yes", "n/a", "-", "0", "C1001", "INV-2026-000001"]


def _typed_columns() -> list[tuple[str, str]]:
    from arxl.contract import Owner, Role, spec

    typed = [(name, c.name) for name in ("Customers", "Invoices", "Payments", "Contacts", "MemoRequests", "Settings")
             for c in spec(name).columns if c.owner == Owner.CLERK]
    return typed + [(name, c.name) for name in ("Matches", "Disputes", "LearnedPayers") for c in spec(name).columns
                    if spec(name).role == Role.OUTPUT and c.name in ("Decision", "ApplyAmount", "CustomerID",
                                                                     "InvoiceID", "Resolution", "ResolutionAmount")]


@pytest.fixture(scope="module")
def refreshed_demo(tmp_path_factory):
    """The small demo once refreshed: Matches, Disputes and LearnedPayers to type in."""
    from reliability import small_demo

    from arxl.cli import work_book
    from arxl.commands.registry import REFRESH as ALL

    path = small_demo(tmp_path_factory.mktemp("refreshed"))
    work_book(path, list(ALL), as_of=None, output=None, backup=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sheet,column", _typed_columns())
def test_nothing_typed_in_a_column_stops_a_refresh(tmp_path, refreshed_demo, sheet, column):
    import shutil

    from arxl.cli import work_book
    from arxl.commands.registry import REFRESH as ALL

    path = tmp_path / "book.xlsx"
    shutil.copy(refreshed_demo, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    at = [c.value for c in ws[1]].index(column) + 1 if column in [c.value for c in ws[1]] else None
    if at is None:
        pytest.skip(f"the demo's {sheet} has no {column} column")
    for row, value in zip(range(2, ws.max_row + 1, 3), MISTYPED):
        ws.cell(row, at).value = value
    wb.save(path)
    result, summary = work_book(path, list(ALL), as_of=None, output=None, backup=False)
    assert "unexpected error" not in summary
    assert {cid for cid in ALL} == set(result.outcomes) | set(result.failures)


def test_an_application_to_an_invoice_whose_row_cannot_be_read_says_so(make_book, run):
    """Once posted, the invoice's amount mistyped: the application is not called one to an
    invoice that does not exist (the clerk would add it again), but waits on that row."""
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("I-1", "C1", 100), invoice("I-2", "C1", 50)],
                      "Payments": [payment("P1", 100, ApplyTo="I-1")]})
    result, _ = run(path, "post")
    assert result.ok, result.failures
    wb = openpyxl.load_workbook(path)
    ws = wb["Invoices"]
    ws.cell(2, [c.value for c in ws[1]].index("Amount") + 1).value = "1.234,56"
    wb.save(path)
    run(path, "aging")
    said = problem_at(path, "Applications", 2, "InvoiceID")
    assert "the row of I-1 in Invoices could not be read" in said and "neither an invoice" not in said
