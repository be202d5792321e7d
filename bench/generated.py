"""The large benchmark workbook, made once with the shared generator and kept in bench/out/:
100,000 invoices, 10,000 payments, 5,000 customers (``../shared/bench/gen_ar.py``); and the
inputs the match command gives the matching core, read from it (``match_inputs``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from arxl.book.files import open_book
from arxl.contract import InvoiceStatus
from arxl.core.matching import read_history
from arxl.core.matching.decisions import payments_to_match
from arxl.core.problems import Problems

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


def match_inputs(book: Path | None = None) -> tuple[Any, ...]:
    """The arguments the match command gives ``arxl.core.matching.match`` for a workbook (the
    large ledger by default): the payments to match, Invoices, Customers, the settings, each
    invoice's open balance, which are Disputed, and the history."""
    ledger = open_book(book or large_workbook()[0]).load()
    payments, invoices, customers = (ledger.table(t) for t in ("Payments", "Invoices", "Customers"))
    applications = ledger.table("Applications", required=False)
    balances, _ = ledger.balances()
    history = read_history(customers["CustomerID"].tolist(), Problems(), payments, applications,
                           ledger.table("LearnedPayers", required=False))
    return (payments_to_match(payments, applications), invoices, customers, ledger.settings,
            balances.invoices["OpenBalance"], balances.invoices["Status"] == InvoiceStatus.DISPUTED, history)
