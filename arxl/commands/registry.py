"""Every command, in one explicit list: the CLI, the ribbon build, the buttons and the tests all
read it. The order is the order of `arxl refresh` (match before post, aging last); the commands
after them are not steps of refresh: import asks for files, and invoice, statements, dunning and
send make or send what customers receive, so they run only when asked for."""
from __future__ import annotations

from arxl.commands import adopt, aging, dunning, importer, invoice, match, memos, post, send, statements
from arxl.commands.command import Command

COMMANDS: dict[str, Command] = {c.id: c for c in (
    match.COMMAND,
    post.COMMAND,
    memos.COMMAND,
    aging.COMMAND,
    importer.COMMAND,
    invoice.COMMAND,
    statements.COMMAND,
    dunning.COMMAND,
    send.COMMAND,
    adopt.COMMAND,
)}

# The steps of `arxl refresh` and the Refresh all button, in order.
REFRESH: tuple[str, ...] = tuple(c.id for c in COMMANDS.values() if c.in_refresh)
