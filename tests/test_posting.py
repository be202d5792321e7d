"""Posting decided payments to the Applications ledger, on small workbooks run through the same
file store and command runner as the CLI."""
from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from arxl.core.numbering import next_ids
from arxl.core.posting import parse_apply_to

D = dt.date
CUSTOMERS = [
    {"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "2/10 Net 30"},
    {"CustomerID": "C2", "Name": "Blue Ridge Plumbing LLC"},
    {"CustomerID": "C3", "Name": "Rhein Maschinen GmbH", "Currency": "EUR"},
]
INVOICES = [
    {"InvoiceID": "100234", "CustomerID": "C1", "InvoiceDate": D(2026, 11, 1), "Amount": 1000.00},
    {"InvoiceID": "100235", "CustomerID": "C1", "InvoiceDate": D(2026, 11, 2), "Amount": 500.00},
    {"InvoiceID": "100236", "CustomerID": "C1", "InvoiceDate": D(2026, 11, 3), "Amount": 250.00},
    {"InvoiceID": "200001", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 5), "Amount": 1234.56},
    {"InvoiceID": "300001", "CustomerID": "C3", "InvoiceDate": D(2026, 10, 5), "Amount": 800.00},
]


def pay(payment_id, amount, **more):
    return {"PaymentID": payment_id, "ReceivedDate": D(2026, 11, 9), "PayerName": "ACME TOOLS",
            "Amount": amount, "Currency": "USD", **more}


def match(payment_id, invoice_id, amount, decision="Auto", customer="C1", confidence=97.0, **more):
    return {"PaymentID": payment_id, "CustomerID": customer, "InvoiceID": invoice_id,
            "ApplyAmount": amount, "Confidence": confidence, "Decision": decision,
            "Evidence": "test row", **more}


@pytest.fixture
def book(make_book, run):
    """book(payments, matches=(), applications=()) -> (RunResult, Workbook after one post)"""
    made = itertools.count(1)

    def go(payments, matches=(), applications=(), memos=()):
        path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": list(payments),
                          "Matches": list(matches), "Applications": list(applications),
                          "Memos": list(memos)}, name=f"book{next(made)}.xlsx")
        result, wb = run(path, "post")
        return path, result, wb
    return go


def ledger(wb) -> pd.DataFrame:
    return wb.read("Applications", required=False).reset_index(drop=True)


def invoices(wb) -> pd.DataFrame:
    return wb.read("Invoices").set_index("InvoiceID")


def payments(wb) -> pd.DataFrame:
    return wb.read("Payments").set_index("PaymentID")


def exceptions(wb) -> list[tuple]:
    ex = wb.read("Exceptions", required=False)
    return list(zip(ex["Sheet"], ex["Row"], ex["Column"], ex["Problem"]))


def assert_cash_conserved(wb):
    """Every payment in the ledger: applied plus on account equals its amount, or zero once
    reversed."""
    led, pays = ledger(wb), payments(wb)
    for payment_id, applied in led.groupby("PaymentID")["AppliedAmount"].sum().items():
        expected = 0 if pays.loc[payment_id, "MatchStatus"] == "Reversed" else pays.loc[payment_id, "Amount"]
        assert applied == expected, payment_id


def test_auto_matches_post_with_discount_and_overpayment_on_account(book):
    _, result, wb = book(
        [pay("P1", 1020.00, MatchedCustomerID="C1"), pay("P2", 1234.56, PayerName="BLUE RIDGE")],
        [match("P1", "100234", 980.00, Discount=20.00), match("P1", "", 40.00),
         match("P2", "200001", 1234.56, customer="C2", confidence=100)])
    assert result.outcomes["post"].counts["posted"] == 2
    led = ledger(wb)
    assert led[["ApplicationID", "PaymentID", "InvoiceID", "CustomerID", "AppliedAmount",
                "DiscountTaken", "ReasonCode", "Source"]].values.tolist() == [
        ["A0000001", "P1", "100234", "C1", 98000, 2000, "DISCOUNT", "Auto"],
        ["A0000002", "P1", "", "C1", 4000, 0, "OVERPAY", "Auto"],
        ["A0000003", "P2", "200001", "C2", 123456, 0, "PAID", "Auto"],
    ]
    assert led["PostedAt"].eq(pd.Timestamp("2026-11-20 18:00")).all()
    assert led["Confidence"].tolist()[0] == 97.0
    inv = invoices(wb)
    assert inv.loc["100234", ["Paid", "Discounts", "OpenBalance", "Status"]].tolist() == [98000, 2000, 0, "Paid"]
    assert inv.loc["100234", "LastPaymentDate"] == pd.Timestamp("2026-11-09")
    assert inv.loc["100235", "Status"] == "Open" and inv.loc["100235", "OpenBalance"] == 50000
    pays = payments(wb)
    assert pays["MatchStatus"].tolist() == ["Posted", "Posted"]
    assert pays["Unapplied"].tolist() == [4000, 0]
    assert pays.loc["P1", "MatchedInvoices"] == "100234"
    assert_cash_conserved(wb)


