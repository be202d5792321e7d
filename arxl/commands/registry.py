"""The registry of commands. Each command module registers itself with ``@command(...)``;
``load_commands`` imports the modules named in ``COMMAND_MODULES`` so every door sees all of them."""
from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from arxl.book.port import Workbook


def _quiet(message: str, fraction: float | None = None) -> None:
    """Progress goes nowhere unless a door listens."""


@dataclass
class RunContext:
    """What a command may know about the run: when it is, where progress goes, and the
    options of the door that started it (files to import, for example)."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    progress: Callable[[str, float | None], None] = _quiet
    files: tuple[Path, ...] = ()


@dataclass
class Outcome:
    """What a command tells the clerk: one sentence, and counts for the summaries."""

    summary: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    id: str  # the CLI subcommand and the ribbon button's id
    label: str  # the ribbon button's caption
    icon: str  # an Office imageMso name
    tooltip: str
    run: Callable[[Workbook, RunContext], Outcome]
    refresh_order: int | None = None  # position in `arxl refresh`; None = not part of it
    needs_files: bool = False  # asks for files (import)


COMMANDS: dict[str, Command] = {}

# Modules that define commands; each registers itself when imported.
COMMAND_MODULES = (
    "arxl.commands.match",
    "arxl.commands.post",
    "arxl.commands.memos",
    "arxl.commands.aging",
    "arxl.commands.importer",
)


def command(id: str, label: str, icon: str, tooltip: str, refresh_order: int | None = None,
            needs_files: bool = False):
    def register(run: Callable[[Workbook, RunContext], Outcome]):
        COMMANDS[id] = Command(id, label, icon, tooltip, run, refresh_order, needs_files)
        return run
    return register


def load_commands() -> dict[str, Command]:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    return COMMANDS


def refresh_order() -> list[str]:
    cmds = load_commands()
    return [c.id for c in sorted(cmds.values(), key=lambda c: c.refresh_order or 0)
            if c.refresh_order is not None]

