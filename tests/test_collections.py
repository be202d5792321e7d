"""Collections: promises to pay checked against the cash posted (kept, partly kept, broken, still
open), and the worklist that a broken promise moves up. Workbooks are written, posted and read
back as the CLI does."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

D = dt.date
AS_OF = D(2026, 11, 20)

CUSTOMERS = [{"CustomerID": c, "Name": n, "Terms": "Net 30"} for c, n in
             (("C1", "Acme Tools Inc."), ("C2", "Blue Ridge LLC"), ("C3", "Cobalt Foods"), ("C4", "Delta Print"))]
# Every customer owes invoices long past due; C2 and C4 owe exactly the same.
INVOICES = [
    {"InvoiceID": "101", "CustomerID": "C1", "InvoiceDate": D(2026, 8, 1), "Amount": 1000.00},
    {"InvoiceID": "102", "CustomerID": "C1", "InvoiceDate": D(2026, 8, 15), "Amount": 600.00},
    {"InvoiceID": "201", "CustomerID": "C2", "InvoiceDate": D(2026, 8, 10), "Amount": 800.00},
    {"InvoiceID": "301", "CustomerID": "C3", "InvoiceDate": D(2026, 9, 1), "Amount": 450.00},
    {"InvoiceID": "401", "CustomerID": "C4", "InvoiceDate": D(2026, 8, 10), "Amount": 800.00},
]
PAYMENTS = [
    # before C1's first call: pays nothing promised
    {"PaymentID": "P0", "ReceivedDate": D(2026, 10, 5), "PayerName": "ACME TOOLS", "Amount": 100.00,
     "ApplyTo": "101", "CustomerID": "C1"},
    # keeps the first promise (300.00 by 10-31) with 300.00 on 10-29
    {"PaymentID": "P1", "ReceivedDate": D(2026, 10, 29), "PayerName": "ACME TOOLS", "Amount": 300.00,
     "ApplyTo": "101", "CustomerID": "C1"},
    # 200.00 of the 500.00 promised by 11-10, within the grace days
    {"PaymentID": "P2", "ReceivedDate": D(2026, 11, 12), "PayerName": "ACME TOOLS", "Amount": 200.00,
     "ApplyTo": "102", "CustomerID": "C1"},
    # after the grace days of C1's second promise: counts for nothing
    {"PaymentID": "P3", "ReceivedDate": D(2026, 11, 18), "PayerName": "ACME TOOLS", "Amount": 50.00,
     "ApplyTo": "102", "CustomerID": "C1"},
]
CONTACTS = [
    {"ContactDate": D(2026, 10, 20), "CustomerID": "C1", "Channel": "Phone", "Who": "AP desk",
     "Outcome": "Promise to pay", "PromisedAmount": 300.00, "PromisedDate": D(2026, 10, 31)},
    {"ContactDate": D(2026, 11, 2), "CustomerID": "C1", "Channel": "Email", "Outcome": "Promise to pay",
     "PromisedAmount": 500.00, "PromisedDate": D(2026, 11, 10)},
    {"ContactDate": D(2026, 11, 2), "CustomerID": "C2", "Channel": "Phone", "Outcome": "Promise to pay",
     "PromisedAmount": 400.00, "PromisedDate": D(2026, 11, 9)},
    {"ContactDate": D(2026, 11, 16), "CustomerID": "C3", "Channel": "Phone", "Outcome": "Promise to pay",
     "PromisedAmount": 450.00, "PromisedDate": D(2026, 11, 25), "FollowUpDate": D(2026, 11, 26)},
]


@pytest.fixture
def worked(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS, "Contacts": CONTACTS},
                     settings={"AsOfDate": AS_OF, "PromiseGraceDays": 3})
    result, wb = run(path, "post", "aging", "credit", "collections")
    assert result.ok, result.failures
    return wb


def test_each_promise_is_kept_partly_kept_broken_or_still_open_by_the_cash_posted(worked):
    promises = worked.read("Promises").set_index(["CustomerID", "PromisedDate"])
    got = {(c, d.date()): (r.Status, int(r.Received), r.Payments) for (c, d), r in promises.iterrows()}
    assert got == {
        ("C1", D(2026, 10, 31)): ("Kept", 30000, "P1"),  # P0 came before the call
        ("C1", D(2026, 11, 10)): ("Partly kept", 20000, "P2"),  # P3 came after the grace days
        ("C2", D(2026, 11, 9)): ("Broken", 0, ""),
        ("C3", D(2026, 11, 25)): ("Open", 0, ""),
    }


def test_a_broken_promise_raises_the_customers_priority_and_says_so(worked):
    worklist = worked.read("Collections").set_index("CustomerID")
    c2, c4 = worklist.loc["C2"], worklist.loc["C4"]
    # the same debt, the same age; only the broken promise differs
    assert (int(c2.Overdue), int(c2.OldestDays)) == (int(c4.Overdue), int(c4.OldestDays))
    assert c2.BrokenPromises == 1 and c4.BrokenPromises == 0
    assert c2.Score == pytest.approx(c4.Score + 15)
    assert c2.Rank < c4.Rank
    assert "broke a promise of 400.00 USD due 2026-11-09" in c2.Reasons
    assert "partly kept a promise of 500.00 USD" in worklist.loc["C1", "Reasons"]


def test_a_customer_waiting_on_an_open_promise_comes_after_those_to_call_today(worked):
    worklist = worked.read("Collections")
    assert worklist["Rank"].tolist() == list(range(1, len(worklist) + 1))
    c3 = worklist.set_index("CustomerID").loc["C3"]
    assert c3.NextAction.date() == D(2026, 11, 26)  # the follow-up day, also the day after the grace days
    assert c3.Reasons.startswith("waiting: a promise of 450.00 USD is due by 2026-11-25")
    assert c3.Rank == len(worklist)
    today = worklist.loc[worklist["NextAction"].dt.date == AS_OF]
    assert today["Score"].is_monotonic_decreasing and "C3" not in set(today["CustomerID"])


def test_the_worklists_dunning_level_is_the_level_reminder_letters_reach(make_book, run):
    """DunningLevel is the reminder level the customer has reached in the line's currency, by
    the workbook's DunningLevels (7, 30 and 60 days in a new workbook), as the reminder letters
    count it: the letters made next carry the same level."""
    customers = [*CUSTOMERS, {"CustomerID": "C5", "Name": "Esker AG", "Terms": "Net 30", "Currency": "EUR"}]
    invoices = [
        {"InvoiceID": "501", "CustomerID": "C5", "InvoiceDate": D(2026, 10, 1), "Amount": 90.00},  # 20 days over
        {"InvoiceID": "502", "CustomerID": "C5", "InvoiceDate": D(2026, 10, 1), "Amount": 40.00, "Currency": "USD",
         "DueDate": D(2026, 11, 17)},  # 3 days over: short of level 1
        {"InvoiceID": "503", "CustomerID": "C5", "InvoiceDate": D(2026, 9, 1), "Amount": 70.00,
         "Disputed": "Yes"},  # 50 days over, disputed: not asked for
    ]
    path = make_book({"Customers": customers, "Invoices": INVOICES + invoices, "Payments": PAYMENTS},
                     settings={"AsOfDate": AS_OF})
    result, wb = run(path, "post", "collections")
    assert result.ok, result.failures
    levels = {(r.CustomerID, r.Currency): r.DunningLevel for r in wb.read("Collections").itertuples()}
    # C1 and C2 (from August: more than 60 days), C3 (due 1 October: 50 days), C4 like C2
    assert levels == {("C1", "USD"): 3, ("C2", "USD"): 3, ("C3", "USD"): 2, ("C4", "USD"): 3,
                      ("C5", "EUR"): 1, ("C5", "USD"): 0}
    result, wb = run(path, "dunning")
    assert result.ok, result.failures
    letters = {(r.CustomerID, r.Currency): r.Level for r in wb.read("DunningLog").itertuples()}
    assert letters == {key: level for key, level in levels.items() if level}


def test_how_a_customer_pays_is_worked_out_once_until_an_invoice_changes(make_book, run):
    """The credit review and the worklist both ask how each customer pays: the same answer each
    time, each caller its own copy; a due date changed gives the lateness from the new date."""
    import pandas as pd

    from arxl.book.files import open_book
    from arxl.core.credit import payment_behaviour
    from arxl.core.ledger import Outcome, Step

    invoices = [{"InvoiceID": "501", "CustomerID": "C1", "InvoiceDate": D(2026, 9, 1), "Amount": 500.00}]
    payments = [{"PaymentID": "P9", "ReceivedDate": D(2026, 10, 11), "PayerName": "ACME TOOLS", "Amount": 500.00,
                 "ApplyTo": "501", "CustomerID": "C1"}]
    path = make_book({"Customers": CUSTOMERS, "Invoices": invoices, "Payments": payments}, settings={"AsOfDate": AS_OF})
    result, _ = run(path, "post")
    assert result.ok, result.failures
    ledger = open_book(path).load()
    first = payment_behaviour(ledger, AS_OF)
    assert first.loc[("C1", "USD"), "AvgDaysLate"] == 10 and first.loc[("C1", "USD"), "PaidInvoices"] == 1
    first["AvgDaysLate"] = 0  # a caller changing its copy changes no one else's
    assert payment_behaviour(ledger, AS_OF).loc[("C1", "USD"), "AvgDaysLate"] == 10
    due = pd.DataFrame({"DueDate": pd.Series([pd.Timestamp(2026, 10, 6)], index=ledger.table("Invoices").index)})
    ledger.apply(Step(Outcome("")).update("Invoices", due))
    assert payment_behaviour(ledger, AS_OF).loc[("C1", "USD"), "AvgDaysLate"] == 5


def test_credit_exposure_is_worked_out_once_until_a_request_or_a_payment_changes(make_book, run):
    """The credit review and the worklist both ask for each customer's exposure: the same answer
    each time, each caller its own copy; a request not invoiced yet, or a payment posted, gives
    the exposure with it."""
    import pandas as pd

    from arxl.book.files import open_book
    from arxl.core.credit import exposure_of
    from arxl.core.ledger import Outcome, Step

    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES}, settings={"AsOfDate": AS_OF})
    ledger = open_book(path).load()
    first = exposure_of(ledger, AS_OF)
    assert first.loc[("C1", "USD"), ["OpenItems", "Uninvoiced", "Exposure"]].tolist() == [1600_00, 0, 1600_00]
    first["Exposure"] = 0  # a caller changing its copy changes no one else's
    assert exposure_of(ledger, AS_OF).loc[("C1", "USD"), "Exposure"] == 1600_00
    request = {"RequestID": "R1", "CustomerID": "C1", "Description": "pallets", "Quantity": 2, "UnitPrice": 125_00}
    ledger.apply(Step(Outcome(""), appends={"InvoiceRequests": pd.DataFrame([request])}))
    again = exposure_of(ledger, AS_OF).loc[("C1", "USD")]
    assert again[["Uninvoiced", "Exposure"]].tolist() == [250_00, 1850_00]
    cash = {"PaymentID": "P7", "ReceivedDate": pd.Timestamp(AS_OF), "PayerName": "ACME TOOLS", "Amount": 100_00,
            "CustomerID": "C1"}
    on_account = {"ApplicationID": "A0000001", "PostedAt": pd.Timestamp(2026, 11, 20, 9), "PaymentID": "P7",
                  "InvoiceID": "", "CustomerID": "C1", "AppliedAmount": 100_00, "Source": "Auto"}
    ledger.apply(Step(Outcome(""), appends={"Payments": pd.DataFrame([cash]),
                                            "Applications": pd.DataFrame([on_account])}))
    assert exposure_of(ledger, AS_OF).loc[("C1", "USD"), ["UnappliedCash", "Exposure"]].tolist() == [-100_00, 1750_00]


def test_a_customer_with_no_credit_and_one_with_a_negative_limit_are_reviewed_not_a_crash(make_book, run):
    """A CreditLimit of 0 (cash in advance) with something open is over the limit, said without a
    percentage of nothing; a negative limit is named and counts as none. Either stopped the whole
    credit step, and with it the refresh."""
    customers = [dict(CUSTOMERS[0], CreditLimit=0), dict(CUSTOMERS[1], CreditLimit=-100), *CUSTOMERS[2:]]
    path = make_book({"Customers": customers, "Invoices": INVOICES}, settings={"AsOfDate": AS_OF})
    result, wb = run(path, "aging", "credit", "collections")
    assert result.ok, result.failures
    credit = wb.read("Credit").set_index("CustomerID")
    assert credit.loc["C1", "Suggestion"] == "Hold"  # over a limit of nothing, and past due
    assert "exposure 1,600.00 USD is over the limit of 0.00 USD;" in credit.loc["C1", "Reasons"]
    assert pd.isna(credit.loc["C2", "CreditLimit"]) and credit.loc["C2", "Suggestion"] == "Review"
    problems = wb.read("Exceptions")
    named = problems.loc[(problems.Sheet == "Customers") & (problems.Column == "CreditLimit")]
    assert list(zip(named.Row, named.Problem)) == [(3, "a negative credit limit")]
