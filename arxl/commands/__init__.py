"""The commands: one step per command over the loaded ledger, one registry every door reads.

A command is ``run(ledger: Ledger, ctx: Context) -> Step`` (``arxl.commands.command``): typed
frames in, changes and problems out; ``arxl.commands.runner`` applies the steps. The CLI, the
ribbon (``arxl.excel``) and the tests all find commands in ``arxl.commands.registry``; the
ribbon XML and the VBA dispatcher are generated from it.
"""
