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
    """A picture: ``sheet``'s printed ``page`` (1-based), within ``area`` (None: the whole
    sheet), written to ``<out>/<name>.png``."""

    name: str
    sheet: str
    area: str | None = None
    page: int = 1


def _convert(book: Path, shots: list[Shot], work: Path, soffice: str) -> dict[tuple[str, int], Path]:
    """Print the shots' sheets of ``book`` to PDF; each printed page as a PNG, by (sheet, page)."""
    printed = work / f"{book.stem}-print.xlsm"
    wb = openpyxl.load_workbook(book, keep_vba=True)
    areas = {s.sheet: s.area for s in shots}
    for ws in wb.worksheets:
        if ws.title not in areas:
            ws.sheet_state = "hidden"
        elif areas[ws.title]:
            ws.print_area = areas[ws.title]
    wb.active = wb.sheetnames.index(shots[0].sheet)
    wb.save(printed)
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(printed)], check=True,
                   capture_output=True)
    pdf = printed.with_suffix(".pdf")
    prefix = work / printed.stem
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
    pages = _convert(book, shots, work, soffice)
    for shot in shots:
        page = pages.get((shot.sheet, shot.page))
        if page is None:
            raise SystemExit(f"{shot.sheet} printed no page {shot.page} (pages found: {sorted(pages)})")
        target = out / f"{shot.name}.png"
        _cut(page, target)
        print(f"wrote {target}")


def _refresh(book: Path, *steps: str) -> None:
    command = ["--quiet", "refresh", "--no-backup", str(book)] if not steps else ["--quiet", *steps, str(book)]
    if cli.main(command) not in (0, None):
        raise SystemExit(f"arxl {' '.join(command)} failed")


def clerks_morning(book: Path) -> dict[str, str]:
    """What a clerk types on a refreshed demo before posting (see docs/CLERK.md); returns what
    was done to which payment, for the guide's text."""
    wb = openpyxl.load_workbook(book, keep_vba=True)
    matches, payments, requests = wb["Matches"], wb["Payments"], wb["MemoRequests"]
    head = {c.value: c.column for c in matches[1]}
    rows_of: dict[str, list[int]] = {}
    decision_of: dict[str, str] = {}
    for r in range(2, matches.max_row + 1):
        payment = matches.cell(r, head["PaymentID"]).value
        if payment:
            rows_of.setdefault(payment, []).append(r)
            decision_of[payment] = matches.cell(r, head["Decision"]).value
    review = [p for p, d in decision_of.items() if d == "Review"]
    unmatched = [p for p, d in decision_of.items() if d == "Unmatched"]
    done: dict[str, str] = {}
    if len(review) >= 3:
        approve, change, reject = review[:3]
        for r in rows_of[approve]:
            matches.cell(r, head["Decision"]).value = "Approve"
        done["approved"] = approve
        first = rows_of[change][0]
        amount = matches.cell(first, head["ApplyAmount"]).value
        matches.cell(first, head["ApplyAmount"]).value = round(float(amount) / 2, 2)
        for r in rows_of[change]:
            matches.cell(r, head["Decision"]).value = "Approve"
        done["changed"] = change
        for r in rows_of[reject]:
            matches.cell(r, head["Decision"]).value = "Reject"
        done["rejected"] = reject
    pay_head = {c.value: c.column for c in payments[1]}
    by_id = {payments.cell(r, pay_head["PaymentID"]).value: r for r in range(2, payments.max_row + 1)}
    if unmatched:
        payments.cell(by_id[unmatched[0]], pay_head["ApplyTo"]).value = "ON ACCOUNT"
        payments.cell(by_id[unmatched[0]], pay_head["CustomerID"]).value = _a_customer(wb)
        done["on account"] = unmatched[0]
    posted = [p for p, r in by_id.items() if payments.cell(r, pay_head["MatchStatus"]).value == "Posted"]
    if posted:
        payments.cell(by_id[posted[-1]], pay_head["Action"]).value = "Reverse"
        done["reversed"] = posted[-1]
    wb.save(book)
    del requests
    return done


def _a_customer(wb) -> str:
    customers = wb["Customers"]
    return str(customers.cell(2, 1).value)


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
        _refresh(book)
        render(book, [Shot("demo-matches", "Matches"), Shot("demo-exceptions", "Exceptions"),
                      Shot("demo-agingsummary", "AgingSummary")], args.out, work, soffice)
        morning = work / "morning.xlsm"
        shutil.copy(book, morning)
        done = clerks_morning(morning)
        print("the clerk's morning:", done)
        render(morning, [Shot("clerk-matches", "Matches"), Shot("clerk-payments-before", "Payments")],
               args.out, work, soffice)
        _refresh(morning, "post", "--no-backup")
        render(morning, [Shot("clerk-exceptions", "Exceptions"), Shot("clerk-payments-after", "Payments")],
               args.out, work, soffice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