def test_posting_twice_posts_nothing_new(book, run):
    path, _, wb = book([pay("P1", 500.00)], [match("P1", "100235", 500.00)])
    assert len(ledger(wb)) == 1
    result, again = run(path, "post")
    assert result.outcomes["post"].counts["posted"] == 0
    assert ledger(again).equals(ledger(wb))
    assert invoices(again).loc["100235", "OpenBalance"] == 0
    assert payments(again).loc["P1", "MatchStatus"] == "Posted"


def test_a_payment_already_in_the_ledger_is_not_posted_again(book):
    earlier = {"ApplicationID": "A0000041", "PostedAt": dt.datetime(2026, 11, 10, 9), "PaymentID": "P1",
               "InvoiceID": "100235", "CustomerID": "C1", "AppliedAmount": 500.00, "ReasonCode": "PAID",
               "Source": "Auto"}
    _, _, wb = book([pay("P1", 500.00), pay("P2", 250.00)],
                         [match("P1", "100235", 500.00), match("P2", "100236", 250.00)], [earlier])
    led = ledger(wb)
    assert led["PaymentID"].tolist() == ["P1", "P2"]
    assert led["ApplicationID"].tolist() == ["A0000041", "A0000042"]  # numbered on, no gap


def test_override_with_amounts_wins_over_the_match(book):
    _, _, wb = book([pay("P1", 600.00, ApplyTo="100235=450.00; 100236=150")],
                    [match("P1", "100234", 600.00)])
    led = ledger(wb)
    assert led[["InvoiceID", "AppliedAmount", "ReasonCode", "Source"]].values.tolist() == [
        ["100235", 45000, "PARTIAL", "Override"], ["100236", 15000, "PARTIAL", "Override"]]
    assert invoices(wb).loc["100234", "Status"] == "Open"
    assert invoices(wb).loc["100235", ["OpenBalance", "Status"]].tolist() == [5000, "Partially paid"]
    assert payments(wb).loc["P1", "MatchedInvoices"] == "100235; 100236"


def test_override_without_amounts_fills_invoices_in_order_then_goes_on_account(book):
    _, _, wb = book([pay("P1", 800.00, ApplyTo="100236; 100235 ; 100234=100")])
    led = ledger(wb)
    # 100234 has an amount, so it is served first; the rest fills 100236 then 100235; 0 left.
    assert led[["InvoiceID", "AppliedAmount", "ReasonCode"]].values.tolist() == [
        ["100234", 10000, "PARTIAL"], ["100236", 25000, "PAID"], ["100235", 45000, "PARTIAL"]]
    _, _, wb = book([pay("P2", 900.00, ApplyTo="100236; 100235")])
    assert ledger(wb)[["InvoiceID", "AppliedAmount", "ReasonCode"]].values.tolist() == [
        ["100236", 25000, "PAID"], ["100235", 50000, "PAID"], ["", 15000, "OVERPAY"]]
    assert payments(wb).loc["P2", "Unapplied"] == 15000
    assert_cash_conserved(wb)


