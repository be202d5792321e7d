"""Where the matcher falls short on a benchmark ledger, by noise class: the failure classes to fix.

    python bench/misses.py FOLDER [--cached] [--show PAYMENTID ...] [--examples KIND [N]]

FOLDER holds book.xlsx and truth.csv (score.py's format; bench/adversarial.py makes them). The
match command runs on a copy of the book, as bench/score_dev.py runs it, and its Matches and
Payments are kept in FOLDER/misses.csv (``--cached`` reads them back instead of matching again).
Each payment that truly pays open invoices is then one of: auto (posted right), review (proposed
right, held for a clerk), or a top-1 miss; a payment posted wrongly is a wrong auto-post. Printed:
- per noise class (each part of truth.csv's Kind, "+"-joined kinds counted in each part): the
  payments, the top-1 misses and the right proposals held for a clerk;
- why right proposals were held (each rule of ``policy.RULES`` whose sentence the Evidence gives,
  "not far ahead" when the margin was too small, "confidence" when only Confidence fell short),
  overall and per class;
- what the top-1 misses proposed instead: nothing, fewer invoices than paid (a subset), more
  (a superset), others in part (overlapping), or other invoices altogether;
- the wrong auto-posts, each in full.
``--show`` prints payments in full (the remittance, the truth, the proposal and its Evidence);
``--examples KIND N`` N misses or held payments of one noise class.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from calibration import held_by, matched_copy

from arxl.core.settings import Settings

CACHE = "misses.csv"
CACHED_COLUMNS = ("PaymentID", "InvoiceID", "CustomerID", "ApplyAmount", "Confidence", "Decision", "Evidence")
PAYMENT_COLUMNS = ("PayerName", "PayerAccount", "Amount", "Reference")


@dataclass
class Paid:
    """One payment: what it truly pays, what was proposed, how, and why."""

    kind: str
    truth: set[str] = field(default_factory=set)
    proposed: set[str] = field(default_factory=set)
    decision: str = ""
    confidence: float = 0.0
    evidence: str = ""
    customer: str = ""
    payment: dict[str, str] = field(default_factory=dict)

    @property
    def right(self) -> bool:
        return bool(self.truth) and self.proposed == self.truth

    def outcome(self) -> str:
        """auto, review (right but held), miss (top-1 wrong), wrong auto, or nothing (pays nothing open)."""
        if self.decision == "Auto" and self.proposed and not self.right:
            return "wrong auto"
        if not self.truth:
            return "nothing"
        if not self.right:
            return "miss"
        return "auto" if self.decision == "Auto" else "review"

    def held_by(self, threshold: float) -> list[str]:
        """Why a right proposal was held for a clerk."""
        found = list(held_by(self.evidence))
        if "not far enough ahead" in self.evidence:
            found.append("not far ahead")
        if not found and self.confidence < threshold:
            found.append("confidence")
        return found or ["other"]

    def missed_how(self) -> str:
        if not self.proposed:
            return "nothing proposed"
        if self.proposed < self.truth:
            return "subset"
        if self.proposed > self.truth:
            return "superset"
        return "overlapping" if self.proposed & self.truth else "other invoices"


def matched(folder: Path, cached: bool) -> list[dict[str, str]]:
    """The Matches rows with each payment's PayerName, PayerAccount, Amount and Reference."""
    cache = folder / CACHE
    if not (cached and cache.exists()):
        with matched_copy(folder) as (_, book):
            ledger = book.load()
            matches, payments = ledger.table("Matches"), ledger.table("Payments")
        joined = matches[list(CACHED_COLUMNS)].merge(payments[["PaymentID", *PAYMENT_COLUMNS]], on="PaymentID",
                                                     how="left")
        joined.astype(str).to_csv(cache, index=False)
    with open(cache, newline="") as f:
        return list(csv.DictReader(f))


