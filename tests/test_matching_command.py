"""`arxl match` on a workbook file: the Matches table, the Payments [arxl] columns, numbering of
blank PaymentIDs, posted payments left alone, and a clerk's decisions kept across re-runs."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

CUSTOMERS = [
    {"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "2/10 Net 30", "Currency": "USD"},
    {"CustomerID": "C2", "Name": "Fjord Logistik GmbH", "Terms": "Net 45", "Currency": "USD"},
]
INVOICES = [
    {"InvoiceID": "INV-1001", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 700.10},
    {"InvoiceID": "INV-1002", "CustomerID": "C1", "InvoiceDate": dt.date(2026, 10, 5), "Amount": 450.25},
    {"InvoiceID": "INV-1003", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 99.99},
    {"InvoiceID": "INV-1004", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 9, 2), "Amount": 1200.00},
]
PAYMENTS = [
    {"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "ACME TOOLS", "Amount": 700.10,
     "Currency": "USD", "Reference": "INV 1001"},
    {"PaymentID": "", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "FJORD LOGISTIK", "Amount": 99.99,
     "Currency": "USD", "Reference": "inv1003"},
    {"PaymentID": "P7", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "FJORD LOGISTIK", "Amount": 600.00,
     "Currency": "USD", "Reference": "PAYMENT"},
    {"PaymentID": "P9", "ReceivedDate": dt.date(2026, 11, 1), "PayerName": "ACME TOOLS", "Amount": 450.25,
     "Currency": "USD", "Reference": "INV-1002", "MatchStatus": "Posted"},
]
# P9 is posted: the ledger says so (MatchStatus is arxl's report of it)
APPLICATIONS = [{"ApplicationID": "A0000001", "PaymentID": "P9", "InvoiceID": "INV-1002", "CustomerID": "C1",
                 "AppliedAmount": 450.25, "ReasonCode": "PAID", "Source": "Auto"}]


def _rows(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:] if any(v is not None for v in r)]


def _book(make_book):
    return make_book(rows={"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS,
                           "Applications": APPLICATIONS})


def _type_into(path, sheet: str, first: str, **values) -> int:
    """The clerk types ``values`` into the rows of ``sheet`` whose first cell is ``first`` (a
    PaymentID, CustomerID or InvoiceID) and saves; returns the last such row."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == first]
    for r in rows:
        for column, value in values.items():
            ws.cell(r, header.index(column) + 1).value = value
    wb.save(path)
    return rows[-1]


def test_match_writes_proposals_and_payment_columns(make_book, run):
    path = _book(make_book)
    result, _ = run(path, "match")
    assert result.ok, result.failures
    matches = _rows(path, "Matches")
    by_payment = {}
    for m in matches:
        by_payment.setdefault(m["PaymentID"], []).append(m)
    assert set(by_payment) == {"P1", "P10", "P7"}  # the blank ID numbered after the highest, P9 (posted)
    (p1,) = by_payment["P1"]
    assert (p1["InvoiceID"], p1["ApplyAmount"], p1["Decision"]) == ("INV-1001", 700.10, "Auto")
    assert "INV-1001" in p1["Evidence"] and "ACME TOOLS" in p1["Evidence"]
    (p10,) = by_payment["P10"]
    assert (p10["InvoiceID"], p10["Decision"]) == ("INV-1003", "Auto")
    (p7,) = by_payment["P7"]
    assert (p7["InvoiceID"], p7["ApplyAmount"], p7["CustomerID"], p7["Decision"]) == (None, 600.00, "C2", "Review")
    payments = {p["PaymentID"]: p for p in _rows(path, "Payments")}
    assert payments["P1"]["MatchStatus"] == "Auto" and payments["P1"]["MatchedInvoices"] == "INV-1001"
    assert payments["P10"]["MatchedCustomerID"] == "C2"
    assert payments["P7"]["MatchStatus"] == "Review" and payments["P7"]["Unapplied"] == 600.00
    assert payments["P9"]["MatchStatus"] == "Posted"


def test_a_clerks_approve_survives_a_rerun(make_book, run):
    path = _book(make_book)
    run(path, "match")
    _type_into(path, "Matches", "P7", Decision="approve")
    run(path, "match")
    p7 = [m for m in _rows(path, "Matches") if m["PaymentID"] == "P7"]
    assert [m["Decision"] for m in p7] == ["approve"]  # kept as the clerk typed it
    assert [m["Decision"] for m in _rows(path, "Matches") if m["PaymentID"] == "P1"] == ["Auto"]


