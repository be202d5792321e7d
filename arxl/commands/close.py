"""``arxl close BOOK --from DATE --to DATE``: the month-end pack. Rebuilds the Rollforward table
(per currency, and per customer with --per-customer) and the Allowance table, reports any
roll-forward that does not tie to the Aging, and writes one printable PDF with the summary, the
roll-forward and the allowance into Settings ReportFolder. Without a period (the buttons): the
last whole month on or before AsOfDate. See ``arxl.core.rollforward``."""
from __future__ import annotations

import datetime as dt
from typing import Any

from arxl.commands.command import Command, Context, Option
from arxl.commands.documents import NO_DOCUMENT, company, document_folder
from arxl.core.disputes import deduction_kpis, resolve_disputes
from arxl.core.ledger import CannotRun, Document, Ledger, Outcome, Step
from arxl.core.money import format_amount
from arxl.core.rollforward import allowance_total, default_period, ledger_allowance, rollforward
from arxl.documents.close_pdf import ClosePack, write_close_pdf


def _date(given: object) -> dt.date | None:
    return given if isinstance(given, dt.date) else None


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    start, end = default_period(settings.as_of)
    start = _date(ctx.options.get("start")) or start
    end = _date(ctx.options.get("end")) or end
    if end < start:
        raise CannotRun(f"the period ends ({end}) before it starts ({start}): give --from before --to")
    ctx.progress(f"Rolling forward {start} to {end}", 0.1)
    rf = rollforward(ledger, start, end, bool(ctx.options.get("per_customer")))
    ctx.progress("Allowance and key figures", 0.6)
    allowance, problems = ledger_allowance(ledger, rf.closing, end)
    disputes = resolve_disputes(ledger, end, ctx.now).table  # read only: nothing it would make is kept
    deductions = deduction_kpis(ledger, disputes, end, settings.kpi_period_days)
    step = Step(Outcome(""), problems)
    step.report(rf.problems)
    step.rebuild("Rollforward", rf.table)
    step.rebuild("Allowance", allowance)
    pack = ClosePack(company(settings), rf, allowance, deductions, ctx.now, ctx.user, settings.base_currency)
    # a period may be closed again (after a late posting): each pack names when it was prepared,
    # and one prepared again within the same second gets the next number
    folder = document_folder(settings.report_folder, "ReportFolder", "Reports", ctx.workbook or "book")
    stem = f"close-{start.isoformat()}_{end.isoformat()}-prepared-{ctx.now:%Y%m%d-%H%M%S}"
    path, again = folder / f"{stem}.pdf", 1
    while ctx.folder is not None and (ctx.folder / path).exists():
        again += 1
        path = folder / f"{stem}-{again}.pdf"

    def write(target: Any) -> None:
        write_close_pdf(target, pack)
    if ctx.folder is not None:
        step.documents.append(Document(path, write))
    parts = []
    for _, r in rf.currencies.iterrows():
        currency = r["Currency"]
        parts.append(f"{currency} {format_amount(r['Opening'], currency, code=False)} to "
                     f"{format_amount(r['Closing'], currency, code=False)}, difference "
                     f"{format_amount(r['Difference'], currency, code=False)}, allowance "
                     f"{format_amount(allowance_total(allowance, currency), currency, code=False)}")
    tied = all(int(d) == 0 for d in rf.currencies["Difference"])
    where = f"; pack {path}" if ctx.folder is not None else f"; {NO_DOCUMENT}"
    step.outcome = Outcome(f"Rolled forward {start} to {end}: " + ("; ".join(parts) or "nothing open") + where + ".",
                           {"currencies": len(parts), "tied": int(tied)}, failed=not tied)
    return step


COMMAND = Command("close", "Month-end close", "AccountingFormat",
                  "Roll receivables forward over a period (default: the last whole month), tie them to the Aging, "
                  "compute the allowance and key figures, and write the month-end pack as a PDF", run,
                  in_refresh=False, options=(
                      Option("--from", "start", "the period's first day (default: the first day of the last whole "
                                                "month on or before the as-of date)", metavar="DATE"),
                      Option("--to", "end", "the period's last day (default: that month's last day)", metavar="DATE"),
                      Option("--per-customer", "per_customer", "also roll each customer forward", kind="flag")))
