"""A workbook file as xlwings' remote engine sees it (the Book xlwings Lite and xlwings Server
hand to Python), and the engine's recorded writes replayed onto the file, to compare a door's
result with the headless run of the same commands. Used by tests/test_excel_door.py and
tests/test_lite_door.py; needs xlwings' PRO parts (noncommercial licence, tests only)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd
import xlwings as xw
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableStyleInfo

from arxl.book.files import FileStore, save_book
from arxl.book.port import Workbook
from arxl.commands.command import Context
from arxl.commands.runner import run_commands

# A small ledger with the cases a door must carry: a payment without an ID, a formula-like
# reference, an override, a memo request, an invoice whose date is text.
ROWS = {
    "Customers": [
        {"CustomerID": "C100", "Name": "Acme Industrial Supply Inc", "Terms": "2/10 Net 30", "Region": "East"},
        {"CustomerID": "C200", "Name": "Globex Corporation", "Terms": "Net 30", "Aliases": "GLOBEX CORP"},
        {"CustomerID": "C300", "Name": "Initech LLC", "Terms": "Net 45", "CreditLimit": 5000},
    ],
    "Invoices": [
        {"InvoiceID": "INV-1001", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 10, 1), "Amount": 1200.50},
        {"InvoiceID": "INV-1002", "CustomerID": "C100", "InvoiceDate": dt.date(2026, 11, 12), "Amount": 300.00},
        {"InvoiceID": "INV-2001", "CustomerID": "C200", "InvoiceDate": dt.date(2026, 8, 3), "Amount": 99.00},
        {"InvoiceID": "INV-3001", "CustomerID": "C300", "InvoiceDate": dt.date(2026, 9, 15), "Amount": 2500.00,
         "DueDate": dt.date(2026, 10, 30)},
        {"InvoiceID": "INV-3002", "CustomerID": "C300", "InvoiceDate": "last week", "Amount": 10.00},
    ],
    "Payments": [
        {"PaymentID": "P000001", "ReceivedDate": dt.date(2026, 11, 18), "PayerName": "ACME INDUSTRIAL SUP",
         "Amount": 1200.50, "Reference": "INV-1001"},
        {"PaymentID": "", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "GLOBEX CORP", "Amount": 50.00,
         "Reference": "=HYPERLINK(\"http://x\")"},
        {"PaymentID": "P000003", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "INITECH", "Amount": 2500.00,
         "Reference": "INV3001"},
        {"PaymentID": "P000004", "ReceivedDate": dt.date(2026, 11, 19), "PayerName": "Globex Corporation",
         "Amount": 99.00, "ApplyTo": "INV-2001", "CustomerID": "C200"},
    ],
    "MemoRequests": [
        {"RequestID": "R1", "CustomerID": "C200", "Kind": "Credit", "Type": "Price", "Reason": "Price correction",
         "Amount": 10.00, "InvoiceID": "INV-2001"},
    ],
}

TABLE_NAMES = ("Customers", "Invoices", "Payments", "MemoRequests", "Matches", "Applications", "Memos",
               "Aging", "Exceptions")


def _json_value(v):
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day).isoformat(timespec="milliseconds") + "Z"
    return v


def _address(c1, r1, c2, r2):
    return f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r2}"


def book_json(path: Path) -> dict:
    """What xlwings' remote client sends for the workbook at ``path``: every sheet's values and
    its Excel tables."""
    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        values = [[_json_value(v) for v in row] for row in ws.iter_rows(values_only=True)] or [[]]
        tables = []
        for t in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(t.ref)
            tables.append({"name": t.displayName, "range_address": _address(c1, r1, c2, r2),
                           "header_row_range_address": _address(c1, r1, c2, r1),
                           "data_body_range_address": _address(c1, r1 + 1, c2, r2) if r2 > r1 else None,
                           "total_row_range_address": None, "show_headers": True, "show_totals": False,
                           "table_style": "TableStyleMedium2", "show_autofilter": True})
        sheets.append({"name": ws.title, "values": values, "tables": tables, "pictures": [], "charts": [],
                       "shapes": [], "notes": [], "visibility": "Visible",
                       "used_range_address": _address(1, 1, max(ws.max_column, 1), max(ws.max_row, 1))})
    return {"client": "Microsoft Office Scripts", "version": xw.__version__,
            "book": {"name": "arxl.xlsm", "active_sheet_index": 0, "selection": "A1", "calculation": "Automatic"},
            "names": [], "sheets": sheets}


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
# Formatting and application state: no cell value changes.
_NO_VALUES = {"setNumberFormat", "setFontProperty", "setColumnWidth", "setRangeColor", "setScreenUpdating",
              "setCalculation", "addChart", "setChartTitle", "alert", "freezePaneAtRange"}


def replay(actions: list[dict], path: Path) -> openpyxl.Workbook:
    """The workbook at ``path`` after Excel applied ``actions`` (values and table shapes; a
    text-formatted cell keeps ISO-looking text as text, as Excel does)."""
    wb = openpyxl.load_workbook(path)
    text_cells: set[tuple[str, int, int]] = set()
    for a in actions:
        func = a["func"]
        if func in _NO_VALUES:
            if func == "setNumberFormat" and a["args"] == ["@"]:
                ws = wb.worksheets[a["sheet_position"]]
                text_cells.update((ws.title, a["start_row"] + 1 + r, a["start_column"] + 1 + c)
                                  for r in range(a["row_count"]) for c in range(a["column_count"]))
            continue
        if func == "addSheet":
            wb.create_sheet(a["args"][1], a["args"][0])
            continue
        ws = wb.worksheets[a["sheet_position"]]
        if func == "setValues":
            for r, line in enumerate(a["values"]):
                for c, v in enumerate(line):
                    row, col = a["start_row"] + 1 + r, a["start_column"] + 1 + c
                    if isinstance(v, str) and _ISO.match(v) and (ws.title, row, col) not in text_cells:
                        v = dt.datetime.fromisoformat(v)
                    cell = ws.cell(row, col)
                    cell.value = None if v == "" else v
                    if isinstance(v, str) and v:
                        cell.data_type = "s"
        elif func == "rangeClearContents":
            for r in range(a["row_count"]):
                for c in range(a["column_count"]):
                    ws.cell(a["start_row"] + 1 + r, a["start_column"] + 1 + c).value = None
        elif func == "sheetClear":
            for row in ws.iter_rows():
                for cell in row:
                    cell.value = None
        elif func == "addTable":
            address, _, style, name = a["args"]
            table = Table(displayName=name, ref=address.replace("$", ""))
            table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
            ws.add_table(table)
        elif func == "resizeTable":
            table = list(ws.tables.values())[a["args"][0]]
            table.ref = a["args"][1].replace("$", "")
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
        else:
            raise AssertionError(f"replay does not know the action {func}: teach it before trusting the test")
    return wb


def headless(path: Path, ids: list[str], output: Path, files: tuple[Path, ...] = (),
             folder: Path | None = None) -> openpyxl.Workbook:
    """The same commands on the same file through the file store, now, with no file path (a
    remote book has none; documents go to ``folder``); saved to ``output`` and read back."""
    book = Workbook(FileStore(openpyxl.load_workbook(path)))
    run_commands(book, ids, Context(files=files, folder=folder))
    save_book(book, output)
    return openpyxl.load_workbook(output)


def tables_of(wb: openpyxl.Workbook) -> dict[str, pd.DataFrame]:
    book = Workbook(FileStore(wb))
    return {name: book.read(name, required=False) for name in TABLE_NAMES}


def actions(book) -> list[dict]:
    return book.json()["actions"]


def alerts(book) -> list[list]:
    return [a["args"] for a in actions(book) if a["func"] == "alert"]




AS_OF = dt.date(2026, 11, 20)
# Columns that hold the moment of the run, so differ between two runs: ledger rows are dated on
# the run's date (Settings AsOfDate) at the time it ran; Exceptions carry the run's clock time.
RUN_TIMES = {"Applications": "PostedAt", "Exceptions": "RunAt"}


def master_workbook(path: Path) -> Path:
    """The workbook a door's tests click on: ROWS, worked as of AS_OF."""
    from arxl.book.files import new_workbook
    new_workbook(path, rows=ROWS, settings={"AsOfDate": AS_OF})
    return path


def assert_same_tables(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], since: dt.datetime) -> None:
    """Every table of a door's run equals the headless run's, but for the moments of the runs."""
    for name in TABLE_NAMES:
        stamp = RUN_TIMES.get(name)
        if stamp == "PostedAt":
            assert (got[name][stamp].dt.date == AS_OF).all()
        elif stamp:
            assert (got[name][stamp] >= pd.Timestamp(since)).all()
        pd.testing.assert_frame_equal(got[name].drop(columns=stamp or []),
                                      expected[name].drop(columns=stamp or []), obj=name)
