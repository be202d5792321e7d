"""The clerk's loop, as a clerk lives it: match, review, change a proposal, approve, post, correct.
Each case types into a real workbook between runs (openpyxl, as Excel would save it) and reads
the ledger back; one rule for a clerk's edits, whatever the door (docs/WORKBOOK.md, Matches)."""
from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from arxl.book.files import open_book
from arxl.commands.registry import REFRESH
from arxl.contract import MatchStatus

D = dt.date
CUSTOMERS = [
    {"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30"},
    {"CustomerID": "C2", "Name": "Blue Ridge Plumbing LLC", "Terms": "Net 30"},
]
INVOICES = [
    {"InvoiceID": "INV-1001", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 1), "Amount": 200.00},
    {"InvoiceID": "INV-1002", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 2), "Amount": 60.00},
    {"InvoiceID": "INV-1003", "CustomerID": "C2", "InvoiceDate": D(2026, 10, 3), "Amount": 450.00},
    {"InvoiceID": "INV-1004", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 4), "Amount": 80.00},
]


def payment(pid, amount, payer="ACME TOOLS", reference="", **more):
    return {"PaymentID": pid, "ReceivedDate": D(2026, 11, 18), "PayerName": payer, "Amount": amount,
            "Currency": "USD", "Reference": reference, **more}


@pytest.fixture
def book(make_book):
    def make(*payments, name="book.xlsx"):
        return make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": list(payments)}, name=name)
    return make


def rows(path, sheet) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:] if any(v is not None for v in r)]


