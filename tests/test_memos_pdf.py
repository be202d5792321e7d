"""The memo documents, read back as text the way a customer's system would read them."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader

from arxl.book.files import open_book, save_book
from arxl.documents.layout import register_fonts

CUSTOMERS = [
    {"CustomerID": "C100", "Name": "Acme Hardware Supply", "Terms": "Net 15", "Email": "ap@acmehardware.test"},
    {"CustomerID": "C300", "Name": "Rheinland Werkzeuge GmbH", "Currency": "EUR"},
]
INVOICES = [
    {"InvoiceID": "INV-10023", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 10, 2), "Amount": 1080.00,
     "TaxAmount": 80.00, "FreightAmount": 50.00, "PONumber": "PO-5581"},
]
REQUESTS = [
    {"RequestID": "R1", "CustomerID": "C100", "Kind": "Credit", "Type": "Product", "Quantity": 2.5,
     "UnitPrice": 19.99, "InvoiceID": "INV-10023", "MemoDate": dt.date(2026, 11, 18),
     "Reason": "Two cartons arrived crushed (claim 88123) & <returned>"},
    {"RequestID": "R2", "CustomerID": "C300", "Kind": "Debit", "Type": "Service", "Amount": 1234.56,
     "TaxRate": 0.19, "Reason": "Installation, 12 hours on site"},
]
SETTINGS = {"CompanyName": "Northwind Traders Inc.",
            "CompanyAddress": "1200 Harbor Blvd, Suite 400; Oakland, CA 94607; United States"}


@pytest.fixture
def documents(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "MemoRequests": REQUESTS},
                     settings=SETTINGS)
    run(path, "memos")
    ledger = open_book(path).read("Memos").set_index("RequestID")
    return {rid: PdfReader(path.parent / doc) for rid, doc in ledger["Document"].items()}


def text_of(reader: PdfReader) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_credit_memo_document_names_number_customer_invoice_and_amounts(documents):
    reader = documents["R1"]
    assert len(reader.pages) == 1
    text = text_of(reader)
    for expected in ("CREDIT MEMO", "CM-000001", "2026-11-18",
                     "Northwind Traders Inc.", "1200 Harbor Blvd, Suite 400", "Oakland, CA 94607",
                     "Acme Hardware Supply", "Customer ID: C100", "ap@acmehardware.test",
                     "Invoice INV-10023, dated 2026-10-02, your PO PO-5581",
                     "Two cartons arrived crushed (claim 88123) & <returned>",
                     "Product credit", "2.5", "19.99", "49.98",  # line: quantity, unit price, net
                     "Tax (8%)", "4.00", "Total credit (USD)", "53.98 USD"):
        assert expected in text, expected
    assert reader.metadata.title == "Credit memo CM-000001"


def test_debit_memo_document_shows_the_charge_and_when_it_is_due(documents):
    text = text_of(documents["R2"])
    for expected in ("DEBIT MEMO", "DM-000001", "Rheinland Werkzeuge GmbH", "Customer ID: C300",
                     "Service charge", "1,234.56", "Tax (19%)", "234.57", "Amount due (EUR)", "1,469.13 EUR",
                     "Due date", "2026-12-20", "Please pay 1,469.13 EUR by 2026-12-20, quoting DM-000001"):
        assert expected in text, expected
    assert "Invoice" not in text.replace("invoice", "")  # a memo on account names no invoice


def test_names_beyond_latin_1_print_when_the_machine_has_a_unicode_font(make_book, run):
    if not register_fonts():
        pytest.skip("no TrueType sans font on this machine: memos print in Helvetica (Latin-1)")
    customers = [{"CustomerID": "PL1", "Name": "Zakład Mechaniczny Żółw Sp. z o.o.", "Currency": "PLN"}]
    path = make_book({"Customers": customers, "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "PL1", "Kind": "Credit", "Type": "Other", "Amount": 100,
         "Reason": "Rabat — Łódź"}]})
    run(path, "memos")
    text = text_of(PdfReader(path.parent / "Memos" / path.stem / "CM-000001.pdf"))
    assert "Zakład Mechaniczny Żółw Sp. z o.o." in text and "Rabat — Łódź" in text


def test_a_postal_address_the_clerk_keeps_in_customers_is_printed(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "MemoRequests": REQUESTS[:1]},
                     settings=SETTINGS)
    book = open_book(path)  # the clerk adds a BillingAddress column of their own to Customers
    raw = book.store.find("Customers")
    book.store.add_columns("Customers", ["BillingAddress"], [None], [40])
    book.store.write_column("Customers", len(raw.headers), raw.first_row,
                            ["77 Mill Road; Springfield, IL 62701", ""], None, as_text=True)
    save_book(book)
    run(path, "memos")
    text = text_of(PdfReader(path.parent / "Memos" / path.stem / "CM-000001.pdf"))
    assert "Customer ID: C100 77 Mill Road Springfield, IL 62701 ap@acmehardware.test" in text
