"""Run ``arxl match`` on a copy of a benchmark workbook and score it against its truth.

    python bench/score_dev.py [BOOK TRUTH] [--pure-similarity] [--matches CSV]
                                                        (default: the shared dev ledger)

Prints the times of opening, of the match command, of the matching core alone (from the
command's counts) and of saving, then the score.py JSON line. Also used for the 100,000-invoice
benchmark: python bench/score_dev.py bench/out/gen-100k/book.xlsx bench/out/gen-100k/truth.csv
(made by bench/generated.py, which the other benchmarks run first)

--pure-similarity matches with the pure-Python word similarity that stands in for rapidfuzz
where it cannot be installed (xlwings Lite), to show that the results are the same.

--matches writes the Matches table the run saved to CSV (every column), so that two versions of
the matcher can be compared decision by decision (``diff`` the files).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands
from arxl.core.matching import similarity

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", nargs="?", type=Path, default=SHARED / "dev" / "book.xlsx")
    parser.add_argument("truth", nargs="?", type=Path, default=SHARED / "dev" / "truth.csv")
    parser.add_argument("--pure-similarity", action="store_true",
                        help="the pure-Python word similarity instead of rapidfuzz")
    parser.add_argument("--matches", type=Path, help="write the saved Matches table to this CSV file")
    args = parser.parse_args(argv)
    book_path, truth = args.book, args.truth
    if args.pure_similarity:
        os.environ[similarity.PURE_ENV] = "1"
    score = SHARED / "score.py"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / book_path.name
        shutil.copyfile(book_path, copy)
        started = time.perf_counter()
        book = open_book(copy)
        opened = time.perf_counter()
        result = run_commands(book, ["match"], Context())
        matched = time.perf_counter()
        save_book(book)
        saved = time.perf_counter()
        outcome = result.outcomes.get("match")
        if outcome is None:
            sys.exit(f"match could not run: {result.failures}")
        print(outcome.summary)
        print(json.dumps({"similarity": "rapidfuzz" if similarity.uses_rapidfuzz() else "pure Python",
                          "open_s": round(opened - started, 2), "match_command_s": round(matched - opened, 2),
                          "matching_core_s": outcome.counts["matching_ms"] / 1000,
                          "save_s": round(saved - matched, 2)}))
        if args.matches:
            open_book(copy).load().table("Matches").to_csv(args.matches, index=False)
        subprocess.run([sys.executable, str(score), str(truth), str(copy)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
