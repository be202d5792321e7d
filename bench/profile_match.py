"""Where the matching core's processor time goes: cProfile over one match of bench_match.py's
ledger, with proposals made in this process (no worker processes, so that their time is seen).

    python bench/profile_match.py [--book BOOK] [--top N] [--sort tottime|cumulative] [--out FILE]

Prints the top N functions (default 40, by own time); --out keeps the raw profile for pstats.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from generated import match_inputs

from arxl.core.matching import batch, match


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    inputs = match_inputs(args.book)
    batch.PARALLEL_FROM = len(inputs[0]) + 1  # every proposal in this process, where the profiler sees it
    profiler = cProfile.Profile()
    profiler.enable()
    match(*inputs)
    profiler.disable()
    if args.out:
        profiler.dump_stats(args.out)
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
