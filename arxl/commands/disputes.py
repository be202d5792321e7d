"""``arxl disputes``: rebuild the Disputes table (every disputed invoice and short pay, with the
clerk's columns carried over) and make each resolution the clerk typed, once: a credit or rebill
as MemoRequests rows (Make memos makes the memos), a write-off as an Applications row. See
``arxl.core.disputes``."""
from __future__ import annotations

import pandas as pd

from arxl.commands.command import Command, Context
from arxl.contract import DisputeStatus
from arxl.core.balances import compute_balances
from arxl.core.disputes import deduction_kpis, resolve_disputes
from arxl.core.ledger import Ledger, Outcome, Step, run_stamp
from arxl.core.money import format_amount


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    ledger.require_readable("Disputes", "No dispute is listed or resolved", "nothing you typed in Disputes is lost")
    ctx.progress("Listing disputes and short pays", 0.1)
    result = resolve_disputes(ledger, settings.as_of, run_stamp(settings.as_of, ctx.now))
    step = Step(Outcome(""), result.problems)
    step.rebuild("Disputes", result.table)
    step.append("MemoRequests", result.requests)
    if len(result.write_offs):
        step.append("Applications", result.write_offs)
        # the write-offs change what the invoices owe: the same computation posting writes
        applications = pd.concat([ledger.table("Applications", required=False), result.write_offs],
                                 ignore_index=True)
        refreshed, _ = compute_balances(ledger.table("Invoices"), applications,
                                        ledger.table("Memos", required=False), ledger.table("Payments", required=False))
        step.update("Invoices", refreshed.invoices)
    table = result.table
    still = table.loc[table["Status"] == DisputeStatus.OPEN]
    totals = still["OpenAmount"].astype("int64").groupby(still["Currency"]).sum()
    kpis = deduction_kpis(ledger, table, settings.as_of, settings.kpi_period_days)
    ddo = "; ".join(f"{k.open_count} open deduction(s) of {format_amount(k.open_amount, c)}"
                    + (f", {k.days_outstanding:.0f} days deductions outstanding" if k.days_outstanding is not None
                       else "") for c, k in kpis.items())
    made = (f"made {len(result.requests)} memo request(s) and {len(result.write_offs)} write-off(s)"
            if len(result.requests) or len(result.write_offs) else "nothing to make")
    step.outcome = Outcome(
        f"{len(still)} open dispute(s) ({'; '.join(format_amount(int(v), c) for c, v in totals.items()) or 'none'}); "
        f"{made}" + (f"; {ddo}" if ddo else "") + ".",
        {"open": len(still), "requests": len(result.requests), "write_offs": len(result.write_offs)})
    return step


COMMAND = Command("disputes", "Disputes", "ReviewNewComment",
                  "List every disputed invoice and short pay with its owner and status, and make each resolution "
                  "typed in Disputes once (a credit or rebill request, or a write-off)", run)
