"""Make memos on real workbooks: numbering, idempotency, amounts and tax, caps, bad rows,
approval, the effect on the books, and the Invoices [arxl] columns."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from arxl.book.files import FileStore, open_book, save_book
from arxl.book.port import Workbook
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.contract import MEMO_REQUESTS
from arxl.core.balances import compute_balances

CUSTOMERS = [
    {"CustomerID": "C100", "Name": "Acme Hardware Supply", "Terms": "Net 15", "Email": "ap@acme.test"},
    {"CustomerID": "C200", "Name": "Blue Ridge Plumbing LLC", "Terms": "Net 30"},
    {"CustomerID": "C300", "Name": "Rheinland Werkzeuge GmbH", "Currency": "EUR"},
]
# INV-1: 1,000.00 goods incl. 50.00 freight, 80.00 tax -> 1,080.00 (tax ratio 8%).
INVOICES = [
    {"InvoiceID": "INV-1", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 1080.00,
     "TaxAmount": 80.00, "FreightAmount": 50.00, "PONumber": "PO-5581"},
    {"InvoiceID": "INV-2", "CustomerID": "C200", "InvoiceDate": dt.date(2026, 10, 5), "Amount": 500.00},
    {"InvoiceID": "INV-3", "CustomerID": "C300", "InvoiceDate": dt.date(2026, 10, 9), "Amount": 1190.00,
     "TaxAmount": 190.00, "Currency": "EUR"},
]


def request(rid, customer="C100", kind="Credit", type_="Product", amount=None, **more):
    row = {"RequestID": rid, "CustomerID": customer, "Kind": kind, "Type": type_,
           "Reason": more.pop("Reason", f"request {rid}"), "Amount": amount}
    row.update(more)
    return row


def set_requests(path, rows):
    """The clerk edits the MemoRequests sheet so that it holds exactly ``rows`` (deleting,
    changing and adding rows), then saves."""
    book = open_book(path)
    raw = book.store.find("MemoRequests")
    book.store.resize("MemoRequests", len(rows))
    for offset, header in enumerate(raw.headers):
        name = MEMO_REQUESTS.column(header).name
        book.store.write_column("MemoRequests", offset, raw.first_row, [r.get(name) for r in rows],
                                None, as_text=False)
    save_book(book)


def memo_ledger(book):
    return book.read("Memos").set_index("RequestID")


def statuses(book):
    frame = book.read("MemoRequests").set_index("RequestID")
    return {rid: (r.MemoID, r.Status) for rid, r in frame.iterrows()}


def exceptions(book):
    return [(r.Row, r.Column, r.Problem) for r in book.read("Exceptions").itertuples()]


@pytest.fixture
def book_with(make_book):
    def make(requests, settings=None, **tables):
        rows = {"Customers": CUSTOMERS, "Invoices": INVOICES, "MemoRequests": requests}
        rows.update(tables)
        return make_book(rows, settings=settings)
    return make


# --- numbering and idempotency ----------------------------------------------------------------

def test_memos_are_numbered_without_gaps_across_runs_and_after_a_deleted_request(book_with, run):
    first = [request("R1", amount=100), request("R2", kind="Debit", type_="Service", amount=40),
             request("R3", amount=10)]
    path = book_with(first)
    _, book = run(path, "memos")
    assert memo_ledger(book)["MemoID"].to_dict() == {"R1": "CM-000001", "R2": "DM-000001", "R3": "CM-000002"}

    # The clerk deletes R3's row (its memo stays in the ledger) and adds two requests.
    set_requests(path, first[:2] + [request("R4", amount=20), request("R5", kind="Debit", type_="Other", amount=5)])
    result, book = run(path, "memos")
    ledger = memo_ledger(book)
    assert ledger["MemoID"].to_dict() == {"R1": "CM-000001", "R2": "DM-000001", "R3": "CM-000002",
                                          "R4": "CM-000003", "R5": "DM-000002"}
    assert result.outcomes["memos"].counts["made"] == 2


def test_numbering_follows_the_highest_number_already_in_the_ledger(book_with, run):
    history = [{"MemoID": "CM-000041", "MemoDate": dt.date(2026, 9, 1), "RequestID": "OLD-1", "CustomerID": "C200",
                "Kind": "Credit", "Type": "Other", "NetAmount": 1, "TaxAmount": 0, "TotalAmount": 1,
                "Currency": "USD", "Reason": "old"},
               {"MemoID": "CM-000007", "MemoDate": dt.date(2026, 8, 1), "RequestID": "OLD-2", "CustomerID": "C200",
                "Kind": "Credit", "Type": "Other", "NetAmount": 1, "TaxAmount": 0, "TotalAmount": 1,
                "Currency": "USD", "Reason": "old"}]
    path = book_with([request("R1", customer="C200", amount=12), request("R2", customer="C200", amount=13)],
                     settings={"MemoPrefixDebit": "DN/"}, Memos=history)
    _, book = run(path, "memos")
    assert memo_ledger(book).loc[["R1", "R2"], "MemoID"].tolist() == ["CM-000042", "CM-000043"]


def test_credits_and_debits_sharing_a_prefix_share_one_sequence(book_with, run):
    path = book_with([request("R1", amount=10), request("R2", kind="Debit", type_="Service", amount=10),
                      request("R3", amount=10)],
                     settings={"MemoPrefixCredit": "ADJ-", "MemoPrefixDebit": "ADJ-"})
    _, book = run(path, "memos")
    assert memo_ledger(book)["MemoID"].tolist() == ["ADJ-000001", "ADJ-000002", "ADJ-000003"]


def test_a_request_already_made_is_never_made_again(book_with, run):
    path = book_with([request("R1", amount=100, InvoiceID="INV-1")])
    _, once = run(path, "memos")
    result, twice = run(path, "memos")
    assert len(twice.read("Memos")) == 1
    assert result.outcomes["memos"].counts["made"] == 0
    assert statuses(twice)["R1"] == ("CM-000001", "Made")
    assert twice.read("Invoices").loc[2, "Credited"] == once.read("Invoices").loc[2, "Credited"] == 10800


# --- amounts, tax and types -------------------------------------------------------------------

def test_each_memo_type_gets_its_amounts_and_tax(book_with, run):
    path = book_with([
        request("P", type_="Product", Quantity=2.5, UnitPrice=19.99, InvoiceID="INV-1"),  # 49.98 + 8%
        request("S", kind="Debit", type_="Service", amount=33.33, TaxRate=0.075),
        request("F", type_="Freight", amount=20, InvoiceID="INV-1"),
        request("T", type_="Tax", amount=5, InvoiceID="INV-1"),
        request("PR", customer="C200", type_="Price", amount=75, InvoiceID="INV-2"),
        request("O", customer="C200", type_="Other", amount=10),
        request("E", customer="C300", type_="Price", amount=100, InvoiceID="INV-3"),
    ])
    _, book = run(path, "memos")
    got = {rid: (r.Kind, r.Type, r.NetAmount, r.TaxAmount, r.TotalAmount, r.Currency, r.InvoiceID)
           for rid, r in memo_ledger(book).iterrows()}
    assert got == {
        "P": ("Credit", "Product", 4998, 400, 5398, "USD", "INV-1"),  # 49.98 x 8% = 3.9984 -> 4.00
        "S": ("Debit", "Service", 3333, 250, 3583, "USD", ""),  # 33.33 x 7.5% = 2.49975 -> 2.50
        "F": ("Credit", "Freight", 2000, 160, 2160, "USD", "INV-1"),
        "T": ("Credit", "Tax", 0, 500, 500, "USD", "INV-1"),  # tax alone
        "PR": ("Credit", "Price", 7500, 0, 7500, "USD", "INV-2"),  # INV-2 shows no tax
        "O": ("Credit", "Other", 1000, 0, 1000, "USD", ""),  # no invoice, no rate: no tax
        "E": ("Credit", "Price", 10000, 1900, 11900, "EUR", "INV-3"),  # the invoice's currency
    }


def test_tax_rate_on_the_request_wins_over_the_invoice_ratio_and_rounds_half_up(book_with, run):
    path = book_with([request("R1", amount=10.05, TaxRate=0.10, InvoiceID="INV-1"),
                      request("R2", amount=10.05, InvoiceID="INV-1")])
    _, book = run(path, "memos")
    ledger = memo_ledger(book)
    assert ledger.loc["R1", ["NetAmount", "TaxAmount", "TotalAmount"]].tolist() == [1005, 101, 1106]
    assert ledger.loc["R2", ["NetAmount", "TaxAmount", "TotalAmount"]].tolist() == [1005, 80, 1085]  # 0.804


def test_memo_date_is_the_requested_one_else_the_runs_as_of_date(book_with, run):
    """One date per run: a memo made on the 21st in a workbook worked as of the 20th is dated the
    20th, so the aging as of the 20th and the invoices' balances agree."""
    path = book_with([request("R1", amount=10, MemoDate=dt.date(2026, 11, 2)), request("R2", amount=10)])
    _, book = run(path, "memos", now=dt.datetime(2026, 11, 21, 9, 30))
    dates = memo_ledger(book)["MemoDate"].dt.date.to_dict()
    assert dates == {"R1": dt.date(2026, 11, 2), "R2": dt.date(2026, 11, 20)}


