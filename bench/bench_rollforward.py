"""Time the month-end roll-forward on a large workbook.

    python bench/bench_rollforward.py [BOOK] [TRUTH] [--applications N] [--from DATE] [--to DATE] [--repeat K]

Builds the benchmark workbook as bench/bench_aging.py does (default: the generated ledger of
bench/generated.py, 100,000 invoices, with an Applications ledger of N rows, default 10,000),
then times, on the same file:

  open+load     open_book and the ledger loaded once (what every command starts from)
  rollforward   arxl.core.rollforward: the Aging at both ends and the period's movements, per
                currency (best of K runs)
  per customer  the same with a line per customer (best of K runs)
  close         the close command as the CLI runs it, without the save: the roll-forward per
                customer, the allowance, the key figures and the month-end pack PDF
  save          writing the workbook with the Rollforward and Allowance tables

and prints each currency's opening, closing and difference (which must be 0). The period
defaults to the last whole month before the workbook's AsOfDate.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from bench_aging import build
from generated import large_workbook

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.money import format_amount
from arxl.core.rollforward import default_period, rollforward


def best_of(repeat: int, work):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, help="default: the generated 100,000-invoice ledger")
    parser.add_argument("truth", nargs="?", type=Path)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat)
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.book is None:
        args.book, args.truth = large_workbook()
    work = Path(tempfile.mkdtemp(prefix="arxl-bench-rollforward-"))
    try:
        built = work / "bench_rollforward.xlsx"
        started = time.perf_counter()
        n = build(args.book, args.truth, args.applications, built)
        print(f"built {built.name} with {n} applications in {time.perf_counter() - started:.0f} s "
              f"({built.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}, "
              f"openpyxl {openpyxl.__version__}, {dt.date.today()})")

        started = time.perf_counter()
        book = open_book(built)
        ledger = book.load()
        t_load = time.perf_counter() - started
        invoices = len(ledger.table("Invoices"))
        applications = len(ledger.table("Applications", required=False))
        start, end = default_period(ledger.settings.as_of)
        start, end = args.start or start, args.end or end
        print(f"{invoices:,} invoices, {applications:,} applications; period {start} to {end} "
              f"(AsOfDate {ledger.settings.as_of})")

        t_currency, rf = best_of(args.repeat, lambda: rollforward(ledger, start, end))
        t_customer, by_customer = best_of(args.repeat, lambda: rollforward(ledger, start, end, per_customer=True))
        customers = int((by_customer.table["CustomerID"] != "").sum())

        book = open_book(built)
        started = time.perf_counter()
        result = run_commands(book, ["close"], Context(options={"start": start, "end": end, "per_customer": True},
                                                       folder=work, workbook=built.stem))
        t_close = time.perf_counter() - started
        started = time.perf_counter()
        save_book(book, backup=False)
        t_save = time.perf_counter() - started

        print(f"  open+load            {t_load:7.2f} s")
        print(f"  rollforward          {t_currency:7.2f} s   (best of {args.repeat}; Aging at both ends + movements)")
        print(f"  per customer         {t_customer:7.2f} s   (best of {args.repeat}; {customers:,} customer lines)")
        print(f"  close command        {t_close:7.2f} s   (roll-forward per customer, allowance, figures, PDF)")
        print(f"  save                 {t_save:7.2f} s")
        for _, r in rf.currencies.iterrows():
            c = r["Currency"]
            print(f"  {c}: opening {format_amount(r['Opening'], c)}, closing {format_amount(r['Closing'], c)}, "
                  f"difference {format_amount(r['Difference'], c)}")
        print(f"  close: {result.outcomes['close'].summary if 'close' in result.outcomes else result.failures}")
        tied = all(int(d) == 0 for d in rf.currencies["Difference"])
        return 0 if tied else 1
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
