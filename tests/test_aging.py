"""Aging as of a date: buckets at every boundary, both bases, custom buckets, due dates from
terms, payments and memos before and after the date, credits and unapplied cash, currencies,
and the summary tying to the Aging table to the cent."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from frames import table

from arxl.contract import AGING
from arxl.core.aging import (
    aging_items,
    bucket_labels,
    bucket_of_date,
    bucket_of_days,
    days_past_due,
    discount_available,
    due_date_from_terms,
    summarize,
    unposted_cash,
)
from arxl.core.balances import compute_balances
from arxl.core.settings import Settings
from arxl.core.terms import UnknownTerms

AS_OF = dt.date(2026, 11, 20)
SETTINGS = Settings(as_of=AS_OF)


def day(offset: int) -> str:
    """The ISO date ``offset`` days after the as-of date (negative: before it)."""
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


CUSTOMERS = [
    {"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": "5000.00",
     "Currency": "USD", "Region": "East", "Salesperson": "Kim", "ParentID": "G1"},
    {"CustomerID": "C2", "Name": "Fjord Logistik GmbH", "Terms": "Net 45", "CreditLimit": "1000.00",
     "Currency": "EUR", "Region": "Europe", "Salesperson": "Lea"},
    {"CustomerID": "C3", "Name": "Cedar Supply Co.", "Terms": "", "Currency": "USD"},
]


def invoice(invoice_id, amount, invoice_date, due=None, customer="C1", **more):
    return {"InvoiceID": invoice_id, "CustomerID": customer, "InvoiceDate": invoice_date,
            "DueDate": due, "Amount": amount, **more}


def aging(invoices, apps=(), memos=(), payments=(), customers=CUSTOMERS, settings=SETTINGS):
    inv = table("Invoices", *invoices)
    cust = table("Customers", *customers)
    pays = table("Payments", *payments)
    balances, _ = compute_balances(inv, table("Applications", *apps), table("Memos", *memos), pays,
                                   as_of=settings.as_of)
    return aging_items(inv, cust, balances, settings)


def rows_by_doc(frame):
    return frame.set_index("DocID")


# ---- plain values -----------------------------------------------------------------------------

@pytest.mark.parametrize("days, bucket", [
    (-15, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "91-120"), (120, "91-120"), (121, "Over 120"), (999, "Over 120"),
])
def test_bucket_at_every_boundary(days, bucket):
    assert bucket_of_days(days) == bucket
    assert bucket_of_date(AS_OF - dt.timedelta(days=days), AS_OF) == bucket


def test_custom_buckets_name_their_ranges():
    assert bucket_labels((15, 45)) == ["Current", "1-15", "16-45", "Over 45"]
    assert [bucket_of_days(d, (15, 45)) for d in (0, 1, 15, 16, 45, 46)] == [
        "Current", "1-15", "1-15", "16-45", "16-45", "Over 45"]


def test_days_past_due_is_negative_before_the_due_date():
    assert days_past_due(dt.date(2026, 11, 30), AS_OF) == -10
    assert days_past_due(dt.date(2026, 10, 21), AS_OF) == 30
    assert days_past_due(pd.Timestamp("2026-11-20"), pd.Timestamp("2026-11-20")) == 0


def test_due_date_from_terms_given_then_terms_then_default():
    issued = dt.date(2026, 1, 15)
    assert due_date_from_terms(issued, "Net 60", due_date=dt.date(2026, 2, 1)) == dt.date(2026, 2, 1)
    assert due_date_from_terms(issued, "Net 45") == dt.date(2026, 3, 1)
    assert due_date_from_terms(issued, "", default_terms="Net 30") == dt.date(2026, 2, 14)
    assert due_date_from_terms(issued, "EOM") == dt.date(2026, 1, 31)
    assert due_date_from_terms(issued, "Due on receipt") == issued
    assert due_date_from_terms(issued, "10th Prox") == dt.date(2026, 2, 10)
    with pytest.raises(UnknownTerms):
        due_date_from_terms(issued, "whenever")


def test_discount_available_until_the_deadline_only():
    issued = dt.date(2026, 11, 1)
    assert discount_available(100_000, issued, dt.date(2026, 11, 11), "2/10 Net 30") == 2_000
    assert discount_available(100_000, issued, dt.date(2026, 11, 12), "2/10 Net 30") == 0
    assert discount_available(12_345, issued, dt.date(2026, 11, 5), "1/15 Net 45") == 123  # 123.45 -> 123
    assert discount_available(100_000, issued, dt.date(2026, 11, 2), "Net 30") == 0
    assert discount_available(100_000, issued, dt.date(2026, 11, 2), "", default_terms="2/10 Net 30") == 2_000


# ---- the Aging table --------------------------------------------------------------------------

def test_aging_rows_at_every_boundary_on_the_due_date_basis():
    offsets = [0, 1, 30, 31, 60, 61, 90, 91, 120, 121, -5]
    invoices = [invoice(f"I{d}", "100.00", day(-d - 30), due=day(-d)) for d in offsets]
    got, problems = aging(invoices)
    assert not problems
    rows = rows_by_doc(got)
    for d in offsets:
        assert rows.at[f"I{d}", "DaysPastDue"] == d
        assert rows.at[f"I{d}", "Bucket"] == bucket_of_days(d)
    assert rows.at["I121", "BucketOrder"] == 6 and rows.at["I0", "BucketOrder"] == 1
    assert list(got.columns) == AGING.names


def test_invoice_date_basis_ages_from_the_document_date():
    settings = dataclasses.replace(SETTINGS, aging_basis="InvoiceDate")
    invoices = [invoice("I-new", "100.00", day(0), due=day(30)), invoice("I-31", "100.00", day(-31), due=day(-1)),
                invoice("I-30", "100.00", day(-30), due=day(0))]
    rows = rows_by_doc(aging(invoices, settings=settings)[0])
    assert rows.at["I-new", "Bucket"] == "Current"
    assert rows.at["I-30", "Bucket"] == "1-30"
    assert rows.at["I-31", "Bucket"] == "31-60"
    # DaysPastDue stays counted from the due date whatever the basis
    assert rows.at["I-new", "DaysPastDue"] == -30 and rows.at["I-31", "DaysPastDue"] == 1


def test_custom_buckets_in_the_table():
    settings = dataclasses.replace(SETTINGS, aging_buckets=(15, 45))
    invoices = [invoice(f"I{d}", "10.00", day(-d - 30), due=day(-d)) for d in (15, 16, 45, 46)]
    rows = rows_by_doc(aging(invoices, settings=settings)[0])
    assert rows["Bucket"].to_dict() == {"I15": "1-15", "I16": "16-45", "I45": "16-45", "I46": "Over 45"}
    assert rows.at["I46", "BucketOrder"] == 4


def test_missing_due_dates_come_from_customer_terms_else_default():
    invoices = [invoice("I-c1", "10.00", "2026-10-01"),  # C1: Net 30
                invoice("I-c2", "10.00", "2026-10-01", customer="C2"),  # C2: Net 45
                invoice("I-c3", "10.00", "2026-10-01", customer="C3")]  # no terms: default
    settings = dataclasses.replace(SETTINGS, default_terms="Net 10")
    rows = rows_by_doc(aging(invoices, settings=settings)[0])
    assert rows.at["I-c1", "DueDate"] == pd.Timestamp("2026-10-31")
    assert rows.at["I-c2", "DueDate"] == pd.Timestamp("2026-11-15")
    assert rows.at["I-c3", "DueDate"] == pd.Timestamp("2026-10-11")
    assert rows.at["I-c3", "DaysPastDue"] == 40 and rows.at["I-c3", "Bucket"] == "31-60"


@pytest.mark.parametrize("terms", ["pay when you can", "1000000000000000"])
def test_unreadable_customer_terms_are_reported_and_the_default_used(terms):
    customers = [{"CustomerID": "C1", "Name": "Acme", "Terms": terms}]
    got, problems = aging([invoice("I1", "10.00", "2026-10-01")], customers=customers)
    assert got.at[0, "DueDate"] == pd.Timestamp("2026-10-31")
    assert [(p.sheet, p.row, p.column, p.value) for p in problems] == [("Customers", 2, "Terms", terms)]


def test_as_of_before_and_after_a_payment():
    invoices = [invoice("I1", "1000.00", "2026-09-01", due="2026-10-01"),
                invoice("I2", "500.00", "2026-09-01", due="2026-10-01")]
    payments = [{"PaymentID": "P1", "ReceivedDate": "2026-11-10", "PayerName": "ACME", "Amount": "1300.00"}]
    apps = [{"ApplicationID": "A1", "PostedAt": "2026-11-10 10:00", "PaymentID": "P1", "InvoiceID": "I1",
             "CustomerID": "C1", "AppliedAmount": "1000.00", "Source": "Auto"},
            {"ApplicationID": "A2", "PostedAt": "2026-11-10 10:00", "PaymentID": "P1", "InvoiceID": "I2",
             "CustomerID": "C1", "AppliedAmount": "300.00", "Source": "Auto"}]
    before = rows_by_doc(aging(invoices, apps, payments=payments,
                               settings=dataclasses.replace(SETTINGS, as_of=dt.date(2026, 11, 9)))[0])
    assert before["OpenAmount"].to_dict() == {"I1": 100_000, "I2": 50_000}
    assert before.at["I1", "DaysPastDue"] == 39
    after = rows_by_doc(aging(invoices, apps, payments=payments)[0])
    assert after["OpenAmount"].to_dict() == {"I2": 20_000}  # I1 is paid: not an open item
    assert after.at["I2", "OriginalAmount"] == 50_000


def test_invoices_dated_after_the_as_of_date_do_not_exist_yet():
    got = aging([invoice("I-old", "10.00", day(-1)), invoice("I-future", "10.00", day(1))])[0]
    assert list(got["DocID"]) == ["I-old"]


def test_credit_memos_and_unapplied_cash_are_negative_in_the_bucket_of_their_own_date():
    invoices = [invoice("I1", "1000.00", "2026-08-01", due="2026-08-31")]
    memos = [{"MemoID": "CM-1", "MemoDate": day(-45), "CustomerID": "C1", "InvoiceID": "", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "120.00", "Currency": "USD"},
             {"MemoID": "CM-late", "MemoDate": day(3), "CustomerID": "C1", "InvoiceID": "", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "50.00", "Currency": "USD"},
             {"MemoID": "DM-1", "MemoDate": day(-10), "CustomerID": "C1", "InvoiceID": "I1", "Kind": "Debit",
              "Type": "Freight", "TotalAmount": "35.00", "Currency": "USD"}]
    payments = [{"PaymentID": "P9", "ReceivedDate": day(-2), "PayerName": "ACME", "Amount": "400.00"}]
    apps = [{"ApplicationID": "A1", "PostedAt": day(-1), "PaymentID": "P9", "InvoiceID": "", "CustomerID": "C1",
             "AppliedAmount": "400.00", "Source": "Auto"}]
    got, problems = aging(invoices, apps, memos, payments)
    assert not problems
    rows = rows_by_doc(got)
    assert "CM-late" not in rows.index  # issued after the as-of date
    credit = rows.loc["CM-1"]
    assert (credit["DocType"], credit["OpenAmount"], credit["OriginalAmount"]) == ("Credit memo", -12_000, -12_000)
    assert (credit["DueDate"], credit["DaysPastDue"], credit["Bucket"]) == (pd.Timestamp(day(-45)), 45, "31-60")
    cash = rows.loc["P9"]
    assert (cash["DocType"], cash["OpenAmount"], cash["Bucket"], cash["DaysPastDue"]) == (
        "Unapplied cash", -40_000, "1-30", 2)
    debit = rows.loc["DM-1"]  # a new bill: due by the customer's Net 30 from its own date
    assert (debit["DocType"], debit["OpenAmount"], debit["DueDate"], debit["Bucket"]) == (
        "Debit memo", 3_500, pd.Timestamp(day(20)), "Current")
    assert got["OpenAmount"].sum() == 100_000 - 12_000 - 40_000 + 3_500


def test_a_credit_memo_before_the_as_of_date_reduces_its_invoice_and_not_after():
    invoices = [invoice("I1", "1000.00", "2026-09-01", due="2026-10-01")]
    memos = [{"MemoID": "CM-1", "MemoDate": "2026-11-15", "CustomerID": "C1", "InvoiceID": "I1", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "1100.00", "Currency": "USD"}]
    before = aging(invoices, memos=memos, settings=dataclasses.replace(SETTINGS, as_of=dt.date(2026, 11, 14)))[0]
    assert before[["DocID", "OpenAmount"]].values.tolist() == [["I1", 100_000]]
    after = rows_by_doc(aging(invoices, memos=memos)[0])
    # the invoice is credited in full; the 100.00 beyond it is the customer's credit, aged from its date
    assert after["OpenAmount"].to_dict() == {"CM-1": -10_000}
    assert after.at["CM-1", "Bucket"] == "1-30"


def test_customer_columns_disputed_and_credit_limit_in_its_own_currency():
    invoices = [invoice("I1", "10.00", day(-5), Disputed="yes"),
                invoice("I2", "20.00", day(-5), Currency="EUR"),
                invoice("I3", "30.00", day(-5), customer="C2"),
                invoice("I4", "40.00", day(-5), customer="C9")]
    got, problems = aging(invoices)
    rows = rows_by_doc(got)
    assert rows.loc["I1", ["CustomerName", "ParentID", "Region", "Salesperson", "Currency", "Disputed"]].tolist() == [
        "Acme Tools Inc.", "G1", "East", "Kim", "USD", "Yes"]
    assert rows.at["I1", "CreditLimit"] == 500_000
    assert pd.isna(rows.at["I2", "CreditLimit"])  # a USD limit says nothing of a EUR balance
    assert rows.at["I3", "Currency"] == "EUR" and rows.at["I3", "CreditLimit"] == 100_000
    assert rows.at["I4", "CustomerName"] == "(not in Customers)"
    assert [(p.sheet, p.row, p.value) for p in problems] == [("Invoices", 5, "C9")]
    assert (got["AsOfDate"] == pd.Timestamp(AS_OF)).all()


def test_nothing_open_gives_an_empty_typed_table_and_summary():
    got, problems = aging([invoice("I-future", "10.00", day(5))])
    assert got.empty and list(got.columns) == AGING.names and not problems
    summary = summarize(got, SETTINGS.aging_buckets)
    assert summary.customers.empty and summary.currencies.empty


# ---- the summary ------------------------------------------------------------------------------

def test_summary_per_customer_and_currency_ties_to_the_cent():
    invoices = [invoice(f"U{i}", f"{100 + i}.{i % 100:02d}", day(-i * 7 - 30), due=day(-i * 7), customer=c)
                for i, c in zip(range(40), ["C1", "C3"] * 20)]
    invoices += [invoice(f"E{i}", f"{1000 + i}.01", day(-i * 11 - 45), customer="C2") for i in range(15)]
    invoices += [invoice("U-eur", "0.07", day(-3), customer="C1", Currency="EUR")]
    memos = [{"MemoID": "CM-1", "MemoDate": day(-2), "CustomerID": "C3", "InvoiceID": "", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "0.10", "Currency": "USD"}]
    got, _ = aging(invoices, memos=memos)
    summary = summarize(got, SETTINGS.aging_buckets)
    buckets = summary.buckets
    for currency, total in summary.currencies.iterrows():
        mine = got.loc[got["Currency"] == currency]
        assert total["Total"] == mine["OpenAmount"].sum()
        assert total[buckets].sum() == total["Total"]
        customers = summary.customers.loc[summary.customers["Currency"] == currency]
        for column in [*buckets, "Total", "PastDue"]:
            assert customers[column].sum() == total[column], (currency, column)
        for bucket in buckets:
            assert total[bucket] == mine.loc[mine["Bucket"] == bucket, "OpenAmount"].sum()
    assert set(summary.currencies.index) == {"USD", "EUR"}
    # C1 holds a USD and a EUR balance: two lines, never added together
    c1 = summary.customers.loc[summary.customers["CustomerID"] == "C1"].set_index("Currency")
    assert c1.at["EUR", "Total"] == 7 and pd.isna(c1.at["EUR", "CreditLimit"])


def test_summary_past_due_percent_and_over_limit():
    invoices = [invoice("I1", "3000.00", day(-40), due=day(-10)), invoice("I2", "2500.00", day(-5), due=day(25)),
                invoice("I3", "900.00", day(-60), due=day(-30), customer="C2")]
    summary = summarize(aging(invoices)[0], SETTINGS.aging_buckets)
    rows = summary.customers.set_index("CustomerID")
    assert rows.at["C1", "PastDue"] == 300_000 and rows.at["C1", "Total"] == 550_000
    assert rows.at["C1", "PercentPastDue"] == pytest.approx(3000 / 5500)
    assert rows.at["C1", "OverLimit"] == "Yes"  # 5,500.00 over a 5,000.00 limit
    assert rows.at["C2", "OverLimit"] == ""  # 900.00 EUR within 1,000.00 EUR
    assert rows.loc["C1", ["Current", "1-30"]].tolist() == [250_000, 300_000]
    # largest balance first within each currency
    assert summary.customers["CustomerID"].tolist() == ["C2", "C1"]  # EUR sorts before USD


def test_credits_past_due_reduce_past_due_but_never_make_the_percent_negative():
    memos = [{"MemoID": "CM-1", "MemoDate": day(-40), "CustomerID": "C3", "InvoiceID": "", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "80.00", "Currency": "USD"}]
    got, _ = aging([invoice("I1", "50.00", day(-20), customer="C3")], memos=memos)
    row = summarize(got, SETTINGS.aging_buckets).customers.iloc[0]
    assert (row["Total"], row["PastDue"], row["31-60"]) == (-3_000, -8_000, -8_000)
    # of the 50.00 the customer owes, nothing is past due; the overdue credit is left out
    assert row["PercentPastDue"] == 0.0 and row["OverLimit"] == ""


def test_percent_past_due_is_past_due_debits_over_open_debits():
    # the reported case: a positive balance, overdue credits: it showed "-49.8% past due"
    memos = [{"MemoID": "CM-1", "MemoDate": day(-40), "CustomerID": "C3", "InvoiceID": "", "Kind": "Credit",
              "Type": "Price", "TotalAmount": "120.00", "Currency": "USD"}]
    invoices = [invoice("I1", "100.00", day(-50), due=day(-20), customer="C3"),
                invoice("I2", "300.00", day(-5), due=day(25), customer="C3")]
    got, _ = aging(invoices, memos=memos)
    summary = summarize(got, SETTINGS.aging_buckets)
    row = summary.customers.iloc[0]
    assert (row["Total"], row["PastDue"]) == (28_000, -2_000)  # PastDue / Total would be -7.1%
    assert row["PercentPastDue"] == pytest.approx(100 / 400)
    assert summary.currencies.at["USD", "PercentPastDue"] == pytest.approx(100 / 400)
    # a customer who owes nothing has no percent at all
    only_credit, _ = aging([], memos=memos)
    assert pd.isna(summarize(only_credit, SETTINGS.aging_buckets).customers.iloc[0]["PercentPastDue"])


def test_unposted_cash_counts_payments_received_by_the_date_without_applications():
    payments = table("Payments",
                     {"PaymentID": "P1", "ReceivedDate": day(-3), "PayerName": "A", "Amount": "100.00"},
                     {"PaymentID": "P2", "ReceivedDate": day(-3), "PayerName": "B", "Amount": "250.00",
                      "CustomerID": "C2"},  # a EUR customer
                     {"PaymentID": "P3", "ReceivedDate": day(-3), "PayerName": "C", "Amount": "75.00"},
                     {"PaymentID": "P4", "ReceivedDate": day(2), "PayerName": "D", "Amount": "60.00"},
                     {"PaymentID": "P5", "ReceivedDate": day(-1), "PayerName": "E", "Amount": "40.00",
                      "Action": "reverse"})
    apps = table("Applications", {"ApplicationID": "A1", "PostedAt": day(0), "PaymentID": "P3", "InvoiceID": "",
                                  "CustomerID": "C1", "AppliedAmount": "75.00", "Source": "Auto"})
    waiting = unposted_cash(payments, apps, table("Customers", *CUSTOMERS), SETTINGS)
    assert waiting.to_dict() == {"EUR": 25_000, "USD": 10_000}
