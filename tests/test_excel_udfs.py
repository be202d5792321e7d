"""The ARXL_ worksheet functions, called as plain functions with what xlwings hands them (a
range as rows of values: floats, datetimes, text, None), must give the answers the headless
commands wrote into the same workbook."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.settings import Settings
from arxl.excel import udfs

VBA = Path(__file__).resolve().parents[1] / "vba"
AS_OF = dt.date(2026, 11, 20)
AUTO = Settings().auto_apply_confidence  # the test workbook keeps the default

ROWS = {
    "Customers": [
        {"CustomerID": "C100", "Name": "Acme Industrial Supply Inc", "Terms": "2/10 Net 30", "Aliases": "ACME IND"},
        {"CustomerID": "C200", "Name": "Globex Corporation", "Terms": "Net 30 EOM"},
        {"CustomerID": "C300", "Name": "Initech LLC", "Terms": "10th Prox"},
        {"CustomerID": "C400", "Name": "Umbrella Health Partners", "Terms": ""},
    ],
    "Invoices": [
        {"InvoiceID": "INV-1001", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 11, 10), "Amount": 1000.00},
        {"InvoiceID": "INV-1002", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 7, 2), "Amount": 450.25},
        {"InvoiceID": "INV-2001", "CustomerID": "C200", "InvoiceDate": dt.date(2026, 9, 14), "Amount": 7310.10},
        {"InvoiceID": "INV-2002", "CustomerID": "C200", "InvoiceDate": dt.date(2026, 10, 30), "Amount": 120.00},
        {"InvoiceID": "INV-3001", "CustomerID": "C300", "InvoiceDate": dt.date(2026, 10, 20), "Amount": 2500.00,
         "DueDate": dt.date(2026, 11, 30)},
        {"InvoiceID": "INV-3002", "CustomerID": "C300", "InvoiceDate": dt.date(2026, 3, 5), "Amount": 88.88},
        {"InvoiceID": "INV-4001", "CustomerID": "C400", "InvoiceDate": dt.date(2026, 6, 1), "Amount": 15000.00},
    ],
    "Payments": [
        {"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 15), "PayerName": "ACME INDUSTRIAL SUP",
         "Amount": 980.00, "Reference": "INV-1001 LESS 2% DISC"},
        {"PaymentID": "P2", "ReceivedDate": dt.date(2026, 11, 16), "PayerName": "GLOBEX CORP",
         "Amount": 7430.10, "Reference": "PMT INV 2001 AND 2002"},
        {"PaymentID": "P3", "ReceivedDate": dt.date(2026, 11, 17), "PayerName": "UMBRELLA HEALTH",
         "Amount": 15000.00, "Reference": ""},
        {"PaymentID": "P4", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "INITECH",
         "Amount": 2500.00, "Reference": "INVOICE 3001"},
    ],
}


def grid(book_path, table: str) -> list[list]:
    """A table with its headers as xlwings passes ``Table[#All]`` to a UDF: numbers as floats,
    dates as datetimes, blanks as None."""
    wb = openpyxl.load_workbook(book_path)
    for ws in wb.worksheets:
        if table in ws.tables:
            c1, r1, c2, r2 = range_boundaries(ws.tables[table].ref)
            return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
                    for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2, values_only=True)]
    raise KeyError(table)


def column(values) -> list[list]:
    return [[v] for v in values]


def cells(answer: list[list]) -> list:
    return [row[0] for row in answer]


@pytest.fixture
def refreshed(make_book, run):
    path = make_book(rows=ROWS, settings={"AsOfDate": AS_OF})
    result, book = run(path, "match", "aging")
    assert result.ok
    return path, book


def test_days_past_due_and_bucket_are_the_aging_tables(refreshed):
    path, book = refreshed
    aging = book.read("Aging")
    invoices = aging[aging["DocType"] == "Invoice"]
    assert len(invoices) >= 6
    settings = grid(path, "Settings")
    due = column(d.to_pydatetime() for d in invoices["DueDate"])
    assert cells(udfs.ARXL_DAYSPASTDUE(due, None, settings)) == invoices["DaysPastDue"].tolist()
    assert cells(udfs.ARXL_BUCKET(due, None, settings)) == invoices["Bucket"].tolist()
    assert {"Current", "Over 120"} <= set(invoices["Bucket"])  # the comparison spans the buckets


def test_buckets_follow_the_settings_limits_and_an_explicit_as_of_date():
    settings = [["Setting", "Value"], ["AgingBuckets", "15,45"], ["AsOfDate", dt.datetime(2026, 1, 1)]]
    dates = column([dt.datetime(2026, 11, 1), dt.datetime(2026, 10, 1), dt.datetime(2026, 12, 1)])
    assert cells(udfs.ARXL_BUCKET(dates, dt.datetime(2026, 11, 20), settings)) == ["16-45", "Over 45", "Current"]
    assert cells(udfs.ARXL_DAYSPASTDUE(dates, None, settings)) == [-304, -273, -334]


def test_due_dates_from_terms_are_the_aging_tables(refreshed):
    path, book = refreshed
    aging = book.read("Aging").set_index("DocID")
    invoices = book.read("Invoices")
    terms = dict(zip(book.read("Customers")["CustomerID"], book.read("Customers")["Terms"]))
    no_due = invoices[invoices["DueDate"].isna()]
    answer = udfs.ARXL_DUEDATE(column(d.to_pydatetime() for d in no_due["InvoiceDate"]),
                               column(terms[c] or None for c in no_due["CustomerID"]), grid(path, "Settings"))
    expected = [aging.loc[i, "DueDate"].date() for i in no_due["InvoiceID"]]
    assert cells(answer) == expected
    assert len(set(terms.values())) == 4  # 2/10 Net 30, Net 30 EOM, 10th Prox and the default


def test_discount_is_the_one_matching_granted(refreshed):
    path, book = refreshed
    matches = book.read("Matches")
    [row] = matches[matches["InvoiceID"] == "INV-1001"].itertuples()
    assert row.Discount == 2000  # 2% of 1,000.00 taken on day 5 of 10
    answer = udfs.ARXL_DISCOUNT([[1000.0]], [[dt.datetime(2026, 11, 10)]],
                                column([dt.datetime(2026, 11, 15), dt.datetime(2026, 11, 21)]),
                                [["2/10 Net 30"]], grid(path, "Settings"))
    assert cells(answer) == [20.0, 0.0]  # lapsed after day 10


def test_payer_names_find_the_customers_matching_found(refreshed):
    path, book = refreshed
    matches = book.read("Matches").drop_duplicates("PaymentID").set_index("PaymentID")
    payments = book.read("Payments")
    found = cells(udfs.ARXL_CUSTOMER(column(payments["PayerName"]), grid(path, "Customers")))
    assert found == [matches.loc[p, "CustomerID"] for p in payments["PaymentID"]]
    assert cells(udfs.ARXL_CUSTOMER([["NOBODY WE KNOW LTD"]], grid(path, "Customers"))) == [""]


def test_match_gives_the_rows_the_match_button_proposed(refreshed):
    path, book = refreshed
    matches = book.read("Matches")
    invoices, customers, settings = grid(path, "Invoices"), grid(path, "Customers"), grid(path, "Settings")
    assert matches["InvoiceID"].ne("").sum() >= 5  # every payment found its invoice(s)
    for pay in book.read("Payments").itertuples():
        proposed = matches[(matches["PaymentID"] == pay.PaymentID) & (matches["InvoiceID"] != "")]
        answer = udfs.ARXL_MATCH(pay.Reference or None, pay.PayerName, float(pay.Amount) / 100, invoices,
                                 customers, pay.ReceivedDate.to_pydatetime(), settings)
        # the same invoices and amounts; the Confidence weighed on this one remittance (the button
        # weighs the whole batch) on the same side of AutoApplyConfidence
        assert [[i, a, c >= AUTO] for i, a, c in answer] == [
            [r.InvoiceID, int(r.ApplyAmount) / 100, r.Confidence >= AUTO] for r in proposed.itertuples()], pay.PaymentID
    assert udfs.ARXL_MATCH("", "NOBODY", 12.34, invoices, customers, None, settings) == [["no invoice found", None, None]]


def test_a_cell_that_cannot_be_read_answers_with_its_problem_and_the_rest_still_compute():
    answer = udfs.ARXL_DAYSPASTDUE(column([dt.datetime(2026, 11, 1), "last week", None, 60.0, "2026-11-30", True]),
                                   dt.datetime(2026, 11, 20))
    assert cells(answer) == [19, "not a date", None, "29 February 1900, a day that never was", -10, "not a date"]
    assert cells(udfs.ARXL_DUEDATE([[dt.datetime(2026, 1, 1)]], [["sometime soon"]])) == \
        ["terms 'sometime soon' not understood"]


def test_ranges_of_different_sizes_are_explained():
    answer = udfs.ARXL_DUEDATE(column([dt.datetime(2026, 1, 1)] * 3), column(["Net 30"] * 2))
    assert answer == [["the ranges given have different sizes; give ranges of one size, or single cells"]]


def test_a_table_without_its_required_columns_is_explained():
    [[message]] = udfs.ARXL_CUSTOMER([["ACME"]], [["CustomerID"], ["C100"]])
    assert "lacks the required column(s) Name" in message


def test_an_argument_that_cannot_be_read_as_a_whole_gives_one_answer_saying_why():
    assert udfs.ARXL_BUCKET([[dt.datetime(2026, 1, 1)]], "soon") == [["not a date"]]


def test_customer_knows_a_payer_by_the_bank_account_on_file_before_the_name():
    customers = [["CustomerID", "Name", "BankAccounts"],
                 ["C100", "Acme Tools Inc.", "DE89370400440532013000"],
                 ["C200", "Blue Ridge Plumbing LLC", "021000021-4455667788; GB33BUKB20201555555555"]]
    assert udfs.ARXL_CUSTOMER([["J SMITH"], ["ACME TOOLS"]], customers,
                              [["GB33BUKB20201555555555"], [None]]) == [["C200"], ["C100"]]


# ---- dates as Excel hands them over: serial numbers ---------------------------------------------

def serial(day: dt.date, epoch: dt.date = dt.date(1899, 12, 30)) -> float:
    """The serial number Excel passes for a date: days since 1899-12-30 in the 1900 date system
    (from 1900-03-01 on), days since 1904-01-01 in the 1904 system."""
    return float((day - epoch).days)


def test_days_past_due_of_a_range_of_serials_and_today_as_a_number_is_the_aging_table(refreshed):
    """=ARXL_DAYSPASTDUE(A2:A99, TODAY()): a column of computed due dates (numbers in cells not
    formatted as dates) and TODAY(), which Excel passes as a number, not a date."""
    path, book = refreshed
    aging = book.read("Aging")
    invoices = aging[aging["DocType"] == "Invoice"]
    due = column(serial(d.date()) for d in invoices["DueDate"])
    assert all(isinstance(v, float) for [v] in due)
    today = serial(AS_OF)  # what TODAY() hands over on the as-of date
    assert cells(udfs.ARXL_DAYSPASTDUE(due, today)) == invoices["DaysPastDue"].tolist()
    assert cells(udfs.ARXL_BUCKET(due, today, grid(path, "Settings"))) == invoices["Bucket"].tolist()
    # the same in a workbook using the 1904 date system, as the Windows wrapper says it is
    due_1904 = column(serial(d.date(), dt.date(1904, 1, 1)) for d in invoices["DueDate"])
    assert cells(udfs.ARXL_DAYSPASTDUE(due_1904, serial(AS_OF, dt.date(1904, 1, 1)), None, True)) == \
        invoices["DaysPastDue"].tolist()


def test_the_windows_wrappers_hand_over_the_workbooks_date_system():
    bas = (VBA / "xlwings_udfs.bas").read_text(encoding="ascii")
    for name in ("ARXL_DAYSPASTDUE", "ARXL_BUCKET", "ARXL_DUEDATE", "ARXL_DISCOUNT", "ARXL_MATCH", "ARXL_EXPOSURE",
                 "ARXL_PRIORITY", "ARXL_ROLLFORWARD"):
        [call] = [line for line in bas.splitlines() if f'"{name}", Array(' in line and "Application.Caller)" in line]
        assert call.split("Array(")[1].split(")")[0].endswith(", ThisWorkbook.Date1904"), name
        [signature] = [line for line in bas.splitlines() if line.startswith(f"Function {name}(")]
        assert "date1904" not in signature  # not an argument a clerk types


def test_due_dates_discounts_and_matches_take_serial_numbers(refreshed):
    path, book = refreshed
    aging = book.read("Aging").set_index("DocID")
    invoices = book.read("Invoices")
    no_due = invoices[invoices["DueDate"].isna() & invoices["CustomerID"].eq("C100")]
    answer = udfs.ARXL_DUEDATE(column(serial(d.date()) for d in no_due["InvoiceDate"]), [["2/10 Net 30"]])
    assert cells(answer) == [aging.loc[i, "DueDate"].date() for i in no_due["InvoiceID"]]
    discount = udfs.ARXL_DISCOUNT([[1000.0]], [[serial(dt.date(2026, 11, 10))]],
                                  column([serial(dt.date(2026, 11, 15)), serial(dt.date(2026, 11, 21))]), [["2/10 Net 30"]])
    assert cells(discount) == [20.0, 0.0]
    matches = book.read("Matches")
    [pay] = [p for p in book.read("Payments").itertuples() if p.PaymentID == "P1"]
    proposed = matches[(matches["PaymentID"] == "P1") & (matches["InvoiceID"] != "")]
    answer = udfs.ARXL_MATCH(pay.Reference, pay.PayerName, float(pay.Amount) / 100, grid(path, "Invoices"),
                             grid(path, "Customers"), serial(pay.ReceivedDate.date()), grid(path, "Settings"))
    assert [[i, a, c >= AUTO] for i, a, c in answer] == [
        [r.InvoiceID, int(r.ApplyAmount) / 100, r.Confidence >= AUTO] for r in proposed.itertuples()]
    assert proposed["Discount"].sum() > 0  # the received date decides the discount: it was read as a date


def test_numbers_that_are_no_date_of_excels_calendar_are_explained():
    assert cells(udfs.ARXL_BUCKET(column([0.0, -3.0, 3e6]), dt.datetime(2026, 11, 20))) == ["a number that is not a date"] * 3
    assert udfs.ARXL_BUCKET([[46000.0]], 60.0) == [["29 February 1900, a day that never was"]]


# ---- collections, credit and the close: one answer per cell --------------------------------------

@pytest.fixture
def posted(make_book, run):
    """ROWS matched, posted, with a promise to pay, and the Credit and Collections tables built."""
    rows = {**ROWS, "Contacts": [{"ContactDate": dt.date(2026, 11, 2), "CustomerID": "C300", "Channel": "Phone",
                                  "PromisedAmount": 88.88, "PromisedDate": dt.date(2026, 11, 9)}]}
    path = make_book(rows=rows, settings={"AsOfDate": AS_OF})
    result, book = run(path, "match", "post", "aging", "credit", "collections")
    assert result.ok
    return path, book


def _tables(path, *names: str) -> list:
    """The tables as a formula passes them, in the function's order; None for one left out."""
    return [grid(path, name) if name else None for name in names]


LEDGER = ("Customers", "Invoices", "Applications", "Memos", "Payments")


def test_exposure_is_the_credit_tables(posted):
    path, book = posted
    credit = book.read("Credit")
    assert len(credit) >= 3 and credit["Exposure"].gt(0).any()
    tables = _tables(path, *LEDGER)
    settings = grid(path, "Settings")
    answer = udfs.ARXL_EXPOSURE(column(credit["CustomerID"]), *tables, None, settings)
    assert cells(answer) == [int(e) / 100 for e in credit["Exposure"]]
    assert cells(udfs.ARXL_EXPOSURE([["C999"]], *tables, None, settings)) == [None]  # nobody: blank


def test_priority_is_the_collections_score_and_a_broken_promise_counts(posted):
    path, book = posted
    worklist = book.read("Collections")
    assert "C300" in set(worklist["CustomerID"]) and worklist["BrokenPromises"].max() == 1
    tables, contacts, settings = _tables(path, *LEDGER), grid(path, "Contacts"), grid(path, "Settings")
    answer = udfs.ARXL_PRIORITY(column(worklist["CustomerID"]), *tables, contacts, None, settings)
    assert cells(answer) == worklist["Score"].tolist()
    [[broken_score]] = udfs.ARXL_PRIORITY([["C300"]], *tables, contacts, None, settings)
    [[unbroken_score]] = udfs.ARXL_PRIORITY([["C300"]], *tables, None, None, settings)
    assert broken_score > unbroken_score


def test_exposure_counts_invoices_asked_for_and_priority_leaves_out_deductions_as_the_tables_do(make_book, run):
    """C200 has an invoice asked for and not made yet (its exposure grows by it); C100's 9.00
    short pay on the overdue INV-1002 is under investigation in Disputes (not overdue)."""
    requests = [{"RequestID": "R1", "CustomerID": "C200", "Description": "Pallets", "Quantity": 4,
                 "UnitPrice": 250.00}]
    payments = ROWS["Payments"] + [{"PaymentID": "P5", "ReceivedDate": dt.date(2026, 11, 18),
                                    "PayerName": "ACME INDUSTRIAL SUP", "Amount": 441.25, "Reference": "INV-1002"}]
    matches = [{"PaymentID": "P5", "CustomerID": "C100", "InvoiceID": "INV-1002", "ApplyAmount": 441.25,
                "ShortPay": 9.00, "Reason": "DAMAGED", "Decision": "Approve", "Evidence": "typed by the clerk"}]
    path = make_book(rows={**ROWS, "Payments": payments, "Matches": matches, "InvoiceRequests": requests},
                     settings={"AsOfDate": AS_OF})
    result, book = run(path, "post", "disputes", "aging", "credit", "collections")
    assert result.ok, result.failures
    tables, settings = _tables(path, *LEDGER), grid(path, "Settings")
    credit = book.read("Credit").set_index("CustomerID")
    asked_for = [grid(path, "InvoiceRequests"), None]
    [[with_requests]] = udfs.ARXL_EXPOSURE([["C200"]], *tables, None, settings, *asked_for)
    [[without]] = udfs.ARXL_EXPOSURE([["C200"]], *tables, None, settings)
    assert with_requests == int(credit.loc["C200", "Exposure"]) / 100 == without + 1000.00
    disputes = book.read("Disputes")
    assert disputes.loc[disputes["Kind"] == "Short pay", "OpenAmount"].tolist() == [900]
    worklist = book.read("Collections")
    assert "C100" not in set(worklist["CustomerID"])  # only the deduction is past due
    [[held]] = udfs.ARXL_PRIORITY([["C100"]], *tables, None, None, settings, grid(path, "Disputes"))
    [[chased]] = udfs.ARXL_PRIORITY([["C100"]], *tables, None, None, settings)
    assert held is None and chased is not None


def test_rollforward_difference_is_zero_and_its_lines_are_the_close_tables(posted):
    path, _ = posted
    book = open_book(path)
    result = run_commands(book, ["close"], Context(options={"start": dt.date(2026, 11, 1), "end": AS_OF}))
    save_book(book)
    assert result.ok
    [usd] = open_book(path).read("Rollforward").itertuples()
    tables, settings = _tables(path, *LEDGER), grid(path, "Settings")
    period = (dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 20), "USD")
    assert udfs.ARXL_ROLLFORWARD(*period, *tables, None, settings) == [[0.0]]
    for line in ("Opening", "Invoices", "CashApplied", "Discounts", "Closing"):
        assert udfs.ARXL_ROLLFORWARD(*period, *tables, line, settings) == [[int(getattr(usd, line)) / 100]], line
    assert usd.CashApplied != 0 and usd.Opening != usd.Closing  # the period moved something
    [[message]] = udfs.ARXL_ROLLFORWARD(*period, *tables, "Sales", settings)
    assert "Sales is not a line" in message


