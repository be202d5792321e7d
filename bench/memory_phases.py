"""Where a refresh's memory goes: the resident memory (RSS) of one process running open, match,
post, memos, aging and save on a workbook, sampled every 0.2 s, with the highest value seen in
each phase and the process's high-water mark.

    python bench/memory_phases.py [--book BOOK]

Without --book, a copy of the large ledger of bench/generated.py (100,000 invoices, 10,000
payments). Each command runs as its own step over the same opened workbook (as Refresh all
does, but with the ledger read before each), so the phases add up as they would in one run.
Prints one JSON line: {phase: MB}, and the high-water mark in MB. The matcher's worker processes
are not counted (they are forked and share the parent's pages).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from generated import large_workbook

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands

STEPS = ("match", "post", "memos", "aging")


def resident_mb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", type=Path, help="a workbook (default: the generated 100,000 invoices)")
    args = parser.parse_args()
    book_path = Path(tempfile.mkdtemp(prefix="arxl-memory-")) / "book.xlsx"
    shutil.copy(args.book or large_workbook()[0], book_path)
    phase = ["start"]
    peaks: dict[str, int] = {}

    def sample() -> None:
        while True:
            peaks[phase[0]] = max(peaks.get(phase[0], 0), resident_mb())
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    phase[0] = "open"
    book = open_book(book_path)
    for step in STEPS:
        phase[0] = step
        run_commands(book, [step], Context())
    phase[0] = "save"
    save_book(book, backup=False)
    phase[0] = "after save"
    time.sleep(0.5)
    print(json.dumps({"peak_mb_by_phase": peaks,
                      "high_water_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


if __name__ == "__main__":
    main()