# --- caps -------------------------------------------------------------------------------------

def test_freight_credit_cannot_exceed_the_freight_billed(book_with, run):
    path = book_with([request("F1", type_="Freight", amount=30, InvoiceID="INV-1"),
                      request("F2", type_="Freight", amount=25, InvoiceID="INV-1"),  # 55 > 50 billed
                      request("F3", customer="C200", type_="Freight", amount=5, InvoiceID="INV-2"),  # none billed
                      request("F4", kind="Debit", type_="Freight", amount=80, InvoiceID="INV-1")])  # under-billed
    _, book = run(path, "memos")
    assert sorted(memo_ledger(book).index) == ["F1", "F4"]
    problems = exceptions(book)
    assert (3, "Amount", "the freight credited on invoice INV-1 would come to 55.00 USD, more than the "
            "50.00 USD of freight billed") in problems
    assert any(row == 4 and "0.00 USD of freight billed" in text for row, _, text in problems)
    assert statuses(book)["F2"] == ("", "Not made: see Exceptions")


def test_tax_credit_cannot_exceed_the_tax_billed(book_with, run):
    untaxed = {"InvoiceID": "INV-4", "CustomerID": "C200", "InvoiceDate": dt.date(2026, 10, 6),
               "Amount": 300.00, "TaxAmount": 0}
    path = book_with([request("T1", type_="Tax", amount=80.01, InvoiceID="INV-1"),
                      request("T2", customer="C200", type_="Tax", amount=1, InvoiceID="INV-4"),
                      request("T3", customer="C200", amount=100, TaxRate=0.05, InvoiceID="INV-4"),
                      request("T4", customer="C200", amount=100, TaxRate=0.05, InvoiceID="INV-2")],
                     Invoices=INVOICES + [untaxed])
    _, book = run(path, "memos")
    assert {(row, col) for row, col, _ in exceptions(book)} == {(2, "Amount"), (3, "Amount"), (4, "TaxRate")}
    # INV-2 does not record its tax: only what was billed in all limits the credit.
    assert memo_ledger(book)["TotalAmount"].to_dict() == {"T4": 10500}