def test_override_on_account(book):
    _, _, wb = book([pay("P1", 300.00, ApplyTo="on account", CustomerID="C1"),
                     pay("P2", 300.00, ApplyTo="100236; ON ACCOUNT=100.00")],
                    [match("P1", "100236", 250.00)])
    led = ledger(wb)
    assert led[["PaymentID", "InvoiceID", "CustomerID", "AppliedAmount", "ReasonCode", "Source"]].values.tolist() == [
        ["P1", "", "C1", 30000, "ONACCOUNT", "Override"],
        ["P2", "100236", "C1", 20000, "PARTIAL", "Override"],
        ["P2", "", "C1", 10000, "OVERPAY", "Override"]]
    assert_cash_conserved(wb)


@pytest.mark.parametrize("apply_to, problem", [
    ("100234=12,5O", "not an amount"),
    ("999999", "999999 is not an invoice or debit memo"),
    ("100234=700; 100235=400", "more than the payment"),
    ("100234; 100234", "named twice"),
])
def test_an_unusable_override_is_an_exception_and_the_payment_is_not_posted(book, apply_to, problem):
    _, _, wb = book([pay("P1", 1000.00, ApplyTo=apply_to), pay("P2", 250.00)],
                    [match("P1", "100234", 1000.00), match("P2", "100236", 250.00)])
    assert ledger(wb)["PaymentID"].tolist() == ["P2"]
    (sheet, row, column, text), = exceptions(wb)
    assert (sheet, row, column) == ("Payments", 2, "ApplyTo") and problem in text
    assert payments(wb).loc["P1", "MatchStatus"] == "Exception"
    assert payments(wb).loc["P1", "Unapplied"] == 100000


def test_review_rows_wait_approved_rows_post_and_rejected_rows_do_not(book):
    _, result, wb = book(
        [pay("P1", 500.00, MatchStatus="Review"), pay("P2", 250.00), pay("P3", 1000.00),
         pay("P4", 1500.00, MatchStatus="Review")],
        [match("P1", "100235", 500.00, decision="Review", confidence=70),
         match("P2", "100236", 250.00, decision="approve", confidence=72),
         match("P3", "100234", 1000.00, decision="Reject", confidence=60),
         match("P4", "100234", 1000.00, decision="Approve"), match("P4", "100235", 500.00, decision="Reject")])
    led = ledger(wb)
    assert led[["PaymentID", "InvoiceID", "AppliedAmount", "Source"]].values.tolist() == [
        ["P2", "100236", 25000, "Approved"],
        ["P4", "100234", 100000, "Approved"], ["P4", "", 50000, "Approved"]]
    pays = payments(wb)
    assert pays.loc["P1", "MatchStatus"] == "Review"  # the matcher's status is left alone
    assert pays.loc["P3", "MatchStatus"] == ""
    assert result.outcomes["post"].counts["awaiting"] == 1


def test_reverse_appends_negated_rows_and_reversing_twice_does_nothing(book, run):
    path, _, wb = book([pay("P1", 1020.00), pay("P2", 250.00)],
                       [match("P1", "100234", 980.00, Discount=20.00), match("P1", "", 40.00),
                        match("P2", "100236", 250.00)])
    assert invoices(wb).loc["100234", "Status"] == "Paid"
    # the cheque bounces: the clerk types Reverse in its Action cell
    import openpyxl
    xl = openpyxl.load_workbook(path)
    ws = xl["Payments"]
    action_col = [c.value for c in ws[1]].index("Action") + 1
    ws.cell(2, action_col, "Reverse")
    xl.save(path)
    result, wb = run(path, "post", now=dt.datetime(2026, 11, 21, 8, 0))
    led = ledger(wb)
    reversal = led.loc[led["Source"] == "Reversal"]
    assert reversal[["ApplicationID", "PaymentID", "InvoiceID", "AppliedAmount", "DiscountTaken",
                     "ReasonCode"]].values.tolist() == [
        ["A0000004", "P1", "100234", -98000, -2000, "REVERSAL:A0000001"],
        ["A0000005", "P1", "", -4000, 0, "REVERSAL:A0000002"]]
    assert invoices(wb).loc["100234", ["Paid", "Discounts", "OpenBalance", "Status"]].tolist() == [0, 0, 100000, "Open"]
    assert pd.isna(invoices(wb).loc["100234", "LastPaymentDate"])
    assert payments(wb).loc["P1", ["MatchStatus", "Unapplied"]].tolist() == ["Reversed", 0]
    assert payments(wb).loc["P2", "MatchStatus"] == "Posted"
    assert result.outcomes["post"].counts["reversed"] == 1
    assert_cash_conserved(wb)
    result, again = run(path, "post", now=dt.datetime(2026, 11, 22, 8, 0))
    assert ledger(again).equals(led)
    assert result.outcomes["post"].counts["reversed"] == 0


