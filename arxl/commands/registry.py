"""Every command, in one explicit list: the CLI, the ribbon build, the buttons and the tests all
read it. The order is the order of `arxl refresh`: match before post; disputes before memos, so
that a credit a clerk decided on is made in the same refresh; the worklist last, after the aging
and the credit review it reads. The commands after them are not steps of refresh: import and
reconcile ask for files, invoice, statements, dunning and send make or send what customers
receive, and close and verify are asked for, so they run only when asked for."""
from __future__ import annotations

from arxl.commands import (
    adopt,
    aging,
    close,
    collections,
    credit,
    disputes,
    dunning,
    importer,
    invoice,
    match,
    memos,
    post,
    reconcile,
    send,
    statements,
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
    invoice.COMMAND,
    statements.COMMAND,
    dunning.COMMAND,
    send.COMMAND,
    close.COMMAND,
    reconcile.COMMAND,
    verify.COMMAND,
    adopt.COMMAND,
)}

# The steps of `arxl refresh` and the Refresh all button, in order.
REFRESH: tuple[str, ...] = tuple(c.id for c in COMMANDS.values() if c.in_refresh)
