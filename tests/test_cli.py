"""The headless door: `arxl new`, `arxl refresh` over several workbooks, failures and --output."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import sys

import openpyxl
import pytest

from arxl.book.files import open_book
from arxl.cli import main
from arxl.commands.registry import COMMANDS
from arxl.contract import NEW_BOOK_SHEETS
from arxl.core.settings import KNOWN_SETTINGS

ROWS = {
    "Customers": [
        {"CustomerID": "C001", "Name": "Acme Tools Inc.", "Terms": "Net 30", "CreditLimit": 5000},
        {"CustomerID": "C002", "Name": "Blue Ridge Plumbing LLC", "Terms": "2/10 Net 30", "CreditLimit": 20000},
    ],
    "Invoices": [
        {"InvoiceID": "INV-2026-0101", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 9, 1), "Amount": 1200.00},
        {"InvoiceID": "INV-2026-0102", "CustomerID": "C001", "InvoiceDate": dt.date(2026, 10, 15), "Amount": 310.55},
        {"InvoiceID": "INV-2026-0103", "CustomerID": "C002", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 5000.00},
    ],
    "Payments": [
        {"PaymentID": "P1", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "ACME TOOLS",
         "Amount": 1200.00, "Currency": "USD", "Method": "ACH", "Reference": "INV-2026-0101"},
    ],
}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_writes_every_table_and_every_setting(tmp_path, capsys):
    path = tmp_path / "master.xlsx"
    assert main(["new", str(path)]) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(NEW_BOOK_SHEETS)
    for name in NEW_BOOK_SHEETS:
        if name != "AgingSummary":
            assert name in wb[name].tables and wb[name].freeze_panes == "A2"
    settings = wb["Settings"]
    listed = [(settings.cell(r, 1).value, settings.cell(r, 3).value) for r in range(2, settings.max_row + 1)]
    assert [n for n, _ in listed] == [s.name for s in KNOWN_SETTINGS]
    assert all(explanation for _, explanation in listed)
    ledger = open_book(path).load()
    assert ledger.settings.aging_buckets == (30, 60, 90, 120) and not ledger.problems
    assert main(["new", str(path)]) == 1  # never overwrites
    assert "never overwrites" in capsys.readouterr().err


def test_refresh_goes_on_past_a_broken_workbook_and_exits_non_zero(make_book, tmp_path, capsys):
    good = make_book(ROWS, name="good.xlsx")
    other = make_book(ROWS, name="other.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    assert main(["--quiet", "refresh", str(good), str(broken), str(other), "--as-of", "2026-11-20"]) == 1
    out = capsys.readouterr().out
    assert "broken.xlsx: NOT DONE" in out and "2 of 3 workbook(s) done" in out
    for path in (good, other):
        book = open_book(path)
        applications = book.read("Applications")
        assert applications["InvoiceID"].tolist() == ["INV-2026-0101"]
        assert set(book.read("Aging")["DocID"]) == {"INV-2026-0102", "INV-2026-0103"}


def test_output_closed_by_its_reader_leaves_the_batch_going_without_blaming_the_disk(make_book, tmp_path, capsys,
                                                                                   monkeypatch):
    """``arxl refresh A B | head -1``: the reader closes the output after the first summary's
    line. Every workbook is still refreshed, and arxl says so (not "check the disk")."""
    first, second = make_book(ROWS, name="first.xlsx"), make_book(ROWS, name="second.xlsx")
    sink = open(tmp_path / "sink", "wb")  # noqa: SIM115 (closed below)

    class ClosedAfterOneLine(io.StringIO):
        def write(self, text: str) -> int:
            if "\n" in self.getvalue():
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

        def fileno(self) -> int:
            return sink.fileno()

    monkeypatch.setattr(sys, "stdout", ClosedAfterOneLine())
    assert main(["--quiet", "refresh", str(first), str(second), "--as-of", "2026-11-20"]) == 0
    sink.close()
    err = capsys.readouterr().err
    assert "closed by the program reading it" in err and "2 of 2 done" in err and "disk" not in err
    for book in (first, second):
        assert open_book(book).read("Applications")["InvoiceID"].tolist() == ["INV-2026-0101"]


def test_a_command_that_cannot_run_is_reported_and_the_others_still_run(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["CustomerID", "Name"])
    ws.append(["C001", "Acme Tools Inc."])
    inv = wb.create_sheet("Invoices")
    inv.append(["InvoiceID", "CustomerID", "InvoiceDate", "Amount"])
    inv.append(["INV-1", "C001", dt.date(2026, 10, 1), 99.5])
    path = tmp_path / "no-payments.xlsx"
    wb.save(path)
    assert main(["--quiet", "refresh", str(path), "--as-of", "2026-11-20"]) == 1
    assert "COULD NOT RUN" in capsys.readouterr().out
    book = open_book(path)
    assert book.read("Aging")["DocID"].tolist() == ["INV-1"]
    problems = book.read("Exceptions")
    assert problems["Problem"].str.contains("no Payments table").any()


def test_output_leaves_the_original_untouched(make_book, tmp_path):
    path = make_book(ROWS)
    before = _digest(path)
    out = tmp_path / "results.xlsx"
    assert main(["--quiet", "refresh", str(path), "--output", str(out), "--only", "match"]) == 0
    assert _digest(path) == before
    matches = open_book(out).read("Matches")
    assert matches["InvoiceID"].tolist() == ["INV-2026-0101"]
    assert not open_book(out).read("Applications", required=False).shape[0]  # only match ran


def test_unknown_step_is_refused(make_book):
    with pytest.raises(SystemExit) as exit_:
        main(["refresh", str(make_book(ROWS)), "--only", "match,teleport"])
    assert exit_.value.code == 2


def test_bare_arxl_prints_what_it_can_do_and_version_says_which(capsys):
    from arxl import __version__
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: arxl" in out and all(verb in out for verb in ("new", "demo", "refresh", "import"))
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"arxl {__version__}"


def test_every_subcommand_and_option_explains_itself():
    import argparse

    from arxl.cli import build_parser
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == {"new", "demo", "refresh", *COMMANDS}
    for verb, sub in subparsers.choices.items():
        assert sub.description, verb
        for action in sub._actions:
            assert action.help, f"{verb} {action.dest}"


@pytest.mark.parametrize("only", ["import", "post,import", "matchx", ","])
def test_only_takes_the_steps_of_refresh_and_nothing_else(only, capsys, tmp_path):
    with pytest.raises(SystemExit) as refused:
        main(["refresh", str(tmp_path / "b.xlsx"), "--only", only])
    assert refused.value.code == 2
    assert "the steps are match, post, disputes, memos, aging, credit, collections" in capsys.readouterr().err
