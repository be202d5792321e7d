"""The commands: one function per command, one registry that every door reads.

A command is ``run(book: Workbook, ctx: RunContext) -> Outcome``: tables in through the
workbook port, changes and problems out through it. The CLI, the ribbon (``arxl.excel``) and
the tests all find commands here; the ribbon XML and the VBA dispatcher are generated from it.
"""
from arxl.commands.registry import COMMANDS, REFRESH_ORDER, Command, Outcome, RunContext, command

__all__ = ["COMMANDS", "REFRESH_ORDER", "Command", "Outcome", "RunContext", "command"]
