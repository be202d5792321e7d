"""Disputes and deductions to their resolution: a short pay the matcher read and an invoice the
clerk marked Disputed are listed, and the resolution the clerk types is made once: one memo
request (and one memo), or one write-off, however many runs follow."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

D = dt.date
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc.", "Terms": "Net 30"}]
INVOICES = [
    {"InvoiceID": "101", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 1), "Amount": 1000.00},
    {"InvoiceID": "102", "CustomerID": "C1", "InvoiceDate": D(2026, 10, 5), "Amount": 240.00, "Disputed": "Yes"},
]
PAYMENTS = [{"PaymentID": "P1", "ReceivedDate": D(2026, 11, 3), "PayerName": "ACME TOOLS", "Amount": 950.00,
             "Reference": "INV 101 LESS 50.00 PRICING"}]
MATCHES = [{"PaymentID": "P1", "CustomerID": "C1", "InvoiceID": "101", "ApplyAmount": 950.00, "ShortPay": 50.00,
            "Reason": "PRICING", "Confidence": 97.0, "Decision": "Auto", "Evidence": "test row"}]


def set_cells(path, sheet: str, key: str, key_value: str, values: dict) -> None:
    """Type ``values`` into the row of ``sheet`` whose ``key`` column holds ``key_value``, as a
    clerk would in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[1]}
    [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, headers[key]).value == key_value]
    for column, value in values.items():
        ws.cell(row, headers[column], value)
    wb.save(path)


@pytest.fixture
def listed(make_book, run):
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS, "Matches": MATCHES},
                     settings={"AsOfDate": D(2026, 11, 20)})
    result, wb = run(path, "post", "disputes")
    assert result.ok, result.failures
    return path, wb


def test_a_short_pay_and_a_disputed_invoice_are_listed_with_their_reason_and_age(listed):
    _, wb = listed
    disputes = wb.read("Disputes").set_index("DisputeID")
    assert sorted(disputes.index) == ["DI-102", "SP-A0000001"]
    short = disputes.loc["SP-A0000001"]
    assert (short.Kind, short.InvoiceID, short.Reason, int(short.Amount), int(short.OpenAmount), short.Status) == \
        ("Short pay", "101", "PRICING", 5000, 5000, "Open")
    assert short.OpenedDate.date() == D(2026, 11, 3) and short.DaysOpen == 17
    assert (int(disputes.loc["DI-102", "OpenAmount"]), disputes.loc["DI-102", "Status"]) == (24000, "Open")


def test_a_disputed_invoice_whose_row_cannot_be_read_keeps_its_dispute_open_as_it_was(listed, run):
    """An invoice marked Disputed whose row a clerk mistyped is not an invoice whose mark was
    cleared: its dispute stays Open with what the clerk typed (no Resolved date), Exceptions says
    it waits, and a Credit typed meanwhile is not made until the invoice can be read."""
    path, _ = listed
    set_cells(path, "Disputes", "DisputeID", "DI-102", {"Owner": "Maria", "Note": "damaged in transit"})
    set_cells(path, "Invoices", "InvoiceID", "102", {"Amount": "24O.00"})  # a letter O for a zero
    result, wb = run(path, "disputes")
    assert result.ok, result.failures
    dispute = wb.read("Disputes").set_index("DisputeID").loc["DI-102"]
    assert (dispute.Status, dispute.Owner, dispute.Note, int(dispute.OpenAmount)) == \
        ("Open", "Maria", "damaged in transit", 24000)
    assert dispute.isna().ResolvedDate
    problems = wb.read("Exceptions")
    assert ((problems.Sheet == "Invoices") & (problems.Column == "Amount")).any()
    assert problems.Problem.str.contains("dispute DI-102 waits as it was").any()

    set_cells(path, "Disputes", "DisputeID", "DI-102", {"Resolution": "Credit"})
    result, wb = run(path, "disputes")
    assert not len(wb.read("MemoRequests")) and wb.read("Disputes").set_index("DisputeID").loc["DI-102"].Status == "Open"
    set_cells(path, "Invoices", "InvoiceID", "102", {"Amount": 240.00})
    result, wb = run(path, "disputes")
    dispute = wb.read("Disputes").set_index("DisputeID").loc["DI-102"]
    assert (dispute.Owner, dispute.Resolution, dispute.Document) == ("Maria", "Credit", "DI-102-CR requested")
    assert list(wb.read("MemoRequests").RequestID) == ["DI-102-CR"]


def test_a_resolution_amount_arxl_cannot_read_leaves_the_disputes_table_as_the_clerk_typed_it(listed, run):
    """Owner, Note, a Credit and its amount typed as "fifty": the amount is named in Exceptions
    and Disputes is not rebuilt (rebuilt, the row would have lost all the clerk typed in it), the
    other commands run; once the amount is a number, the credit is requested as typed."""
    path, _ = listed
    typed = {"Owner": "Maria", "Note": "price agreed", "Resolution": "Credit", "ResolutionAmount": "fifty"}
    set_cells(path, "Disputes", "DisputeID", "SP-A0000001", typed)
    result, wb = run(path, "disputes", "aging")
    assert result.failures["disputes"].startswith("The Disputes table has rows arxl cannot read (row ")
    assert "aging" in result.outcomes
    sheet = openpyxl.load_workbook(path)["Disputes"]
    headers = [c.value for c in sheet[1]]
    [kept] = [dict(zip(headers, r)) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "SP-A0000001"]
    assert {k: kept[k] for k in typed} == typed
    assert not len(wb.read("MemoRequests", required=False))
    problems = wb.read("Exceptions")
    assert ((problems.Sheet == "Disputes") & (problems.Column == "ResolutionAmount")).any()

    set_cells(path, "Disputes", "DisputeID", "SP-A0000001", {"ResolutionAmount": 30.00})
    result, wb = run(path, "disputes")
    assert result.ok, result.failures
    requests = wb.read("MemoRequests")
    assert list(requests.RequestID) == ["SP-A0000001-CR"] and int(requests.Amount.iloc[0]) == 3000
    dispute = wb.read("Disputes").set_index("DisputeID").loc["SP-A0000001"]
    assert (dispute.Owner, dispute.Note) == ("Maria", "price agreed")


