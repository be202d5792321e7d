"""arxl dunning on real workbooks: the level reached at every boundary, one letter per customer
and currency at its highest level, nothing twice (same day, within DunningIntervalDays),
disputed items listed apart and not asked for, credits deducted, fee and interest billed by a
debit memo, the statement attached at the last level."""
from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.dunning import DEFAULT_LEVELS

AS_OF = dt.date(2026, 11, 20)
LEVELS = [dict(level) for level in DEFAULT_LEVELS]  # 7, 30 and 60 days; the last attaches a statement


def invoice(iid, customer, days_overdue, amount=100.00, **more):
    due = AS_OF - dt.timedelta(days=days_overdue)
    return {"InvoiceID": iid, "CustomerID": customer, "InvoiceDate": due - dt.timedelta(days=30), "DueDate": due,
            "Amount": amount, **more}


def customer(cid, **more):
    return {"CustomerID": cid, "Name": f"Customer {cid}", "Email": f"ap@{cid.lower()}.test", **more}


def dun(path, day=AS_OF):
    book = open_book(path, as_of=day)
    result = run_commands(book, ["dunning"], Context(now=dt.datetime.combine(day, dt.time(9, 0))))
    save_book(book)
    assert result.ok, result.failures
    return result, open_book(path)


@pytest.mark.parametrize("days, level", [(0, 0), (6, 0), (7, 1), (8, 1), (29, 1), (30, 2), (31, 2), (59, 2),
                                         (60, 3), (61, 3), (400, 3)])
def test_the_level_reached_at_every_boundary(make_book, days, level):
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("INV-1", "C1", days)],
                      "DunningLevels": LEVELS})
    result, book = dun(path)
    log = book.read("DunningLog")
    if level == 0:
        assert log.empty and result.outcomes["dunning"].counts["made"] == 0
    else:
        assert log[["CustomerID", "Level", "Items", "OverdueAmount"]].values.tolist() == [
            ["C1", level, "INV-1 100.00", 10000]]


def test_one_letter_per_customer_and_currency_at_the_highest_level(make_book):
    path = make_book({"Customers": [customer("C1"), customer("C2")],
                      "Invoices": [invoice("INV-1", "C1", 10), invoice("INV-2", "C1", 45, 250.00),
                                   invoice("INV-3", "C1", 3), invoice("INV-4", "C1", 12, 80.00, Currency="EUR"),
                                   invoice("INV-5", "C2", 8)],
                      "DunningLevels": LEVELS})
    _, book = dun(path)
    log = book.read("DunningLog")
    assert log[["CustomerID", "Currency", "Level", "Items", "OverdueAmount"]].values.tolist() == [
        ["C1", "EUR", 1, "INV-4 80.00", 8000],
        ["C1", "USD", 2, "INV-1 100.00; INV-2 250.00", 35000],  # INV-3 is overdue but short of level 1
        ["C2", "USD", 1, "INV-5 100.00", 10000]]


def test_no_letter_twice_on_a_day_nor_within_the_interval(make_book):
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("INV-1", "C1", 25)],
                      "DunningLevels": LEVELS}, settings={"DunningIntervalDays": 14})
    _, book = dun(path)
    assert book.read("DunningLog")["Level"].tolist() == [1]
    result, book = dun(path)  # the same day again: nothing
    assert result.outcomes["dunning"].counts["made"] == 0 and len(book.read("DunningLog")) == 1
    # 4 days on, the item reached 29 days: level 1 again, within the interval: nothing
    _, book = dun(path, AS_OF + dt.timedelta(days=4))
    assert len(book.read("DunningLog")) == 1
    # 5 days on, 30 days overdue: level 2 is higher than the letter sent, so it goes at once
    _, book = dun(path, AS_OF + dt.timedelta(days=5))
    assert book.read("DunningLog")["Level"].tolist() == [1, 2]
    # level 2 again 13 days after it: nothing; 14 days after it: the reminder repeats
    _, book = dun(path, AS_OF + dt.timedelta(days=18))
    assert len(book.read("DunningLog")) == 2
    _, book = dun(path, AS_OF + dt.timedelta(days=19))
    assert book.read("DunningLog")["Level"].tolist() == [1, 2, 2]
    memos = book.read("Memos", required=False)
    assert memos.empty  # the default levels charge neither fee nor interest


