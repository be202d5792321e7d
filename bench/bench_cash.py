"""Time cash application (`arxl match` then `arxl post`) on a large workbook next to a plain
openpyxl load-and-save of the same file, all in one run (issue 3's figures).

    python bench/bench_cash.py [--book BOOK] [--workdir DIR]

Without --book, the large ledger of bench/generated.py is used (generated once with
``../shared/bench/gen_ar.py``: 100,000 invoices, 10,000 payments, 5,000 customers). The book is
copied first; the original is never touched.

Each step runs in a fresh child process, so its import time counts and its peak memory (maximum
resident set size) is its own:
  plain   openpyxl.load_workbook + Workbook.save
  arxl    what `arxl refresh BOOK --only match,post` does: open_book, run_commands(["match",
          "post"]), save_book; split into open / match / post / save, with the matching core
          alone as the match command measures it (Outcome.counts["matching_ms"]).
Targets: matching core under 5 s on a 2-core machine; arxl whole within 1.5 x plain.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generated import large_workbook

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_plain(path: Path) -> dict:
    started = time.perf_counter()
    import openpyxl
    openpyxl.load_workbook(path).save(path.with_name("plain-out.xlsx"))
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


def phase_arxl(path: Path) -> dict:
    started = time.perf_counter()
    from arxl.book.files import open_book, save_book
    from arxl.commands.command import Context
    from arxl.commands.registry import COMMANDS
    from arxl.commands.runner import run_commands

    spent: dict[str, float] = {}
    commands = COMMANDS  # wrapped in place: the runner reads this registry
    for cid in ("match", "post"):
        def timed(book, ctx, _run=commands[cid].run, _cid=cid):
            t = time.perf_counter()
            try:
                return _run(book, ctx)
            finally:
                spent[_cid] = time.perf_counter() - t
        commands[cid] = dataclasses.replace(commands[cid], run=timed)
    t = time.perf_counter()
    book = open_book(path)
    spent["open"] = time.perf_counter() - t
    result = run_commands(book, ["match", "post"], Context())
    if not result.ok:
        raise SystemExit(f"a command could not run: {result.failures}")
    t = time.perf_counter()
    save_book(book, backup=False)
    spent["save"] = time.perf_counter() - t
    match_counts, post_counts = result.outcomes["match"].counts, result.outcomes["post"].counts
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "steps": spent,
            "matching_core": match_counts["matching_ms"] / 1000, "match": match_counts,
            "post": post_counts, "problems": result.problems}


PHASES = {"plain": phase_plain, "arxl": phase_arxl}


def child(phase: str, path: Path) -> dict:
    """Run one phase in a fresh interpreter; it prints its figures as JSON on its last line."""
    done = subprocess.run([sys.executable, __file__, "--phase", phase, str(path)], capture_output=True, check=False,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", type=Path, help="a master workbook (default: generated)")
    ap.add_argument("--workdir", type=Path, help="where copies are made (default: a temp dir)")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.phase:
        print(json.dumps(PHASES[a.phase](a.path)))
        return

    work = a.workdir or Path(tempfile.mkdtemp(prefix="arxl-bench-cash-"))
    work.mkdir(parents=True, exist_ok=True)
    source = a.book or large_workbook()[0]
    plain_copy, arxl_copy = work / "plain.xlsx", work / "arxl.xlsx"
    shutil.copy2(source, plain_copy)
    shutil.copy2(source, arxl_copy)

    plain = child("plain", plain_copy)
    run = child("arxl", arxl_copy)
    steps = run["steps"]
    rows = [
        ("plain openpyxl load + save", plain["seconds"], plain["peak_mb"]),
        ("arxl match + post, whole", run["seconds"], run["peak_mb"]),
        ("  open_book", steps["open"], None),
        ("  match command", steps["match"], None),
        ("    matching core alone", run["matching_core"], None),
        ("  post command", steps["post"], None),
        ("  save_book", steps["save"], None),
    ]
    print(f"\n{source} ({source.stat().st_size / 1e6:.1f} MB), {os.cpu_count()} CPU(s)\n")
    print(f"{'step':34} {'seconds':>9} {'peak MB':>9}")
    for name, seconds, mb in rows:
        print(f"{name:34} {seconds:9.2f} {'' if mb is None else f'{mb:9.0f}':>9}")
    ratio = run["seconds"] / plain["seconds"]
    print(f"\nwhole / plain = {ratio:.2f} (target <= 1.5); matching core "
          f"{run['matching_core']:.2f} s (target < 5 s)")
    print(f"match: {run['match']}\npost: {run['post']}\nExceptions rows: {run['problems']}")


if __name__ == "__main__":
    main()