def type_in(path, sheet, where: dict, **values) -> None:
    """The clerk types ``values`` into the row(s) of ``sheet`` matching ``where``, and saves."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    found = 0
    for row in ws.iter_rows(min_row=2):
        if all(row[header.index(k)].value == v for k, v in where.items()):
            found += 1
            for k, v in values.items():
                row[header.index(k)].value = v
    assert found, f"no {sheet} row with {where}"
    wb.save(path)


def ledger(path) -> list[tuple]:
    apps = open_book(path).read("Applications", required=False)
    return list(zip(apps["PaymentID"], apps["InvoiceID"], apps["CustomerID"], apps["AppliedAmount"],
                    apps["ReasonCode"], apps["Source"]))


def exceptions(path) -> list[tuple]:
    ex = open_book(path).read("Exceptions", required=False)
    return list(zip(ex["Command"], ex["Sheet"], ex["Row"], ex["Column"], ex["Problem"]))


def status(path, pid) -> str:
    return open_book(path).read("Payments").set_index("PaymentID").loc[pid, "MatchStatus"]


# ---- one answer whatever the button --------------------------------------------------------

def test_an_amount_changed_on_an_approved_row_posts_the_same_through_post_and_through_refresh(book, run, tmp_path):
    path = book(payment("P1", 50.00, reference="INV-1001"))
    run(path, "match")
    [proposal] = [m for m in rows(path, "Matches") if m["InvoiceID"]]
    assert proposal["ApplyAmount"] == 50.00 and proposal["Proposed"] == "C1: INV-1001 50.00"
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1001"}, ApplyAmount=30, Decision="Approve")
    by_refresh = tmp_path / "refresh.xlsx"
    shutil.copy(path, by_refresh)
    run(path, "post")
    run(by_refresh, *REFRESH)
    expected = [("P1", "INV-1001", "C1", 3000, "PARTIAL", "Approved"), ("P1", "", "C1", 2000, "OVERPAY", "Approved")]
    assert ledger(path) == ledger(by_refresh) == expected


def test_a_match_run_keeps_a_clerks_pending_edit_and_says_what_arxl_proposed(book, run):
    path = book(payment("P1", 50.00, reference="INV-1001"))
    run(path, "match")
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1001"}, InvoiceID="INV-1002")
    run(path, "match")  # not decided yet: the edit stays, arxl's proposal beside it
    [row] = [m for m in rows(path, "Matches") if m["InvoiceID"]]
    assert row["InvoiceID"] == "INV-1002" and row["Proposed"] == "C1: INV-1001 50.00"
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1002"}, Decision="approved")
    run(path, "match", "post")
    assert ledger(path) == [("P1", "INV-1002", "C1", 5000, "PARTIAL", "Approved")]
    assert open_book(path).read("Matches", required=False).empty  # posted: nothing left to decide


def test_an_approved_amount_beyond_the_open_balance_is_refused_naming_the_cell(book, run):
    path = book(payment("P1", 100.00, reference="INV-1002"))
    run(path, "match")
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1002"}, ApplyAmount=100, Decision="Approve")
    result, _ = run(path, "post")
    assert ledger(path) == []
    [(command, sheet, row, column, problem)] = [e for e in exceptions(path) if e[0] == "post"]
    assert (sheet, column) == ("Matches", "ApplyAmount") and "60.00 open" in problem
    assert rows(path, "Matches")[row - 2]["InvoiceID"] == "INV-1002"
    assert status(path, "P1") == MatchStatus.EXCEPTION


def test_approving_the_unmatched_row_of_an_unknown_payer_waits_for_a_customer(book, run):
    path = book(payment("P9", 25.00, payer="ZELLE FROM K OBRIEN", reference="THANKS"))
    run(path, "match")
    [row] = rows(path, "Matches")
    assert row["Decision"] == "Unmatched" and row["CustomerID"] is None
    type_in(path, "Matches", {"PaymentID": "P9"}, Decision="Approve")
    run(path, "post")
    assert ledger(path) == []
    assert ("post", "Payments", 2, "CustomerID", "25.00 would go on account of no customer") in exceptions(path)
    type_in(path, "Payments", {"PaymentID": "P9"}, CustomerID="C2")
    run(path, "post")
    assert ledger(path) == [("P9", "", "C2", 2500, "ONACCOUNT", "Approved")]


@pytest.mark.parametrize("typed, posts", [("Approved", True), ("APPROVE ", True), ("approve", True),
                                          ("yes", False), ("ok", False)])
def test_a_decision_is_read_or_refused_never_reset(book, run, typed, posts):
    path = book(payment("P1", 50.00, reference="INV-1001"))
    run(path, "match")
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1001"}, Decision=typed)
    run(path, *REFRESH)
    if posts:
        assert ledger(path)[0][:2] == ("P1", "INV-1001")
    else:
        assert ledger(path) == []
        [row] = [m for m in rows(path, "Matches") if m["InvoiceID"]]
        assert row["Decision"] == typed  # kept as typed, never reset to Review
        [(command, sheet, _, column, problem)] = [e for e in exceptions(path) if e[3] == "Decision"]
        assert (command, sheet, column) == ("read", "Matches", "Decision")
        assert problem == f"Decision {typed!r} is not one of Auto, Review, Unmatched, Approve, Reject"
        assert status(path, "P1") == MatchStatus.REVIEW  # the payment waits


def test_deciding_some_rows_of_a_payment_and_not_others_names_each_row_still_to_decide(book, run):
    path = book(payment("P1", 260.00, reference="INV-1001 INV-1002"))
    run(path, "match")
    type_in(path, "Matches", {"PaymentID": "P1"}, Decision="Review")  # as if arxl were unsure
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1001"}, Decision="Approve")
    run(path, "post")
    assert ledger(path) == []
    [(_, sheet, row, column, problem)] = [e for e in exceptions(path) if e[0] == "post"]
    assert (sheet, column) == ("Matches", "Decision") and "still to decide" in problem
    assert rows(path, "Matches")[row - 2]["InvoiceID"] == "INV-1002"


def test_a_payment_held_for_review_stays_with_the_clerk_until_approved(book, run):
    path = book(payment("P1", 200.00, reference="INV-1001"), payment("P2", 450.00, payer="BLUE RIDGE",
                                                                     reference="INV-1003"))
    run(path, "match")
    assert {r["PaymentID"]: r["Decision"] for r in rows(path, "Matches")} == {"P1": "Auto", "P2": "Auto"}
    type_in(path, "Matches", {"PaymentID": "P1"}, Decision="Review")  # as an earlier, less sure run left it
    run(path, "match", "post")  # the same proposal again: sure enough now, but a clerk was asked
    matches = {r["PaymentID"]: r for r in rows(path, "Matches")}
    assert matches["P1"]["Decision"] == "Review" and matches["P1"]["Evidence"].startswith("Held for the clerk")
    assert status(path, "P1") == MatchStatus.REVIEW
    assert [entry[0] for entry in ledger(path)] == ["P2"]  # P2 was never held: posted
    type_in(path, "Matches", {"PaymentID": "P1"}, Decision="Approve")
    run(path, "match", "post")
    assert sorted(entry[0] for entry in ledger(path)) == ["P1", "P2"]


def test_a_held_payment_whose_proposal_changes_is_decided_afresh(book, run):
    path = book(payment("P1", 75.00, reference="INV-1009"))  # an invoice not yet entered
    run(path, "match")
    assert {r["Decision"] for r in rows(path, "Matches")} <= {"Review", "Unmatched"}
    type_in(path, "Matches", {"PaymentID": "P1"}, Decision="Review")
    # the clerk corrects the invoice keyed wrongly, which the payment names
    type_in(path, "Invoices", {"InvoiceID": "INV-1004"}, InvoiceID="INV-1009", Amount=75.00)
    run(path, "match")
    [row] = rows(path, "Matches")
    assert (row["InvoiceID"], row["Decision"]) == ("INV-1009", "Auto") and not row["Evidence"].startswith("Held")


def test_a_row_naming_another_customer_than_the_clerk_gave_is_refused(book, run):
    path = book(payment("P1", 60.00, reference="INV-1002"))
    run(path, "match")
    type_in(path, "Payments", {"PaymentID": "P1"}, CustomerID="C2")
    type_in(path, "Matches", {"PaymentID": "P1", "InvoiceID": "INV-1002"}, Decision="Approve")
    run(path, "post")
    assert ledger(path) == []
    assert [e[1:4] for e in exceptions(path) if e[0] == "post"][0][::2] == ("Matches", "CustomerID")


# ---- corrections ----------------------------------------------------------------------------

@pytest.mark.parametrize("column, value", [("Amount", 59.00), ("Currency", "EUR"), ("CustomerID", "C2"),
                                           ("ApplyTo", "INV-1004")])
def test_a_posted_payment_changed_afterwards_says_how_to_correct_it(book, run, column, value):
    path = book(payment("P1", 60.00, reference="INV-1002"))
    run(path, "match", "post")
    assert ledger(path) == [("P1", "INV-1002", "C1", 6000, "PAID", "Auto")]
    type_in(path, "Payments", {"PaymentID": "P1"}, **{column: value})
    run(path, "post")
    [(command, sheet, row, col, problem)] = [e for e in exceptions(path) if e[0] == "post"]
    assert (sheet, row, col) == ("Payments", 2, column) and "P1 was " in problem
    hint = open_book(path).read("Exceptions")["Hint"].iloc[-1]
    assert "type Reverse in its Action" in hint and "clear Action" in hint
    assert len(ledger(path)) == 1 and status(path, "P1") == MatchStatus.POSTED


def test_a_cheque_reversed_and_presented_again_is_posted_again(book, run):
    path = book(payment("P1", 60.00, reference="INV-1002", Method="Check"))
    run(path, *REFRESH)
    type_in(path, "Payments", {"PaymentID": "P1"}, Action="reversed")  # read as Reverse
    run(path, *REFRESH)
    assert status(path, "P1") == MatchStatus.REVERSED
    assert [r[3] for r in ledger(path)] == [6000, -6000]
    type_in(path, "Payments", {"PaymentID": "P1"}, Action=None)  # the bank presents it again
    run(path, *REFRESH)
    assert [r[3] for r in ledger(path)] == [6000, -6000, 6000] and status(path, "P1") == MatchStatus.POSTED
    invoices = open_book(path).read("Invoices").set_index("InvoiceID")
    assert invoices.loc["INV-1002", "OpenBalance"] == 0


def test_a_payment_applied_to_the_wrong_invoice_is_reversed_and_applied_again_elsewhere(book, run):
    path = book(payment("P1", 60.00, reference="INV-1002"))
    run(path, *REFRESH)
    type_in(path, "Payments", {"PaymentID": "P1"}, Action="Reverse")
    run(path, "post")
    type_in(path, "Payments", {"PaymentID": "P1"}, Action=None, ApplyTo="INV-1004=60.00")
    run(path, "post")
    assert ledger(path)[-1] == ("P1", "INV-1004", "C1", 6000, "PARTIAL", "Override")
    open_balance = open_book(path).read("Invoices").set_index("InvoiceID")["OpenBalance"]
    assert open_balance[["INV-1002", "INV-1004"]].tolist() == [6000, 2000]


def test_an_unknown_action_is_reported_once_and_a_reversal_spelled_otherwise_is_read(book, run):
    path = book(payment("P1", 60.00, reference="INV-1002"), payment("P2", 80.00, reference="INV-1004"))
    run(path, *REFRESH)
    type_in(path, "Payments", {"PaymentID": "P1"}, Action="bounce")
    type_in(path, "Payments", {"PaymentID": "P2"}, Action=" REVERSAL ")
    run(path, "post")
    assert [e[:4] for e in exceptions(path)] == [("read", "Payments", 2, "Action")]
    assert status(path, "P1") == MatchStatus.POSTED and status(path, "P2") == MatchStatus.REVERSED
    assert [r[3] for r in ledger(path)] == [6000, 8000, -8000]  # P1 not reversed on a word arxl cannot read


# ---- Exceptions: each command its own rows --------------------------------------------------

def test_a_commands_exceptions_survive_a_run_of_another_command(make_book, run):
    requests = [{"RequestID": "R1", "CustomerID": "C9", "Kind": "Credit", "Type": "Product", "Amount": 10}]
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "MemoRequests": requests})
    run(path, "memos")
    memo_problems = [e for e in exceptions(path) if e[0] == "memos"]
    assert memo_problems and memo_problems[0][3] == "CustomerID"
    run(path, "aging")
    assert [e for e in exceptions(path) if e[0] == "memos"] == memo_problems
    assert rows(path, "MemoRequests")[0]["Status"] == "Not made: see Exceptions"
    run(path, "memos")  # the same command again replaces its own rows, never doubles them
    assert [e for e in exceptions(path) if e[0] == "memos"] == memo_problems
    run_at = open_book(path).read("Exceptions")["RunAt"]
    assert run_at.notna().all()


def test_the_invoices_balances_and_the_aging_agree_when_the_run_is_dated_before_today(book, run):
    """A run dated 2026-11-20 (Settings AsOfDate) on the 30th: its reversal counts in the aging as
    of the 20th, as it counts in the Invoices' OpenBalance."""
    path = book(payment("P1", 60.00, reference="INV-1002"))
    run(path, "match", "post", now=dt.datetime(2026, 11, 30, 9, 0))
    type_in(path, "Payments", {"PaymentID": "P1"}, Action="Reverse")
    run(path, "post", "aging", now=dt.datetime(2026, 11, 30, 10, 0))
    book_after = open_book(path)
    aging = book_after.read("Aging").set_index("DocID")["OpenAmount"]
    invoices = book_after.read("Invoices").set_index("InvoiceID")["OpenBalance"]
    assert aging["INV-1002"] == invoices["INV-1002"] == 6000
    posted_at = book_after.read("Applications")["PostedAt"]
    assert list(posted_at) == [pd.Timestamp("2026-11-20 09:00"), pd.Timestamp("2026-11-20 10:00")]


