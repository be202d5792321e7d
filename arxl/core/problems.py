"""Errors are data: every step returns its results and its problems, and the run goes on with
the sound rows. Problems end up, all together, in the workbook's Exceptions table."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located well enough for a clerk to go and fix it.

    ``sheet`` is the table (or file) the problem is in, ``row`` its sheet row (or file line),
    ``column`` the header as the contract names it.
    """

    sheet: str
    row: int | None
    column: str
    value: object
    problem: str
    hint: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        shown = "" if self.value in (None, "") else f" ({self.value!r})"
        return f"{where}: {self.problem}{shown}. {self.hint}"


class Problems(list[Problem]):
    """A list of Problem with a convenience adder."""

    def add(self, sheet: str, row: int | None, column: str, value: object, problem: str,
            hint: str) -> None:
        self.append(Problem(sheet, row, column, value, problem, hint))
