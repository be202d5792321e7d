"""What customers receive, from every door: ARXL_BALANCE and ARXL_DUNNINGLEVEL give the answers
the statements and dunning commands wrote into the same workbook (as of today and a past
date), and the ribbon and the Lite scripts offer the commands from the registry."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.dunning import DEFAULT_LEVELS
from arxl.excel import udfs
from tests.test_excel_udfs import cells, column, grid

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 20)
PAST = dt.date(2026, 10, 15)


def _due(days_overdue):
    return AS_OF - dt.timedelta(days=days_overdue)


ROWS = {
    "Customers": [{"CustomerID": "C1", "Name": "Acme"}, {"CustomerID": "C2", "Name": "Globex"},
                  {"CustomerID": "C3", "Name": "Rheinland GmbH", "Currency": "EUR"},
                  {"CustomerID": "C4", "Name": "Paid Up Ltd"}],
    "Invoices": [
        {"InvoiceID": "I1", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 9, 1), "DueDate": _due(10),
         "Amount": 400.00},
        {"InvoiceID": "I2", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 8, 1), "DueDate": _due(65),
         "Amount": 120.50},
        {"InvoiceID": "I3", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 10, 1), "DueDate": _due(35),
         "Amount": 999.99},
        {"InvoiceID": "I4", "CustomerID": "C3", "InvoiceDate": dt.date(2026, 9, 20), "DueDate": _due(8),
         "Amount": 75.00},
        {"InvoiceID": "I5", "CustomerID": "C4", "InvoiceDate": dt.date(2026, 9, 20), "DueDate": _due(40),
         "Amount": 60.00}],
    "Payments": [
        {"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 2), "PayerName": "Acme", "Amount": 120.50,
         "ApplyTo": "I2"},
        {"PaymentID": "P2", "ReceivedDate": dt.date(2026, 11, 3), "PayerName": "Paid Up", "Amount": 60.00,
         "ApplyTo": "I5"}],
    "MemoRequests": [{"RequestID": "M1", "CustomerID": "C2", "InvoiceID": "I3", "Kind": "Credit", "Type": "Price",
                      "Amount": 99.99, "Reason": "price agreed", "MemoDate": dt.date(2026, 10, 10)}],
    "DunningLevels": [dict(level) for level in DEFAULT_LEVELS],
}


def _run(path, ids, as_of, **options):
    book = open_book(path, as_of=as_of)
    result = run_commands(book, ids, Context(now=dt.datetime.combine(as_of, dt.time(9)), options=options))
    save_book(book)
    assert result.ok, result.failures


@pytest.fixture
def book_path(make_book):
    path = make_book(ROWS)
    _run(path, ["post", "memos"], AS_OF)
    return path


def _ledgers(path):
    return [grid(path, name) for name in ("Customers", "Invoices", "Applications", "Memos", "Payments")]


@pytest.mark.parametrize("as_of", [AS_OF, PAST], ids=["today", "past"])
def test_balance_is_the_statement_s(book_path, as_of):
    _run(book_path, ["statements"], as_of, customers=["C1", "C2", "C3", "C4"])
    made = open_book(book_path).read("Statements")
    ids = made["CustomerID"].tolist()
    answers = cells(udfs.ARXL_BALANCE(column(ids), *_ledgers(book_path), dt.datetime.combine(as_of, dt.time()),
                                      None, grid(book_path, "Settings")))
    expected = [int(b) / 100 for b in made["Balance"]]
    assert answers == expected
    if as_of == AS_OF:
        assert dict(zip(ids, answers)) == {"C1": 400.00, "C2": 900.00, "C3": 75.00, "C4": 0.0}
    else:  # before the payments (the credit memo is dated 2026-10-10)
        assert dict(zip(ids, answers)) == {"C1": 520.50, "C2": 900.00, "C3": 75.00, "C4": 60.00}


def test_dunning_level_is_the_letter_s(book_path):
    _run(book_path, ["dunning"], AS_OF)
    log = open_book(book_path).read("DunningLog")
    ids = ["C1", "C2", "C3", "C4", "C9"]
    answers = cells(udfs.ARXL_DUNNINGLEVEL(column(ids), grid(book_path, "DunningLevels"), *_ledgers(book_path),
                                           None, grid(book_path, "Settings")))
    letters = dict(zip(log["CustomerID"], log["Level"].astype(int)))
    assert answers == [letters.get(c, 0) for c in ids] == [1, 2, 1, 0, 0]
    # a month later, C1's invoice is 40 days overdue: level 2
    later = cells(udfs.ARXL_DUNNINGLEVEL(column(["C1"]), grid(book_path, "DunningLevels"), *_ledgers(book_path),
                                         dt.datetime(2026, 12, 20), grid(book_path, "Settings")))
    assert later == [2]


def test_a_customer_in_two_currencies_needs_the_currency(book_path):
    answer = udfs.ARXL_BALANCE(column(["C1"]), *_ledgers(book_path), None, "eur", grid(book_path, "Settings"))
    assert cells(answer) == [0.0]


@pytest.mark.parametrize("command", ["invoice", "statements", "dunning", "send"])
def test_the_built_ribbon_and_lite_scripts_offer_the_command(command):
    """The committed workbook artefacts are rebuilt from the registry (python -m arxl.excel.build)."""
    assert f"lite.run(book, '{command}')" in (ROOT / "lite" / "main.py").read_text(encoding="utf-8")
    assert f'id="arxl_{command}"' in (ROOT / "vba" / "customUI.xml").read_text(encoding="utf-8")