def test_a_flag_arxl_cannot_read_is_reported_and_read_the_safe_way(make_book, run):
    invoices = [dict(INVOICES[1], Disputed="pending"), dict(INVOICES[3], Disputed="n")]
    requests = [{"RequestID": "R1", "CustomerID": "C1", "Kind": "cr", "Type": "Price", "Amount": 5,
                 "InvoiceID": "INV-1004", "Approved": "Approved"},
                {"RequestID": "R2", "CustomerID": "C1", "Kind": "Credit", "Type": "Price", "Amount": 5,
                 "InvoiceID": "INV-1004", "Approved": "later"}]
    path = make_book({"Customers": CUSTOMERS, "Invoices": invoices, "MemoRequests": requests,
                      "Payments": [payment("P1", 60.00, reference="INV-1002")]},
                     settings={"MemoApprovalRequired": "Yes"})
    run(path, *REFRESH)
    read = [e[1:4] for e in exceptions(path) if e[0] == "read"]
    assert read == [("Invoices", 2, "Disputed"), ("MemoRequests", 3, "Approved")]
    # "pending" counts as disputed: never applied automatically
    assert ledger(path) == [] and status(path, "P1") == MatchStatus.REVIEW
    assert [r["Status"] for r in rows(path, "MemoRequests")] == ["Made", "Awaiting approval"]


