"""Render sheets of the demo as pictures for the README and the clerk's guide (docs/*.png), with
LibreOffice, as the sheets print (arxl's own print setup: one page wide, header row repeated).

    python bench/render_sheets.py [--out docs]

Needs LibreOffice and poppler (Debian: apt-get install -y libreoffice-calc-nogui poppler-utils
fonts-crosextra-carlito; Carlito has Calibri's metrics). Not part of the test suite.

It writes a small demo workbook as `arxl demo --xlsm` does and refreshes it (the README's
pictures: Matches, Exceptions, AgingSummary), then does a clerk's morning on a copy (docs/CLERK.md:
approve a payment, change an amount, reject a row, an ApplyTo, a reversal, a memo request that
cannot be made), pictured before and after `arxl post`. For each state the sheets shown are
printed to one PDF (the others hidden); each page is told by its footer (sheet name, page), made
a PNG with pdftoppm and cut to its content.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from PIL import Image, ImageOps
from pypdf import PdfReader

from arxl import cli
from arxl.excel.build import MASTER, write_demo_xlsm

SIZES = dict(customers=60, invoices=500, payments=40)
DPI = 110
FOOTER_INCHES = 0.65  # the footer band at the foot of each page, left out of a picture


@dataclass(frozen=True)
class Shot:
    """A picture: ``sheet``'s printed ``page`` (1-based), written to ``<out>/<name>.png``. Only
    the rows whose ``key`` column (default: the first) holds one of ``rows`` and the columns
    headed by one of ``columns`` are shown (None: all); ``area`` is a print area."""

    name: str
    sheet: str
    page: int = 1
    rows: frozenset[str] | None = None
    columns: tuple[str, ...] | None = None
    area: str | None = None
    key: str | None = None


def _show_only(ws, shot: Shot) -> None:
    if shot.area:
        ws.print_area = shot.area
    if shot.rows is not None:
        key = next((c.column for c in ws[1] if c.value == shot.key), 1)
        for r in range(2, ws.max_row + 1):
            ws.row_dimensions[r].hidden = str(ws.cell(r, key).value) not in shot.rows
    if shot.columns is not None:
        for cell in ws[1]:
            if cell.value not in shot.columns:
                ws.column_dimensions[cell.column_letter].hidden = True


def _convert(book: Path, shots: list[Shot], work: Path, soffice: str) -> dict[tuple[str, int], Path]:
    """Print the shots' sheets of ``book`` to PDF; each printed page as a PNG, by (sheet, page)."""
    printed = work / f"{book.stem}-print.xlsm"
    wb = openpyxl.load_workbook(book, keep_vba=True)
    by_sheet = {s.sheet: s for s in shots}
    for ws in wb.worksheets:
        if ws.title in by_sheet:
            _show_only(ws, by_sheet[ws.title])
        else:
            ws.sheet_state = "hidden"
    wb.active = wb.sheetnames.index(shots[0].sheet)
    wb.save(printed)
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(printed)], check=True,
                   capture_output=True)
    pdf = printed.with_suffix(".pdf")
    prefix = work / printed.stem
    for old in work.glob(f"{printed.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(prefix)], check=True)
    pngs = sorted(work.glob(f"{printed.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    pages: dict[tuple[str, int], Path] = {}
    for text, png in zip((page.extract_text() or "" for page in PdfReader(pdf).pages), pngs):
        footer = re.search(r"(\w+)\s*Page \d+ of \d+", text)  # LibreOffice numbers pages across sheets
        if footer:
            sheet = footer.group(1)
            pages[(sheet, 1 + sum(1 for s, _ in pages if s == sheet))] = png
    return pages


def _cut(png: Path, target: Path) -> None:
    """The page without its footer and its empty margins."""
    page = Image.open(png).convert("RGB")
    body = page.crop((0, 0, page.width, page.height - int(FOOTER_INCHES * DPI)))
    box = ImageOps.invert(body.convert("L")).point(lambda v: 255 if v > 12 else 0).getbbox()
    if box:
        pad = 12
        body = body.crop((max(0, box[0] - pad), max(0, box[1] - pad), min(body.width, box[2] + pad),
                          min(body.height, box[3] + pad)))
    body.save(target, optimize=True)


def render(book: Path, shots: list[Shot], out: Path, work: Path, soffice: str) -> None:
    """Each shot of ``book`` as a picture; shots of one sheet are printed one after the other."""
    for group in _batches(shots):
        pages = _convert(book, group, work, soffice)
        for shot in group:
            page = pages.get((shot.sheet, shot.page))
            if page is None:
                raise SystemExit(f"{shot.sheet} printed no page {shot.page} (pages found: {sorted(pages)})")
            target = out / f"{shot.name}.png"
            _cut(page, target)
            print(f"wrote {target}")


def _batches(shots: list[Shot]) -> list[list[Shot]]:
    """Shots printed together: different sheets, or pages of one sheet shown the same way."""
    batches: list[list[Shot]] = []
    for shot in shots:
        view = (shot.rows, shot.columns, shot.area, shot.key)
        home = next((b for b in batches if all((s.rows, s.columns, s.area, s.key) == view
                                                for s in b if s.sheet == shot.sheet)), None)
        if home is None:
            batches.append([shot])
        else:
            home.append(shot)
    return batches


def _cli(*args: str) -> None:
    if cli.main(["--quiet", *args]) not in (0, None):
        raise SystemExit(f"arxl {' '.join(args)} failed")


class Sheet:
    """A sheet of a workbook open in openpyxl, its cells addressed by header and first column."""

    def __init__(self, ws):
        self.ws = ws
        self.at = {c.value: c.column for c in ws[1]}

    def rows(self, **where: object) -> list[int]:
        return [r for r in range(2, self.ws.max_row + 1)
                if all(self.ws.cell(r, self.at[k]).value == v for k, v in where.items())]

    def get(self, row: int, column: str) -> object:
        return self.ws.cell(row, self.at[column]).value

    def put(self, row: int, column: str, value: object) -> None:
        self.ws.cell(row, self.at[column]).value = value


def clerks_morning(book: Path) -> dict[str, str]:
    """What a clerk types on the refreshed demo before posting (docs/CLERK.md, "A morning"):
    returns the payment each thing was done to."""
    wb = openpyxl.load_workbook(book, keep_vba=True)
    matches, payments = Sheet(wb["Matches"]), Sheet(wb["Payments"])
    rows_of: dict[str, list[int]] = {}
    for r in matches.rows():
        rows_of.setdefault(str(matches.get(r, "PaymentID")), []).append(r)
    review = [p for p, rows in rows_of.items() if matches.get(rows[0], "Decision") == "Review"]
    one_row = [p for p in review if len(rows_of[p]) == 1]
    several = [p for p in review if len(rows_of[p]) > 1]
    unmatched = [p for p, rows in rows_of.items() if matches.get(rows[0], "Decision") == "Unmatched"]
    done = {"approve": one_row[0], "change": one_row[1], "reject": one_row[2], "typo": one_row[3],
            "apply to": unmatched[0]}
    if several:  # (a payment proposed over several rows that waits for a clerk: not in every demo)
        done["partly"] = several[0]
    matches.put(rows_of[done["approve"]][0], "Decision", "Approve")
    first = rows_of[done["change"]][0]
    matches.put(first, "ApplyAmount", round(float(matches.get(first, "ApplyAmount")) / 2, 2))
    matches.put(first, "Decision", "Approve")
    matches.put(rows_of[done["reject"]][0], "Decision", "Reject")
    matches.put(rows_of[done["typo"]][0], "Decision", "ok")
    if "partly" in done:
        matches.put(rows_of[done["partly"]][0], "Decision", "Approve")
    row = payments.rows(PaymentID=done["apply to"])[0]
    payments.put(row, "CustomerID", str(wb["Customers"].cell(2, 1).value))
    payments.put(row, "ApplyTo", "ON ACCOUNT")
    posted = [str(payments.get(r, "PaymentID")) for r in payments.rows(MatchStatus="Posted")]
    done["reverse"] = posted[-1]
    payments.put(payments.rows(PaymentID=done["reverse"])[0], "Action", "Reverse")
    wb.save(book)
    return done


def present_again(book: Path, payment: str) -> None:
    """The reversed cheque comes back: the clerk clears its Action."""
    wb = openpyxl.load_workbook(book, keep_vba=True)
    payments = Sheet(wb["Payments"])
    payments.put(payments.rows(PaymentID=payment)[0], "Action", None)
    wb.save(book)


PAYMENT_COLUMNS = ("PaymentID", "ReceivedDate", "PayerName", "Amount", "Currency", "CustomerID", "ApplyTo",
                   "Action", "MatchStatus", "MatchedCustomerID", "MatchedInvoices", "Unapplied")
MATCH_COLUMNS = ("PaymentID", "CustomerID", "InvoiceID", "ApplyAmount", "Discount", "WriteOff", "ShortPay",
                 "Confidence", "Decision", "Proposed")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and pdftoppm: see this script's docstring")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        book = work / "demo.xlsm"
        write_demo_xlsm(book, MASTER, **SIZES)
        _cli("refresh", "--no-backup", str(book))
        render(book, [Shot("demo-matches", "Matches", area="A1:L14"), Shot("demo-exceptions", "Exceptions"),
                      Shot("demo-agingsummary", "AgingSummary"), Shot("demo-agingsummary-customers", "AgingSummary",
                                                                     page=2)], args.out, work, soffice)
        done = clerks_morning(book)
        print("the clerk's morning:", done)
        shown = frozenset(done.values())
        render(book, [Shot("clerk-matches", "Matches", rows=shown, columns=MATCH_COLUMNS),
                      Shot("clerk-payments-typed", "Payments", rows=shown, columns=PAYMENT_COLUMNS)],
               args.out, work, soffice)
        _cli("post", "--no-backup", str(book))
        render(book, [Shot("clerk-exceptions", "Exceptions"),
                      Shot("clerk-payments-posted", "Payments", rows=shown, columns=PAYMENT_COLUMNS)],
               args.out, work, soffice)
        present_again(book, done["reverse"])
        _cli("refresh", "--no-backup", str(book))
        render(book, [Shot("clerk-applications", "Applications", rows=frozenset({done["reverse"]}), key="PaymentID"),
                      Shot("clerk-memorequests", "MemoRequests")], args.out, work, soffice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
