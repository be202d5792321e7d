"""``arxl verify``: check every ledger's chain (``arxl.core.chain``) and name each row changed,
inserted, deleted or moved since it was posted, the first one first. It posts nothing, so it runs
on a broken ledger too; the Chains table says where each ledger stands."""
from __future__ import annotations

from arxl.commands.command import Command, Context
from arxl.core import chain
from arxl.core.ledger import Ledger, Outcome, Step


def run(ledger: Ledger, ctx: Context) -> Step:
    ctx.progress("Checking the ledgers' chains", 0.1)
    states, problems = chain.verify(ledger)
    parts = []
    for state in states:
        rows = f"{state.rows:,} row(s)"
        if state.breaks:
            first = state.breaks[0]
            more = f" and {len(state.breaks) - 1} more break(s)" if len(state.breaks) > 1 else ""
            parts.append(f"{state.ledger}: {rows}, BROKEN: {first.kind.value.lower()} at {first.words}{more}")
        elif state.accepted:
            parts.append(f"{state.ledger}: {rows}, intact but for {len(state.accepted)} acknowledged break(s)")
        else:
            parts.append(f"{state.ledger}: {rows}, intact")
    broken = sum(1 for s in states if s.breaks)
    summary = "; ".join(parts) if parts else "The workbook has no ledger to check"
    return Step(Outcome(summary + ".", {"ledgers": len(states), "broken": broken,
                                        "breaks": sum(len(s.breaks) for s in states)}, failed=bool(broken)), problems)


COMMAND = Command("verify", "Verify ledgers", "ReviewProtectWorkbook",
                  "Check that no ledger row (Applications, Memos, Contacts...) was changed, inserted or deleted "
                  "since it was posted, and name the first that was", run, in_refresh=False)
