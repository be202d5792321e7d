"""arxl invoice on real workbooks: numbering (after the highest, no gap, no reuse, never twice for a
request), sales tax (rates per line, exempt customers, rounding per line and per invoice), due
dates, freight, the PDF and its e-mail draft, and bad rows reported."""
from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from arxl.book.files import open_book, save_book
from arxl.contract import spec

CUSTOMERS = [
    {"CustomerID": "C100", "Name": "Acme Hardware Supply", "Terms": "Net 15", "Email": "ap@acme.test",
     "Address": "12 Harbor Road; Albany, NY 12207"},
    {"CustomerID": "C200", "Name": "Blue Ridge School District", "TaxExempt": "Yes", "TaxCertificate": "EX-44-1093"},
    {"CustomerID": "C300", "Name": "Rheinland Werkzeuge GmbH", "Currency": "EUR", "Terms": "Net 30"},
    {"CustomerID": "C400", "Name": "Stalled Co", "Status": "Hold"},
]
TAX_RATES = [{"TaxCode": "ST-825", "Rate": 0.0825, "Description": "Sales tax"},
             {"TaxCode": "ST-5", "Rate": 0.05, "Description": "County tax"},
             {"TaxCode": "VAT-19", "Rate": 0.19, "Description": "VAT"}]


def line(rid, customer="C100", key="", price=10.0, quantity=1, code="ST-825", **more):
    return {"RequestID": rid, "CustomerID": customer, "InvoiceKey": key, "Description": f"item {rid}",
            "Quantity": quantity, "UnitPrice": price, "TaxCode": code, **more}


def book_with(make_book, requests, invoices=(), settings=None):
    return make_book({"Customers": CUSTOMERS, "TaxRates": TAX_RATES, "InvoiceRequests": list(requests),
                      "Invoices": list(invoices)}, settings=settings)


def set_rows(path, table, rows):
    """The clerk edits a table so that it holds exactly ``rows``, then saves."""
    book = open_book(path)
    raw = book.store.find(table)
    book.store.resize(table, len(rows))
    for offset, header in enumerate(raw.headers):
        name = spec(table).column(header).name
        book.store.write_column(table, offset, raw.first_row, [r.get(name) for r in rows], None, as_text=False)
    save_book(book)


def invoices_by_id(book):
    return book.read("Invoices").set_index("InvoiceID")


def statuses(book):
    frame = book.read("InvoiceRequests").set_index("RequestID")
    return {rid: (r.InvoiceID, r.Status) for rid, r in frame.iterrows()}


def test_numbers_follow_the_highest_in_use_without_gap_and_never_twice(make_book, run):
    earlier = [{"InvoiceID": "INV-000041", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 50},
               {"InvoiceID": "INV-000007", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 70},
               {"InvoiceID": "X-900", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 10}]
    path = book_with(make_book, [line("R1", key="A"), line("R2", key="A"), line("R3", key="B"), line("R4")],
                     invoices=earlier)
    result, book = run(path, "invoice")
    assert result.ok and result.outcomes["invoice"].counts["made"] == 3
    assert statuses(book) == {"R1": ("INV-000042", "Made"), "R2": ("INV-000042", "Made"),
                              "R3": ("INV-000043", "Made"), "R4": ("INV-000044", "Made")}
    lines = book.read("InvoiceLines")
    assert lines["InvoiceID"].tolist() == ["INV-000042", "INV-000042", "INV-000043", "INV-000044"]
    assert lines["Line"].tolist() == [1, 2, 1, 1]

    # a second run makes nothing: every request is in the InvoiceLines ledger
    result, book = run(path, "invoice")
    assert result.outcomes["invoice"].counts["made"] == 0
    assert len(book.read("Invoices")) == 6 and len(book.read("InvoiceLines")) == 4



def test_a_deleted_invoice_s_number_is_not_given_again(make_book, run):
    path = book_with(make_book, [line("R1")])
    run(path, "invoice")
    # the clerk deletes the invoice's row and asks for another: InvoiceLines still holds INV-000001
    set_rows(path, "Invoices", [])
    set_rows(path, "InvoiceRequests", [line("R1"), line("R2")])
    _, book = run(path, "invoice")
    assert book.read("Invoices")["InvoiceID"].tolist() == ["INV-000002"]
    assert statuses(book)["R2"] == ("INV-000002", "Made")