def test_a_clerks_approve_waits_while_the_payments_row_cannot_be_read(make_book, run):
    """The clerk approves a proposal and, the same day, mistypes that payment's date: the row is
    refused (named in Exceptions) and the payment not posted, but the clerk's decision stays in
    Matches, said to wait; once the date is corrected, the next run posts it as approved."""
    path = _book(make_book)
    run(path, "match")
    _type_into(path, "Matches", "P7", Decision="Approved")
    p7_row = _type_into(path, "Payments", "P7", ReceivedDate="31/31/2026")

    result, _ = run(path, "match", "post")
    assert result.ok, result.failures
    assert [m["Decision"] for m in _rows(path, "Matches") if m["PaymentID"] == "P7"] == ["Approved"]
    assert not [a for a in _rows(path, "Applications") if a["PaymentID"] == "P7"]
    exceptions = _rows(path, "Exceptions")
    assert any(e["Row"] == p7_row and e["Column"] == "ReceivedDate" for e in exceptions)
    waits = [e for e in exceptions if e["Sheet"] == "Matches" and e["Value"] == "P7"]
    assert waits and "could not be read" in waits[0]["Problem"] and "not in Payments" not in waits[0]["Problem"]

    _type_into(path, "Payments", "P7", ReceivedDate=dt.datetime(2026, 11, 18))
    result, _ = run(path, "match", "post")
    assert result.ok, result.failures
    posted = [a for a in _rows(path, "Applications") if a["PaymentID"] == "P7"]
    assert [(a["CustomerID"], a["AppliedAmount"]) for a in posted] == [("C2", 600.00)]
    assert not [m for m in _rows(path, "Matches") if m["PaymentID"] == "P7"]


def test_an_amount_the_clerk_mistyped_in_matches_stops_match_and_post_until_corrected(make_book, run):
    """The clerk approves P7's proposal with an amount typed "600,00" in a workbook whose decimal
    separator is '.': the cell is named, Matches is neither rebuilt (which would drop the row)
    nor posted from, so the payment waits with the row as typed; corrected, it posts as typed."""
    path = _book(make_book)
    run(path, "match")
    p7_row = _type_into(path, "Matches", "P7", Decision="Approved", InvoiceID="INV-1004", ApplyAmount="600,00")

    result, _ = run(path, "match", "post")
    assert result.failures["match"].startswith(f"The Matches table has rows arxl cannot read (row {p7_row};")
    assert result.failures["post"].startswith(f"The Matches table has rows arxl cannot read (row {p7_row};")
    p7 = [m for m in _rows(path, "Matches") if m["PaymentID"] == "P7"]
    assert [(m["InvoiceID"], m["ApplyAmount"], m["Decision"]) for m in p7] == [("INV-1004", "600,00", "Approved")]
    assert [a["PaymentID"] for a in _rows(path, "Applications")] == ["P9"]

    _type_into(path, "Matches", "P7", ApplyAmount=600.00)
    result, _ = run(path, "match", "post")
    assert result.ok, result.failures
    posted = [(a["InvoiceID"], a["AppliedAmount"]) for a in _rows(path, "Applications") if a["PaymentID"] == "P7"]
    assert posted == [("INV-1004", 600.00)]


@pytest.mark.parametrize("mistyped", [("Invoices", "CustomerID", "C9"), ("Customers", "CreditLimit", "10k")])
def test_a_payment_naming_an_invoice_whose_customer_arxl_does_not_know_goes_to_a_clerk(make_book, run, mistyped):
    """INV-1001's customer is not one of Customers: a CustomerID mistyped on the invoice, or the
    customer's own row unreadable. A payment naming it exactly, for its amount, stopped the whole
    match (an unknown customer has no name to compare); now it is matched with the rest and is
    not posted without a clerk."""
    path = _book(make_book)
    sheet, column, value = mistyped
    _type_into(path, sheet, "INV-1001" if sheet == "Invoices" else "C1", **{column: value})
    result, _ = run(path, "match", "post")
    assert result.ok, result.failures
    p1 = [m for m in _rows(path, "Matches") if m["PaymentID"] == "P1"]
    assert p1 and all(m["Decision"] != "Auto" for m in p1)
    assert not [a for a in _rows(path, "Applications") if a["PaymentID"] == "P1"]


