"""The large benchmark workbook, made once with the shared generator and kept in bench/out/:
100,000 invoices, 10,000 payments, 5,000 customers (``../shared/bench/gen_ar.py``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_ar.py"
OUT = ROOT / "bench" / "out" / "gen-100k"


def large_workbook() -> tuple[Path, Path]:
    """(book.xlsx, truth.csv) of the large generated ledger, generating them the first time."""
    book, truth = OUT / "book.xlsx", OUT / "truth.csv"
    if not (book.exists() and truth.exists()):
        print(f"generating the benchmark ledger in {OUT} (100,000 invoices) ...", flush=True)
        subprocess.run([sys.executable, str(GENERATOR), str(OUT), "--invoices", "100000", "--payments", "10000",
                        "--customers", "5000", "--xlsx"], check=True, stdout=subprocess.DEVNULL)
    return book, truth