def test_crediting_an_invoice_in_parts_takes_back_its_tax_to_the_cent(book_with, run):
    parts = [request(f"P{i}", amount=net, InvoiceID="INV-1") for i, net in enumerate((333.33, 333.33, 333.34))]
    path = book_with(parts)
    _, book = run(path, "memos")
    ledger = memo_ledger(book)
    # 8% of each part rounds to 26.67; three of them would take back 80.01 of 80.00 billed.
    assert ledger["TaxAmount"].tolist() == [2667, 2667, 2666]
    assert ledger["TotalAmount"].sum() == 108000
    invoice = book.read("Invoices").set_index("InvoiceID").loc["INV-1"]
    assert (invoice["Credited"], invoice["OpenBalance"], invoice["Status"]) == (108000, 0, "Credited")


def test_credit_beyond_what_was_billed_is_refused(book_with, run):
    path = book_with([request("R1", customer="C200", amount=400, InvoiceID="INV-2"),
                      request("R2", customer="C200", amount=100.01, InvoiceID="INV-2"),  # 500.01 > 500.00
                      request("R3", customer="C200", amount=100, InvoiceID="INV-2")])  # exactly what is left
    _, book = run(path, "memos")
    assert memo_ledger(book)["MemoID"].to_dict() == {"R1": "CM-000001", "R3": "CM-000002"}
    (row, column, problem), = exceptions(book)
    assert (row, column) == (3, "Amount")
    assert "credits on invoice INV-2 would come to 500.01 USD, more than the 500.00 USD billed" in problem


