"""How alike two words are: the normalized optimal string alignment (OSA) similarity, and the
words of a list most like a given one.

rapidfuzz computes it in compiled code where it is installed. Where it cannot be (xlwings Lite:
Python in the browser, for which rapidfuzz has no build), the same numbers come from the pure
Python below, so that a payer is matched alike by every door. Setting the environment variable
ARXL_PURE_SIMILARITY=1 (or ``pure=True``) uses the pure Python even where rapidfuzz is
installed, to compare the two (bench/score_dev.py --pure-similarity).

OSA distance: the fewest insertions, deletions, substitutions and swaps of two neighbouring
letters that turn one word into the other, no letter edited twice. Normalized similarity:
1 - distance / the longer word's length (1.0 for two empty words).
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from types import ModuleType

import numpy as np

PURE_ENV = "ARXL_PURE_SIMILARITY"


def _rapidfuzz() -> tuple[ModuleType, ModuleType] | None:
    """rapidfuzz's ``process`` and ``OSA`` modules; None where it is not installed (Pyodide)."""
    try:
        return importlib.import_module("rapidfuzz.process"), importlib.import_module("rapidfuzz.distance.OSA")
    except ImportError:
        return None


_RAPIDFUZZ = _rapidfuzz()


def uses_rapidfuzz(pure: bool = False) -> bool:
    """Whether the compiled scorer is used: installed, and neither ``pure`` nor PURE_ENV asks
    for the pure Python one."""
    return _RAPIDFUZZ is not None and not pure and os.environ.get(PURE_ENV, "") != "1"


def osa_distance(a: str, b: str) -> int:
    """The OSA distance of ``a`` and ``b``: a row-by-row table of the edits, keeping the two
    rows before for the swap of neighbouring letters."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            cost = 0 if x == y else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        before, previous = previous, current
    return previous[len(b)]


def normalized_similarity(a: str, b: str) -> float:
    """1 - OSA distance / the longer length, computed as rapidfuzz computes it."""
    longest = max(len(a), len(b))
    return 1.0 - (osa_distance(a, b) / longest if longest else 0.0)


def extract_similar(query: str, choices: Sequence[str], score_cutoff: float, limit: int,
                    pure: bool = False) -> list[tuple[str, float, int]]:
    """The ``limit`` choices most like ``query`` with a similarity of at least ``score_cutoff``,
    as (choice, similarity, position), best first and, between equals, in the order of
    ``choices``: what rapidfuzz's ``process.extract`` with ``OSA.normalized_similarity`` gives."""
    if _RAPIDFUZZ is not None and uses_rapidfuzz(pure):
        process, osa = _RAPIDFUZZ
        return [(str(c), float(s), int(k)) for c, s, k in
                process.extract(query, choices, scorer=osa.normalized_similarity, score_cutoff=score_cutoff,
                                limit=limit)]
    found = []
    for position, choice in enumerate(choices):
        longest = max(len(query), len(choice))
        # the distance is at least the difference of the lengths: skip words that cannot reach the cutoff
        if longest and 1.0 - abs(len(query) - len(choice)) / longest < score_cutoff:
            continue
        score = normalized_similarity(query, choice)
        if score >= score_cutoff:
            found.append((choice, score, position))
    found.sort(key=lambda item: -item[1])  # stable: equals keep the order of choices
    return found[:limit]


def osa_distances(queries: Sequence[str], choices: Sequence[str], score_cutoff: int, pure: bool = False) -> np.ndarray:
    """The OSA distance of every query to every choice (rows: queries), as int32; a distance
    above ``score_cutoff`` is given as ``score_cutoff + 1``: what rapidfuzz's ``process.cdist``
    with ``OSA.distance`` gives."""
    if _RAPIDFUZZ is not None and uses_rapidfuzz(pure):
        process, osa = _RAPIDFUZZ
        found: np.ndarray = process.cdist(queries, choices, scorer=osa.distance, score_cutoff=score_cutoff,
                                          dtype=np.int32)
        return found
    out = np.full((len(queries), len(choices)), score_cutoff + 1, dtype=np.int32)
    for i, query in enumerate(queries):
        for j, choice in enumerate(choices):
            # the distance is at least the difference of the lengths
            if abs(len(query) - len(choice)) <= score_cutoff:
                out[i, j] = min(osa_distance(query, choice), score_cutoff + 1)
    return out
