"""arxl statements: every customer's statement ties to the Aging sheet the aging command writes,
in both layouts, as of the demo's date and a past date; activity lines add up from the opening
balance; currencies are never mixed; customers with nothing are skipped unless asked for."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pypdf import PdfReader

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.contract import StatementLayout
from arxl.core.aging import ledger_aging
from arxl.demo import DEMO_AS_OF, write_demo

PAST = DEMO_AS_OF - dt.timedelta(days=47)  # a date in the previous month, before the new payments
NOW = dt.datetime.combine(DEMO_AS_OF, dt.time(17, 30))


def run_on(path, ids, as_of=None, **options):
    book = open_book(path, as_of=as_of)
    result = run_commands(book, list(ids), Context(now=NOW, options=options))
    save_book(book)
    assert result.ok, result.failures
    return result


def _aging_totals(book) -> dict[tuple[str, str], int]:
    aging = book.read("Aging")
    totals = aging["OpenAmount"].astype("int64").groupby([aging["CustomerID"], aging["Currency"]]).sum()
    return {(str(c), str(k)): int(v) for (c, k), v in totals.items()}


@pytest.fixture(scope="module", params=[pytest.param({"customers": 40, "invoices": 500, "payments": 40}, id="small"),
                                        pytest.param({}, id="full", marks=pytest.mark.slow)])
def demo_book(request, tmp_path_factory):
    """The demo workbook, refreshed (payments matched and posted, memos made)."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    write_demo(path, **request.param)
    run_on(path, ["match", "post", "memos"])
    return path


@pytest.mark.parametrize("as_of", [DEMO_AS_OF, PAST], ids=["as-of", "past"])
@pytest.mark.parametrize("layout", list(StatementLayout))
def test_every_customer_s_statement_ties_to_the_aging(demo_book, as_of, layout):
    """The aging command writes the Aging sheet as of the date; the statements command, run as
    of the same date, records each customer's balance per currency: they agree for every
    customer and currency the Aging holds, and no statement is made for anyone else."""
    run_on(demo_book, ["aging"], as_of=as_of)
    before = len(open_book(demo_book).read("Statements"))
    start = as_of.replace(day=1) - dt.timedelta(days=31)
    result = run_on(demo_book, ["statements"], as_of=as_of, layout=layout.value, from_date=start)
    book = open_book(demo_book)
    made = book.read("Statements").iloc[before:]
    aging = _aging_totals(book)
    assert result.outcomes["statements"].counts["made"] == made["StatementID"].nunique() > 5
    assert set(made["Layout"]) == {layout.value} and set(made["AsOfDate"]) == {pd.Timestamp(as_of)}
    recorded = {(c, k): int(b) for c, k, b in zip(made["CustomerID"], made["Currency"], made["Balance"])}
    assert len(recorded) == len(made)  # one row per customer and currency: never mixed
    for key, total in aging.items():
        assert recorded.get(key) == total, key
    # a customer recorded but absent from the Aging had activity in the period and owes nothing now
    assert all(balance == 0 for key, balance in recorded.items() if key not in aging)
    if layout == StatementLayout.ACTIVITY:
        assert set(made["FromDate"]) == {pd.Timestamp(start)}
        opening, _ = ledger_aging(book.load(), start - dt.timedelta(days=1))
        brought = opening["OpenAmount"].astype("int64").groupby([opening["CustomerID"], opening["Currency"]]).sum()
        for c, k, b in zip(made["CustomerID"], made["Currency"], made["OpeningBalance"]):
            assert int(b) == int(brought.get((c, k), 0)), (c, k)
    else:
        assert made["OpeningBalance"].isna().all()


def test_activity_lines_add_up_and_the_pdf_says_so(make_book, run):
    path = make_book({
        "Customers": [{"CustomerID": "C1", "Name": "Acme Hardware Supply", "Address": "12 Harbor Road; Albany, NY"},
                      {"CustomerID": "C2", "Name": "Quiet Customer"}],
        "Invoices": [
            {"InvoiceID": "INV-1", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 9, 10), "Amount": 500.00},
            {"InvoiceID": "INV-2", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 11, 3), "Amount": 200.00},
            {"InvoiceID": "INV-3", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 11, 5), "Amount": 80.00,
             "Currency": "EUR"}],
        "Payments": [{"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 12), "PayerName": "Acme",
                      "Amount": 300.00, "ApplyTo": "INV-1"}],
        "MemoRequests": [{"RequestID": "M1", "CustomerID": "C1", "InvoiceID": "INV-2", "Kind": "Credit",
                          "Type": "Price", "Amount": 20.00, "Reason": "price agreed"}],
    }, settings={"StatementLayout": "Activity"})
    run(path, "post", "memos")
    book = open_book(path)
    result = run_commands(book, ["statements"], Context(now=dt.datetime(2026, 11, 20, 18, 0)))
    save_book(book)
    assert result.ok, result.failures
    rows = open_book(path).read("Statements")
    # C1 in USD and EUR, each its own row; C2 has nothing open and no activity: skipped
    assert rows[["CustomerID", "Currency", "OpeningBalance", "Balance"]].values.tolist() == [
        ["C1", "EUR", 0, 8000], ["C1", "USD", 50000, 38000]]
    text = "".join(page.extract_text() for page in PdfReader(path.parent / rows["Document"].iloc[0]).pages)
    for words in ("STATEMENT", "Acme Hardware Supply", "Balance brought forward", "INV-2", "P1", "Closing balance",
                  "380.00 USD", "80.00 EUR"):
        assert words in text, words


def test_a_customer_named_gets_a_statement_even_with_nothing_open(make_book, run):
    path = make_book({"Customers": [{"CustomerID": "C2", "Name": "Quiet Customer", "Email": "ap@quiet.test"}],
                      "Invoices": []})
    book = open_book(path)
    result = run_commands(book, ["statements"], Context(now=dt.datetime(2026, 11, 20, 18, 0),
                                                        options={"customers": ["C2"]}))
    save_book(book)
    assert result.ok
    rows = open_book(path).read("Statements")
    assert rows[["CustomerID", "Currency", "Balance"]].values.tolist() == [["C2", "USD", 0]]
    text = "".join(page.extract_text() for page in PdfReader(path.parent / rows["Document"].iloc[0]).pages)
    assert "Nothing is open on your account" in text
