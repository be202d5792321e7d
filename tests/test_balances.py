"""Invoice balances and open items from the ledgers, now and as of earlier dates."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from frames import table

from arxl.core.balances import compute_balances, resolve_currencies


def invoice(invoice_id, amount, **more):
    return {"InvoiceID": invoice_id, "CustomerID": "C1", "InvoiceDate": "2026-09-01",
            "Amount": amount, **more}


def payment(payment_id, amount, received):
    return {"PaymentID": payment_id, "ReceivedDate": received, "PayerName": "ACME", "Amount": amount}


def app(app_id, payment_id, invoice_id, applied, posted="2026-11-10 09:00", source="Auto", **more):
    return {"ApplicationID": app_id, "PostedAt": posted, "PaymentID": payment_id,
            "InvoiceID": invoice_id, "CustomerID": "C1", "AppliedAmount": applied,
            "Source": source, **more}


def memo(memo_id, kind, total, date, invoice_id="", currency="USD"):
    return {"MemoID": memo_id, "MemoDate": date, "CustomerID": "C1", "InvoiceID": invoice_id,
            "Kind": kind, "Type": "Price", "TotalAmount": total, "Currency": currency}


def balances(invoices, apps=(), memos=(), payments=(), as_of=None):
    result, problems = compute_balances(table("Invoices", *invoices), table("Applications", *apps),
                                        table("Memos", *memos), table("Payments", *payments),
                                        as_of=as_of)
    return result, problems


def by_id(result, invoices):
    frame = result.invoices.copy()
    frame.index = [i["InvoiceID"] for i in invoices]
    return frame


def test_each_status_and_its_figures():
    invoices = [invoice("I-open", "100.00"), invoice("I-part", "100.00"), invoice("I-paid", "100.00"),
                invoice("I-disc", "100.00"), invoice("I-short", "100.00"),
                invoice("I-cred", "100.00"), invoice("I-disp", "100.00", Disputed="Yes"),
                invoice("I-wo", "100.00")]
    payments = [payment("P1", "1000.00", "2026-11-02")]
    apps = [app("A1", "P1", "I-part", "40.00"), app("A2", "P1", "I-paid", "100.00"),
            app("A3", "P1", "I-disc", "98.00", DiscountTaken="2.00"),
            app("A4", "P1", "I-short", "75.00", ShortPay="25.00"),
            app("A5", "P1", "I-disp", "10.00"), app("A6", "P1", "I-wo", "99.00", WriteOff="1.00")]
    memos = [memo("CM-1", "Credit", "100.00", "2026-11-05", "I-cred")]
    result, problems = balances(invoices, apps, memos, payments)
    got = by_id(result, invoices)
    assert got["Status"].to_dict() == {
        "I-open": "Open", "I-part": "Partially paid", "I-paid": "Paid", "I-disc": "Paid",
        "I-short": "Short paid", "I-cred": "Credited", "I-disp": "Disputed", "I-wo": "Paid"}
    assert got["OpenBalance"].to_dict() == {
        "I-open": 10000, "I-part": 6000, "I-paid": 0, "I-disc": 0, "I-short": 2500,
        "I-cred": 0, "I-disp": 9000, "I-wo": 0}
    assert got.loc["I-disc", "Discounts"] == 200 and got.loc["I-wo", "WrittenOff"] == 100
    assert got.loc["I-cred", "Credited"] == 10000 and got.loc["I-cred", "Paid"] == 0
    assert got.loc["I-paid", "LastPaymentDate"] == pd.Timestamp("2026-11-02")
    assert pd.isna(got.loc["I-open", "LastPaymentDate"])
    assert list(result.invoices.columns) == ["Paid", "Discounts", "WrittenOff", "Credited",
                                             "OpenBalance", "Status", "LastPaymentDate"]
    assert not problems


def test_disputed_marks_are_read_loosely_and_an_unread_word_counts_as_disputed():
    marks = ["Y", "true", "x", "X", "no", "", "maybe"]
    invoices = [invoice(f"I{i}", "10.00", Disputed=m) for i, m in enumerate(marks)]
    got = by_id(balances(invoices)[0], invoices)["Status"].tolist()
    assert got == ["Disputed"] * 4 + ["Open"] * 2 + ["Disputed"]  # "maybe": reported on reading, kept safe


def test_short_pay_stays_open_until_a_credit_memo_settles_it():
    invoices = [invoice("I1", "500.00")]
    payments = [payment("P1", "450.00", "2026-11-02")]
    apps = [app("A1", "P1", "I1", "450.00", ShortPay="50.00", ReasonCode="SHORTPAY:DAMAGED_GOODS")]
    memos = [memo("CM-1", "Credit", "50.00", "2026-11-12", "I1")]
    before = by_id(balances(invoices, apps, memos, payments, as_of=dt.date(2026, 11, 11))[0], invoices)
    after = by_id(balances(invoices, apps, memos, payments, as_of=dt.date(2026, 11, 12))[0], invoices)
    assert (before.loc["I1", "Status"], before.loc["I1", "OpenBalance"]) == ("Short paid", 5000)
    assert (after.loc["I1", "Status"], after.loc["I1", "OpenBalance"]) == ("Paid", 0)
    assert after.loc["I1", "Credited"] == 5000


def test_a_credit_beyond_what_is_open_leaves_an_open_credit_for_the_customer():
    invoices = [invoice("I1", "300.00")]
    payments = [payment("P1", "200.00", "2026-11-02")]
    apps = [app("A1", "P1", "I1", "200.00")]
    memos = [memo("CM-1", "Credit", "60.00", "2026-11-03", "I1"),
             memo("CM-2", "Credit", "70.00", "2026-11-04", "I1"),  # only 40.00 of it was open
             memo("CM-3", "Credit", "25.00", "2026-11-04")]  # names no invoice: all open credit
    result, _ = balances(invoices, apps, memos, payments)
    got = by_id(result, invoices)
    assert got.loc["I1", "Credited"] == 10000 and got.loc["I1", "OpenBalance"] == 0
    assert got.loc["I1", "Status"] == "Paid"
    credits = result.open_items.set_index("DocID")
    assert credits["DocType"].to_dict() == {"CM-2": "Credit memo", "CM-3": "Credit memo"}
    assert credits["OpenAmount"].to_dict() == {"CM-2": -3000, "CM-3": -2500}
    assert credits["OriginalAmount"].to_dict() == {"CM-2": -7000, "CM-3": -2500}
    assert credits.loc["CM-2", "InvoiceID"] == "I1"


def test_balances_as_of_dates_before_and_after_payments_memos_and_reversals():
    invoices = [invoice("I1", "1000.00"), invoice("I2", "400.00")]
    payments = [payment("P1", "600.00", "2026-11-02"), payment("P2", "400.00", "2026-11-06")]
    apps = [
        # P1 received on 2 Nov, posted on 10 Nov: it counts from the day it was received
        app("A1", "P1", "I1", "600.00", posted="2026-11-10 09:00"),
        app("A2", "P2", "I2", "400.00", posted="2026-11-10 09:00"),
        # P2 bounced: reversed on 15 Nov, which is when the reversal counts
        app("A3", "P2", "I2", "-400.00", posted="2026-11-15 08:00", source="Reversal",
            ReasonCode="REVERSAL:A2"),
    ]
    memos = [memo("CM-1", "Credit", "100.00", "2026-11-08", "I1"),
             memo("DM-1", "Debit", "80.00", "2026-11-09")]

    def state(day):
        result, _ = balances(invoices, apps, memos, payments, as_of=dt.date(2026, 11, day))
        got = by_id(result, invoices)
        return got["OpenBalance"].to_dict(), got["Status"].to_dict(), set(result.open_items["DocID"])

    assert state(1) == ({"I1": 100000, "I2": 40000}, {"I1": "Open", "I2": "Open"}, set())
    assert state(2) == ({"I1": 40000, "I2": 40000}, {"I1": "Partially paid", "I2": "Open"}, set())
    assert state(6) == ({"I1": 40000, "I2": 0}, {"I1": "Partially paid", "I2": "Paid"}, set())
    assert state(8) == ({"I1": 30000, "I2": 0}, {"I1": "Partially paid", "I2": "Paid"}, set())
    assert state(9)[2] == {"DM-1"}
    assert state(15)[:2] == ({"I1": 30000, "I2": 40000}, {"I1": "Partially paid", "I2": "Open"})
    now, _ = balances(invoices, apps, memos, payments)
    assert pd.isna(by_id(now, invoices).loc["I2", "LastPaymentDate"])  # the only payment bounced
    assert by_id(now, invoices).loc["I1", "LastPaymentDate"] == pd.Timestamp("2026-11-02")


def test_debit_memos_and_unapplied_cash_are_open_items():
    invoices = [invoice("I1", "100.00")]
    payments = [payment("P1", "250.00", "2026-11-02"), payment("P2", "30.00", "2026-11-03")]
    apps = [app("A1", "P1", "I1", "100.00"), app("A2", "P1", "", "150.00", ReasonCode="OVERPAY"),
            app("A3", "P2", "DM-1", "30.00")]
    memos = [memo("DM-1", "Debit", "45.50", "2026-10-20")]
    result, problems = balances(invoices, apps, memos, payments)
    items = result.open_items.set_index("DocID")
    assert items["DocType"].to_dict() == {"DM-1": "Debit memo", "P1": "Unapplied cash"}
    assert items["OpenAmount"].to_dict() == {"DM-1": 1550, "P1": -15000}
    assert items["OriginalAmount"].to_dict() == {"DM-1": 4550, "P1": -25000}
    assert items.loc["P1", "DocDate"] == pd.Timestamp("2026-11-02")
    assert items.loc["P1", "CustomerID"] == "C1"
    assert str(items["OpenAmount"].dtype) == "Int64"
    assert not problems


def test_an_application_to_an_unknown_invoice_is_reported():
    apps = [app("A1", "P1", "I-GONE", "10.00")]
    result, problems = balances([invoice("I1", "10.00")], apps, (), [payment("P1", "10.00", "2026-11-02")])
    assert [(p.sheet, p.row, p.column, p.value) for p in problems] == [("Applications", 2, "InvoiceID", "I-GONE")]
    assert result.invoices["OpenBalance"].tolist() == [1000]


def test_empty_ledgers_give_open_invoices():
    result, problems = balances([invoice("I1", "12.34")])
    assert result.invoices["OpenBalance"].tolist() == [1234]
    assert result.invoices["Status"].tolist() == ["Open"]
    assert result.open_items.empty and not problems


def test_currency_resolution_falls_back_to_customer_then_base():
    customers = table("Customers", {"CustomerID": "C1", "Name": "A", "Currency": "eur"},
                      {"CustomerID": "C2", "Name": "B"})
    docs = table("Invoices", invoice("I1", "1", Currency="gbp"), invoice("I2", "1"),
                 {**invoice("I3", "1"), "CustomerID": "C2"})
    got = resolve_currencies(docs["Currency"], docs["CustomerID"], customers, "USD")
    assert got.tolist() == ["GBP", "EUR", "USD"]


def test_currencies_are_resolved_from_whatever_the_cells_hold():
    # spaces, lower case, a number typed as a code, and missing values of every kind pandas has
    customers = pd.DataFrame({"CustomerID": ["C1", "C2", "C3"], "Currency": [" chf", None, float("nan")]})
    own = pd.Series(["usd ", "", None, float("nan"), pd.NA, 978, "eur", "  "], index=range(10, 18), dtype=object)
    who = pd.Series(["C9", "C1", "C1", "C2", "C3", "C1", "C2", "C9"], index=own.index, dtype=object)
    got = resolve_currencies(own, who, customers, "cad")
    assert got.tolist() == ["USD", "CHF", "CHF", "CAD", "CAD", "978", "EUR", "CAD"]
    assert got.index.tolist() == list(range(10, 18))
