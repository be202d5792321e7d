"""The workbook as one run sees it, and what a command changes in it.

A ``Ledger`` is loaded once per run (``arxl.book.port.Workbook.load``): every table of the
contract the workbook holds, as typed frames indexed by sheet row, the settings, and what reading
found wrong. A command is a step over it, ``run(ledger, ctx) -> Step``: it reads frames and
balances, and returns a ``Step`` holding the changes (columns to write, rows to append, tables
to rebuild, report sheets, documents), its problems and its outcome, changing nothing itself.
The runner applies each step to the ledger before the next command runs (so ``post`` sees the
Matches that ``match`` just made) and to the workbook store.

Nothing here knows of Excel or files: a ledger can be built from frames in a test.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import pandas as pd

from arxl.contract import AGING_SUMMARY, CHAIN_NAMES, Kind, Owner, Role, TableSpec, spec
from arxl.core.balances import Balances, compute_balances, read_from
from arxl.core.frames import empty_frame, table_frame, typed_column
from arxl.core.problems import Problem, Problems
from arxl.core.report import Report
from arxl.core.settings import Settings


class CannotRun(Exception):
    """A command cannot run on this workbook (a missing table, an unreadable ledger). The
    message is written for a clerk; the run goes on with the next command."""


@dataclass
class Outcome:
    """What a command tells the clerk: one sentence, and counts for the summaries. ``failed``:
    the command could do none of what it was asked (an import that read no file), or found what
    it exists to find (a broken ledger chain, a roll-forward that does not tie), so a script
    running it sees a failure (a non-zero exit code) though the workbook was saved."""

    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    failed: bool = False


@dataclass(frozen=True)
class Update:
    """arxl's columns of an input table, for the rows in ``frame`` (indexed by sheet row).
    ``fill_blank`` names clerk columns arxl may fill where the clerk left the cell blank."""

    table: str
    frame: pd.DataFrame
    fill_blank: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A file a step makes beside the workbook: ``path`` relative to the workbook's folder,
    ``write`` renders it to the absolute path it is given."""

    path: PurePosixPath
    write: Callable[[Any], None]


@dataclass
class Step:
    """What one command changes and found; applied by the runner, never by the command."""

    outcome: Outcome
    problems: Problems = field(default_factory=Problems)
    updates: list[Update] = field(default_factory=list)
    appends: dict[str, pd.DataFrame] = field(default_factory=dict)
    rebuilds: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)

    def update(self, table: str, frame: pd.DataFrame, fill_blank: tuple[str, ...] = ()) -> Step:
        if len(frame):
            self.updates.append(Update(table, frame, fill_blank))
        return self

    def append(self, table: str, frame: pd.DataFrame) -> Step:
        if len(frame):
            previous = self.appends.get(table)
            self.appends[table] = frame if previous is None else pd.concat([previous, frame], ignore_index=True)
        return self

    def rebuild(self, table: str, frame: pd.DataFrame) -> Step:
        self.rebuilds[table] = frame
        return self

    def report(self, problems: list[Problem]) -> Step:
        self.problems.extend(problems)
        return self


