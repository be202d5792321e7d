"""Time reading a large workbook into a ledger (``Workbook.load``: every cell through the
converters, money by each row's currency) and writing one rebuilt table back, the two paths the
money rules sit on. The file is opened once; each repeat reads and writes afresh.

    python bench/bench_load.py [--book BOOK] [--repeat N]

Without --book, the large ledger of bench/generated.py is used (100,000 invoices, 10,000
payments, 5,000 customers). Prints the median and the fastest of the repeats, in seconds of CPU
time (steadier than wall time on a busy machine).
To compare with another checkout, run this file with PYTHONPATH pointing at that checkout.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from generated import large_workbook

import arxl
from arxl.book.files import open_book
from arxl.core.ledger import Outcome, Step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", type=Path, help="an existing workbook (default: the generated one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    source = args.book or large_workbook()[0]
    book = open_book(source)
    loads, writes = [], []
    for _ in range(args.repeat):
        book._raw.clear()  # read the cells afresh, as a new run would
        started = time.process_time()
        ledger = book.load()
        loads.append(time.process_time() - started)
        invoices = ledger.table("Invoices")
        started = time.process_time()
        book.apply(Step(Outcome("")).update("Invoices", invoices[["Paid", "OpenBalance"]]))
        writes.append(time.process_time() - started)
    rows = sum(len(f) for f in ledger.tables.values())
    print(f"arxl from {Path(arxl.__file__).parent}; workbook {source.name}, {rows:,} rows read")
    print(f"{'step':40} {'median s':>9} {'best s':>8}")
    print(f"{'load (every table, typed)':40} {statistics.median(loads):9.2f} {min(loads):8.2f}")
    print(f"{'write Invoices Paid + OpenBalance':40} {statistics.median(writes):9.2f} {min(writes):8.2f}")


if __name__ == "__main__":
    main()