def test_a_camt054_remittance_imported_from_the_bank_is_applied_as_the_payer_states(make_book, run):
    camt054 = Path(__file__).parent / "fixtures" / "bankfiles" / "camt" / "arxl-camt054.v08.referred-documents.xml"
    customers = [{"CustomerID": "C001", "Name": "Acme Industries Inc", "Aliases": "Acme Industries GmbH",
                  "Terms": "Net 30", "Currency": "EUR"}]
    invoices = [{"InvoiceID": f"INV-100{n}", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 19 + n),
                 "Amount": amount} for n, amount in ((1, 1000.00), (2, 500.00))]
    path = make_book(rows={"Customers": customers, "Invoices": invoices})
    result, book = run(path, "import", "match", files=[camt054])
    assert result.ok
    matches = book.read("Matches")
    acme = matches[matches["PaymentID"] == "ARXL-054-0001"].set_index("InvoiceID")
    # RfrdDocAmt: INV-1001 due 1,000.00, 20.00 discount applied, 980.00 remitted; INV-1002 500.00
    assert acme[["ApplyAmount", "Discount", "ShortPay", "Decision"]].values.tolist() == [
        [98000, 2000, 0, "Auto"], [50000, 0, 0, "Auto"]]
    assert list(acme.index) == ["INV-1001", "INV-1002"]


def _paid_less(make_book, amount: float, reference: str) -> Path:
    """A workbook where Fjord Logistik pays ``amount`` for its invoices 100234 (1,000.00) and
    100235 (640.00), saying ``reference``."""
    invoices = [{"InvoiceID": "100234", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 1000.00},
                {"InvoiceID": "100235", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 10, 2), "Amount": 640.00}]
    payments = [{"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "FJORD LOGISTIK",
                 "Amount": amount, "Currency": "USD", "Reference": reference}]
    path: Path = make_book(rows={"Customers": CUSTOMERS, "Invoices": invoices, "Payments": payments})
    return path


def test_a_deduction_stated_in_words_is_posted_with_the_reason_the_matcher_read(make_book, run):
    path = _paid_less(make_book, 879.50, "INV 100234 LESS 120.50 CO-OP ADVERTISING")
    result, book = run(path, "match")
    assert result.ok, result.failures
    (row,) = book.read("Matches").to_dict("records")
    assert (row["InvoiceID"], row["ApplyAmount"], row["ShortPay"], row["Reason"], row["Decision"]) == (
        "100234", 87950, 12050, "CO-OP_ADVERTISING", "Auto")
    result, book = run(path, "post")
    assert result.ok, result.failures
    (application,) = book.read("Applications").to_dict("records")
    assert (application["InvoiceID"], application["AppliedAmount"], application["ShortPay"]) == ("100234", 87950, 12050)
    assert application["ReasonCode"] == "SHORTPAY:CO-OP_ADVERTISING"


def test_tax_withheld_from_two_invoices_is_posted_on_each_and_only_once(make_book, run):
    # 2% TDS of each invoice before its 18% GST (16.95 of 1,000.00 and 10.85 of 640.00) taken from
    # what is paid: each invoice keeps its share open as a short pay with the reason
    path = _paid_less(make_book, 1612.20, "INV 100234, 100235 LESS TDS")
    for _ in range(2):  # a second run posts nothing again
        result, book = run(path, "match", "post")
        assert result.ok, result.failures
    applications = book.read("Applications").to_dict("records")
    assert [(a["InvoiceID"], a["AppliedAmount"], a["ShortPay"], a["ReasonCode"]) for a in applications] == [
        ("100234", 98305, 1695, "SHORTPAY:TAX_WITHHELD"), ("100235", 62915, 1085, "SHORTPAY:TAX_WITHHELD")]


def test_instalments_a_few_cents_short_are_posted_and_close_the_invoice(make_book, run):
    # three instalments of 100234 (1,000.00), together 0.09 short: each posted, the last received
    # writing the 0.09 off, and the invoice closed; run twice, posted once
    invoices = [{"InvoiceID": "100234", "CustomerID": "C2", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 1000.00}]
    payments = [{"PaymentID": pid, "ReceivedDate": day, "PayerName": "FJORD LOGISTIK", "Amount": amount,
                 "Currency": "USD", "Reference": "100234"}
                for pid, amount, day in (("P1", 333.30, dt.date(2026, 11, 2)), ("P2", 333.31, dt.date(2026, 11, 16)),
                                         ("P3", 333.30, dt.date(2026, 11, 9)))]
    path = make_book(rows={"Customers": CUSTOMERS, "Invoices": invoices, "Payments": payments})
    for _ in range(2):
        result, book = run(path, "match", "post")
        assert result.ok, result.failures
    applications = book.read("Applications").to_dict("records")
    assert sorted((a["PaymentID"], a["AppliedAmount"], a["WriteOff"]) for a in applications) == [
        ("P1", 33330, 0), ("P2", 33331, 9), ("P3", 33330, 0)]
    (row,) = _rows(path, "Invoices")
    assert (row["Paid"], row["WrittenOff"], row["OpenBalance"]) == (999.91, 0.09, 0)
