"""Run commands on one workbook, the same way for every door: the ledger is loaded once, each
command's step is applied to the workbook and to the ledger before the next one runs, and the
Exceptions table gets every problem with the command that found it (``read`` for what loading
found). A command that cannot run is reported and the next one still runs."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from arxl.book.documents import Documents
from arxl.book.port import Workbook
from arxl.book.store import BookError
from arxl.commands.command import Context, DocumentWriter, Progress
from arxl.commands.registry import COMMANDS
from arxl.contract import COLUMN_MAP, READ_COMMAND
from arxl.core import chain
from arxl.core.ledger import CannotRun, Ledger, Outcome, Step
from arxl.core.money import kept_decimals
from arxl.core.problems import Problem
from arxl.forking import left_out_of_collections


@dataclass
class RunResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # command id -> why it could not run
    problems: int = 0

    @property
    def ok(self) -> bool:
        """Every command ran, and none failed at what it was asked or found what it exists to find
        (a broken ledger chain)."""
        return not self.failures and not any(o.failed for o in self.outcomes.values())


def _within(ctx: Context, step: int, steps: int) -> Progress:
    """A command reports progress through its own work (0 to 1); the door sees the whole run."""
    def progress(message: str, fraction: float | None = None) -> None:
        ctx.progress(message, None if fraction is None else (step + fraction) / steps)
    return progress


def _write_documents(step: Step, ctx: Context, writer: DocumentWriter) -> list[Path]:
    """Every document of ``step`` (none written over an existing file); on failure the ones
    already written are taken back, so nothing of the command is left."""
    written: list[Path] = []
    try:
        for document in step.documents:
            if ctx.folder is None:
                raise CannotRun("the workbook has no folder to write documents in; save it first")
            target = ctx.folder / document.path
            try:
                writer.write(target, document.write)
            except FileExistsError as exc:
                raise CannotRun(
                    f"{document.path} exists already, but the workbook does not record it (was the workbook "
                    f"closed without saving after it was made?). arxl never writes over a document: move that "
                    f"file elsewhere (keep it if it was sent) and run again. Nothing of this command was "
                    f"recorded.") from exc
            except OSError as exc:
                raise CannotRun(f"the document {document.path} could not be written ({exc.strerror or exc}). "
                                f"Check that its folder can be written to and has room; nothing of this "
                                f"command was recorded.") from exc
            written.append(target)
    except CannotRun:
        _withdraw(writer, written)
        raise
    return written


def _withdraw(writer: DocumentWriter, written: list[Path]) -> None:
    for target in written:
        writer.withdraw(target)


def run_commands(book: Workbook, ids: list[str], ctx: Context) -> RunResult:
    """Load, seal what waits for its chain, run each command (each step's ledger rows chained,
    or refused onto a broken chain), record each ledger's last row in Chains, write Exceptions."""
    if ctx.folder is None and book.path is not None:
        ctx = replace(ctx, folder=book.path.resolve().parent)
    if not ctx.workbook and book.path is not None:
        ctx = replace(ctx, workbook=book.path.stem)
    with left_out_of_collections():  # what each step leaves is walked by no collection again
        ledger = book.load()
        with kept_decimals(ledger.decimals):  # amounts in the decimals the workbook keeps them in
            return _run(book, ledger, ids, ctx)


def _run(book: Workbook, ledger: Ledger, ids: list[str], ctx: Context) -> RunResult:
    writer = ctx.documents or Documents()
    result = RunResult()
    if not set(ledger.tables) - {COLUMN_MAP.name} and not ledger.unusable:
        # a workbook the clerk built: writing Exceptions into it would change it for nothing
        raise BookError("This workbook holds none of arxl's tables (Invoices, Customers, Payments...), or its "
                        "ColumnMap is not accepted yet. To work in a workbook you built, run arxl adopt on it "
                        "(in Excel: Set up arxl here): arxl finds your sheets and headers and asks you to "
                        "confirm them. Nothing was changed.")
    entries = [(READ_COMMAND, p) for p in ledger.problems]
    prepared = chain.prepare(ledger, ctx.user, ctx.now)
    book.apply(prepared)
    ledger.apply(prepared)
    entries.extend((READ_COMMAND, p) for p in prepared.problems)
    for number, cid in enumerate(ids):
        command = COMMANDS[cid]
        ctx.progress(f"{command.label} ({number + 1} of {len(ids)})", number / len(ids))
        with left_out_of_collections():  # what the load and the steps before left: walked no more
            try:
                step = command.run(ledger, replace(ctx, progress=_within(ctx, number, len(ids))))
                chain.seal(step, ledger, ctx.user)
                written = _write_documents(step, ctx, writer)
                try:
                    book.apply(step)
                except BaseException:
                    _withdraw(writer, written)
                    raise
            except (CannotRun, BookError) as exc:
                result.failures[cid] = str(exc)
                entries.append((cid, Problem("", None, "", "", f"{command.label} could not run: {exc}",
                                             "Fix the workbook as described, then run the command again.")))
                continue
            ledger.apply(step)
            result.outcomes[cid] = step.outcome
            entries.extend((cid, p) for p in step.problems)
    if chain.ledger_names(ledger):
        book.apply(Step(Outcome("")).rebuild("Chains", chain.heads(ledger, ctx.now)))
    book.write_exceptions(entries, list(ids), ctx.now, ledger.sheets)
    result.problems = len(entries)
    return result
