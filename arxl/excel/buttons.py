"""What happens when a clerk clicks a button on the AR tab.

The VBA dispatcher (generated into ``vba/arxl_buttons.bas``) runs
``RunPython("import arxl.excel.buttons as b; b.click('<id>')")``. ``click`` finds the workbook
that was clicked, runs the command(s) through the same runner as the CLI, shows progress in
Excel's status bar, applies the changes only once every command has run, and ends with one
message box a clerk can act on: the outcome, or what went wrong in plain words.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import xlwings as xw

from arxl.book import adoption
from arxl.book.port import Workbook
from arxl.commands.adopt import COMMAND as ADOPT
from arxl.commands.command import Context, FileKinds
from arxl.commands.registry import COMMANDS, REFRESH
from arxl.commands.runner import RunResult, run_commands
from arxl.excel.store import XlwingsStore

REFRESH_ALL = "refresh"  # the "Refresh all" button: every command of `arxl refresh`, in order
REFRESH_LABEL = "Refresh all"
TITLE = "arxl"
ERROR_LOG = Path(tempfile.gettempdir()) / "arxl-errors.log"


def file_filter(kinds: FileKinds) -> str:
    """Excel's Open dialog filter for a command's files: its kinds first, then every file (the
    importer recognises a file by its content; the extensions only narrow the dialog)."""
    return f"{kinds.description} ({kinds.pattern}),{kinds.pattern},All files (*.*),*.*"


def button_label(button_id: str) -> str:
    return REFRESH_LABEL if button_id == REFRESH_ALL else COMMANDS[button_id].label


class StatusBar:
    """``Context.progress`` for Excel: 'arxl - Match remittances: scoring payments (40%)'.
    Where Excel has no status bar for Python (xlwings Lite raises NotImplementedError), progress
    goes nowhere."""

    def __init__(self, app, label: str):
        self.app, self.label = app, label
        self.shown = True

    def __call__(self, message: str, fraction: float | None = None) -> None:
        if not self.shown:
            return
        share = f" ({fraction:.0%})" if fraction is not None else ""
        try:
            self.app.status_bar = f"{TITLE} - {self.label}: {message}{share}"
        except NotImplementedError:
            self.shown = False


@contextlib.contextmanager
def _busy(app):
    """Excel neither redraws nor recalculates while arxl writes (each write would otherwise
    recalculate every ARXL_ formula); both come back as they were, whatever happens. (An
    xlwings Lite client may not report the calculation mode: it is then left alone.)"""
    try:
        calculation = app.calculation
    except NotImplementedError:
        calculation = None
    app.screen_updating = False
    if calculation is not None:
        app.calculation = "manual"
    try:
        yield
    finally:
        if calculation is not None:
            app.calculation = calculation
        app.screen_updating = True
        with contextlib.suppress(NotImplementedError):
            app.status_bar = False


def _path(book) -> Path | None:
    """The workbook's file, for commands that write beside it (memo PDFs); None for a book
    never saved or one opened from SharePoint/OneDrive by URL."""
    path = Path(book.fullname)
    return path if path.is_absolute() and path.exists() else None


def summary(label: str, result: RunResult) -> str:
    commands = COMMANDS
    lines = [f"{label}: done." if result.ok else f"{label}: done, but not everything could run."]
    for cid, outcome in result.outcomes.items():
        lines.append(f"- {commands[cid].label}: {outcome.summary}")
    for cid, why in result.failures.items():
        lines.append(f"- {commands[cid].label} could not run: {why}")
    lines.append(f"{result.problems} problem(s) are listed on the Exceptions sheet, each with what to do."
                 if result.problems else "No problems found.")
    return "\n".join(lines)


def _ask_for_files(book, command) -> tuple[Path, ...]:
    """Excel's own Open dialog (several files at once); empty when the clerk cancels. It is
    reached through Excel's COM interface, which only Windows has."""
    if sys.platform != "win32":
        book.app.alert(f"{command.label} asks for files, which works from the ribbon in Excel for Windows "
                       f"only. On this computer run it in a terminal: arxl {command.id} \"{book.fullname}\" FILE...",
                       title=TITLE, mode="info")
        return ()
    chosen = book.app.api.GetOpenFilename(FileFilter=file_filter(command.file_kinds),
                                          Title=f"{TITLE}: choose the files for {command.label}",
                                          MultiSelect=True)
    if not chosen:
        return ()
    return tuple(Path(p) for p in (chosen if isinstance(chosen, list | tuple) else [chosen]))


