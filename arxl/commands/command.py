"""What a command is: an id and a button, and a step over the loaded ledger,
``run(ledger, ctx) -> Step`` (``arxl.core.ledger``). Commands read frames and return changes;
the runner applies them, so a command can be tested on frames alone."""
from __future__ import annotations

import datetime as dt
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


@dataclass
class Context:
    """What a command may know about the run: when it is, where progress goes, the files the
    door was given (to import), the workbook's folder, where documents are written (None for a
    workbook never saved: no documents then), the workbook's file name without its extension
    (its documents' own folder), and how documents reach the disk (None: at once)."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    progress: Progress = _quiet
    files: tuple[Path, ...] = ()
    folder: Path | None = None
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
    kind: str = "date"  # "date", "ids" (one or more IDs) or "choice"
    choices: tuple[str, ...] = ()
    metavar: str = ""


@dataclass(frozen=True)
class Command:
    id: str  # the CLI subcommand and the ribbon button's id
    label: str  # the ribbon button's caption
    icon: str  # an Office imageMso name
    tooltip: str  # the button's tip and the subcommand's help
    run: Callable[[Ledger, Context], Step]
    in_refresh: bool = True  # one of the steps of `arxl refresh` / Refresh all
    needs_files: bool = False  # asks for files (import)
    options: tuple[Option, ...] = ()
    drafts_mail: bool = False  # makes e-mail drafts: the command line offers --send
