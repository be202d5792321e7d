"""What a command is: an id and a button, and a step over the loaded ledger,
``run(ledger, ctx) -> Step`` (``arxl.core.ledger``). Commands read frames and return changes;
the runner applies them, so a command can be tested on frames alone."""
from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from arxl.core.ledger import Ledger, Step

Progress = Callable[[str, "float | None"], None]


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
    are written (None for a workbook never saved: no documents then), and a period (``start``
    to ``end``, both counted; None: the command's default) with ``per_customer`` for the close."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    progress: Progress = _quiet
    files: tuple[Path, ...] = ()
    folder: Path | None = None
    user: str = field(default_factory=current_user)
    start: dt.date | None = None
    end: dt.date | None = None
    per_customer: bool = False


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
    takes_period: bool = False  # the command line offers --from, --to and --per-customer (close)
