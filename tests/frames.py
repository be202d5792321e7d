"""Typed frames for core tests, written the way a clerk types rows."""
from __future__ import annotations

import pandas as pd

from arxl.contract import TABLES
from arxl.core.frames import typed_column
from arxl.core.money import to_minor


def table(name: str, *rows: dict) -> pd.DataFrame:
    """A typed frame as ``Workbook.read`` gives it, from rows written as a clerk types them
    (amounts and dates as text), indexed by sheet row from 2. Amounts are in the minor unit of the
    row's Currency (blank: two decimals, as USD)."""
    columns = {}
    for col in TABLES[name].columns:
        values = []
        for row in rows:
            value = row.get(col.name)
            if value is not None and col.kind == "money":
                value = to_minor(value, row.get("Currency") or "USD")
            elif value is not None and col.kind in ("date", "datetime"):
                value = pd.Timestamp(value)
            values.append(value)
        columns[col.name] = typed_column(col.kind, values)
    frame = pd.DataFrame(columns)
    frame.index = pd.Index(range(2, 2 + len(rows)), name="row")
    return frame
