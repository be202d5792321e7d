"""What a workbook must offer arxl: raw tables of cell values. Three implementations exist:
``arxl.book.package_store.PackageStore`` (the headless door's default: the file's package,
edited where it changes), ``arxl.book.files.FileStore`` (openpyxl, ARXL_ENGINE=openpyxl) and
``arxl.excel.store.XlwingsStore`` (a live Excel Book). Every ground rule lives above this line,
in ``arxl.book.port.Workbook``, so a new store cannot bypass one."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from arxl.core.adopt import ColumnMapping
from arxl.core.report import Report


class BookError(Exception):
    """A problem with the workbook as a whole (not a workbook, open in Excel, missing table...).
    The message is written for a clerk."""


@dataclass
class RawTable:
    """A table as found: its sheet, the header row as written, and the data rows below it.

    ``first_row`` is the sheet row of ``rows[0]``; ``rows`` are lists of cell values (None for
    blank), each as long as ``headers``. ``problems`` describes what is wrong with the header row
    itself (merged header cells), for the port to report. ``below``: the sheet rows (first, last)
    right under an Excel table's last row that hold something in its columns, outside the table
    (typed where Excel did not extend the table: the port reports them, never reads them).
    """

    name: str
    sheet: str
    headers: list[str]
    first_row: int
    rows: list[list[Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    below: tuple[int, int] | None = None


def blank(value: object) -> bool:
    """Whether a cell holds nothing a clerk sees: empty, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def filled_below(rows: Iterable[Sequence[Any]], first: int) -> tuple[int, int] | None:
    """Of ``rows`` (the cells of a table's columns in sheet rows ``first`` on), the run that holds
    something, up to the first blank row: (first, last), or None."""
    last = None
    for row, cells in enumerate(rows, first):
        if all(map(blank, cells)):
            break
        last = row
    return None if last is None else (first, last)


class TableReader(Protocol):
    """Read access to the tables of one workbook (a UDF's ranges offer no more)."""

    def find(self, name: str) -> RawTable | None:
        """The table called ``name`` (``arxl.contract.locate_table``), with all its values;
        None if there is none."""


@runtime_checkable
class TableStore(TableReader, Protocol):
    """Cell-level access to the tables of one workbook. Column positions are 0-based offsets
    into ``RawTable.headers``; rows are sheet row numbers."""

    def create(self, name: str, headers: list[str], formats: list[str | None],
               widths: list[float]) -> RawTable:
        """A new, empty Excel table on a new sheet of that name, header row frozen."""

    def add_columns(self, name: str, headers: list[str], formats: list[str | None],
                    widths: list[float]) -> None:
        """Append columns at the right end of an existing table (for missing arxl columns)."""

    def write_column(self, name: str, offset: int, first_row: int, values: list[Any],
                     number_format: str | None, as_text: bool) -> None:
        """Write ``values`` down one column starting at ``first_row``. ``as_text``: store every
        string as a text cell, never a formula."""

    def resize(self, name: str, n_rows: int) -> None:
        """Make the table hold exactly ``n_rows`` data rows (rows beyond are cleared)."""

    def write_report(self, sheet: str, report: Report) -> None:
        """Replace a report sheet (the aging summary) with ``report``'s blocks and charts."""

    def step_written(self) -> None:
        """A command's changes are all written: a store may begin the save's work on what it
        holds now (the next command may still change it)."""


@runtime_checkable
class AdoptableStore(TableStore, Protocol):
    """A store arxl can set up in a workbook the clerk built (``arxl.book.adoption``).
    ``mapping`` is the accepted ColumnMap: where tables are (``arxl.contract.locate_table``; a
    sheet it names holding an Excel table at A1 is that table), and which are the clerk's own
    (arxl writes its [arxl] columns there and nothing else: no drop-downs, colours or print
    setup of its guidance)."""

    mapping: ColumnMapping

    def samples(self) -> list[RawTable]:
        """What every sheet holds: each Excel table, and each sheet without one as a plain list."""

    def forget(self, keep: tuple[str, ...] = ()) -> None:
        """Locate every table but ``keep`` afresh."""


@runtime_checkable
class UndoableStore(AdoptableStore, Protocol):
    """A workbook file's store, which ``arxl adopt --undo`` can take arxl out of."""

    def remove_sheet(self, title: str) -> bool:
        """Remove the sheet ``title`` with all it holds; False if there is none."""

    def remove_columns(self, name: str, offsets: list[int]) -> None:
        """Take the columns at ``offsets`` (the rightmost of the table, which arxl added) out of
        the table and the sheet: their cells, widths and table columns."""
