"""Run ``arxl match`` on a copy of a benchmark workbook and score it against its truth.

    python bench/score_dev.py [BOOK TRUTH]   (default: the shared dev ledger)

Prints the times of opening, of the match command, of the matching core alone (from the
command's counts) and of saving, then the score.py JSON line. Also used for the 100,000-invoice
benchmark: python bench/score_dev.py bench/out/gen-100k/book.xlsx bench/out/gen-100k/truth.csv
(made by bench/generated.py, which the other benchmarks run first)
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arxl.book.files import open_book, save_book
from arxl.commands.command import Context
from arxl.commands.runner import run_commands

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def main(argv: list[str]) -> None:
    book_path = Path(argv[0]) if argv else SHARED / "dev" / "book.xlsx"
    truth = Path(argv[1]) if len(argv) > 1 else SHARED / "dev" / "truth.csv"
    score = SHARED / "score.py"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / book_path.name
        shutil.copy(book_path, copy)
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
        print(json.dumps({"open_s": round(opened - started, 2), "match_command_s": round(matched - opened, 2),
                          "matching_core_s": outcome.counts["matching_ms"] / 1000,
                          "save_s": round(saved - matched, 2)}))
        subprocess.run([sys.executable, str(score), str(truth), str(copy)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