def read(folder: Path, cached: bool) -> dict[str, Paid]:
    paid: dict[str, Paid] = {}
    with open(folder / "truth.csv", newline="") as f:
        for row in csv.DictReader(f):
            p = paid.setdefault(row["PaymentID"], Paid(row["Kind"]))
            if row["InvoiceID"]:
                p.truth.add(row["InvoiceID"])
    for row in matched(folder, cached):
        p = paid.get(row["PaymentID"])
        if p is None:
            continue
        if row["InvoiceID"]:
            p.proposed.add(row["InvoiceID"])
        p.decision, p.confidence, p.evidence = row["Decision"], float(row["Confidence"]), row["Evidence"]
        p.customer = row["CustomerID"]
        p.payment = {c: row[c] for c in PAYMENT_COLUMNS}
    return paid


def show(pid: str, p: Paid) -> None:
    print(f"--- {pid} [{p.kind}] {p.outcome()}: {p.decision} {p.confidence:g} customer {p.customer}")
    print("    " + "  |  ".join(f"{c}={p.payment.get(c, '')}" for c in PAYMENT_COLUMNS))
    print(f"    truth    {sorted(p.truth)}\n    proposed {sorted(p.proposed)}")
    print(f"    {p.evidence}")


def report(paid: dict[str, Paid], threshold: float) -> None:
    outcomes = Counter(p.outcome() for p in paid.values())
    matchable = sum(1 for p in paid.values() if p.truth)
    print(f"{len(paid)} payments, {matchable} pay open invoices: " + ", ".join(
        f"{k} {v}" for k, v in sorted(outcomes.items())))
    classes: dict[str, Counter[str]] = defaultdict(Counter)
    held: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[str, Counter[str]] = defaultdict(Counter)
    for p in paid.values():
        outcome = p.outcome()
        for part in ["all", *p.kind.split("+")]:
            classes[part][outcome] += 1
            if outcome == "review":
                held[part].update(p.held_by(threshold))
            elif outcome == "miss":
                missed[part][p.missed_how()] += 1
    print(f"\n{'class':12} {'n':>5} {'auto':>5} {'review':>6} {'miss':>5} {'wrong':>5}  held by (right, not auto)"
          "  |  misses proposed")
    for part in sorted(classes, key=lambda k: (k != "all", -(classes[k]["miss"] + classes[k]["review"]))):
        c = classes[part]
        reasons = ", ".join(f"{k} {v}" for k, v in held[part].most_common(4))
        how = ", ".join(f"{k} {v}" for k, v in missed[part].most_common(3))
        print(f"{part:12} {sum(c.values()):5d} {c['auto']:5d} {c['review']:6d} {c['miss']:5d} {c['wrong auto']:5d}"
              f"  {reasons}  |  {how}")
    wrong = [pid for pid, p in paid.items() if p.outcome() == "wrong auto"]
    if wrong:
        print("\nwrong auto-posts:")
        for pid in wrong:
            show(pid, paid[pid])


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--cached", action="store_true", help=f"read FOLDER/{CACHE} instead of matching again")
    ap.add_argument("--show", nargs="*", default=[], metavar="PAYMENTID")
    ap.add_argument("--examples", nargs="+", metavar=("KIND", "N"),
                    help="misses and held payments of one noise class (N of each, 5 unless given)")
    a = ap.parse_args(argv)
    paid = read(a.folder, a.cached)
    if a.show:
        for pid in a.show:
            show(pid, paid[pid])
        return
    if a.examples:
        kind, n = a.examples[0], int(a.examples[1]) if len(a.examples) > 1 else 5
        rng = random.Random(13)
        for outcome in ("miss", "review"):
            found = sorted(pid for pid, p in paid.items() if kind in p.kind.split("+") and p.outcome() == outcome)
            print(f"\n{len(found)} of class {kind}: {outcome}")
            for pid in sorted(rng.sample(found, min(n, len(found)))):
                show(pid, paid[pid])
        return
    report(paid, Settings().auto_apply_confidence)


if __name__ == "__main__":
    main(sys.argv[1:])
