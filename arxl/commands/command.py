"""What a command is: an id and a button, and a step over the loaded ledger,
``run(ledger, ctx) -> Step`` (``arxl.core.ledger``). Commands read frames and return changes;
the runner applies them, so a command can be tested on frames alone."""
from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from arxl.core.ledger import Ledger, Step

Progress = Callable[[str, "float | None"], None]


class DocumentWriter(Protocol):
    """Puts the documents a step makes on disk, never over an existing file
    (``arxl.book.documents``)."""

    def write(self, target: Path, render: Callable[[Path], object]) -> None:
        """Render a document for ``target``; FileExistsError if that name is taken."""

    def withdraw(self, target: Path) -> None:
        """Take back a document of a step that was not recorded after all."""


def _quiet(message: str, fraction: float | None = None) -> None:
    """Progress goes nowhere unless a door listens."""


def current_user() -> str:
    """Who runs arxl: the computer's login name, which every ledger row posted in the run
    carries (PostedBy). Where the system has none to give (xlwings Lite), "unknown user"."""
    try:
        return getpass.getuser() or "unknown user"
    except Exception:  # noqa: BLE001 - getpass raises several kinds where there is no login
        return "unknown user"


@dataclass
class Context:
    """What a command may know about the run: when it is, who runs it, where progress goes, the
    files the door was given (to import, to reconcile), the workbook's folder, where documents
    are written (None for a workbook never saved: no documents then), the workbook's file name
    without its extension (its documents' own folder), how documents reach the disk (None: at
    once), and the command's own options (``Option``) as given."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    progress: Progress = _quiet
    files: tuple[Path, ...] = ()
    folder: Path | None = None
    user: str = field(default_factory=current_user)
    workbook: str = ""
    documents: DocumentWriter | None = None
    options: Mapping[str, object] = field(default_factory=dict)  # a command's own Options, by dest


@dataclass(frozen=True)
class Option:
    """An option a command takes beyond the workbook (the command line offers it; the buttons
    run the command with none, so every option has a default the command states)."""

    flag: str  # "--from"
    dest: str  # its key in Context.options
    help: str
    kind: str = "date"  # "date", "ids" (one or more IDs), "choice" or "flag" (a switch, off unless given)
    choices: tuple[str, ...] = ()
    metavar: str = ""


@dataclass(frozen=True)
class FileKinds:
    """The files a command asks for: what they are called in a dialog, their usual extensions,
    and the folder under xlwings Lite's own where the Lite door looks for them ("": its top)."""

    description: str
    extensions: tuple[str, ...]
    lite_folder: str = ""

    @property
    def pattern(self) -> str:
        return ";".join(f"*.{e}" for e in self.extensions)


BANK_FILES = FileKinds("Bank and remittance files",
                       ("xml", "bai", "bai2", "sta", "940", "mt940", "edi", "820", "x12", "ach", "lbx", "csv", "txt"))


@dataclass(frozen=True)
class Command:
    id: str  # the CLI subcommand and the ribbon button's id
    label: str  # the ribbon button's caption
    icon: str  # an Office imageMso name
    tooltip: str  # the button's tip and the subcommand's help
    run: Callable[[Ledger, Context], Step]
    in_refresh: bool = True  # one of the steps of `arxl refresh` / Refresh all
    needs_files: bool = False  # asks for files (import, reconcile)
    file_kinds: FileKinds = BANK_FILES  # which files, when it asks for them
    options: tuple[Option, ...] = ()
    drafts_mail: bool = False  # makes e-mail drafts: the command line offers --send
