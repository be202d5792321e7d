"""Issue 14's figure: a first and a repeat ``arxl refresh`` of the 100,000-invoice workbook with
the package engine (only what changes is written), each beside a plain openpyxl load and save
of the same file, measured in one run; with peak memory and the file's size after each run.

    python bench/bench_surgical.py [--book BOOK] [--workdir DIR] [--openpyxl-engine] [--rounds N]

Without --book, the large ledger of bench/generated.py (100,000 invoices, 10,000 payments,
5,000 customers). Each refresh runs as the real CLI in a child process (imports and start-up
count; peak memory is the child's own high-water mark, VmHWM, and, "with forked", the peak of
its PSS summed with that of the processes it forked: matcher workers and save pieces share its
pages, and PSS counts a shared page once). ``--openpyxl-engine`` also
times the old engine (ARXL_ENGINE=openpyxl) on copies of the same files.
``--first-only`` leaves out the repeat refresh and its plain round trip of the refreshed file
(two and a half minutes a round): more rounds of the first refresh's ratio in the same time.
Targets (issue 14): first refresh at most 0.8 of the plain round trip (aim 0.5), repeat refresh
at most 0.8 of its own plain round trip, peak under 700 MB. ``--rounds N`` measures every step N
times in turn, each refresh beside its own plain load+save, and prints the median ratio: on a
shared machine whose load drifts, the figure to quote.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from bench_refresh import child
from generated import large_workbook


def plain_round_trip(path: Path, out: Path) -> tuple[float, float]:
    """A plain openpyxl load and save, in a child process as the refreshes are: (s, peak MB)."""
    code = ("import sys, openpyxl\n"
            "openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "print(hwm.split()[1])\n")
    import subprocess

    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(path), str(out)], capture_output=True, text=True,
                          check=True)
    return time.perf_counter() - started, int(done.stdout.strip().splitlines()[-1]) / 1024


def refresh(book: Path, engine: str) -> tuple[float, float, float]:
    os.environ["ARXL_ENGINE"] = engine
    return child(["refresh", str(book), "--no-backup"])


def one_round(source: Path, work: Path, openpyxl_engine: bool, first_only: bool = False) -> tuple[list, list]:
    """Each step once, on fresh copies of ``source``: (step, seconds, ratio, peak MB, peak MB
    with the processes it forked) rows and (label, bytes) sizes. ``first_only``: the first
    refresh beside its plain load+save, and not the repeat (a round in a quarter of the time)."""
    book = work / "book.xlsx"
    shutil.copy(source, book)
    old = work / "old-engine.xlsx"
    shutil.copy(source, old)
    rows = []
    sizes = [("the workbook as given", book.stat().st_size)]
    plain, plain_mb = plain_round_trip(book, work / "plain.xlsx")
    rows.append(("openpyxl load + save (the file as given)", plain, 1.0, plain_mb, plain_mb))
    first, first_mb, first_together = refresh(book, "package")
    rows.append(("arxl refresh, first run (package engine)", first, first / plain, first_mb, first_together))
    sizes.append(("after the first refresh", book.stat().st_size))
    if openpyxl_engine:
        s, mb, together = refresh(old, "openpyxl")
        rows.append(("arxl refresh, first run (openpyxl engine)", s, s / plain, mb, together))
    if first_only:
        return rows, sizes
    plain_after, plain_after_mb = plain_round_trip(book, work / "plain-after.xlsx")
    rows.append(("openpyxl load + save (the refreshed file)", plain_after, 1.0, plain_after_mb, plain_after_mb))
    second, second_mb, second_together = refresh(book, "package")
    rows.append(("arxl refresh, repeat run (package engine)", second, second / plain_after, second_mb,
                 second_together))
    sizes.append(("after the repeat refresh", book.stat().st_size))
    sizes.append(("openpyxl's save of the refreshed file", (work / "plain-after.xlsx").stat().st_size))
    if openpyxl_engine:
        s, mb, together = refresh(old, "openpyxl")
        rows.append(("arxl refresh, repeat run (openpyxl engine)", s, s / plain_after, mb, together))
    return rows, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", type=Path, help="an existing workbook (default: the generated 100,000 invoices)")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temporary folder)")
    parser.add_argument("--openpyxl-engine", action="store_true", help="also time ARXL_ENGINE=openpyxl")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every step this many times in turn, on fresh copies (default 1)")
    parser.add_argument("--first-only", action="store_true",
                        help="only the first refresh beside its plain load+save (more rounds in the time)")
    args = parser.parse_args()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        measure(args, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="arxl-bench-surgical-") as tmp:  # (its copies gone afterwards)
        measure(args, Path(tmp))


def measure(args: argparse.Namespace, work: Path) -> None:
    source = args.book or large_workbook()[0]
    size = source.stat().st_size / 1e6
    print(f"workbook: {source} ({size:.1f} MB); {os.cpu_count()} cores; openpyxl {openpyxl.__version__}")
    ratios: dict[str, list[float]] = {}
    for n in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        rows, sizes = one_round(source, work, args.openpyxl_engine, args.first_only)
        print(f"round {n} of {args.rounds} (load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")
        print(f"{'step':46} {'seconds':>8} {'x plain':>8} {'peak MB':>8} {'with forked':>11}")
        for label, seconds, ratio, mb, together in rows:
            print(f"{label:46} {seconds:8.1f} {ratio:8.2f} {mb:8.0f} {together:11.0f}")
            if label.startswith("arxl refresh"):
                ratios.setdefault(label, []).append(ratio)
        print(f"{'file size':46} {'MB':>8}")
        for label, size in sizes:
            print(f"{label:46} {size / 1e6:8.1f}")
    if args.rounds > 1:  # each ratio is a refresh beside its own plain load+save: the median holds on a noisy machine
        print("median ratio to the plain load+save beside it, over the rounds:")
        for label, found in ratios.items():
            print(f"{label:46} {statistics.median(found):8.2f}  ({', '.join(f'{r:.2f}' for r in found)})")


if __name__ == "__main__":
    main()