def test_credit_beyond_the_open_balance_is_made_and_leaves_a_customer_credit(book_with, run):
    paid = [{"ApplicationID": "A1", "PostedAt": dt.datetime(2026, 11, 1, 10), "PaymentID": "P1",
             "InvoiceID": "INV-2", "CustomerID": "C200", "AppliedAmount": 450.00, "Source": "Auto"}]
    path = book_with([request("R1", customer="C200", amount=80, InvoiceID="INV-2", Reason="Late delivery")],
                     Applications=paid)
    _, book = run(path, "memos")
    assert memo_ledger(book).loc["R1", "TotalAmount"] == 8000
    assert statuses(book)["R1"] == ("CM-000001", "Made; 30.00 USD is left as a credit on account")
    (row, _, problem), = exceptions(book)
    assert row == 2 and "exceeds what was open on invoice INV-2 by 30.00 USD" in problem
    invoice = book.read("Invoices").set_index("InvoiceID").loc["INV-2"]
    assert (invoice["Paid"], invoice["Credited"], invoice["OpenBalance"]) == (45000, 5000, 0)
    balances, _ = compute_balances(book.read("Invoices"), book.read("Applications"), book.read("Memos"),
                                   book.read("Payments", required=False))
    credit = balances.open_items.set_index("DocID").loc["CM-000001"]
    assert (credit["DocType"], credit["CustomerID"], credit["OpenAmount"]) == ("Credit memo", "C200", -3000)


def test_effect_on_the_books_and_the_invoice_columns(book_with, run):
    path = book_with([request("R1", amount=200, InvoiceID="INV-1"),  # 216.00 with tax
                      request("R2", kind="Debit", type_="Service", amount=50, customer="C200"),
                      request("R3", customer="C200", type_="Other", amount=25)])  # on account
    _, book = run(path, "memos")
    invoices = book.read("Invoices").set_index("InvoiceID")
    assert invoices.loc["INV-1", ["Credited", "OpenBalance"]].tolist() == [21600, 86400]
    assert invoices.loc["INV-2", ["Credited", "OpenBalance"]].tolist() == [0, 50000]
    balances, _ = compute_balances(book.read("Invoices"), book.read("Applications", required=False),
                                   book.read("Memos"), book.read("Payments", required=False))
    items = balances.open_items.set_index("DocID")
    assert items.loc["DM-000001", ["DocType", "CustomerID", "OpenAmount"]].tolist() == ["Debit memo", "C200", 5000]
    assert items.loc["CM-000002", ["DocType", "CustomerID", "OpenAmount"]].tolist() == ["Credit memo", "C200", -2500]
    assert "CM-000001" not in items.index  # absorbed by INV-1 in full


# --- bad rows ---------------------------------------------------------------------------------

SOUND = request("OK", amount=10)


@pytest.mark.parametrize("bad, column, words", [
    (request("X", customer="C999", amount=10), "CustomerID", "unknown customer"),
    (request("X", amount=10, InvoiceID="INV-404"), "InvoiceID", "unknown invoice"),
    (request("X", amount=10, InvoiceID="INV-2"), "InvoiceID", "belongs to customer C200, not C100"),
    (request("X", amount=10, InvoiceID="INV-1", Currency="EUR"), "Currency", "not the currency of invoice INV-1"),
    (request("X", amount=-10), "Amount", "zero or negative"),
    (request("X", amount=0), "Amount", "zero or negative"),
    (request("X", Quantity=-1, UnitPrice=5), "Quantity", "zero or negative"),
    (request("X", Quantity=3, UnitPrice=0), "UnitPrice", "zero or negative"),
    (request("X", amount=30, Quantity=3, UnitPrice=9.99), "Amount", "disagrees with Quantity x UnitPrice (3 x 9.99 = 29.97)"),
    (request("X", Quantity=3), "UnitPrice", "UnitPrice is blank"),
    (request("X"), "Amount", "no amount"),
    (request("X", kind="Refund", amount=10), "Kind", "Kind 'Refund' is not one of Credit, Debit"),
    (request("X", type_="Goodwill", amount=10), "Type", "'Goodwill' is not one of Product, Service"),
    (request("X", type_="Tax", amount=10), "InvoiceID", "needs the invoice"),
    (request("X", amount=10, MemoDate="next week"), "MemoDate", "not a date"),
])
def test_a_bad_row_makes_no_memo_and_the_sound_rows_go_on(book_with, run, bad, column, words):
    path = book_with([bad, SOUND])
    result, book = run(path, "memos")
    assert memo_ledger(book)["MemoID"].to_dict() == {"OK": "CM-000001"}  # no number spent on the bad row
    problems = [(c, p) for row, c, p in exceptions(book) if row == 2]
    assert any(c == column and words in p for c, p in problems), problems
    sheet = openpyxl.load_workbook(path)["MemoRequests"]
    assert sheet.cell(2, [c.value for c in sheet[1]].index("Status") + 1).value == "Not made: see Exceptions"
    assert result.outcomes["memos"].counts["not made"] == 1


