"""Where the matching core's processor time goes: cProfile over one match of bench_match.py's
ledger, with proposals made in this process (no worker processes, so that their time is seen).

    python bench/profile_match.py [--book BOOK] [--top N] [--sort tottime|cumulative] [--out FILE]

Prints the top N functions (default 40, by own time); --out keeps the raw profile for pstats.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from generated import large_workbook

from arxl.book.files import open_book
from arxl.contract import InvoiceStatus
from arxl.core.matching import batch, match, read_history
from arxl.core.matching.decisions import payments_to_match
from arxl.core.problems import Problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    ledger = open_book(args.book or large_workbook()[0]).load()
    payments, invoices, customers = (ledger.table(t) for t in ("Payments", "Invoices", "Customers"))
    applications = ledger.table("Applications", required=False)
    balances, _ = ledger.balances()
    todo = payments_to_match(payments, applications)
    history = read_history(customers["CustomerID"].tolist(), Problems(), payments, applications,
                           ledger.table("LearnedPayers", required=False))
    batch.PARALLEL_FROM = len(todo) + 1  # every proposal in this process, where the profiler sees it
    profiler = cProfile.Profile()
    profiler.enable()
    match(todo, invoices, customers, ledger.settings, balances.invoices["OpenBalance"],
          balances.invoices["Status"] == InvoiceStatus.DISPUTED, history)
    profiler.disable()
    if args.out:
        profiler.dump_stats(args.out)
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
