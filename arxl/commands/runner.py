"""Run commands on one workbook, the same way for every door: each command in turn, every
problem gathered with the command that found it, and the Exceptions table rebuilt at the end.
A command that cannot run (a missing table, a missing column) is reported and the next one
still runs."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from arxl.book.port import Workbook
from arxl.book.store import BookError
from arxl.commands.registry import Outcome, RunContext, load_commands


@dataclass
class RunResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # command id -> why it could not run
    problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def _within(ctx: RunContext, step: int, steps: int):
    """A command reports progress through its own work (0 to 1); the door sees the whole run."""
    def progress(message: str, fraction: float | None = None) -> None:
        ctx.progress(message, None if fraction is None else (step + fraction) / steps)
    return progress


def run_commands(book: Workbook, ids: list[str], ctx: RunContext) -> RunResult:
    commands = load_commands()
    result = RunResult()
    entries = []
    for step, cid in enumerate(ids):
        seen = len(book.problems)
        ctx.progress(f"{commands[cid].label} ({step + 1} of {len(ids)})", step / len(ids))
        try:
            result.outcomes[cid] = commands[cid].run(book, replace(ctx, progress=_within(ctx, step, len(ids))))
        except BookError as exc:
            result.failures[cid] = str(exc)
            book.problems.add("", None, "", "", f"{commands[cid].label} could not run: {exc}",
                              "Fix the workbook as described, then run the command again.")
        entries.extend((cid, p) for p in book.problems[seen:])
    book.write_exceptions(entries, ctx.now)
    result.problems = len(entries)
    return result
