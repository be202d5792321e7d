"""Compare a first ``arxl refresh`` of the 100,000-invoice workbook with another commit's, in
turns (A B A B ...), each in a fresh process on a fresh copy of the workbook.

    python bench/ab_refresh.py [REF] [--pairs N] [--book BOOK]     (REF: default main)

These machines' speed drifts by half within an hour: two versions timed minutes apart, or a
ratio to a plain round trip taken in another spell, tell less than the pair by pair ratio of
runs that follow each other. REF's ``arxl`` package is written into a temporary folder (``git
archive``) and run from there; the checkout's from the checkout. Prints each pair's seconds and
ratio (checkout / REF), then the median of each and of the ratios.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from generated import large_workbook

ROOT = Path(__file__).resolve().parents[1]
_CLI = "import sys; from arxl import cli; sys.exit(cli.main(sys.argv[1:]))"


def refresh_seconds(code: Path, source: Path, work: Path) -> float:
    """Seconds of a first refresh of a copy of ``source``, with the ``arxl`` package in ``code``."""
    book = work / "book.xlsx"
    shutil.copy(source, book)
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CLI, "--quiet", "refresh", str(book), "--no-backup"], cwd=code, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ref", nargs="?", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--book", type=Path, help="an existing workbook (default: the generated 100,000 invoices)")
    args = parser.parse_args()
    source = args.book or large_workbook()[0]
    with tempfile.TemporaryDirectory(prefix="arxl-ab-refresh-") as folder:
        base, work = Path(folder) / "ref", Path(folder) / "work"
        base.mkdir()
        work.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.ref, "arxl"], check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(base, filter="data")
        print(f"workbook: {source}; {os.cpu_count()} cores; checkout against {args.ref}")
        print(f"{'pair':>4} {'checkout s':>11} {'ref s':>8} {'ratio':>7}  load before")
        mine, theirs = [], []
        for n in range(1, args.pairs + 1):
            load = os.getloadavg()[0]
            # who goes first alternates, so that neither always meets the machine's next change of pace
            if n % 2:
                a, b = refresh_seconds(ROOT, source, work), refresh_seconds(base, source, work)
            else:
                b, a = refresh_seconds(base, source, work), refresh_seconds(ROOT, source, work)
            mine.append(a)
            theirs.append(b)
            print(f"{n:4} {a:11.1f} {b:8.1f} {a / b:7.2f}  {load:.1f}", flush=True)
        ratios = [a / b for a, b in zip(mine, theirs)]
        print(f"median {statistics.median(mine):8.1f} {statistics.median(theirs):8.1f} {statistics.median(ratios):7.2f}"
              f"  (ratios {min(ratios):.2f} to {max(ratios):.2f})")


if __name__ == "__main__":
    main()