@dataclass
class Ledger:
    """The typed tables of one workbook for one run.

    ``tables``: a frame per table present, indexed by sheet row (rows that could not be read are
    left out and named in ``unread``). ``first_rows``/``next_rows``: the sheet row of a table's
    first data row and of the row an append would write. ``all_ids``: every value of a table's
    ID column, unread rows included, so nothing is numbered or imported twice. ``sheets``: the
    sheet each table is on (for problems). ``unusable``: tables present but not readable as a
    whole (a required column missing), with the reason. ``problems``: what reading found.
    ``clerks``: the tables read from sheets the clerk built, through an accepted ColumnMap.
    ``decimals``: the currencies the workbook keeps with other decimals than ISO 4217's, as
    its amounts were read (a run works within them: ``arxl.core.money.kept_decimals``)."""

    settings: Settings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    unread: dict[str, set[int]] = field(default_factory=dict)
    all_ids: dict[str, set[str]] = field(default_factory=dict)
    first_rows: dict[str, int] = field(default_factory=dict)
    next_rows: dict[str, int] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)
    unusable: dict[str, str] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    clerks: set[str] = field(default_factory=set)  # tables read from the clerk's own sheets (arxl adopt)
    decimals: dict[str, int] = field(default_factory=dict)
    _balances: dict[dt.date | None, tuple[Balances, Problems]] = field(default_factory=dict, repr=False)
    chain_cache: dict[str, object] = field(default_factory=dict, repr=False)  # arxl.core.chain's, per ledger
    # what core modules work out from the balance tables, customers and requests (an Aging or
    # the credit exposures as of a date), per key; cleared when one of them changes
    derived: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False)

    # ---- reading ----------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.tables or name in self.unusable

    def table(self, name: str, required: bool = True) -> pd.DataFrame:
        """The table's typed frame (do not change it: steps return changes instead). A missing
        table is an empty frame, or ``CannotRun`` when the command needs it."""
        frame = self.tables.get(name)
        if frame is not None:
            return frame
        if name in self.unusable:
            raise CannotRun(self.unusable[name])
        if required:
            raise CannotRun(f"The workbook has no {name} table (an Excel table named {name}, or a sheet "
                            f"named {name} with headers in row 1). Run 'arxl new' to see the expected layout, "
                            f"or 'arxl adopt' to work in a workbook you built.")
        return empty_frame(spec(name))

    def sheet(self, name: str) -> str:
        return self.sheets.get(name, name)

    def require_readable(self, name: str, nothing: str, so_that: str) -> None:
        """``CannotRun`` while the ledger (or table) ``name`` has rows arxl cannot read: a step
        that numbers or posts from it could do twice what those rows record, and one that rebuilds
        a table the clerk types in would drop what they typed. ``nothing``: what is not done ("No
        memo is made"); ``so_that``: what waiting keeps from happening."""
        if self.unread.get(name):
            rows = ", ".join(str(r) for r in sorted(self.unread[name]))
            noun = "ledger" if spec(name).role == Role.LEDGER else "table"
            raise CannotRun(f"The {name} {noun} has rows arxl cannot read (row {rows}; see Exceptions). "
                            f"{nothing} until they are fixed, so that {so_that}.")

    def ids(self, name: str) -> set[str]:
        """Every ID in the table's ID column, rows that could not be read included."""
        return self.all_ids.get(name, set())

    def unread_ids(self, name: str) -> set[str]:
        """The IDs of the table's rows that could not be read this run (a row whose cell was
        mistyped, IDs typed twice): rows that are there, though not in ``table``."""
        column = spec(name).id_column
        frame = self.tables.get(name)
        read = set(frame[column]) if frame is not None and column is not None else set()
        return self.ids(name) - read

    def balances(self, as_of: dt.date | None = None) -> tuple[Balances, Problems]:
        """Balances of every invoice and the other open items (``arxl.core.balances``): as the
        ledgers stand (``as_of`` None), or as of a date. Computed once per run and date."""
        if as_of not in self._balances:
            unread = {i: self.sheet(name) for name in ("Memos", "Invoices") for i in self.unread_ids(name)}
            self._balances[as_of] = compute_balances(
                self.table("Invoices"), self.table("Applications", required=False),
                self.table("Memos", required=False), self.table("Payments", required=False), as_of=as_of,
                unread=unread)
        return self._balances[as_of]

    def after(self, step: Step) -> Ledger:
        """The ledger as it will be once ``step`` is applied, leaving this one as it is (a
        command that needs to see its own changes: a reminder's statement showing its fee)."""
        copy = dataclasses.replace(self, tables=dict(self.tables), all_ids={k: set(v) for k, v in self.all_ids.items()},
                                   next_rows=dict(self.next_rows), _balances={}, chain_cache={}, derived={})
        updated = {update.table for update in step.updates}  # updated in place; appends make new frames
        copy.tables = {name: frame.copy() if name in updated else frame for name, frame in copy.tables.items()}
        copy.apply(step)
        return copy

    # ---- applying a step --------------------------------------------------------------------
    def apply(self, step: Step) -> None:
        """Bring the frames up to date with ``step``, as a fresh read of the saved workbook
        would give them (appends before updates, as the workbook port writes them)."""
        touched = set()
        balances_read = False  # whether a write changed what balances are computed from
        for name, rows in step.appends.items():
            start = self.next_rows.get(name, self.first_rows.get(name, 2))
            index = pd.Index(range(start, start + len(rows)), dtype="int64", name="row")
            # the rows as a read would give them: every column of the table, blank where not given
            added = table_frame(spec(name), {c: rows[c] for c in rows.columns}, index=index)
            current = self.tables.get(name)
            for extra in [] if current is None else [c for c in current.columns if c not in added]:
                added[extra] = typed_column(Kind.ID, [None] * len(added), index=index)
            self.tables[name] = added if current is None or current.empty else pd.concat([current, added])
            self.next_rows[name] = start + len(rows)
            key = spec(name).id_column
            if key:
                self.all_ids.setdefault(name, set()).update(v for v in rows[key] if v)
            touched.add(name)
            balances_read |= read_from(name)
        for update in step.updates:
            frame = self.tables[update.table]
            for column in update.frame.columns:
                values = update.frame[column]
                if column not in frame:
                    frame[column] = pd.Series([pd.NA] * len(frame), index=frame.index).astype(values.dtype)
                rows = values.index.intersection(frame.index)
                if column in update.fill_blank:
                    current = frame.loc[rows, column]
                    blank = current.isna() | (current.astype(object) == "")
                    rows = rows[blank.to_numpy(dtype=bool)]
                frame.loc[rows, column] = values.loc[rows]
                if column == spec(update.table).id_column:  # blank IDs numbered: taken from now on
                    self.all_ids.setdefault(update.table, set()).update(v for v in values.loc[rows] if v)
            touched.add(update.table)
            balances_read |= read_from(update.table, update.frame.columns)
        for name, rows in step.rebuilds.items():
            first = self.first_rows.get(name, 2)
            rebuilt = rows.copy()
            rebuilt.index = pd.Index(range(first, first + len(rows)), dtype="int64", name="row")
            self.tables[name] = rebuilt
            self.next_rows[name] = first + len(rows)
            touched.add(name)
            balances_read |= read_from(name)
        if balances_read:
            self._balances.clear()
        # what is worked out from balances, customers and requests not invoiced yet (the aging,
        # credit exposures)
        if balances_read or touched & {"Customers", "InvoiceRequests", "InvoiceLines"}:
            self.derived.clear()
        if touched & {"Chains", "ChainAcknowledgements"}:
            self.chain_cache.clear()
        for name in touched:
            self.chain_cache.pop(name, None)


