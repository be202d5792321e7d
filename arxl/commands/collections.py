"""``arxl collections``: whom to call today. Checks every promise of the Contacts ledger against
the cash posted (the Promises table) and rebuilds the Collections worklist: one row per customer
and currency with anything overdue, its priority and the reasons for it in words. See
``arxl.core.collections``."""
from __future__ import annotations

from collections import Counter

import pandas as pd

from arxl.commands.command import Command, Context
from arxl.contract import PromiseStatus
from arxl.core.collections import check_promises, worklist
from arxl.core.credit import exposure_of
from arxl.core.dunning import read_levels
from arxl.core.ledger import Ledger, Outcome, Step


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    as_of = settings.as_of
    ctx.progress("Checking promises", 0.1)
    promises, problems = check_promises(ledger, as_of)
    step = Step(Outcome(""), problems).rebuild("Promises", promises)
    ctx.progress("Ranking customers", 0.4)
    levels = None
    if "DunningLevels" in ledger.tables:  # the levels reached: those reminder letters would send (none unreadable)
        levels, level_problems = read_levels(ledger.table("DunningLevels"), settings.base_currency)
        step.problems.extend(level_problems)
    exposure = exposure_of(ledger, as_of)["Exposure"]
    table = worklist(ledger, as_of, promises, ledger.table("Disputes", required=False), levels, exposure)
    step.rebuild("Collections", table)
    today = int((table["NextAction"] <= pd.Timestamp(as_of)).sum())
    states = Counter(promises["Status"])
    step.outcome = Outcome(
        f"{len(table)} customer line(s) with something overdue: {today} to act on today, {len(table) - today} "
        f"waiting on a promise or a follow-up; promises: {states[PromiseStatus.KEPT]} kept, "
        f"{states[PromiseStatus.PARTLY_KEPT]} partly kept, {states[PromiseStatus.BROKEN]} broken, "
        f"{states[PromiseStatus.OPEN]} open.",
        {"lines": len(table), "today": today, "kept": states[PromiseStatus.KEPT],
         "partly_kept": states[PromiseStatus.PARTLY_KEPT], "broken": states[PromiseStatus.BROKEN],
         "open": states[PromiseStatus.OPEN]})
    return step


COMMAND = Command("collections", "Collections", "PhoneCallOut",
                  "Check promises against the cash posted and rebuild the Collections worklist: whom to call "
                  "today, in priority order, with the reasons", run)
