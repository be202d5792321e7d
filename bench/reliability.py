"""The reliability suite's summary: every attack of tests/ (a test marked
``@pytest.mark.attack("category")``) is run, and this prints, per category, how many were tried,
how many held (the test passed) and how many failed. Skipped attacks (a tmpfs this machine may
not mount) are counted apart.

    python bench/reliability.py            # every attack, slow ones too (about 15 minutes)
    python bench/reliability.py --fast     # the subset CI runs (-m "not slow")
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reliability import CATEGORIES  # noqa: E402  (the suite's own list, in its order)


class Tally:
    """A pytest plugin counting each attack's outcome by category."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
        self.failures: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        category = dict(report.user_properties).get("attack")
        if category is None:
            return
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = {"passed": "held", "failed": "failed", "skipped": "skipped"}[report.outcome]
            self.counts.setdefault(category, Counter())[outcome] += 1
            if outcome == "failed":
                self.failures.append(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        marker = item.get_closest_marker("attack")
        if marker is not None:
            item.user_properties.append(("attack", marker.args[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="leave out the slow attacks, as CI does")
    args = parser.parse_args(argv)
    tally = Tally()
    marks = "attack and not slow" if args.fast else "attack"
    started = time.perf_counter()
    pytest.main([str(ROOT / "tests"), "-m", marks, "-q", "-p", "no:warnings", "--tb=line", "-p", "no:cacheprovider"],
                plugins=[tally])
    print(f"\nReliability attacks ({'fast subset' if args.fast else 'all'}), {time.perf_counter() - started:.0f} s:")
    print(f"{'category':30} {'tried':>6} {'held':>6} {'failed':>7} {'skipped':>8}")
    total: Counter[str] = Counter()
    for category, counts in tally.counts.items():
        tried = counts["held"] + counts["failed"]
        total.update(counts)
        note = "  (none here yet)" if not tried and not counts["skipped"] else ""
        print(f"{category:30} {tried:>6} {counts['held']:>6} {counts['failed']:>7} {counts['skipped']:>8}{note}")
    print(f"{'all':30} {total['held'] + total['failed']:>6} {total['held']:>6} {total['failed']:>7} "
          f"{total['skipped']:>8}")
    for nodeid in tally.failures:
        print(f"FAILED {nodeid}")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
