"""Where a first refresh's time goes: one ``arxl refresh`` of a copy of the 100,000-invoice
workbook in this process, timed between the progress messages the steps give (as the clerk's
progress bar shows them), with the save's own parts.

    python bench/refresh_phases.py [--book BOOK] [--as-of DATE]

Without --book, the large ledger of bench/generated.py. Prints one JSON line: seconds per phase
in the order met ("opening" holds the lock, the open and the first read of the tables; a step's
phases run until the next step's first message, so each holds the writing of its changes into
the workbook), the save's parts, and the total. One run on a shared machine: compare phases of
two versions from runs close in time, or use bench/ab_refresh.py for the whole.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generated import large_workbook

from arxl import cli
from arxl.book import package_store
from arxl.commands.registry import REFRESH


class Phases:
    """A progress sink that adds up the time from one kind of message to the next."""

    def __init__(self) -> None:
        self.started = self.at = time.perf_counter()
        self.current = "waiting for the lock"
        self.seconds: dict[str, float] = {}

    def start(self, label: str) -> None:
        self("waiting for the lock")

    def __call__(self, message: str, fraction: float | None = None) -> None:
        phase = message.split(" of ")[0].rstrip("0123456789 ")  # "Matching payment 586 of 9372": one phase
        now = time.perf_counter()
        if phase != self.current:
            self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.at
            self.current, self.at = phase, now

    def close(self) -> None:
        self("")


def timed(owner: Any, name: str, into: dict[str, float]) -> None:
    """Add the seconds of every call of ``owner.name`` to ``into[name]``."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def run(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - begun

    setattr(owner, name, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 12, 1))
    args = parser.parse_args()
    save_parts: dict[str, float] = {}
    for name in ("rewrite", "guide_sheet", "wrap_rows"):
        timed(package_store, name, save_parts)
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book.xlsx"
        shutil.copyfile(args.book or large_workbook()[0], book)
        phases = Phases()
        cli.work_book(book, list(REFRESH), as_of=args.as_of, output=None, progress=phases,
                      backup=False)
    print(json.dumps({"phases_s": {k: round(v, 2) for k, v in phases.seconds.items() if v >= 0.01},
                      "save_parts_s (this process)": {k: round(v, 2) for k, v in save_parts.items()},
                      "total_s": round(time.perf_counter() - phases.started, 2)}))


if __name__ == "__main__":
    main()