def test_a_credit_resolution_makes_exactly_one_memo_request_and_one_memo_however_often_it_runs(listed, run):
    path, _ = listed
    set_cells(path, "Disputes", "DisputeID", "SP-A0000001", {"Resolution": "Credit", "Owner": "Dana"})
    for day in (21, 22, 23):  # three days of Refresh all
        result, wb = run(path, "disputes", "memos", "aging", now=dt.datetime(2026, 11, day, 9))
        assert result.ok, result.failures
        requests = wb.read("MemoRequests")
        assert requests["RequestID"].tolist() == ["SP-A0000001-CR"]
        [request] = requests.itertuples()
        assert (request.Kind, request.InvoiceID, int(request.Amount), request.Type) == ("Credit", "101", 5000, "Price")
        memos = wb.read("Memos")
        assert len(memos) == 1 and int(memos["TotalAmount"].iloc[0]) == 5000
    disputes = wb.read("Disputes").set_index("DisputeID")
    assert disputes.loc["SP-A0000001", "Status"] == "Credited"
    assert memos["MemoID"].iloc[0] in disputes.loc["SP-A0000001", "Document"]
    invoices = wb.read("Invoices").set_index("InvoiceID")
    assert int(invoices.loc["101", "OpenBalance"]) == 0  # the credit settles the deduction to the cent
    assert disputes.loc["DI-102", "Status"] == "Open"  # the other dispute is untouched


def test_a_write_off_is_posted_once_and_cannot_then_be_credited_too(listed, run):
    path, _ = listed
    set_cells(path, "Disputes", "DisputeID", "DI-102", {"Resolution": "Write off", "ResolutionAmount": 240.00})
    run(path, "disputes")
    set_cells(path, "Disputes", "DisputeID", "DI-102", {"Resolution": "Credit"})  # changed its mind
    result, wb = run(path, "disputes", "memos", now=dt.datetime(2026, 11, 22, 9))
    applications = wb.read("Applications")
    write_offs = applications.loc[applications["Source"] == "Dispute"]
    assert write_offs[["InvoiceID", "WriteOff", "ReasonCode"]].values.tolist() == [["102", 24000, "WRITEOFF:DI-102"]]
    assert wb.read("MemoRequests").empty and wb.read("Memos").empty
    assert wb.read("Disputes").set_index("DisputeID").loc["DI-102", "Status"] == "Written off"
    said = wb.read("Exceptions")["Problem"]
    assert said.str.contains("DI-102").any()


def test_no_reminder_asks_for_a_deduction_open_in_disputes_until_the_clerk_closes_it(listed, run):
    """101 (due Oct 31) is paid but for a 50.00 deduction under investigation, 102 is disputed:
    nothing is overdue for a reminder or the worklist; once the clerk closes the deduction
    (Resolved, nothing made) the 50.00 is asked for again."""
    path, _ = listed
    result, wb = run(path, "dunning", "collections")
    assert result.ok, result.failures
    assert result.outcomes["dunning"].counts["made"] == 0
    assert wb.read("Collections", required=False).empty
    set_cells(path, "Disputes", "DisputeID", "SP-A0000001", {"Resolution": "Resolved"})
    result, wb = run(path, "disputes", "dunning", "collections")
    assert result.ok, result.failures
    assert result.outcomes["dunning"].counts["made"] == 1
    [letter] = wb.read("DunningLog").itertuples()
    assert (letter.CustomerID, letter.Items, int(letter.OverdueAmount)) == ("C1", "101 50.00", 5000)
    [line] = wb.read("Collections").itertuples()
    assert (line.CustomerID, int(line.Overdue)) == ("C1", 5000)


def test_the_part_of_an_invoice_a_deduction_does_not_hold_is_still_asked_for(make_book, run):
    # 101 paid 600.00 with 50.00 deducted: 400.00 is owed on it, 50.00 of it under investigation
    matches = [dict(MATCHES[0], ApplyAmount=550.00)]
    payments = [dict(PAYMENTS[0], Amount=550.00)]
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES[:1], "Payments": payments, "Matches": matches},
                     settings={"AsOfDate": D(2026, 11, 20)})
    result, wb = run(path, "post", "disputes", "dunning", "collections")
    assert result.ok, result.failures
    assert int(wb.read("Invoices")["OpenBalance"].iloc[0]) == 45000
    [letter] = wb.read("DunningLog").itertuples()
    assert int(letter.OverdueAmount) == 40000
    assert int(wb.read("Collections")["Overdue"].iloc[0]) == 40000
