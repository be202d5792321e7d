"""Render the demo's sheets as pictures for the READMEs (docs/demo-*.png), with LibreOffice.

    python bench/render_sheets.py [--out docs]

Needs LibreOffice and poppler (Debian: apt-get install -y libreoffice-calc-nogui poppler-utils
fonts-crosextra-carlito; Carlito has Calibri's metrics). Not part of the test suite. It writes a
small demo workbook as `arxl demo --xlsm` does, leaves visible only the sheets to show (Matches,
cut to its first rows, and AgingSummary), runs `arxl refresh` on it, converts it to PDF with
LibreOffice and each page to PNG with pdftoppm. LibreOffice shows the sheets, not Excel's
ribbon: the AR tab itself is not in the picture.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
from openpyxl.worksheet.page import PageMargins

from arxl import cli
from arxl.excel.build import MASTER, write_demo_xlsm

SHOWN = {"Matches": "A1:J24", "AgingSummary": None}  # sheet -> print area (None: all of it)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        sys.exit("needs LibreOffice (soffice) and pdftoppm: see this script's docstring")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "demo.xlsm"
        write_demo_xlsm(book, MASTER, customers=60, invoices=500, payments=40)
        wb = openpyxl.load_workbook(book, keep_vba=True)
        for ws in wb.worksheets:
            if ws.title not in SHOWN:
                ws.sheet_state = "hidden"
            else:
                ws.page_setup.orientation = "landscape"
                ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
                ws.sheet_properties.pageSetUpPr.fitToPage = True
                ws.page_margins = PageMargins(left=0.3, right=0.3, top=0.3, bottom=0.3)
                if SHOWN[ws.title]:
                    ws.print_area = SHOWN[ws.title]
        wb.active = wb.sheetnames.index("Matches")
        wb.save(book)
        if cli.main(["--quiet", "refresh", "--no-backup", str(book)]) != 0:
            return 1
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(book)], check=True,
                       capture_output=True)
        pages = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", "110", str(Path(tmp) / "demo.pdf"), str(pages)], check=True)
        args.out.mkdir(parents=True, exist_ok=True)
        # the first page of each sheet shown (AgingSummary goes on with its per-customer tables)
        rendered = sorted(Path(tmp).glob("page*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        for name, page in zip(SHOWN, rendered):
            target = args.out / f"demo-{name.lower()}.png"
            shutil.copy(page, target)
            print(f"wrote {target} ({len(rendered)} page(s) rendered in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
