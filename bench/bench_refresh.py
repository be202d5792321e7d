"""Time `arxl new` and `arxl refresh` on a large workbook next to a plain openpyxl load-and-save
of the same file, all in one run (issue 2's figure).

    python bench/bench_refresh.py [--book BOOK] [--workdir DIR]

Without --book, the large ledger of bench/generated.py is used (generated once with
``../shared/bench/gen_ar.py``: 100,000 invoices, 10,000 payments, 5,000 customers). Each arxl
step runs as the real CLI in a child process, so imports and start-up count; peak memory is the
child's own high-water mark.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from generated import large_workbook

# Runs the arxl CLI in a child that reports its own peak resident memory (VmHWM, kB) on its
# last line: ru_maxrss would carry the parent's peak over the exec.
_CLI = ("import runpy, sys\n"
        "sys.argv = ['arxl'] + sys.argv[1:]\n"
        "try:\n    runpy.run_module('arxl.cli', run_name='__main__')\n"
        "finally:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "    print(hwm.split()[1], file=sys.stderr)\n")


def child(args: list[str]) -> tuple[float, float, float]:
    """Run ``arxl ARGS`` in a fresh process; return (seconds, its peak MB, the peak MB of it and
    the processes it forked together). The second is the process's own high-water mark; the
    third sums each process's proportional share of its pages (PSS, so that a page a forked
    child shares is counted once), sampled four times a second."""
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _CLI, "--quiet", *args], stdout=subprocess.DEVNULL,
                                   stderr=errors, text=True)
        together = 0.0
        while process.poll() is None:
            together = max(together, sum(map(_pss_mb, _tree(process.pid))))
            time.sleep(0.25)
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0:
        sys.exit(f"arxl {' '.join(args)} failed:\n{stderr}")
    return seconds, int(stderr.strip().splitlines()[-1]) / 1024, together


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:  # gone meanwhile
            pass
    return found


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0) / 1024
    except OSError:
        return 0.0


def plain_round_trip(path: Path, out: Path) -> float:
    started = time.perf_counter()
    openpyxl.load_workbook(path).save(out)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", type=Path, help="an existing workbook (default: generate one)")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temporary folder)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="arxl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = args.book or large_workbook()[0]
    book = work / "book.xlsx"
    shutil.copy(source, book)

    plain = plain_round_trip(book, work / "plain.xlsx")
    new_s, new_mb, _ = child(["new", str(work / "blank.xlsx")])
    first_s, first_mb, _ = child(["refresh", str(book), "--no-backup"])
    plain_after = plain_round_trip(book, work / "plain-after.xlsx")
    second_s, second_mb, _ = child(["refresh", str(book), "--no-backup"])

    print(f"workbook: {source} ({source.stat().st_size / 1e6:.1f} MB)")
    print(f"{'step':44} {'seconds':>8} {'x plain':>8} {'peak MB':>8}")
    print(f"{'openpyxl load + save (the file as given)':44} {plain:8.1f} {1:8.2f}")
    print(f"{'arxl new (a blank master workbook)':44} {new_s:8.1f} {'':>8} {new_mb:8.0f}")
    print(f"{'arxl refresh, first run':44} {first_s:8.1f} {first_s / plain:8.2f} {first_mb:8.0f}")
    print(f"{'openpyxl load + save (the refreshed file)':44} {plain_after:8.1f} {1:8.2f}")
    print(f"{'arxl refresh, second run (same file)':44} {second_s:8.1f} {second_s / plain_after:8.2f} {second_mb:8.0f}")


if __name__ == "__main__":
    main()
