"""Render what a clerk and a controller look at after a refresh and a close: the Collections
worklist (with the Credit table beside it) and the month-end pack PDF, as pictures.

    python bench/render_month_end.py [--out bench/out/month-end]

Needs LibreOffice and poppler, as bench/render_sheets.py does. Not part of the test suite. It
writes a small demo workbook, types a week of collection calls into Contacts (promises kept,
partly kept, broken and still open, for customers with the most overdue), runs `arxl refresh`
and `arxl close --per-customer` on it, converts the Collections and Credit sheets to PDF with
LibreOffice and every page of both PDFs to PNG with pdftoppm.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.worksheet.page import PageMargins

from arxl import cli
from arxl.book.files import open_book
from arxl.core.money import minor_to_decimal
from arxl.demo.workbook import write_demo

SHOWN = ("Collections", "Credit", "Promises")


def add_contacts(path: Path) -> int:
    """A week of calls to the customers with the most overdue: each promises to pay part of it;
    the run decides which promises were kept."""
    book = open_book(path)
    aging = book.read("Aging")
    as_of = pd_date(book.read("Settings"))
    overdue = aging.loc[aging["DaysPastDue"] > 0]
    top = overdue.groupby(["CustomerID", "Currency"])["OpenAmount"].sum().sort_values(ascending=False).head(8)
    wb = openpyxl.load_workbook(path)
    ws = wb["Contacts"]
    table = next(iter(ws.tables.values()))
    headers = [c.value for c in ws[1]]
    rows = []
    for n, ((customer, currency), amount) in enumerate(top.items()):
        called = as_of - dt.timedelta(days=16 - n)
        promised = minor_to_decimal(int(amount) // (2 if n % 3 else 1), currency)
        rows.append({"ContactDate": called, "CustomerID": customer, "Channel": "Phone" if n % 2 else "Email",
                     "By": "Dana", "Who": "Accounts payable", "Outcome": "Promise to pay",
                     "Note": "promised to pay in the next payment run", "PromisedAmount": float(promised),
                     "PromisedDate": called + dt.timedelta(days=5 + 2 * n), "Currency": currency,
                     "FollowUpDate": called + dt.timedelta(days=12 + 2 * n)})
    first = 2
    for i, row in enumerate(rows):
        for column, value in row.items():
            ws.cell(first + i, headers.index(column) + 1, value)
    table.ref = f"{table.ref.split(':')[0]}:{openpyxl.utils.get_column_letter(len(headers))}{first + len(rows) - 1}"
    wb.save(path)
    return len(rows)


def pd_date(settings) -> dt.date:
    value = settings.set_index("Setting")["Value"].get("AsOfDate")
    return value.date() if hasattr(value, "date") else dt.date.fromisoformat(str(value)[:10])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/month-end"))
    args = parser.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and pdftoppm: see this script's docstring")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "demo.xlsx"
        write_demo(book, customers=60, invoices=900, payments=60)
        if cli.main(["--quiet", "aging", "--no-backup", str(book)]) != 0:
            return 1
        print(f"typed {add_contacts(book)} contacts")
        if cli.main(["--quiet", "refresh", "--no-backup", str(book)]) != 0:
            return 1
        if cli.main(["close", "--no-backup", "--per-customer", str(book)]) != 0:
            return 1
        [pack] = Path(tmp).rglob("close-*.pdf")
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            if ws.title not in SHOWN:
                ws.sheet_state = "hidden"
                continue
            ws.page_setup.orientation = "landscape"
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_margins = PageMargins(left=0.3, right=0.3, top=0.3, bottom=0.3)
        wb.active = wb.sheetnames.index("Collections")
        wb.save(book)
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(book)], check=True,
                       capture_output=True)
        for pdf, stem in ((Path(tmp) / "demo.pdf", "worklist"), (pack, "pack")):
            shutil.copy(pdf, args.out / f"{stem}.pdf")
            subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(args.out / stem)], check=True)
        print(f"wrote {sorted(p.name for p in args.out.iterdir())} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