@pytest.mark.parametrize("rounding, tax", [("Line", 3), ("Invoice", 2)])
def test_tax_rounding_per_line_and_per_invoice(make_book, run, rounding, tax):
    """Three lines of 0.10 at 8.25%: each line's tax is 0.825 cent. Per line: 1 + 1 + 1 = 3
    cents; per invoice: 8.25% of 0.30 is 2.475 cents -> 2, shared so that the lines add up."""
    path = book_with(make_book, [line(f"R{n}", key="K", price=0.10) for n in (1, 2, 3)],
                     settings={"TaxRounding": rounding})
    _, book = run(path, "invoice")
    invoice = invoices_by_id(book).loc["INV-000001"]
    assert (invoice["TaxAmount"], invoice["Amount"]) == (tax, 30 + tax)
    assert int(book.read("InvoiceLines")["TaxAmount"].sum()) == tax


def test_rates_per_line_exempt_customers_and_untaxed_freight(make_book, run):
    path = book_with(make_book, [
        line("R1", key="A", price=100.00, quantity=3, code="ST-825", Freight=12.50),  # 300.00, tax 24.75
        line("R2", key="A", price=19.99, quantity=2, code="ST-5"),                    # 39.98, tax 2.00 (1.999)
        line("R3", key="A", price=5.00, code=""),                                     # not taxed
        line("R4", customer="C200", key="S", price=250.00, code="ST-825"),            # exempt
        line("R5", customer="C300", key="E", price=1000.00, code="VAT-19"),           # EUR
    ])
    result, book = run(path, "invoice")
    assert result.ok
    invoices = invoices_by_id(book)
    a = invoices.loc["INV-000001"]
    assert (a["TaxAmount"], a["FreightAmount"], a["Amount"]) == (2675, 1250, 30000 + 3998 + 500 + 2675 + 1250)
    assert a["DueDate"] == dt.datetime(2026, 12, 5)  # Net 15 from the run's date 2026-11-20
    lines = book.read("InvoiceLines").set_index("RequestID")
    assert lines.loc["R1", "TaxAmount"] == 2475 and lines.loc["R2", "TaxAmount"] == 200
    assert lines.loc["R3", "TaxAmount"] == 0
    exempt = invoices.loc["INV-000002"]
    assert (exempt["TaxAmount"], exempt["Amount"]) == (0, 25000)
    euro = invoices.loc["INV-000003"]
    assert (euro["Currency"], euro["TaxAmount"], euro["Amount"]) == ("EUR", 19000, 119000)

    pdf = path.parent / lines.loc["R4", "Document"]
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "EX-44-1093" in text and "Blue Ridge School District" in text


def test_the_invoice_pdf_and_its_draft(make_book, run):
    path = book_with(make_book, [line("R1", price=42.50, quantity=2, PONumber="PO-5581")])
    _, book = run(path, "invoice")
    document = book.read("InvoiceLines")["Document"].iloc[0]
    assert document == "Invoices/book/INV-000001.pdf"
    text = "".join(page.extract_text() for page in PdfReader(path.parent / document).pages)
    for words in ("INVOICE", "INV-000001", "Acme Hardware Supply", "12 Harbor Road", "PO-5581", "92.01", "USD"):
        assert words in text, words
    draft = message_from_bytes((path.parent / "Invoices/book/INV-000001.eml").read_bytes(), policy=policy.default)
    assert draft["To"] == "ap@acme.test" and draft["Subject"] == "Invoice INV-000001 from Your Company Inc."
    assert "92.01 USD" in draft.get_body(("plain",)).get_content()
    [attachment] = list(draft.iter_attachments())
    assert attachment.get_filename() == "INV-000001.pdf"
    assert attachment.get_content() == (path.parent / document).read_bytes()
    outbox = book.read("Outbox")
    assert outbox[["Event", "Kind", "Reference", "To"]].values.tolist() == [
        ["Drafted", "Invoice", "INV-000001", "ap@acme.test"]]


def test_bad_rows_and_customers_on_hold_are_reported_not_invoiced(make_book, run):
    path = book_with(make_book, [line("R1", code="NOPE"), line("R2", customer="C400"),
                                 line("R3", customer="C999"), line("R4", quantity=-1), line("R5")])
    result, book = run(path, "invoice")
    assert statuses(book) == {"R1": ("", "Not made: see Exceptions"), "R2": ("", "Customer on hold"), "R3": ("", "Not made: see Exceptions"),
                              "R4": ("", "Not made: see Exceptions"), "R5": ("INV-000001", "Made")}
    exceptions = book.read("Exceptions")
    mine = exceptions.loc[exceptions["Command"] == "invoice", "Problem"].tolist()
    assert any("NOPE is not in TaxRates" in p for p in mine)
    assert any("C400 is on Hold" in p for p in mine)
    assert any("unknown customer" in p for p in mine)
    assert any("quantity is zero or negative" in p for p in mine)
