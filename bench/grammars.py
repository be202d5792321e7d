"""The matcher on invoice-number grammars none of our houses uses: the single-noise ledger of
bench/adversarial.py (or, with --ledger combined, the one with several kinds of noise in a
payment) drawn again with its InvoiceIDs in each grammar, matched and scored.

    python bench/grammars.py [--ledger single|combined] [--column] [--payments 2000] [--seed 13] [--out DIR]
                             [FORMAT ...]

With --column the grammars are the MatchColumns column's (its numbers quoted instead of the
invoice's), the InvoiceIDs as the house has them. A grammar is a str.format of the number n, the
year (yy, yyyy; yy1 the next) and the month (mm: numbered afresh each month). Prints one line per
grammar: auto_rate, auto_precision and top1 (score.py's), with an example. The India house found
that the fixed parts of one grammar (the years of INV/26-27/04512) were read as a reference of
their own; this looks for such failures in others before the ledgers we do not see do.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAMMARS = ["{yy}/{n:05d}", "{n:05d}/{yy}", "INV.{yy}.{n:05d}", "{yyyy}-INV-{n:05d}", "A{yy}{n:06d}",
            "INV/{yyyy}-{yy1}/{n:05d}", "{yyyy}{n:06d}", "INV-{n:05d}-{yy}", "FV/{n}/{mm:02d}/{yyyy}",
            "{yy}{mm:02d}-{n:04d}", "R{n}", "{n}"]


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("formats", nargs="*", default=GRAMMARS)
    ap.add_argument("--ledger", choices=("single", "combined"), default="single")
    ap.add_argument("--column", action="store_true", help="the MatchColumns column's grammars, not InvoiceID's")
    ap.add_argument("--payments", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    out = a.out or Path(tempfile.mkdtemp(prefix="grammars-"))
    for k, fmt in enumerate(a.formats):
        folder = out / f"g{k:02d}"
        option = "--extra-format" if a.column else "--invoice-format"
        subprocess.run([sys.executable, str(ROOT / "bench" / "adversarial.py"), "--only", a.ledger, "--seed",
                        str(a.seed), "--payments", str(a.payments), option, fmt, "--out", str(folder)],
                       check=True, capture_output=True)
        example = fmt.format(n=1490, yy=26, yy1=27, yyyy=2026, mm=5)
        book, truth = folder / a.ledger / "book.xlsx", folder / a.ledger / "truth.csv"
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "score_dev.py"), str(book), str(truth),
                               "--matches", str(folder / "matches.csv")], check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{fmt:28} {example:20} auto_rate {result['auto_rate']:.4f}  auto_precision "
              f"{result['auto_precision']:.4f}  top1 {result['top1']:.4f}  ({folder})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