def test_disputed_items_are_listed_apart_and_not_dunned(make_book):
    path = make_book({"Customers": [customer("C1"), customer("C2")],
                      "Invoices": [invoice("INV-1", "C1", 40), invoice("INV-2", "C1", 70, 900.00, Disputed="Yes"),
                                   invoice("INV-3", "C2", 70, 500.00, Disputed="Yes")],
                      "DunningLevels": LEVELS})
    _, book = dun(path)
    log = book.read("DunningLog")
    # C1 is asked for INV-1 only, at level 2 (the disputed item's 70 days do not count); C2 has only a dispute
    assert log[["CustomerID", "Level", "Items", "OverdueAmount"]].values.tolist() == [
        ["C1", 2, "INV-1 100.00", 10000]]
    text = "".join(page.extract_text() for page in PdfReader(path.parent / log["Document"].iloc[0]).pages)
    assert "Items in dispute" in text and "INV-2" in text and "900.00" in text
    assert "100.00 USD" in text  # the amount now due leaves the dispute out


def test_credits_are_deducted_and_a_covered_customer_gets_no_letter(make_book, run):
    path = make_book({"Customers": [customer("C1"), customer("C2")],
                      "Invoices": [invoice("INV-1", "C1", 40, 300.00), invoice("INV-2", "C2", 40, 100.00)],
                      "MemoRequests": [
                          {"RequestID": "M1", "CustomerID": "C1", "Kind": "Credit", "Type": "Other", "Amount": 50.00,
                           "Reason": "on account"},
                          {"RequestID": "M2", "CustomerID": "C2", "Kind": "Credit", "Type": "Other",
                           "Amount": 150.00, "Reason": "on account"}],
                      "DunningLevels": LEVELS})
    run(path, "memos")
    _, book = dun(path)
    log = book.read("DunningLog")
    assert log["CustomerID"].tolist() == ["C1"]
    text = "".join(page.extract_text() for page in PdfReader(path.parent / log["Document"].iloc[0]).pages)
    assert "Less credits on your account" in text and "250.00 USD" in text


def test_fee_and_interest_are_billed_by_a_debit_memo_and_the_statement_attached(make_book):
    levels = [dict(level) for level in LEVELS]
    levels[2].update(Fee=25.00, InterestRate=0.08)
    path = make_book({"Customers": [customer("C1")], "Invoices": [invoice("INV-1", "C1", 73, 1000.00)],
                      "DunningLevels": levels})
    _, book = dun(path)
    [letter] = book.read("DunningLog").to_dict("records")
    interest = round(100000 * 0.08 * 73 / 365)  # 1,000.00 at 8% a year for 73 days: 16.00
    assert (letter["Level"], letter["Fee"], letter["Interest"]) == (3, 2500, interest)
    memos = book.read("Memos").set_index("MemoID")
    memo = memos.loc[letter["MemoID"]]
    assert (memo["Kind"], memo["TotalAmount"], memo["CustomerID"]) == ("Debit", 2500 + interest, "C1")
    statement = book.read("Statements")
    assert statement["Balance"].tolist() == [100000 + 2500 + interest]  # the account as the letter leaves it
    draft = message_from_bytes((path.parent / letter["Document"]).with_suffix(".eml").read_bytes(),
                               policy=policy.default)
    names = [part.get_filename() for part in draft.iter_attachments()]
    assert names == [letter["Document"].rsplit("/", 1)[1], statement["Document"].iloc[0].rsplit("/", 1)[1]]
    assert draft["To"] == "ap@c1.test" and "Final notice" in draft["Subject"]
    # the next day's run charges no interest twice: the final notice is not repeated within the interval
    _, book = dun(path, AS_OF + dt.timedelta(days=1))
    assert len(book.read("DunningLog")) == 1
