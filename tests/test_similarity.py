"""The pure-Python word similarity gives rapidfuzz's numbers and choices (it stands in for
rapidfuzz where that cannot be installed, as in xlwings Lite)."""
from __future__ import annotations

import random

import pytest

from arxl.core.matching import similarity

rapidfuzz = pytest.importorskip("rapidfuzz")
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import OSA  # noqa: E402


def words(seed: int, n: int) -> list[str]:
    """Company-name words and their misspellings: swaps, drops, doubles, cuts."""
    rng = random.Random(seed)
    base = ["INDUSTRIAL", "SUPPLY", "GLOBEX", "INITECH", "UMBRELLA", "HEALTH", "PARTNERS", "MERIDIAN", "ELECTRIC",
            "VEGA", "INTERNATIONAL", "HOLDINGS", "MANUFACTURING", "CORPORATION", "TOOLS", "BLUE", "RIDGE",
            "PLUMBING", "ACME", "NORTHWIND", "TRADERS", "CONTOSO", "FABRIKAM", "LOGISTICS", "AB", "A", ""]
    out = []
    for _ in range(n):
        w = list(rng.choice(base))
        for _ in range(rng.randint(0, 3)):
            if not w:
                break
            k = rng.randrange(len(w))
            edit = rng.choice("swap drop double replace cut".split())
            if edit == "swap" and k + 1 < len(w):
                w[k], w[k + 1] = w[k + 1], w[k]
            elif edit == "drop":
                del w[k]
            elif edit == "double":
                w.insert(k, w[k])
            elif edit == "replace":
                w[k] = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            else:
                w = w[:max(1, k)]
        out.append("".join(w))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_the_pure_similarity_is_rapidfuzzs(seed):
    pool = words(seed, 300)
    for a, b in zip(pool, reversed(pool)):
        assert similarity.osa_distance(a, b) == OSA.distance(a, b), (a, b)
        assert similarity.normalized_similarity(a, b) == OSA.normalized_similarity(a, b), (a, b)
    assert similarity.osa_distance("CA", "AC") == 1 and similarity.osa_distance("CA", "ABC") == 3


@pytest.mark.parametrize("cutoff", [0.0, 0.5, 0.74, 0.9])
def test_the_pure_extract_chooses_what_rapidfuzz_chooses(cutoff):
    choices = words(7, 400)
    for query in words(8, 80):
        expected = process.extract(query, choices, scorer=OSA.normalized_similarity, score_cutoff=cutoff, limit=5)
        assert similarity.extract_similar(query, choices, cutoff, 5, pure=True) == \
            [(c, s, k) for c, s, k in expected], query
        assert similarity.extract_similar(query, choices, cutoff, 5) == [(c, s, k) for c, s, k in expected]


def test_the_environment_variable_forces_the_pure_scorer(monkeypatch):
    assert similarity.uses_rapidfuzz()
    monkeypatch.setenv(similarity.PURE_ENV, "1")
    assert not similarity.uses_rapidfuzz()
    monkeypatch.setattr(similarity, "_RAPIDFUZZ", None)
    monkeypatch.delenv(similarity.PURE_ENV)
    assert not similarity.uses_rapidfuzz()  # not installed: the pure scorer, whatever is asked


def test_matching_a_demo_batch_gives_the_same_matches_with_either_scorer(tmp_path, monkeypatch):
    from arxl.book.files import open_book
    from arxl.commands.command import Context
    from arxl.commands.runner import run_commands
    from arxl.core.matching import payers
    from arxl.demo import write_demo

    path = write_demo(tmp_path / "demo.xlsx", customers=150, invoices=900, payments=150)
    found = []
    monkeypatch.setattr(payers, "extract_similar", lambda *a, **k: found.append(similarity.extract_similar(*a, **k))
                        or found[-1])
    results = {}
    for pure in (False, True):
        monkeypatch.setenv(similarity.PURE_ENV, "1" if pure else "0")
        book = open_book(path)
        run_commands(book, ["match"], Context())
        results[pure] = book.read("Matches")
    assert len(results[False]) >= 150
    assert sum(1 for f in found if f) >= 10  # misspelt payer words were scored, both ways
    assert results[False].equals(results[True])


def test_pure_python_distances_are_rapidfuzz_cdist():
    from arxl.core.matching.similarity import osa_distances
    queries, choices = ["100234", "1002", "INV100324"], ["100324", "100234", "1002345", "INV100234", ""]
    for cutoff in (1, 2):
        assert (osa_distances(queries, choices, cutoff, pure=True) == osa_distances(queries, choices, cutoff)).all()
