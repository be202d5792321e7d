"""Every command, in one explicit list: the CLI, the ribbon build, the buttons and the tests all
read it. The order is the order of `arxl refresh`: match before post; disputes before memos, so
that a credit a clerk decided on is made in the same refresh; the worklist last, after the aging
and the credit review it reads."""
from __future__ import annotations

from arxl.commands import (
    aging,
    close,
    collections,
    credit,
    disputes,
    importer,
    match,
    memos,
    post,
    reconcile,
    verify,
)
from arxl.commands.command import Command

COMMANDS: dict[str, Command] = {c.id: c for c in (
    match.COMMAND,
    post.COMMAND,
    disputes.COMMAND,
    memos.COMMAND,
    aging.COMMAND,
    credit.COMMAND,
    collections.COMMAND,
    importer.COMMAND,
    close.COMMAND,
    reconcile.COMMAND,
    verify.COMMAND,
)}

# The steps of `arxl refresh` and the Refresh all button, in order.
REFRESH: tuple[str, ...] = tuple(c.id for c in COMMANDS.values() if c.in_refresh)
