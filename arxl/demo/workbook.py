"""Writing the demo world into a new master workbook."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from arxl.book.files import new_workbook
from arxl.demo.tables import DEMO_AS_OF, demo_tables


def demo_rows(seed: int = 7, as_of: dt.date = DEMO_AS_OF, **sizes: int) -> tuple[dict[str, list[dict]], dict]:
    """The demo world as ``new_workbook`` takes it: the rows of each table, and the settings
    (``sizes``: customers, invoices, payments, as ``demo_tables`` takes them)."""
    tables = demo_tables(seed, as_of=as_of, **sizes)
    settings = {row["Setting"]: row["Value"] for row in tables.pop("Settings")}
    return tables, settings


def write_demo(path: str | os.PathLike, seed: int = 7, as_of: dt.date = DEMO_AS_OF,
               overwrite: bool = False, **sizes: int) -> Path:
    """A new master workbook at ``path`` holding the demo world."""
    tables, settings = demo_rows(seed, as_of, **sizes)
    return new_workbook(path, rows=tables, settings=settings, overwrite=overwrite)
