"""Every command, in one explicit list: the CLI, the ribbon build, the buttons and the tests all
read it. The order is the order of `arxl refresh` (match before post, aging last)."""
from __future__ import annotations

from arxl.commands import adopt, aging, importer, match, memos, post
from arxl.commands.command import Command

COMMANDS: dict[str, Command] = {c.id: c for c in (
    match.COMMAND,
    post.COMMAND,
    memos.COMMAND,
    aging.COMMAND,
    importer.COMMAND,
    adopt.COMMAND,
)}

# The steps of `arxl refresh` and the Refresh all button, in order.
REFRESH: tuple[str, ...] = tuple(c.id for c in COMMANDS.values() if c.in_refresh)