# ---- what the matcher learned of payers, kept or removed by the clerk --------------------------

@pytest.mark.parametrize("typed", ["Remove", "Keep"])
def test_the_clerks_decision_on_a_learned_payer_is_read_back_on_the_next_run(book, run, typed):
    """P1 names its invoice exactly and settles it, so its account is learned as C1's and speaks for
    P2; the clerk's Remove (or Keep) typed in LearnedPayers holds on every later run."""
    account = "GB00 BANK 7788"
    path = book(payment("P1", 200.00, payer="AT HOLDCO", reference="INV-1001", PayerAccount=account),
                payment("P2", 80.00, payer="AT HOLDCO", reference="INV-1004", PayerAccount=account))
    run(path, "match")
    evidence = {r["PaymentID"]: r["Evidence"] for r in rows(path, "Matches")}
    assert f"payer account {account} is C1 Acme Tools Inc.'s, learned from this batch" in evidence["P2"]
    type_in(path, "LearnedPayers", {"PayerAccount": account}, Decision=typed)
    for _ in range(2):  # and again: the decision is not lost on the run after
        run(path, "match")
        learned = [r for r in rows(path, "LearnedPayers") if r["PayerAccount"] == account]
        assert [(r["CustomerID"], r["Decision"]) for r in learned] == [("C1", typed)]
        evidence = {r["PaymentID"]: r["Evidence"] for r in rows(path, "Matches")}
        if typed == "Remove":
            assert learned[0]["LearnedFrom"] == "removed by the clerk: never learned again"
            assert account not in evidence["P2"]
        else:
            assert learned[0]["LearnedFrom"] == "kept by the clerk"
            assert f"payer account {account} is C1 Acme Tools Inc.'s (kept by the clerk in LearnedPayers)" \
                in evidence["P2"]


