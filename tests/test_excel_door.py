"""The Excel door against a real xlwings Book: xlwings' remote engine implements the same
Book/Sheet/Range API as Excel, serves the values it was given and records every write as an
action. It is an xlwings PRO feature, used here under its noncommercial licence for arxl's own
tests only (arxl's code never needs PRO); without it these tests are skipped.

Each button is clicked end to end (``xw.Book.caller()`` via ``set_mock_caller``), the recorded
writes are replayed onto the original file, and the result must equal the headless run of the
same commands on the same data: the door does not change the answer."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from arxl.book.files import FileStore, new_workbook
from arxl.book.port import Workbook
from arxl.cli import main
from arxl.commands.command import Context
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.commands.runner import run_commands
from arxl.contract import INVOICES

xw = pytest.importorskip("xlwings")
try:
    from xlwings.pro import _xlremote as remote
except (ImportError, xw.LicenseError) as exc:
    pytest.skip(f"xlwings' remote engine is unavailable: {exc}", allow_module_level=True)

from remote_book import (  # noqa: E402
    AS_OF,
    ROWS,
    actions,
    alerts,
    assert_same_tables,
    book_json,
    headless,
    master_workbook,
    replay,
    tables_of,
)

from arxl.excel import buttons  # noqa: E402 - after the licence check above
from arxl.excel.store import XlwingsStore  # noqa: E402

NOW = dt.datetime(2026, 11, 20, 17, 30, 0)

# ---- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def master(tmp_path) -> Path:
    return master_workbook(tmp_path / "master.xlsx")


@pytest.fixture
def excel(monkeypatch):
    """A remote xlwings Book over a file, with the status bar recorded (the remote engine has
    none) and ``xw.Book.caller()`` returning it."""
    shown = []
    monkeypatch.setattr(remote.App, "status_bar", property(lambda self: None, lambda self, value: shown.append(value)))

    def open_remote(path: Path):
        book = xw.Book(json=book_json(path))
        book.set_mock_caller()
        return book
    open_remote.status = shown
    yield open_remote
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


# ---- the store ----------------------------------------------------------------------------------

def test_store_reads_every_table_as_the_file_store_does(master, excel):
    book = excel(master)
    live = Workbook(XlwingsStore(book)).load()
    files = Workbook(FileStore(openpyxl.load_workbook(master))).load()
    for name in ("Customers", "Invoices", "Payments", "MemoRequests", "Applications"):
        pd.testing.assert_frame_equal(live.table(name), files.table(name))
    assert live.settings == files.settings
    assert [str(p) for p in live.problems] == [str(p) for p in files.problems]
    # the bad date is reported by its sheet row, and the row left out
    assert live.unread["Invoices"] == {6}


def test_store_reads_a_table_in_one_call_and_holds_writes_until_commit(master, excel):
    book = excel(master)
    store = XlwingsStore(book)
    reads = []
    original = remote.Range.raw_value.fget
    remote.Range.raw_value = property(lambda self: reads.append(self.address) or original(self),
                                      remote.Range.raw_value.fset)
    try:
        raw = store.find("Invoices")
    finally:
        remote.Range.raw_value = property(original, remote.Range.raw_value.fset)
    assert reads == [f"$A$1:${get_column_letter(len(INVOICES.columns))}$8"]  # headers and all rows together
    assert raw.first_row == 2 and raw.rows[0][:2] == ["INV-1001", "C100"]
    run_commands(Workbook(store), ["match"], Context(now=NOW))
    assert actions(book) == [] and store.pending > 0  # nothing touched Excel yet
    store.commit()
    assert store.pending == 0 and store.applied > 0 and actions(book)


def test_text_from_outside_is_written_into_text_formatted_cells(master, excel):
    book = excel(master)
    store = XlwingsStore(book)
    run_commands(Workbook(store), ["match"], Context(now=NOW))
    store.commit()
    done = actions(book)
    evidence_col = 9  # Matches.Evidence, 0-based
    matches_at = [s.name for s in book.sheets].index("Matches")
    formats = [a for a in done if a["func"] == "setNumberFormat" and a["sheet_position"] == matches_at
               and a["start_column"] == evidence_col]
    writes = [i for i, a in enumerate(done) if a["func"] == "setValues" and a["sheet_position"] == matches_at
              and a["start_column"] == evidence_col]
    assert formats and formats[0]["args"] == ["@"]
    assert done.index(formats[0]) < writes[0]  # the format comes first, so "=..." stays text


# ---- a click, end to end ------------------------------------------------------------------------

WRITES = {"match": "Matches", "post": "Applications", "memos": "Memos", "aging": "Aging", "disputes": "Disputes",
          "credit": "Credit", "collections": "Collections"}


@pytest.mark.parametrize("button", [*list(REFRESH), buttons.REFRESH_ALL])
def test_each_button_click_writes_what_the_headless_run_writes(master, excel, button, tmp_path):
    book = excel(master)
    before = dt.datetime.now().replace(microsecond=0)
    buttons.click(button)
    ids = list(REFRESH) if button == buttons.REFRESH_ALL else [button]
    expected = tables_of(headless(master, ids, tmp_path / "headless.xlsx"))
    got = tables_of(replay(actions(book), master))
    assert_same_tables(got, expected, since=before)
    for cid in ids:  # the comparison is not between two empty tables
        assert not got[WRITES[cid]].empty, WRITES[cid]
    [(message, title, _, mode, _)] = alerts(book)
    assert title == "arxl" and mode in ("info", "critical")
    for cid in ids:
        assert COMMANDS[cid].label in message
    assert any(s and buttons.button_label(button) in s for s in excel.status)
    assert excel.status[-1] is False  # Excel's own status bar is given back


def test_refresh_all_runs_every_command_in_order_and_counts_problems(master, excel):
    book = excel(master)
    result = buttons.run_click(book, buttons.REFRESH_ALL, now=NOW)
    assert list(result.outcomes) == list(REFRESH)
    [(message, *_)] = alerts(book)
    assert f"{result.problems} problem(s) are listed on the Exceptions sheet" in message
    assert result.problems >= 1  # the invoice dated "last week"


def test_a_failing_run_changes_nothing_and_says_so_in_plain_words(master, excel, monkeypatch, tmp_path):
    book = excel(master)
    monkeypatch.setattr(buttons, "ERROR_LOG", tmp_path / "arxl-errors.log")
    match = COMMANDS["match"]

    def broken(workbook, ctx):
        match.run(workbook, ctx)  # all its writes are held, then the run breaks
        raise RuntimeError("the matcher tripped over its own feet")
    monkeypatch.setitem(COMMANDS, "match", dataclasses.replace(match, run=broken))
    assert buttons.run_click(book, "match", now=NOW) is None
    [(message, title, _, mode, _)] = alerts(book)
    assert mode == "critical" and "Match remittances failed" in title
    assert "Nothing in the workbook was changed." in message
    assert "the matcher tripped over its own feet" in message and "Traceback" not in message
    assert str(buttons.ERROR_LOG) in message
    assert [a["func"] for a in actions(book) if a["func"] == "setValues"] == []
    assert "RuntimeError" in buttons.ERROR_LOG.read_text(encoding="utf-8")


def test_a_command_that_cannot_run_is_reported_and_the_others_still_run(tmp_path, excel):
    path = tmp_path / "no_payments.xlsx"
    new_workbook(path, rows={k: v for k, v in ROWS.items() if k != "Payments"}, settings={"AsOfDate": AS_OF})
    wb = openpyxl.load_workbook(path)
    del wb["Payments"]
    wb.save(path)
    book = excel(path)
    result = buttons.run_click(book, buttons.REFRESH_ALL, now=NOW)
    assert "match" in result.failures and "aging" in result.outcomes
    [(message, _, _, mode, _)] = alerts(book)
    assert mode == "critical" and "Match remittances could not run" in message and "Payments" in message


def test_an_unknown_button_is_explained(master, excel):
    book = excel(master)
    assert buttons.run_click(book, "forecast") is None
    [(message, *_)] = alerts(book)
    assert "forecast" in message and "rebuild the workbook" in message


def test_a_table_that_cannot_grow_is_reported_and_left_as_it_was(tmp_path, excel):
    path = tmp_path / "blocked.xlsx"
    new_workbook(path, rows=ROWS, settings={"AsOfDate": AS_OF})
    wb = openpyxl.load_workbook(path)
    wb["Matches"]["B4"] = "my note"  # below the (empty) Matches table, in the way of its rows
    wb.save(path)
    book = excel(path)
    result = buttons.run_click(book, "match", now=NOW)
    assert "match" in result.failures and "B4" in result.failures["match"]
    after = replay(actions(book), path)
    assert after["Matches"]["B4"].value == "my note"
    tables = tables_of(after)
    assert tables["Matches"].empty
    assert tables["Exceptions"]["Problem"].str.contains("B4").any()


def test_rows_typed_right_below_an_excel_table_are_named_as_the_headless_run_names_them(tmp_path, excel):
    """Payments typed under the Payments table where Excel did not extend it are outside it: the
    button names them in Exceptions, as a headless run of the same file does, not skipped."""
    path = tmp_path / "below.xlsx"
    new_workbook(path, rows=ROWS, settings={"AsOfDate": AS_OF})
    wb = openpyxl.load_workbook(path)
    payments = wb["Payments"]
    end = openpyxl.utils.range_boundaries(payments.tables["Payments"].ref)[3]
    payments.cell(end + 1, 1, "P-LATE")
    payments.cell(end + 2, 3, "50,00")
    payments.cell(end + 4, 1, "a note after a blank row: not the table's")
    wb.save(path)
    book = excel(path)
    buttons.run_click(book, "match", now=NOW)

    def below(wb: openpyxl.Workbook) -> list[tuple]:
        return [(r["Sheet"], r["Row"], r["Problem"]) for _, r in tables_of(wb)["Exceptions"].iterrows()
                if "below the Payments table" in r["Problem"]]
    assert below(replay(actions(book), path)) == [
        ("Payments", end + 1, f"rows {end + 1} to {end + 2} hold data right below the Payments table, outside it: "
                              "arxl does not read them")]
    assert below(replay(actions(book), path)) == below(headless(path, ["match"], tmp_path / "headless.xlsx"))


def test_a_missing_output_table_is_created_where_the_contract_puts_it(tmp_path, excel):
    path = tmp_path / "no_matches.xlsx"
    new_workbook(path, rows=ROWS, settings={"AsOfDate": AS_OF})
    wb = openpyxl.load_workbook(path)
    del wb["Matches"]
    wb.save(path)
    book = excel(path)
    buttons.click("match")
    after = replay(actions(book), path)
    names = after.sheetnames
    assert names.index("Payments") + 1 == names.index("Matches") == names.index("LearnedPayers") - 1
    assert "Matches" in after["Matches"].tables
    expected = tables_of(headless(path, ["match"], tmp_path / "headless.xlsx"))
    pd.testing.assert_frame_equal(tables_of(after)["Matches"], expected["Matches"])


def test_excel_calls_do_not_grow_with_the_number_of_rows(tmp_path, excel):
    """Whole columns per call: 40 or 4,000 invoices take the same number of Excel calls."""
    counts = []
    for n in (40, 4000):
        path = tmp_path / f"aging_{n}.xlsx"
        rows = {"Customers": ROWS["Customers"], "Invoices": [
            {"InvoiceID": f"INV-{i:05d}", "CustomerID": ("C100", "C200", "C300")[i % 3],
             "InvoiceDate": dt.date(2026, 1, 1) + dt.timedelta(days=i % 320), "Amount": 100 + i % 997 + 0.25}
            for i in range(n)]}
        new_workbook(path, rows=rows, settings={"AsOfDate": AS_OF})
        book = excel(path)
        buttons.run_click(book, "aging", now=NOW)
        counts.append(len(actions(book)))
        assert len(tables_of(replay(actions(book), path))["Aging"]) == n
    assert counts[0] == counts[1], counts


def test_set_up_arxl_here_proposes_on_a_first_click_and_accepts_on_a_second(tmp_path, excel):
    """The button does what `arxl adopt` then `arxl adopt --accept` do on the file."""
    clerk = tmp_path / "clerk.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoice_Master_Data"
    ws.append(["Invoice Number", "Issue Date", "Customer", "Amount", "Payment Date"])
    ws.append(["INV-1", dt.datetime(2026, 10, 1), "Rossi M.", 120.5, None])
    ws.append(["INV-2", dt.datetime(2026, 10, 2), "Acme Corp", 80.0, dt.datetime(2026, 10, 30)])
    wb.save(clerk)

    book = excel(clerk)
    buttons.click("adopt")
    proposed = tmp_path / "proposed.xlsx"
    replay(actions(book), clerk).save(proposed)
    [(message, *_)] = alerts(book)
    assert "ColumnMap" in message and "Invoices on Invoice_Master_Data" in message
    assert openpyxl.load_workbook(proposed).sheetnames == ["Invoice_Master_Data", "ColumnMap"]

    book = excel(proposed)
    result = buttons.run_click(book, "adopt", now=NOW)
    assert result is not None and result.ok
    accepted = tmp_path / "accepted.xlsx"
    replay(actions(book), proposed).save(accepted)
    headless = tmp_path / "headless.xlsx"
    headless.write_bytes(clerk.read_bytes())
    assert main(["--quiet", "adopt", str(headless), "--accept", "--no-backup"]) == 0
    got = Workbook(FileStore(openpyxl.load_workbook(accepted)))
    expected = Workbook(FileStore(openpyxl.load_workbook(headless)))
    for name in ("ColumnMap", "Customers", "Settings"):
        assert got.read(name).equals(expected.read(name)), name
    assert sorted(openpyxl.load_workbook(accepted).sheetnames) == sorted(openpyxl.load_workbook(headless).sheetnames)