Tell = Callable[[str, str, str], None]  # (message, title, mode: "info" or "critical")


def run_click(book, button_id: str, files: tuple[Path, ...] = (), now: dt.datetime | None = None,
              folder: Path | None = None, tell: Tell | None = None, error_log: Path | None = None) -> RunResult | None:
    """Run a button on ``book`` (an xlwings Book) and tell the clerk how it went (``tell``;
    default: Excel's message box). Documents go to ``folder`` (default: the workbook's own
    folder). Returns the run's result, or None when it did not run (unknown button, or the run
    failed and nothing was changed)."""
    app = book.app
    commands = COMMANDS
    error_log = error_log or ERROR_LOG
    if tell is None:
        def tell(message: str, title: str, mode: str) -> None:
            app.alert(message, title=title, mode=mode)
    if button_id != REFRESH_ALL and button_id not in commands:
        tell(f"This workbook has a button '{button_id}' that the installed arxl does not know. "
             f"Update arxl (pip install --upgrade arxl) or rebuild the workbook.", TITLE, "critical")
        return None
    label = button_label(button_id)
    ids = list(REFRESH) if button_id == REFRESH_ALL else [button_id]
    store = XlwingsStore(book)
    ctx = Context(progress=StatusBar(app, label), files=files, folder=folder)
    if now is not None:
        ctx.now = now
    notes: list[str] = []
    try:
        with _busy(app):
            port = Workbook(store, path=_path(book))
            if button_id == ADOPT.id:  # a first click proposes the ColumnMap, a second accepts it
                notes = adoption.accept(port) if port.has_table("ColumnMap") else []
                if not notes:
                    proposal = adoption.propose(port)
                    store.commit()
                    tell(f"{label}: found {proposal.where()}. The ColumnMap sheet shows where arxl will read each "
                         f"column and how sure it is. Correct it where it is wrong, then click {label} again to "
                         f"accept it.", TITLE, "info")
                    return RunResult()
            result = run_commands(port, ids, ctx)
            ctx.progress(f"writing {store.pending} change(s) to the workbook", 1.0)
            store.commit()
    except Exception as exc:  # noqa: BLE001 - the door's last line: a sentence for the clerk, the traceback for IT
        with error_log.open("a", encoding="utf-8") as log:
            log.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {label} on {book.name}\n{traceback.format_exc()}\n")
        state = ("The workbook was only partly updated: close it WITHOUT saving to get back the last saved "
                 "version, then try again." if store.applied else "Nothing in the workbook was changed.")
        tell(f"{label} could not finish: {exc}\n\n{state}\n\nThe technical details are in {error_log}; "
             f"send that file to whoever supports arxl.", f"{TITLE}: {label} failed", "critical")
        return None
    tell("\n".join([*(f"{label}: {note}." for note in notes), summary(label, result)]), TITLE,
         "info" if result.ok else "critical")
    return result


def click(button_id: str) -> None:
    """The entry point of every ribbon button (see vba/arxl_buttons.bas)."""
    book = xw.Book.caller()
    files: tuple[Path, ...] = ()
    command = COMMANDS.get(button_id)
    if command is not None and command.needs_files:
        files = _ask_for_files(book, command)
        if not files:
            return
    run_click(book, button_id, files)