def test_a_learned_payer_row_the_clerk_mistyped_stays_as_typed_until_corrected(book, run):
    """A Decision arxl cannot read ("Kepp"), then a Keep on a CustomerID we do not have ("C1O", a
    letter O for a zero): each is named in Exceptions and not used, and the row stays as typed,
    run after run, so that the clerk can correct it there; corrected, the Keep holds."""
    account = "GB00 BANK 7788"
    path = book(payment("P1", 200.00, payer="AT HOLDCO", reference="INV-1001", PayerAccount=account),
                payment("P2", 80.00, payer="AT HOLDCO", reference="INV-1004", PayerAccount=account))
    run(path, "match")
    for where, mistyped, column, problem in (
            ({"PayerAccount": account}, {"Decision": "Kepp"}, "Decision", "not a decision arxl knows"),
            ({"Decision": "Kepp"}, {"Decision": "Keep", "CustomerID": "C1O"}, "CustomerID",
             "not a CustomerID of Customers")):
        type_in(path, "LearnedPayers", where, **mistyped)
        for _ in range(2):  # and again: still there to correct
            run(path, "match")
            learned = [r for r in rows(path, "LearnedPayers") if r["PayerAccount"] == account]
            assert [{k: r[k] for k in mistyped} for r in learned if r["Decision"]] == [mistyped]
            assert [e for e in exceptions(path) if e[1:2] + e[3:4] == ("LearnedPayers", column) and problem in e[4]]
            evidence = {r["PaymentID"]: r["Evidence"] for r in rows(path, "Matches")}
            assert "kept by the clerk" not in evidence["P2"]
    type_in(path, "LearnedPayers", {"PayerAccount": account, "CustomerID": "C1O"}, CustomerID="C1")
    run(path, "match")
    learned = [r for r in rows(path, "LearnedPayers") if r["PayerAccount"] == account]
    assert [(r["CustomerID"], r["Decision"], r["LearnedFrom"]) for r in learned] == [("C1", "Keep", "kept by the clerk")]


def test_nothing_is_posted_while_the_applications_ledger_has_a_row_arxl_cannot_read(book, run):
    """A posted amount overtyped with words: arxl cannot tell what was applied, so it posts nothing
    (it could post a payment twice) and names the row; once the row is put right, it posts."""
    path = book(payment("P1", 60.00, reference="INV-1002"), payment("P2", 80.00, payer="NOBODY WE KNOW"))
    run(path, "match", "post")
    assert [row[:2] for row in ledger(path)] == [("P1", "INV-1002")]
    type_in(path, "Applications", {"PaymentID": "P1"}, AppliedAmount="sixty")
    type_in(path, "Payments", {"PaymentID": "P2"}, ApplyTo="INV-1004")
    result, _ = run(path, "post")
    assert result.failures["post"] == (
        "The Applications ledger has rows arxl cannot read (row 2; see Exceptions). "
        "Nothing is posted until they are fixed, so that no payment is posted twice.")
    assert ("Applications", 2, "AppliedAmount") in [e[1:4] for e in exceptions(path)]
    assert len(rows(path, "Applications")) == 1
    type_in(path, "Applications", {"PaymentID": "P1"}, AppliedAmount=60)
    result, _ = run(path, "post")
    assert result.ok and [row[:2] for row in ledger(path)] == [("P1", "INV-1002"), ("P2", "INV-1004")]
