"""Time an aging refresh against a plain openpyxl load-and-save of the same workbook.

    python bench/bench_aging.py [BOOK] [TRUTH] [--applications N] [--keep DIR]

Builds the benchmark workbook from BOOK (default: the generated ledger of bench/generated.py, 100,000 invoices) plus an
Applications ledger of N rows (default 10,000) posted from the generator's truth file (each
payment applied to the invoices it really paid, discounts and short pays included); the truth
rows with no invoice go on account. Then, in the same run and on the same file:

  plain    openpyxl.load_workbook + Workbook.save
  refresh  arxl's aging command as the CLI runs it: open_book, run_commands(["aging"]), save_book

twice: on the workbook as built (first refresh: no Aging table yet) and on the refreshed workbook
(a monthly refresh: the Aging table of last time is rebuilt). The refresh is split into its steps
from the command's own progress reports. The target is refresh <= 1.5 x plain.
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
import pandas as pd
from generated import large_workbook

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.frames import typed_column
from arxl.core.ledger import Outcome, Step
from arxl.core.money import to_minor
from arxl.demo.world import CENTS


def build(book: Path, truth: Path, n_applications: int, target: Path) -> int:
    """Copy ``book`` to ``target`` with an Applications ledger of ``n_applications`` rows."""
    shutil.copy(book, target)
    rows = pd.read_csv(truth, dtype=str, keep_default_na=False).head(n_applications)
    wb = open_book(target)
    invoices = wb.read("Invoices").set_index("InvoiceID")
    payments = wb.read("Payments").set_index("PaymentID")
    customer = invoices["CustomerID"].reindex(rows["InvoiceID"]).fillna("").tolist()
    posted = [pd.Timestamp(payments.at[p, "ReceivedDate"]) + pd.Timedelta(hours=17) if p in payments.index
              else pd.Timestamp("2026-11-20 17:00") for p in rows["PaymentID"]]

    def cents(column):
        return typed_column("money", [to_minor(v, CENTS) if v else 0 for v in rows[column]])  # demo amounts

    frame = pd.DataFrame({
        "ApplicationID": typed_column("id", [f"A{i + 1:07d}" for i in range(len(rows))]),
        "PostedAt": typed_column("datetime", posted),
        "PaymentID": typed_column("id", rows["PaymentID"].tolist()),
        "InvoiceID": typed_column("id", rows["InvoiceID"].tolist()),
        "CustomerID": typed_column("id", customer),
        "AppliedAmount": cents("Applied"), "DiscountTaken": cents("Discount"),
        "WriteOff": typed_column("money", [0] * len(rows)), "ShortPay": cents("ShortPay"),
        "ReasonCode": typed_column("text", rows["Kind"].str.upper().tolist()),
        "Source": typed_column("text", ["Auto"] * len(rows)),
        "Confidence": typed_column("number", [100.0] * len(rows)),
    })
    wb.apply(Step(Outcome("")).append("Applications", frame))
    save_book(wb, backup=False)
    return len(frame)


def plain(path: Path, out: Path) -> float:
    started = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    wb.save(out)
    return time.perf_counter() - started


def refresh(path: Path, out: Path) -> tuple[float, list[tuple[str, float]], str]:
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(message: str, fraction: float | None = None) -> None:
        marks.append((message, time.perf_counter()))

    book = open_book(path, output=out)
    marks.append(("opened (openpyxl load)", time.perf_counter()))
    result = run_commands(book, ["aging"], Context(progress=progress))
    marks.append(("Exceptions written", time.perf_counter()))
    save_book(book, output=out, backup=False)
    marks.append(("saved (openpyxl save)", time.perf_counter()))
    total = time.perf_counter() - started
    steps, last = [], started
    for message, at in marks:
        steps.append((message, at - last))
        last = at
    return total, steps, result.outcomes["aging"].summary


def report(label: str, path: Path, work: Path) -> None:
    t_plain = plain(path, work / "plain.xlsx")
    t_refresh, steps, summary = refresh(path, work / "refreshed.xlsx")
    print(f"\n{label}: {path.stat().st_size / 1e6:.1f} MB")
    print(f"  plain openpyxl load+save   {t_plain:7.1f} s")
    print(f"  aging refresh              {t_refresh:7.1f} s   = {t_refresh / t_plain:.2f} x plain "
          f"({'within' if t_refresh <= 1.5 * t_plain else 'OVER'} the 1.5 x target)")
    print("  refresh steps (time up to each mark):")
    previous = "start"
    for message, seconds in steps:
        print(f"    {seconds:6.1f} s  {previous} -> {message}")
        previous = message
    print(f"  {summary}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, help="default: the generated 100,000-invoice ledger")
    parser.add_argument("truth", nargs="?", type=Path)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the built and refreshed workbooks in this folder")
    args = parser.parse_args(argv)
    if args.book is None:
        args.book, args.truth = large_workbook()
    work = Path(tempfile.mkdtemp(prefix="arxl-bench-aging-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    built = work / "bench_aging.xlsx"
    started = time.perf_counter()
    n = build(args.book, args.truth, args.applications, built)
    print(f"built {built} with {n} applications in {time.perf_counter() - started:.0f} s "
          f"(python {sys.version.split()[0]}, openpyxl {openpyxl.__version__}, {dt.date.today()})")
    report("first refresh (no Aging table yet)", built, work)
    shutil.copy(work / "refreshed.xlsx", work / "bench_aging_refreshed.xlsx")
    report("monthly refresh (the Aging table of last time is rebuilt)", work / "bench_aging_refreshed.xlsx", work)
    if args.keep is None:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