def run_stamp(as_of: dt.date, now: dt.datetime) -> dt.datetime:
    """When a run's ledger rows happen: on the run's date (Settings AsOfDate, or the door's
    --as-of), at the time of day the run was started. One date per run: the memos, postings
    and reversals of a run dated 2026-11-20 count in an aging as of that day, whenever the clerk
    ran it."""
    return dt.datetime.combine(as_of, now.time())


def check_step(step: Step) -> None:
    """A command's changes keep the ground rules: it updates only arxl's columns of input tables
    (and blank cells it may fill) and the blank chain of ledger rows, appends only to ledgers and
    input tables, and rebuilds only output tables. A violation is a bug in the command, caught
    before anything is written."""
    for update in step.updates:
        table = spec(update.table)
        if table.role == Role.LEDGER:
            # the one change a ledger row takes: its chain, filled in where blank (arxl.core.chain)
            if any(c not in CHAIN_NAMES or c not in update.fill_blank for c in update.frame.columns):
                raise PermissionError(f"{table.name} is a ledger: arxl only fills in the chain of rows that lack one")
            continue
        if table.role != Role.INPUT:
            raise PermissionError(f"{table.name} is not an input table; arxl rebuilds or appends to it")
        for column in update.frame.columns:
            if table.column(column).owner != Owner.ARXL and column not in update.fill_blank:
                raise PermissionError(f"{table.name}.{column} belongs to the clerk; arxl never rewrites it")
    for name, rows in step.appends.items():
        table = spec(name)
        if table.role == Role.OUTPUT:
            raise PermissionError(f"{name} is rebuilt, not appended to")
        if table.role == Role.INPUT and any(table.column(c).owner == Owner.ARXL for c in rows.columns):
            raise PermissionError(f"{name}'s arxl columns are filled by a run, not by an append")
    for name in step.rebuilds:
        if spec(name).role != Role.OUTPUT:
            raise PermissionError(f"{name} is not rebuilt by arxl")
    for sheet in step.reports:
        if sheet != AGING_SUMMARY:
            raise PermissionError(f"{sheet} is not a report sheet of arxl's")


def ledger_from_frames(settings: Settings, **tables: pd.DataFrame) -> Ledger:
    """A ledger from typed frames (tests, and a UDF's tables), each indexed by sheet row."""
    ledger = Ledger(settings=settings)
    for name, frame in tables.items():
        table: TableSpec = spec(name)
        ledger.tables[name] = frame
        ledger.first_rows[name] = int(frame.index.min()) if len(frame) else 2
        ledger.next_rows[name] = int(frame.index.max()) + 1 if len(frame) else 2
        if table.id_column and table.id_column in frame:
            ledger.all_ids[name] = {v for v in frame[table.id_column] if v}
    return ledger
