"""Is Confidence calibrated? Of the payments proposed at Confidence about 90, are about 90 in 100 right?

    python bench/calibration.py [FOLDER ...]   (default: ../shared/bench/dev and bench/out/adversarial/*)

Each FOLDER holds book.xlsx and truth.csv (score.py's format; bench/adversarial.py makes them).
After the bands, all ledgers together: the same bands for the proposals posted without a clerk and
for those left to one, and the share right of the latter by the rules that held them (as their
Evidence names them, ``arxl.core.matching.policy``): where Confidence says little, the rules say it.
The match command runs on a copy of the book, as bench/score_dev.py runs it, and the copy is
scored by ../shared/bench/score.py (its JSON line, per-kind detail left out, is printed first:
one run gives both the scores and the calibration); every payment that
truly pays open invoices and is proposed with invoices is then counted in its Confidence band,
right when the invoices proposed are exactly the true ones. Prints per ledger, then all together:
band, payments, right, the share right, the mean Confidence (a calibrated model has the two
close), and how many of them were posted without a clerk (Auto).
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from arxl.book.files import open_book, save_book
from arxl.book.port import Workbook
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.matching.policy import HELD, RULES

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
BANDS = ((0, 50), (50, 70), (70, 80), (80, 90), (90, 95), (95, 99), (99, 100.1))


@contextmanager
def matched_copy(folder: Path) -> Iterator[tuple[Path, Workbook]]:
    """A copy of FOLDER/book.xlsx in a temporary folder, opened, after the match command ran on
    it (as bench/score_dev.py runs it): (the copy's path, the workbook; not saved)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book.xlsx"
        shutil.copyfile(folder / "book.xlsx", copy)
        book = open_book(copy)
        result = run_commands(book, ["match"], Context())
        if "match" not in result.outcomes:
            sys.exit(f"match could not run on {folder}: {result.failures}")
        yield copy, book


Proposal = tuple[float, bool, bool, tuple[str, ...]]  # Confidence, right, Auto, the rules that held it


# a held rule is recognised by its whole sentence, whatever its details; tried in the policy's
# order, whose last rule's sentence is all detail
RULE_SENTENCES = [(str(row.rule), re.compile(".+?".join(re.escape(piece) for piece in row.sentence.split("{detail}")),
                                             re.DOTALL)) for row in RULES]


def held_by(evidence: str) -> tuple[str, ...]:
    """The rules an Evidence sentence says hold the proposal for a clerk, by name."""
    found = {next(rule for rule, sentence in RULE_SENTENCES if sentence.fullmatch(said))
             for said in evidence.rstrip(".").split("; " + HELD)[1:]}
    return tuple(sorted(found))


def proposals(folder: Path) -> list[Proposal]:
    """(Confidence, right, Auto, held by) of each payment that truly pays open invoices and was
    proposed with invoices."""
    truth: dict[str, set[str]] = defaultdict(set)
    with open(folder / "truth.csv", newline="") as f:
        for row in csv.DictReader(f):
            truth.setdefault(row["PaymentID"], set())
            if row["InvoiceID"]:
                truth[row["PaymentID"]].add(row["InvoiceID"])
    with matched_copy(folder) as (copy, book):
        matches = book.load().table("Matches")
        save_book(book)
        done = subprocess.run([sys.executable, str(SHARED / "score.py"), str(folder / "truth.csv"), str(copy)],
                              check=True, capture_output=True, text=True)
        scores = json.loads(done.stdout.strip().splitlines()[-1])
        scores.pop("by_kind", None)
        print(json.dumps({"ledger": folder.name, **scores}), flush=True)
    proposed: dict[str, set[str]] = defaultdict(set)
    said: dict[str, tuple[float, bool, tuple[str, ...]]] = {}
    for row in matches.itertuples():
        if row.InvoiceID:
            proposed[row.PaymentID].add(row.InvoiceID)
        said[row.PaymentID] = (float(row.Confidence), row.Decision == "Auto", held_by(str(row.Evidence)))
    return [(said[p][0], proposed[p] == truth[p], said[p][1], said[p][2]) for p in proposed if truth.get(p)]


def table(name: str, rows: list[Proposal]) -> None:
    print(f"\n{name}: {len(rows)} payments proposed with invoices")
    print(f"{'Confidence':>12} {'payments':>9} {'right':>7} {'share right':>12} {'mean conf.':>11} {'Auto':>6}")
    for low, high in BANDS:
        band = [r for r in rows if low <= r[0] < high]
        if not band:
            continue
        right = sum(r[1] for r in band)
        mean = sum(r[0] for r in band) / len(band)
        label = f"{low:g}-{min(high, 100):g}"
        print(f"{label:>12} {len(band):9d} {right:7d} {right / len(band):12.3f} {mean:11.1f} "
              f"{sum(r[2] for r in band):6d}")


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or [SHARED / "dev", *sorted((ROOT / "bench" / "out" / "adversarial").glob("*"))]
    everything = []
    for folder in folders:
        rows = proposals(folder)
        table(folder.name, rows)
        everything += rows
    if len(folders) > 1:
        table("all ledgers", everything)
    table("posted without a clerk (Auto)", [r for r in everything if r[2]])
    waiting = [r for r in everything if not r[2]]
    table("left to a clerk", waiting)
    by_rules: dict[tuple[str, ...], list[bool]] = defaultdict(list)
    for _, right, _, rules in waiting:
        by_rules[rules].append(right)
    print(f"\nleft to a clerk, by the rules that held them:\n{'payments':>9} {'share right':>12}  rules")
    for rules, rights in sorted(by_rules.items(), key=lambda kv: -len(kv[1])):
        named = " + ".join(rules) or "(no rule: the Confidence or the margin over the next)"
        print(f"{len(rights):9d} {sum(rights) / len(rights):12.3f}  {named}")


if __name__ == "__main__":
    main(sys.argv[1:])
