"""A customer's statement against our ledger: each of the four kinds of line (matched; matched
with a difference in amount, date or a misspelt reference; theirs only; ours only) with its next
step, and a balance line that ties both sides. Statements are files as customers send them."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

D = dt.date
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30"},
             {"CustomerID": "C2", "Name": "Blue Ridge GmbH", "Terms": "Net 30", "Currency": "EUR"}]
INVOICES = [
    {"InvoiceID": "100101", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 1), "Amount": 1000.00},
    {"InvoiceID": "100102", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 5), "Amount": 500.00},
    {"InvoiceID": "100103", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 9), "Amount": 750.00},
    {"InvoiceID": "100104", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 20), "Amount": 300.00},
    {"InvoiceID": "100105", "CustomerID": "C1", "InvoiceDate": D(2026, 9, 25), "Amount": 200.00},
    {"InvoiceID": "100106", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 12), "Amount": 125.00},
    {"InvoiceID": "200201", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 2), "Amount": 1234.50},
]
PAYMENTS = [{"PaymentID": "P1", "ReceivedDate": D(2026, 11, 2), "PayerName": "ACME TOOLS", "Amount": 200.00,
             "ApplyTo": "100105", "CustomerID": "C1"}]
STATEMENT = """Acme Tools Inc. - vendor statement
Customer: C1
Statement date: 2026-11-15

