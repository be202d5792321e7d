"""``arxl import`` on real workbooks: receipts appended to Payments, never twice, everything
that is not a receipt or cannot be read reported in Exceptions by file and line."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from arxl.book.files import open_book
from arxl.core.ledger import Outcome, Step

FIXTURES = Path(__file__).parent / "fixtures" / "bankfiles"
CAMT054 = FIXTURES / "camt/arxl-camt054.v08.referred-documents.xml"
EDI820 = FIXTURES / "x12/arxl-820-discounts-adjustments.txt"

CUSTOMERS = [
    {"CustomerID": "C001", "Name": "Acme Industries Inc", "Aliases": "Acme Industries GmbH", "Terms": "2% 10 Net 30"},
    {"CustomerID": "C002", "Name": "Beta Handel AG", "Terms": "Net 30"},
    {"CustomerID": "C003", "Name": "Gamma Logistics BV", "Terms": "Net 30"},
]
INVOICES = [
    {"InvoiceID": "INV-1001", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 11, 10), "Amount": 1000.00},
    {"InvoiceID": "INV-1002", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 500.00},
    {"InvoiceID": "INV-1003", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 11, 3), "Amount": 1250.50},
    {"InvoiceID": "INV-1004", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 11, 11), "Amount": 250.00},
    {"InvoiceID": "INV-1005", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 980.00},
    {"InvoiceID": "INV-2001", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 1), "Amount": 250.00},
    {"InvoiceID": "INV-2002", "CustomerID": "C003", "InvoiceDate": dt.date(2026, 11, 2), "Amount": 500.00},
]
TYPED_BY_CLERK = {"PaymentID": "P000001", "ReceivedDate": dt.date(2026, 11, 2), "PayerName": "Walk-in",
                  "Amount": 12.34, "Currency": "USD", "Method": "Cash", "Reference": "=not a formula"}


def payments(path: Path) -> pd.DataFrame:
    return open_book(path).read("Payments")


def exceptions(path: Path) -> pd.DataFrame:
    return open_book(path).read("Exceptions", required=False)


def test_import_appends_receipts_and_a_second_import_adds_nothing(make_book, run):
    path = make_book(rows={"Payments": [TYPED_BY_CLERK]})
    result, _ = run(path, "import", files=[CAMT054, EDI820])
    assert result.ok and result.outcomes["import"].counts["imported"] == 5
    table = payments(path)
    assert list(table["PaymentID"]) == ["P000001", "ARXL-054-0001", "ARXL-054-0002/1", "ARXL-054-0002/2",
                                        "820TRACE0001", "004455"]
    assert table.loc[2, "Reference"] == "=not a formula"  # the clerk's row is untouched
    acme = table[table["PaymentID"] == "ARXL-054-0001"].iloc[0]
    assert (acme["ReceivedDate"], acme["PayerName"], acme["Amount"], acme["Currency"], acme["Method"],
            acme["PayerAccount"]) == (pd.Timestamp(2026, 11, 18), "Acme Industries GmbH", 148000, "EUR",
                                      "ACH", "DE89370400440532013000")
    assert acme["Reference"].endswith("RMR*IV*INV-1001*980.00*1000.00*20.00\\RMR*IV*INV-1002*500.00*500.00*\\")
    assert table["Amount"].sum() == 1234 + 148000 + 25000 + 50000 + 241050 + 50000

    again, _ = run(path, "import", files=[CAMT054, EDI820])
    assert again.outcomes["import"].counts == {"files": 2, "imported": 0, "already_there": 5, "not_receipts": 3,
                                               "files_unreadable": 0, "nothing_read": 0}
    assert len(payments(path)) == 6


def test_renamed_copy_of_a_file_without_bank_references_adds_nothing(make_book, run, tmp_path):
    path = make_book()
    statement = FIXTURES / "mt940/wolph-mt940_ASNB_mt940.txt"  # its credits carry no bank reference
    copy = tmp_path / "statement-again.txt"
    shutil.copy(statement, copy)
    run(path, "import", files=[statement])
    result, _ = run(path, "import", files=[copy])
    assert result.outcomes["import"].counts["imported"] == 0
    ids = list(payments(path)["PaymentID"])
    assert len(ids) == 3 and len(set(ids)) == 3 and all(i.startswith("IMP-") for i in ids)


def test_broken_file_and_broken_record_are_reported_and_the_rest_imported(make_book, run, tmp_path):
    path = make_book()
    missing = tmp_path / "not-there.xml"
    garbage = tmp_path / "notes.txt"
    garbage.write_text("remember to call the bank\n")
    result, _ = run(path, "import", files=[missing, garbage, CAMT054])
    assert result.outcomes["import"].counts["imported"] == 3
    found = exceptions(path)
    where = set(zip(found["Sheet"], found["Row"].astype("object").where(found["Row"].notna(), None)))
    assert ("not-there.xml", None) in where and ("notes.txt", 1) in where
    camt = found[found["Sheet"] == CAMT054.name]
    assert set(camt["Row"]) == {95, 104, 111, 118}  # reversal, pending, debit, unreadable amount
    assert (found["Command"] == "import").all()


def test_debits_and_balances_are_summarised_once_per_file(make_book, run):
    path = make_book()
    run(path, "import", files=[FIXTURES / "bai2/moov-bai2_sample1.txt"])
    found = exceptions(path)
    assert list(found["Problem"]) == [
        "2 balance records (lines 3, 17): not receipts, not imported",
        "12 debit entries (money out) totalling 3,200.00 CAD (lines 5, 6, 7, 11, 12, 13, 14, 15, 21, 22, ...): "
        "not receipts, not imported"]
    assert len(payments(path)) == 5


def test_unnamed_payer_still_gives_a_payment_the_matcher_reads(make_book, run):
    path = make_book()
    run(path, "import", files=[FIXTURES / "bai2/moov-bai2_sample2.txt"])
    table = payments(path)
    assert len(table) == 4 and "(payer not named in the file)" in set(table["PayerName"])
    assert not open_book(path).load().unread.get("Payments")


def test_an_import_may_not_fill_arxl_columns_nor_append_to_a_rebuilt_table(make_book):
    book = open_book(make_book())
    with pytest.raises(PermissionError):
        book.apply(Step(Outcome("")).append("Payments", pd.DataFrame({"MatchStatus": ["Auto"]})))
    with pytest.raises(PermissionError):
        book.apply(Step(Outcome("")).append("Matches", pd.DataFrame({"PaymentID": ["P1"]})))


# Payers and invoices behind three remittances that name their invoices: arxl's camt.054, the
# public X12 820 sample (moov-io/x12) and arxl's NACHA CTX, whose addenda carry an 820.
# Each book also holds an invoice of the same customer and amount that the remittance does not
# name (INV-1005, 7321512, INV-2005), so only the remittance tells which invoices are paid.
CTX_INVOICES = [
    {"InvoiceID": "INV-2001", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 1), "Amount": 250.00},
    {"InvoiceID": "INV-2004", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 510.00},
    {"InvoiceID": "INV-2005", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 500.00},
]
WALMART_820 = {
    "Customers": [{"CustomerID": "W1", "Name": "Your Company"}],
    "Invoices": [
        {"InvoiceID": "7321239", "CustomerID": "W1", "InvoiceDate": dt.date(2012, 5, 1), "Amount": 953.19},
        {"InvoiceID": "7321511", "CustomerID": "W1", "InvoiceDate": dt.date(2012, 5, 2), "Amount": 7036.54},
        {"InvoiceID": "7321512", "CustomerID": "W1", "InvoiceDate": dt.date(2012, 5, 2), "Amount": 953.19},
    ]}


@pytest.mark.parametrize("remittance, rows, settings, payment_id, expected", [
    (CAMT054, {"Customers": CUSTOMERS, "Invoices": INVOICES}, {"BaseCurrency": "EUR"},
     "ARXL-054-0001", {"INV-1001", "INV-1002"}),
    (FIXTURES / "x12/moov-x12_example_stp_820_sample.txt", WALMART_820, {"AsOfDate": dt.date(2012, 6, 1)},
     "12053011440000192", {"7321239", "7321511"}),
    (FIXTURES / "nacha/arxl-ccdplus-ctx-credits.ach", {"Customers": CUSTOMERS, "Invoices": CTX_INVOICES}, {},
     "021000020000003", {"INV-2001", "INV-2004"}),
], ids=["camt.054", "820", "CTX"])
def test_match_proposes_exactly_the_invoices_the_remittance_names(make_book, run, remittance, rows, settings,
                                                                  payment_id, expected):
    path = make_book(rows=rows, settings=settings)
    run(path, "import", files=[remittance])
    result, book = run(path, "match")
    assert result.ok
    matches = book.read("Matches")
    proposed = matches[matches["PaymentID"] == payment_id]
    assert set(proposed["InvoiceID"]) == expected
    assert (proposed["Confidence"] >= book.load().settings.auto_apply_confidence).all()
    assert set(proposed["Decision"]) == {"Auto"}