def test_every_problem_of_a_row_is_reported_at_once(book_with, run):
    path = book_with([request("X", customer="C999", kind="Crdit", type_="Foo", amount=-5)])
    _, book = run(path, "memos")
    assert {c for _, c, _ in exceptions(book)} == {"CustomerID", "Kind", "Type", "Amount"}


def test_an_unreadable_ledger_row_stops_numbering(book_with, run):
    broken = [{"MemoID": "CM-000050", "MemoDate": "sometime", "RequestID": "OLD", "CustomerID": "C100",
               "Kind": "Credit", "Type": "Other", "NetAmount": 1, "TaxAmount": 0, "TotalAmount": 1}]
    path = book_with([request("R1", amount=10)], Memos=broken)
    result, book = run(path, "memos")
    assert "no number is used twice" in result.failures["memos"]
    assert len(openpyxl.load_workbook(path)["Memos"]["A"]) == 2  # header and the old row only


# --- approval ---------------------------------------------------------------------------------

def test_with_approval_required_only_approved_rows_are_made(book_with, run):
    rows = [request("R1", amount=10, Approved="Yes"), request("R2", amount=20),
            request("R3", amount=30, Approved="x"), request("R4", amount=40, Approved="No")]
    path = book_with(rows, settings={"MemoApprovalRequired": "Yes"})
    result, book = run(path, "memos")
    assert memo_ledger(book)["MemoID"].to_dict() == {"R1": "CM-000001", "R3": "CM-000002"}
    assert statuses(book)["R2"] == ("", "Awaiting approval")
    assert statuses(book)["R4"] == ("", "Awaiting approval")
    assert result.outcomes["memos"].counts["awaiting approval"] == 2

    rows[1]["Approved"] = "Y"  # the manager approves R2
    set_requests(path, rows)
    _, book = run(path, "memos")
    assert memo_ledger(book).loc["R2", "MemoID"] == "CM-000003"


def test_without_approval_required_the_approved_column_is_ignored(book_with, run):
    path = book_with([request("R1", amount=10, Approved="No")])
    _, book = run(path, "memos")
    assert memo_ledger(book).loc["R1", "MemoID"] == "CM-000001"


# --- documents --------------------------------------------------------------------------------

def test_each_memo_document_is_written_next_to_the_workbook(book_with, run):
    path = book_with([request("R1", amount=10), request("R2", kind="Debit", type_="Service", amount=5)],
                     settings={"MemoFolder": "Credit notes"})
    _, book = run(path, "memos")
    documents = memo_ledger(book)["Document"].to_dict()
    assert documents == {"R1": "Credit notes/book/CM-000001.pdf", "R2": "Credit notes/book/DM-000001.pdf"}
    assert all((path.parent / d).read_bytes().startswith(b"%PDF") for d in documents.values())


def test_an_unsaved_workbook_gets_memos_without_documents(book_with, tmp_path):
    path = book_with([request("R1", amount=10)])
    book = Workbook(FileStore(openpyxl.load_workbook(path)), path=None)
    result = run_commands(book, ["memos"], Context(now=dt.datetime(2026, 11, 20, 18)))
    ledger = book.read("Memos")
    assert ledger["MemoID"].tolist() == ["CM-000001"] and ledger["Document"].tolist() == [""]
    status = book.read("MemoRequests").loc[2, "Status"]
    assert status == "Made; no PDF (the workbook was never saved)"
    assert "no PDF" in result.outcomes["memos"].summary
    assert not list(tmp_path.rglob("*.pdf"))
