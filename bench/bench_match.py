"""Time the matching core alone at 10,000 payments by 100,000 open invoices (issue 13's target:
within 2 s on 2 cores, peak memory of the whole match under 1 GB).

    python bench/bench_match.py [--book BOOK] [--repeat N] [--serial]

Without --book, the large ledger of bench/generated.py (``../shared/bench/gen_ar.py``: 100,000
invoices, 10,000 payments, 5,000 customers). The workbook is loaded into a ledger first (not
timed: opening a 5 MB workbook is the workbook port's cost, measured by bench_cash.py); then
``arxl.core.matching.match`` runs on the same inputs the match command gives it, N times, each
timed from start to end (index, proposals in worker processes, chance pairs, EM, allocation).

Prints one JSON line: the payments and open invoices matched, the cores, each run's seconds, the
processor seconds each run used (this process and its worker processes: on a machine shared with
other work, the figure that does not grow with the others' load), the load average before and
after, and peak resident memory (maximum RSS) of this process after loading and after matching,
and of the largest worker process (forked workers share the parent's pages until they write, so
the sum overstates what they use).

--serial makes every proposal in this process (no worker processes): its processor seconds are
then one process's, which two workers contending for two cores (and other work) do not inflate:
the steadier figure for comparing two versions of the matcher on a shared machine (run it from
each checkout, alternately).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from generated import match_inputs

from arxl.core.matching import batch, match


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    """Processor seconds used so far by this process and its finished worker processes."""
    mine, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--serial", action="store_true", help="every proposal in this process")
    args = parser.parse_args()
    if args.serial:
        batch.PARALLEL_FROM = 1 << 62
    inputs = match_inputs(args.book)
    todo, open_balance = inputs[0], inputs[4]
    loaded = peak_mb()
    load_before = os.getloadavg()[0]
    seconds, processor = [], []
    for _ in range(args.repeat):
        started, used = time.perf_counter(), cpu_seconds()
        match(*inputs)
        seconds.append(round(time.perf_counter() - started, 2))
        processor.append(round(cpu_seconds() - used, 2))
    print(json.dumps({"payments": len(todo), "open_invoices": int((open_balance > 0).sum()),
                      "cores": os.cpu_count(), "serial": args.serial,
                      "matching_core_s": seconds, "matching_core_cpu_s": processor,
                      "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                      "peak_mb_after_load": loaded, "peak_mb_after_match": peak_mb(),
                      "peak_mb_largest_worker": peak_mb(resource.RUSAGE_CHILDREN)}))


if __name__ == "__main__":
    main()
