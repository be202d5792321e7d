"""Writing the demo world into a new master workbook."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from arxl.book.files import new_workbook, open_book, save_book
from arxl.core import chain
from arxl.demo.tables import DEMO_AS_OF, demo_tables

DEMO_USER = "arxl demo"  # who the demo's posted history is chained for


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
    return chain_history(new_workbook(path, rows=tables, settings=settings, overwrite=overwrite), as_of)


def chain_history(path: Path, as_of: dt.date = DEMO_AS_OF) -> Path:
    """The demo workbook at ``path`` with its ledgers' history chained as if arxl had posted it,
    so that a clerk's first run of the demo has nothing to report about the chain."""
    book = open_book(path)
    ledger = book.load()
    sealing = chain.prepare(ledger, DEMO_USER, dt.datetime.combine(as_of, dt.time()))
    sealing.problems.clear()  # "chained now": true of a clerk's old ledger, not of the demo's own history
    book.apply(sealing)
    save_book(book, backup=False)
    return path
