"""A ledger no one can quietly change: every ledger row carries who posted it, its ChainNo and a
hash over its contents and the previous row's hash; `arxl verify` names the first row changed,
inserted or deleted; nothing is posted onto a broken chain until a clerk acknowledges the break.
Workbooks are written, run through the file store and the runner as the CLI does, edited as a
clerk would edit them in Excel (openpyxl), and run again."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from arxl.cli import main
from arxl.contract import APPLICATIONS, CHAIN_NAMES, TABLES, ChainBreak, Role
from arxl.core.chain import check_chain, contents, row_hash

D = dt.date
CUSTOMERS = [{"CustomerID": "C1", "Name": "Acme Tools Inc."}, {"CustomerID": "C2", "Name": "Blue Ridge LLC"}]
INVOICES = [{"InvoiceID": f"10{n}", "CustomerID": "C1" if n % 2 else "C2", "InvoiceDate": D(2026, 10, n),
             "Amount": 100.0 * n} for n in range(1, 9)]
PAYMENTS = [{"PaymentID": f"P{n}", "ReceivedDate": D(2026, 11, n), "PayerName": "Acme Tools" if n % 2 else "Blue Ridge",
             "Amount": 100.0 * n, "ApplyTo": f"10{n}", "CustomerID": "C1" if n % 2 else "C2"} for n in range(1, 7)]
CONTACTS = [{"ContactDate": D(2026, 11, 2), "CustomerID": "C1", "Channel": "Phone", "Note": "  called AP  ",
             "PromisedAmount": 150.0, "PromisedDate": D(2026, 11, 10)}]


@pytest.fixture
def posted(make_book, run) -> Path:
    """Six payments posted (Applications rows 2 to 7), a memo made, a contact typed and sealed."""
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS, "Contacts": CONTACTS,
                      "MemoRequests": [{"RequestID": "R1", "CustomerID": "C2", "Kind": "Credit", "Type": "Price",
                                        "Amount": 12.5, "InvoiceID": "108", "Reason": "=price fix"}]})
    result, _ = run(path, "post", "memos")
    assert result.ok, result.failures
    return path


def sheet_edit(path: Path, sheet: str, edit) -> None:
    wb = openpyxl.load_workbook(path)
    edit(wb[sheet])
    wb.save(path)


def header_at(ws, name: str) -> int:
    return next(c.column for c in ws[1] if c.value == name)


def resize(ws, rows: int) -> None:
    table = next(iter(ws.tables.values()))
    c1, r1, c2, _ = range_boundaries(table.ref)
    table.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r1 + rows}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref


def verify(run, path):
    result, wb = run(path, "verify")
    return result, wb.read("Exceptions"), wb.read("Chains").set_index("Ledger")


def test_every_ledger_row_is_chained_as_posted_and_reads_back_intact(posted, run):
    result, exceptions, chains = verify(run, posted)
    assert result.ok and result.outcomes["verify"].counts["breaks"] == 0
    wb = openpyxl.load_workbook(posted)
    from arxl.book.files import open_book
    book = open_book(posted)
    apps = book.read("Applications")
    assert apps["ChainNo"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (apps["PostedBy"] != "").all()
    # each hash is over the row's contents and the row before's hash
    texts = contents(APPLICATIONS, apps)
    previous = ""
    for row in apps.index:
        assert apps.at[row, "RowHash"] == row_hash("Applications", previous, texts[row])
        previous = apps.at[row, "RowHash"]
    contacts = book.read("Contacts")
    assert contacts["ChainNo"].tolist() == [1] and contacts["PostedBy"].iloc[0]  # the clerk's row, sealed
    assert book.read("Memos")["ChainNo"].tolist() == [1]
    assert chains.loc["Applications", "LastChainNo"] == 6 and chains.loc["Applications", "Status"] == "Intact"
    assert chains.loc["Applications", "LastRowHash"] == apps["RowHash"].iloc[-1]
    assert wb["Applications"].cell(2, header_at(wb["Applications"], "RowHash")).data_type == "s"


def test_an_edited_row_is_named_and_posting_onto_it_is_refused(posted, run, make_book):
    sheet_edit(posted, "Applications", lambda ws: ws.cell(4, header_at(ws, "AppliedAmount"), 299.0))
    result, exceptions, chains = verify(run, posted)
    assert not result.ok
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found[["Sheet", "Row", "Column"]].values.tolist() == [["Applications", 4, "RowHash"]]
    assert found["Problem"].iloc[0].startswith("changed: ChainNo 3")
    assert chains.loc["Applications", "Status"] == "Broken"
    # a payment to post: refused, nothing appended, and said why
    sheet_edit(posted, "Payments", lambda ws: [ws.cell(8, header_at(ws, h), v) for h, v in
                                               (("PaymentID", "P7"), ("ReceivedDate", dt.datetime(2026, 11, 7)),
                                                ("PayerName", "Acme"), ("Amount", 700.0), ("ApplyTo", "107"),
                                                ("CustomerID", "C1"))] and resize(ws, 7))
    result, wb = run(posted, "post")
    assert "post" in result.failures and "Row 4" in result.failures["post"]
    assert len(wb.read("Applications")) == 6


def test_an_acknowledged_break_lets_posting_go_on_until_the_row_changes_again(posted, run):
    sheet_edit(posted, "Applications", lambda ws: ws.cell(4, header_at(ws, "ReasonCode"), "PAID (checked)"))

    def acknowledge(ws):
        ws.cell(2, 1, "applications")  # the ledger's name in any case
        ws.cell(2, 2, 4)
        ws.cell(2, 3, "Typo fixed by J. Doe, approved by the controller")
        resize(ws, 1)
    sheet_edit(posted, "ChainAcknowledgements", acknowledge)
    result, exceptions, chains = verify(run, posted)
    assert result.ok, exceptions.to_string()
    assert chains.loc["Applications", "Status"] == "Acknowledged"
    from arxl.book.files import open_book
    ack = open_book(posted).read("ChainAcknowledgements").iloc[0]
    assert (ack["Status"], ack["Break"], ack["ChainNo"]) == ("Accepted", "Changed", 3)
    assert ack["AcknowledgedBy"] and len(ack["Fingerprint"]) == 64
    result, _ = run(posted, "post")  # posts onto the acknowledged chain
    assert "post" not in result.failures
    # the same row changed again: the acknowledgement no longer covers it
    sheet_edit(posted, "Applications", lambda ws: ws.cell(4, header_at(ws, "ReasonCode"), "PAID (twice)"))
    result, exceptions, _ = verify(run, posted)
    assert not result.ok and exceptions.loc[exceptions["Command"] == "verify", "Row"].tolist() == [4]


def test_an_inserted_row_is_named_whether_typed_blank_or_copied(posted, run):
    def insert_copy(ws):
        ws.insert_rows(5)
        for c in range(1, ws.max_column + 1):
            ws.cell(5, c).value = ws.cell(4, c).value
        resize(ws, 7)
    sheet_edit(posted, "Applications", insert_copy)
    _, exceptions, _ = verify(run, posted)
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found[["Row", "Problem"]].values.tolist()[0] == [5, "inserted: it repeats ChainNo 3: a copy added by hand"]
    assert len(found) == 1  # the chain goes on past the copy

    def type_row(ws):
        ws.cell(5, header_at(ws, "RowHash")).value = None
        ws.cell(5, header_at(ws, "ChainNo")).value = None
        ws.cell(5, header_at(ws, "PostedBy")).value = None
    sheet_edit(posted, "Applications", type_row)
    _, exceptions, _ = verify(run, posted)
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found["Row"].tolist() == [5] and found["Problem"].iloc[0].startswith("inserted: the row carries no chain")


def test_a_row_typed_below_arxl_s_ledger_is_inserted_not_sealed(posted, run):
    sheet_edit(posted, "Applications", lambda ws: [ws.cell(8, header_at(ws, h), v) for h, v in (
        ("ApplicationID", "A0000099"), ("InvoiceID", "107"), ("CustomerID", "C1"), ("AppliedAmount", 700.0))]
        and resize(ws, 7))
    result, exceptions, _ = verify(run, posted)
    assert not result.ok
    assert exceptions.loc[exceptions["Command"] == "verify", "Row"].tolist() == [8]


def test_a_deleted_row_is_named_in_the_middle_and_at_the_end(posted, run):
    def delete(row):
        def edit(ws):
            ws.delete_rows(row)
            resize(ws, ws.max_row - 1)
        return edit
    sheet_edit(posted, "Applications", delete(7))  # the last row
    _, exceptions, chains = verify(run, posted)
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found[["Row", "Problem"]].values.tolist() == [
        [7, "deleted: the last 1 row(s), ChainNo 6 to 6, were deleted from the end (the last run left ChainNo 6)"]]
    assert chains.loc["Applications", "LastChainNo"] == 6  # a broken ledger keeps its recorded end
    sheet_edit(posted, "Applications", delete(3))  # ChainNo 2
    _, exceptions, _ = verify(run, posted)
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found["Row"].tolist()[0] == 3
    assert found["Problem"].iloc[0] == "deleted: ChainNo 2 is missing before it: deleted"


def test_a_sorted_ledger_is_told_to_be_sorted_back(posted, run):
    def swap(ws):
        for c in range(1, ws.max_column + 1):
            ws.cell(3, c).value, ws.cell(4, c).value = ws.cell(4, c).value, ws.cell(3, c).value
    sheet_edit(posted, "Applications", swap)
    _, exceptions, _ = verify(run, posted)
    found = exceptions.loc[exceptions["Command"] == "verify"]
    assert found["Problem"].iloc[0].startswith("moved: ChainNo 3 follows 1")
    assert "Sort the sheet by ChainNo" in found["Hint"].iloc[0]
    sheet_edit(posted, "Applications", swap)
    result, _, _ = verify(run, posted)
    assert result.ok


def test_a_ledger_from_before_the_chain_is_chained_whole_by_the_first_run_and_says_so(make_book, run):
    rows = [{"ApplicationID": f"A000000{n}", "PostedAt": dt.datetime(2026, 11, n, 9), "PaymentID": f"P{n}",
             "InvoiceID": f"10{n}", "CustomerID": "C1" if n % 2 else "C2", "AppliedAmount": 100.0 * n,
             "ReasonCode": "PAID", "Source": "Override"} for n in range(1, 4)]
    path = make_book({"Customers": CUSTOMERS, "Invoices": INVOICES, "Payments": PAYMENTS[:3], "Applications": rows})
    wb = openpyxl.load_workbook(path)  # as an older arxl wrote it: no chain columns at all
    ws = wb["Applications"]
    ws.delete_cols(header_at(ws, "PostedBy"), 3)
    table = next(iter(ws.tables.values()))
    table.tableColumns = table.tableColumns[:-3]
    c1, r1, _, r2 = range_boundaries(table.ref)
    table.ref = f"A{r1}:{get_column_letter(ws.max_column)}{r2}"
    wb.save(path)
    result, book = run(path, "aging")
    apps = book.read("Applications")
    assert apps["ChainNo"].tolist() == [1, 2, 3] and (apps["PostedBy"] == "").all()
    note = book.read("Exceptions").query("Command == 'read' and Sheet == 'Applications'")["Problem"].tolist()
    assert note == ["the 3 row(s) of Applications written before arxl kept a chain were chained now: from today "
                    "every change to them is caught, a change made before cannot be"]
    result, exceptions, _ = verify(run, path)
    assert result.ok and "chained now" not in " ".join(exceptions["Problem"])  # said once


def test_arxl_verify_exits_1_on_a_broken_ledger(posted, capsys):
    assert main(["--quiet", "verify", str(posted), "--no-backup"]) == 0
    sheet_edit(posted, "Memos", lambda ws: ws.cell(2, header_at(ws, "TotalAmount"), 1.0))
    assert main(["--quiet", "verify", str(posted), "--no-backup"]) == 1
    assert "Memos: 1 row(s), BROKEN: changed at row 2" in capsys.readouterr().out


def test_every_ledger_of_the_contract_has_the_chain_and_a_new_one_gets_it_too():
    from arxl.contract import Column, TableSpec
    for table in TABLES.values():
        assert (table.names[-3:] == list(CHAIN_NAMES)) == (table.role == Role.LEDGER), table.name
    added = TableSpec("DunningLog", Role.LEDGER, (Column("CustomerID"), Column("Level")))
    assert added.names == ["CustomerID", "Level", *CHAIN_NAMES]


def test_values_hash_as_they_read_back_from_a_cell():
    frame = pd.DataFrame({"ApplicationID": ["A1"], "PostedAt": [pd.Timestamp("2026-11-20 17:59:59.9999996")],
                          "AppliedAmount": pd.array([1050], dtype="Int64"), "Confidence": [97.30000000000001],
                          "ReasonCode": [" PAID "], "ShortPay": pd.array([None], dtype="Int64")})
    read_back = frame.assign(PostedAt=pd.Timestamp("2026-11-20 18:00:00"), Confidence=97.3, ReasonCode="PAID")
    assert contents(APPLICATIONS, frame).tolist() == contents(APPLICATIONS, read_back).tolist() == [
        "ApplicationID=A1\x1fPostedAt=2026-11-20T18:00:00\x1fAppliedAmount=1050\x1fReasonCode=PAID\x1fConfidence=97.3"]


def test_check_chain_on_frames_finds_each_kind_of_break():
    def ledger(*rows):
        frame = pd.DataFrame(rows, columns=["ApplicationID", "ChainNo", "RowHash"]).astype({"ChainNo": "Int64"})
        frame.index = pd.RangeIndex(2, 2 + len(frame))
        return frame
    good, previous = [], ""
    for n in range(1, 5):
        previous = row_hash("Applications", previous, f"ApplicationID=A{n}\x1fChainNo={n}")
        good.append((f"A{n}", n, previous))
    assert not check_chain(APPLICATIONS, ledger(*good)).breaks
    kinds = {  # kind: (the rows, the sheet row named)
        ChainBreak.CHANGED: ([good[0], ("A9", 2, good[1][2]), *good[2:]], 3),
        ChainBreak.DELETED: ([good[0], *good[2:]], 3),
        ChainBreak.INSERTED: ([good[0], good[1], good[1], *good[2:]], 4),
        ChainBreak.MOVED: ([good[0], good[2], good[1], good[3]], 3),
    }
    for kind, (rows, named) in kinds.items():
        state = check_chain(APPLICATIONS, ledger(*rows))
        assert state.breaks[0].kind == kind and state.breaks[0].row == named, kind