def test_udfs_answer_in_the_decimals_the_workbook_keeps_yen_in(make_book, run):
    """Yen kept to the cent (three of four invoices show cents): the balance and the match a
    formula gives are the tables', to the cent, not a hundred times too much."""
    customers = [{"CustomerID": "J1", "Name": "Tokyo Trading KK", "Currency": "JPY"}]
    invoices = [{"InvoiceID": f"JI-{k}", "CustomerID": "J1", "InvoiceDate": dt.date(2026, 11, 1), "Amount": amount}
                for k, amount in enumerate((14240.26, 3000.5, 1200.75, 5000), start=1)]
    path = make_book(rows={"Customers": customers, "Invoices": invoices}, settings={"AsOfDate": AS_OF})
    result, book = run(path, "aging")
    assert result.ok, result.failures
    tables, settings = _tables(path, *LEDGER), grid(path, "Settings")
    [[balance]] = udfs.ARXL_BALANCE([["J1"]], *tables, None, "JPY", settings)
    assert balance == 23441.51 == int(book.read("Aging")["OpenAmount"].sum()) / 100
    answer = udfs.ARXL_MATCH("JI-2", "TOKYO TRADING", 3000.5, grid(path, "Invoices"), grid(path, "Customers"),
                             None, [*settings, ["BaseCurrency", "JPY"]])
    assert [row[:2] for row in answer] == [["JI-2", 3000.5]]
