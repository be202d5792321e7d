"""How many pages the demo workbook prints to, sheet by sheet, as LibreOffice prints it with
arxl's print setup (one page wide, header row repeated; the sheet's name in each page's footer).

    python bench/print_pages.py [--book demo.xlsx]

Without --book it writes the full demo (as `arxl demo` does) and refreshes it first. Needs
LibreOffice (soffice); see bench/render_sheets.py. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

from arxl import cli


def pages_per_sheet(pdf: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for page in PdfReader(pdf).pages:
        footer = re.search(r"(\w+)\s*Page \d+ of \d+", page.extract_text() or "")
        counts[footer.group(1) if footer else "(no footer)"] += 1
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, help="a workbook to print (default: a fresh demo)")
    args = parser.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.exit("needs LibreOffice (soffice)")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "demo.xlsx"
        if args.book:
            shutil.copy(args.book, book)
        elif cli.main(["--quiet", "demo", str(book)]) not in (0, None):
            return 1
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(book)], check=True,
                       capture_output=True)
        counts = pages_per_sheet(book.with_suffix(".pdf"))
    for sheet, n in counts.most_common():
        print(f"{sheet:16} {n:5}")
    print(f"{'in all':16} {sum(counts.values()):5}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