def test_a_reversed_payment_whose_action_is_cleared_can_be_posted_again(book):
    rows = [{"ApplicationID": "A0000001", "PostedAt": dt.datetime(2026, 11, 10, 9), "PaymentID": "P1",
             "InvoiceID": "100235", "CustomerID": "C1", "AppliedAmount": 500.00, "Source": "Auto"},
            {"ApplicationID": "A0000002", "PostedAt": dt.datetime(2026, 11, 12, 9), "PaymentID": "P1",
             "InvoiceID": "100235", "CustomerID": "C1", "AppliedAmount": -500.00, "Source": "Reversal",
             "ReasonCode": "REVERSAL:A0000001"}]
    _, _, wb = book([pay("P1", 500.00, ApplyTo="100235")], applications=rows)
    assert ledger(wb)["AppliedAmount"].tolist() == [50000, -50000, 50000]
    assert invoices(wb).loc["100235", "Status"] == "Paid"


def test_a_bounced_payment_never_posted_is_marked_reversed_and_not_posted(book):
    _, _, wb = book([pay("P1", 500.00, Action="reverse")], [match("P1", "100235", 500.00)])
    assert ledger(wb).empty
    assert payments(wb).loc["P1", "MatchStatus"] == "Reversed"


def test_no_invoice_takes_more_than_its_open_balance_in_one_run(book):
    _, _, wb = book(
        [pay("P1", 600.00, ReceivedDate=D(2026, 11, 8)), pay("P2", 600.00, ReceivedDate=D(2026, 11, 9)),
         pay("P3", 500.00, ReceivedDate=D(2026, 11, 10))],
        [match("P1", "100234", 600.00), match("P2", "100234", 600.00), match("P3", "100234", 500.00)])
    led = ledger(wb)
    assert led[["PaymentID", "InvoiceID", "AppliedAmount", "ReasonCode"]].values.tolist() == [
        ["P1", "100234", 60000, "PARTIAL"],
        ["P2", "100234", 40000, "PAID"], ["P2", "", 20000, "OVERPAY"],
        ["P3", "", 50000, "ONACCOUNT"]]
    assert invoices(wb).loc["100234", "OpenBalance"] == 0
    problems = exceptions(wb)
    assert [(s, r) for s, r, _, _ in problems] == [("Payments", 3), ("Payments", 4)]
    assert "100234 has only 400.00 open" in problems[0][3]
    assert_cash_conserved(wb)


def test_clerk_overrides_go_before_automatic_matches_in_a_batch(book):
    _, _, wb = book([pay("P1", 250.00, ReceivedDate=D(2026, 11, 1)),
                     pay("P2", 250.00, ReceivedDate=D(2026, 11, 9), ApplyTo="100236")],
                    [match("P1", "100236", 250.00)])
    assert ledger(wb)[["PaymentID", "InvoiceID"]].values.tolist() == [["P2", "100236"], ["P1", ""]]


def test_currencies_are_never_mixed(book):
    _, _, wb = book([pay("P1", 800.00), pay("P2", 800.00, Currency="EUR", ApplyTo="100234"),
                     pay("P3", 800.00, Currency="eur")],
                    [match("P1", "300001", 800.00, customer="C3"), match("P3", "300001", 800.00, customer="C3")])
    assert ledger(wb)[["PaymentID", "InvoiceID", "AppliedAmount"]].values.tolist() == [["P3", "300001", 80000]]
    problems = exceptions(wb)
    assert [(s, r, c) for s, r, c, _ in problems] == [("Payments", 2, "Currency"), ("Payments", 3, "ApplyTo")]
    assert "in USD but 300001 is in EUR" in problems[0][3]
    assert payments(wb)["MatchStatus"].tolist() == ["Exception", "Exception", "Posted"]