Invoice No,Date,Open amount,Type
INV-100101,2026-10-01,1000.00,Invoice
INV-100102,2026-10-05,450.00,Invoice
INV-100130,2026-10-09,750.00,Invoice
INV-100106,2026-10-13,125.00,Invoice
INV-100105,2026-09-25,200.00,Invoice
INV-777777,2026-11-01,80.00,Invoice
Total,,2605.00,
"""


@pytest.fixture
def reconciled(make_book, run, tmp_path):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS})
    statement = tmp_path / "acme-statement.csv"
    statement.write_text(STATEMENT, encoding="utf-8")
    result, wb = run(path, "post", "reconcile", files=[statement])
    assert result.ok, result.failures
    return result, wb.read("Reconciliation")


def test_each_of_their_lines_and_each_of_our_open_items_gets_its_kind_and_next_step(reconciled):
    _, table = reconciled
    lines = {(r.TheirReference or r.OurDocID): (r.Result, r.NextStep, r.OurDocID) for r in table.itertuples()
             if r.Result != "Balance"}
    assert lines == {
        "INV-100101": ("Matched", "", "100101"),
        "INV-100102": ("Difference", "Ask for proof of payment", "100102"),  # they think 50.00 less is open
        "INV-100130": ("Difference", "Send a copy", "100103"),  # two digits swapped
        "INV-100106": ("Difference", "Send a copy", "100106"),  # they date it a day later
        "INV-100105": ("Theirs only", "Send a copy", "100105"),  # we show it paid by P1
        "INV-777777": ("Theirs only", "Ask for a copy", ""),  # never ours
        "100104": ("Ours only", "Send a copy", "100104"),  # open with us, not on their list
    }
    rows = table.set_index("TheirReference")
    assert "they think 50.00 USD less is open" in rows.loc["INV-100102", "Explanation"]
    assert "they wrote 'INV-100130' for 100103" in rows.loc["INV-100130", "Explanation"]
    assert "they date it 2026-10-13, we 2026-10-09" not in rows.loc["INV-100130", "Explanation"]
    assert "they date it 2026-10-13, we 2026-10-12" in rows.loc["INV-100106", "Explanation"]
    assert "P1" in rows.loc["INV-100105", "Explanation"]
    assert (table["CustomerID"] == "C1").all() and (table["StatementDate"].dt.date == D(2026, 11, 15)).all()


def test_the_balance_line_ties_their_balance_and_ours_through_the_differences(reconciled):
    result, table = reconciled
    [balance] = table.loc[table["Result"] == "Balance"].itertuples()
    assert int(balance.TheirAmount) == 260500  # their lines, the total line left out
    assert int(balance.OurAmount) == 267500  # 100101 + 100102 + 100103 + 100104 + 100106 open with us
    others = table.loc[table["Result"] != "Balance", "Difference"].astype("int64").sum()
    assert int(balance.TheirAmount) + others == int(balance.OurAmount)
    assert balance.Explanation.endswith("unexplained 0.00 USD")
    summary = result.outcomes["reconcile"].summary
    assert "1 matched, 3 with a difference, 2 theirs only, 1 ours only" in summary
    assert "their balance 2,605.00 USD, ours 2,675.00 USD" in summary


def test_a_statement_in_a_workbook_with_debit_and_credit_columns_and_decimal_commas(make_book, run, tmp_path):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS})
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Account:", "Blue Ridge GmbH"], [], ["Document", "Date", "Debit", "Credit"],
                ["200201", D(2026, 10, 2), None, "1.234,50"], ["PAYMENT 5521", D(2026, 11, 3), "234,50", None]):
        ws.append(row)
    statement = tmp_path / "blue-ridge.xlsx"
    wb.save(statement)
    result, book = run(path, "reconcile", files=[statement])
    assert result.ok
    table = book.read("Reconciliation")
    assert set(table["Currency"]) == {"EUR"} and set(table["CustomerID"]) == {"C2"}
    their = table.set_index("TheirReference")
    assert (their.loc["200201", "Result"], int(their.loc["200201", "TheirAmount"])) == ("Matched", 123450)
    # a payment they made that we never received
    assert (their.loc["PAYMENT 5521", "Result"], their.loc["PAYMENT 5521", "NextStep"]) == \
        ("Theirs only", "Ask for proof of payment")


# ---- currencies: a line of theirs is compared with ours in its own currency only ------------------

def test_a_payment_line_never_matches_our_payment_in_another_currency(make_book, run, tmp_path):
    # Acme (USD) also paid us 500.00 EUR on 5 November; their USD statement lists a payment of 500.00
    euros = {"PaymentID": "P7", "ReceivedDate": D(2026, 11, 5), "PayerName": "ACME TOOLS", "Amount": 500.00,
             "Currency": "EUR", "CustomerID": "C1"}
    dollars = {**euros, "PaymentID": "P8", "Currency": "USD"}
    statement = tmp_path / "acme.csv"
    statement.write_text("Customer: C1\nStatement date: 2026-11-15\nCurrency: USD\n\n"
                         "Reference,Date,Amount,Type\n,2026-11-05,500.00,Payment\n", encoding="utf-8")
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": [*PAYMENTS, euros]})
    result, book = run(path, "reconcile", files=[statement])
    assert result.ok, result.failures
    [line] = book.read("Reconciliation").loc[lambda t: t["Line"] == 6].itertuples()
    assert (line.Result, line.NextStep, line.Currency) == ("Theirs only", "Ask for proof of payment", "USD")
    assert "P7" not in line.Explanation
    # the same payment in dollars is theirs
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": [*PAYMENTS, dollars]},
                     name="dollars.xlsx")
    _, book = run(path, "reconcile", files=[statement])
    [line] = book.read("Reconciliation").loc[lambda t: t["Line"] == 6].itertuples()
    assert (line.Result, line.NextStep) == ("Theirs only", "Apply cash") and "P8" in line.Explanation


def test_each_currency_of_a_statement_is_reconciled_on_its_own(make_book, run, tmp_path):
    invoices = [*INVOICES, {"InvoiceID": "100201", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 3),
                            "Amount": 800.00, "Currency": "EUR"}]
    statement = tmp_path / "acme.csv"
    statement.write_text("Customer: C1\nStatement date: 2026-11-15\n\n"
                         "Invoice No,Date,Open amount,Currency\n"
                         "100101,2026-10-01,1000.00,USD\n"  # line 5
                         "100201,2026-10-03,800.00,EUR\n"  # line 6
                         "100102,2026-10-05,500.00,EUR\n", encoding="utf-8")  # line 7: ours is in USD
    path = make_book({"Customers": CUSTOMERS, "Invoices": invoices})
    result, book = run(path, "reconcile", files=[statement])
    assert result.ok, result.failures
    table = book.read("Reconciliation")
    lines = {r.Line: (r.Currency, r.Result, r.OurDocID) for r in table.itertuples() if r.Line <= 7}
    assert lines == {5: ("USD", "Matched", "100101"), 6: ("EUR", "Matched", "100201"),
                     7: ("EUR", "Theirs only", "")}
    assert "we hold 100102 in USD, not in EUR" in table.set_index("Line").at[7, "Explanation"]
    balances = table.loc[table["Result"] == "Balance"].set_index("Currency")
    assert {c: (int(b.TheirAmount), int(b.OurAmount)) for c, b in balances.iterrows()} == \
        {"EUR": (130000, 80000), "USD": (100000, 287500)}  # each currency's lines against its own
    assert table["Line"].is_unique  # ours only and the balances numbered after every line of theirs
    for currency, b in balances.iterrows():
        mine = table.loc[(table["Currency"] == currency) & (table["Result"] != "Balance"), "Difference"]
        assert int(b.TheirAmount) + int(mine.astype("int64").sum()) == int(b.OurAmount)
    assert result.outcomes["reconcile"].counts == {"statements": 1, "lines": len(table) - 2}
