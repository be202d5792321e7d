"""Refresh aging: rebuild the Aging table and the AgingSummary sheet (its grid, key figures and
chart) as of Settings AsOfDate (or the door's --as-of)."""
from __future__ import annotations

import datetime as dt

from arxl.commands.command import Command, Context
from arxl.contract import AGING_SUMMARY
from arxl.core.aging import ledger_aging, open_by_currency, summarize, unposted_cash
from arxl.core.aging_summary import summary_report
from arxl.core.kpis import ar_kpis, invoiced_sales
from arxl.core.ledger import Ledger, Outcome, Step
from arxl.core.money import format_amount


def run(ledger: Ledger, ctx: Context) -> Step:
    settings = ledger.settings
    customers = ledger.table("Customers")
    ctx.progress("Aging: open items", 0.1)
    aging, problems = ledger_aging(ledger, settings.as_of)
    step = Step(Outcome(""), problems)

    ctx.progress("Aging: key figures", 0.45)
    # the period's opening AR is what the same aging taken as of its first day adds up to
    opening = open_by_currency(ledger, settings.as_of - dt.timedelta(days=settings.kpi_period_days))
    sales = invoiced_sales(ledger.table("Invoices"), customers, settings.base_currency)
    kpis = ar_kpis(aging, opening, sales, settings.as_of, settings.kpi_period_days)
    summary = summarize(aging, settings.aging_buckets)
    unposted = unposted_cash(ledger.table("Payments", required=False),
                             ledger.table("Applications", required=False), customers, settings)

    step.rebuild("Aging", aging)
    step.reports[AGING_SUMMARY] = summary_report(summary, kpis, settings, ctx.now, unposted)
    totals = "; ".join(format_amount(int(row["Total"]), currency) for currency, row in summary.currencies.iterrows())
    step.outcome = Outcome(
        f"{len(aging)} open item(s) as of {settings.as_of.isoformat()}: {totals or 'nothing open'}.",
        {"open items": len(aging), "customers": int(summary.customers["CustomerID"].nunique())})
    return step


COMMAND = Command("aging", "Refresh aging", "ChartInsert",
                  "Rebuild the Aging table and the AgingSummary (buckets, KPIs, chart) as of AsOfDate", run)