def test_short_pay_is_recorded_with_the_reason_the_matcher_read(book):
    _, _, wb = book([pay("P1", 900.00, Reference="INV 100234 LESS 100.00 DAMAGED CARTONS")],
                    [match("P1", "100234", 900.00, ShortPay=100.00, Reason="DAMAGED_GOODS")])
    led = ledger(wb)
    assert led[["AppliedAmount", "ShortPay", "ReasonCode"]].values.tolist() == [[90000, 10000, "SHORTPAY:DAMAGED_GOODS"]]
    assert invoices(wb).loc["100234", ["OpenBalance", "Status"]].tolist() == [10000, "Short paid"]


def test_matches_that_apply_more_than_the_payment_are_refused(book):
    _, _, wb = book([pay("P1", 700.00)], [match("P1", "100234", 500.00), match("P1", "100235", 500.00)])
    assert ledger(wb).empty
    (sheet, row, column, problem), = exceptions(wb)
    assert (sheet, row, column) == ("Payments", 2, "Amount") and "more than the payment" in problem


def test_a_debit_memo_can_be_paid_by_its_memo_id(book):
    memo = {"MemoID": "DM-000001", "MemoDate": D(2026, 11, 2), "CustomerID": "C1", "Kind": "Debit",
            "Type": "Freight", "NetAmount": 75.00, "TaxAmount": 0, "TotalAmount": 75.00, "Currency": "USD"}
    _, _, wb = book([pay("P1", 100.00, ApplyTo="dm-000001")], memos=[memo])
    assert ledger(wb)[["InvoiceID", "AppliedAmount", "ReasonCode"]].values.tolist() == [
        ["DM-000001", 7500, "PAID"], ["", 2500, "OVERPAY"]]


def test_parse_apply_to_and_application_ids():
    assert parse_apply_to(" 100234 ; 100235 = 1,250.50 ;ON  ACCOUNT", "USD") == [
        ("100234", None), ("100235", 125050), ("", None)]
    assert parse_apply_to("100235=1.250,5", "EUR", ",") == [("100235", 125050)]
    assert parse_apply_to("100235=12.345", "KWD") == [("100235", 12345)]
    with pytest.raises(ValueError, match="no amount"):
        parse_apply_to("100234=", "USD")
    with pytest.raises(ValueError, match="more than zero"):
        parse_apply_to("100234=-5", "USD")
    with pytest.raises(ValueError, match="decimals"):
        parse_apply_to("100234=12.345", "USD")
    assert next_ids(["A0000009", "X12", "a0000010", ""], 2, "A", 7) == ["A0000011", "A0000012"]
    assert next_ids([], 1, "A", 7) == ["A0000001"]


def test_approving_the_invoice_rows_posts_the_rest_on_account_without_approving_that_row(book):
    _, _, wb = book([pay("P1", 1100.00, MatchStatus="Review"), pay("P2", 80.00, MatchStatus="Review")],
                    [match("P1", "100234", 1000.00, decision="Approve", confidence=80),
                     match("P1", "", 100.00, decision="Review", confidence=80),
                     match("P2", "", 80.00, decision="Review", confidence=40)])
    assert ledger(wb)[["PaymentID", "InvoiceID", "CustomerID", "AppliedAmount", "ReasonCode", "Source"]].values.tolist() == [
        ["P1", "100234", "C1", 100000, "PAID", "Approved"], ["P1", "", "C1", 10000, "OVERPAY", "Approved"]]
    assert payments(wb).loc["P2", "MatchStatus"] == "Review"  # a payment kept whole on account needs a yes


def test_an_unknown_action_or_a_negative_payment_is_not_posted(book):
    _, _, wb = book([pay("P1", 500.00, Action="Hold"), pay("P2", -250.00, ApplyTo="100236")],
                    [match("P1", "100235", 500.00)])
    assert ledger(wb).empty
    assert [(s, r, c) for s, r, c, _ in exceptions(wb)] == [("Payments", 2, "Action"), ("Payments", 3, "Amount")]
    assert payments(wb)["MatchStatus"].tolist() == ["Exception", "Exception"]
