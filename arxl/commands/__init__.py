"""The commands: one function per command, one registry that every door reads.

A command is ``run(book: Workbook, ctx: RunContext) -> Outcome``: tables in through the
workbook port, changes and problems out through it. The CLI, the ribbon (``arxl.excel``) and
the tests all find commands here; the ribbon XML and the VBA dispatcher are generated from it.
"""
from arxl.commands.registry import COMMANDS, Command, Outcome, RunContext, command, load_commands, refresh_order

__all__ = ["COMMANDS", "Command", "Outcome", "RunContext", "command", "load_commands", "refresh_order"]
