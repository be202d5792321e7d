"""Reliability: random sequences of what a clerk does in a day (runs, imports, typing rows,
approving matches), with the ledger invariants checked after every action (tests/reliability.py
``invariants``: every ledger row readable, no ID twice, no payment applied beyond its amount,
ledgers only grown, every recorded document on disk)."""
from __future__ import annotations

import datetime as dt
import os
import random

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries
from reliability import CAMT054, EDI820, Snapshot, invariants, leftovers, small_demo

from arxl.cli import process
from arxl.commands.registry import REFRESH


def clerk_types(path, table_name: str, values: dict[str, object]) -> None:
    """A row typed below a table in Excel: the table grows by one row, then Excel saves."""
    wb = openpyxl.load_workbook(path)
    ws = next(ws for ws in wb.worksheets if table_name in ws.tables)
    table = ws.tables[table_name]
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    row = max_row + 1
    for name, value in values.items():
        ws.cell(row, min_col + headers.index(name), value)
    table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{row}"
    tmp = f"{path}.excel-tmp.xlsx"
    wb.save(tmp)
    os.replace(tmp, path)


def clerk_decides(path, decision: str, rng: random.Random) -> None:
    """The clerk types Approve or Reject over one Review row of Matches."""
    wb = openpyxl.load_workbook(path)
    if "Matches" not in wb.sheetnames:
        return
    ws = wb["Matches"]
    headers = [c.value for c in ws[1]]
    at = headers.index("Decision") + 1
    review = [r for r in range(2, ws.max_row + 1) if ws.cell(r, at).value == "Review"]
    if not review:
        return
    ws.cell(rng.choice(review), at, decision)
    tmp = f"{path}.excel-tmp.xlsx"
    wb.save(tmp)
    os.replace(tmp, path)


def action(path, name: str, rng: random.Random, n: int) -> str:
    if name in ("match", "post", "memos", "aging"):
        steps = [name]
    elif name == "refresh":
        steps = list(REFRESH)
    elif name == "import":
        result, summary = process(path, ["import"], as_of=None, output=None, files=(rng.choice([CAMT054, EDI820]),))
        return summary
    elif name == "type a payment":
        clerk_types(path, "Payments", {"ReceivedDate": dt.date(2026, 11, 19), "PayerName": "Walk-in customer",
                                       "Amount": round(rng.uniform(10, 900), 2), "Currency": "USD",
                                       "Reference": rng.choice(["", "INV-", "=1+1", "on account"])})
        return "typed a payment"
    elif name == "type a memo request":
        clerk_types(path, "MemoRequests", {"RequestID": f"RQ-SEQ-{n}", "CustomerID": "C0001", "Kind": "Credit",
                                           "Type": "Other", "Amount": round(rng.uniform(1, 50), 2),
                                           "Reason": "goodwill"})
        return "typed a memo request"
    else:
        clerk_decides(path, rng.choice(["Approve", "Reject"]), rng)
        return "decided a review"
    result, summary = process(path, steps, as_of=None, output=None)
    assert result is not None, summary
    return summary


ACTIONS = ["refresh", "match", "post", "memos", "aging", "import", "type a payment", "type a memo request",
           "decide"]


@pytest.mark.attack("clerk sequences")
@pytest.mark.parametrize("seed", [pytest.param(s, marks=() if s == 0 else pytest.mark.slow) for s in range(5)])
def test_a_clerk_s_day_keeps_every_ledger_whole(tmp_path, seed):
    rng = random.Random(seed)
    path = small_demo(tmp_path)
    steps = 4 if seed == 0 else 14
    for n in range(steps):
        before = Snapshot.of(path)
        name = rng.choice(ACTIONS)
        summary = action(path, name, rng, n)
        broken = invariants(path, before)
        assert broken == [], f"after step {n} ({name}): {summary}\n{broken}"
    assert not leftovers(tmp_path)
