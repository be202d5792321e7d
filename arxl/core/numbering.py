"""Numbering what the clerk left blank, and what arxl adds to its ledgers, so that no number is
ever used twice: new numbers follow the highest in use, counting every row of the table (rows a
run could not read included)."""
from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd


def number_blank_ids(ids: pd.Series, taken: Iterable[str] = (), prefix_default: str = "P") -> pd.Series:
    """Blank IDs numbered after the highest one in ``ids`` and ``taken`` (the table's other IDs,
    rows left out of the run included), in the style most of them share ("P000123" ->
    "P000124"; none yet -> P000001)."""
    known = pd.Series([*ids[ids != ""], *taken], dtype=object).drop_duplicates()
    styles = known.str.extract(r"^(?P<prefix>.*?)(?P<number>\d+)$").dropna()
    if len(styles):
        prefix = styles["prefix"].mode().iloc[0]
        same = styles[styles["prefix"] == prefix]
        width = int(same["number"].str.len().max())
        start = int(same["number"].astype(int).max())
    else:
        prefix, width, start = prefix_default, 6, 0
    used = set(known)
    out, n = ids.copy(), start
    for row in ids.index[ids == ""]:
        n += 1
        while f"{prefix}{n:0{width}d}" in used:
            n += 1
        out[row] = f"{prefix}{n:0{width}d}"
    return out


def next_ids(existing: Iterable[str], count: int, prefix: str, digits: int) -> list[str]:
    """``count`` new IDs following the highest ``prefix``-number among ``existing`` (prefix in
    any case), zero-padded to ``digits``, or to the widest number in use where that is wider
    (INV-2026-004001 after INV-2026-004000)."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    found = [m.group(1) for v in existing if (m := pattern.match(str(v)))]
    start = max((int(n) for n in found), default=0) + 1
    width = max([digits, *(len(n) for n in found)])
    return [f"{prefix}{n:0{width}d}" for n in range(start, start + count)]
