"""Where a first refresh's memory goes: one ``arxl refresh`` of a copy of the 100,000-invoice
workbook in this process, its memory sampled every 0.1 s and kept, per phase (the progress
messages the steps give, as in bench/refresh_phases.py), at its highest: this process's own
resident memory (RSS), and this process with the processes it forked (the matcher's workers,
sheets rewritten and reports drawn aside) as the sum of their proportional set sizes (PSS: a
page a forked child still shares with this process is counted once), with how many processes
there were at that moment.

    python bench/memory_phases.py [--book BOOK] [--as-of DATE]

Without --book, the large ledger of bench/generated.py. Prints one JSON line: per phase,
[own MB, together MB, processes], and the highest of each over the run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from bench_refresh import _pss_mb, _tree
from generated import large_workbook
from refresh_phases import Phases

from arxl import cli
from arxl.commands.registry import REFRESH


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    args = parser.parse_args()
    phases = Phases()
    own: dict[str, float] = {}
    together: dict[str, tuple[float, int]] = {}
    running = True

    def sample() -> None:
        while running:
            phase, pids = phases.current, _tree(os.getpid())
            own[phase] = max(own.get(phase, 0.0), resident_mb())
            pss = sum(map(_pss_mb, pids))
            if pss > together.get(phase, (0.0, 0))[0]:
                together[phase] = (pss, len(pids))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book.xlsx"
        shutil.copyfile(args.book or large_workbook()[0], book)
        cli.work_book(book, list(REFRESH), as_of=args.as_of, output=None, progress=phases, backup=False)
    running = False
    sampler.join()
    by_phase = {phase: [round(own[phase]), round(pss), n] for phase, (pss, n) in together.items()}
    print(json.dumps({"mb_by_phase [own, together, processes]": by_phase,
                      "highest_own_mb": round(max(own.values())),
                      "highest_together_mb": round(max(pss for pss, _ in together.values()))}))


if __name__ == "__main__":
    main()
