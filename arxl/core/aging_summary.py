"""The AgingSummary sheet as a report (``arxl.core.report``): the as-of facts, the key figures
per currency, a bucket table and chart per currency, how each figure is computed, notes, and one
block of customers per currency, largest balance first. Each store draws it its own way."""
from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable
from typing import Any

import pandas as pd

from arxl.contract import NUMBER_FORMATS, Kind
from arxl.core.aging import AgingSummary
from arxl.core.kpis import KPI_DEFINITIONS, CurrencyKpis
from arxl.core.money import format_amount, minor_to_float
from arxl.core.report import Block, Chart, Report
from arxl.core.settings import Settings

MONEY = NUMBER_FORMATS[Kind.MONEY] or ""
DATE = NUMBER_FORMATS[Kind.DATE] or ""
PERCENT = "0.0%"
DAYS = "0.0"
TEXT_WIDTH = 125  # characters of explanation per line, so printed text stays inside the page
CHART_ROWS = 16  # rows a chart and its gap cover at the default row height
CHART_COLUMN = "G"  # each currency's chart sits right of its bucket table


def _money(amount: Any, currency: str) -> float | None:
    return None if pd.isna(amount) else minor_to_float(int(amount), currency)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _customer_row(record: dict[str, Any], buckets: list[str]) -> list[object]:
    currency = record["Currency"]
    return [record["CustomerID"], record["CustomerName"], currency,
            *[_money(record[b], currency) for b in buckets], _money(record["Total"], currency),
            _money(record["PastDue"], currency), _number(record["PercentPastDue"]),
            _money(record["CreditLimit"], currency), record["OverLimit"]]


def _lines(label: str, text: str) -> list[list[object]]:
    wrapped = textwrap.wrap(text, TEXT_WIDTH)
    return [[label if i == 0 else None, line] for i, line in enumerate(wrapped)]


def _notes(settings: Settings, kpis: dict[str, CurrencyKpis], unposted: pd.Series) -> list[str]:
    basis = ("its due date (invoices without one: their customer's terms, else the default terms "
             f"{settings.default_terms})" if settings.aging_basis == "DueDate" else "its document date")
    notes = [
        f"Each item sits in the bucket of its age counted from {basis}, as of {settings.as_of.isoformat()}. "
        f"Only invoices, payments and memos dated on or before that date count.",
        "Credit memos and unapplied cash are shown negative, in the bucket of their own date (a credit has "
        "no due date): they reduce that bucket and the customer's total, never appear as a positive.",
        "Past due = items whose due date has passed, whatever the aging basis. Credit limits are in the "
        "customer's currency; Over limit = total above the limit.",
        "Currencies are summarised separately and never added together. Sales = invoices by InvoiceDate; the "
        f"KPI period is the {settings.kpi_period_days} days ending on the as-of date.",
        "The detail is the Aging table: Insert > PivotTable on it for any other view (by region, "
        "salesperson, parent...).",
    ]
    if len(unposted):
        amounts = "; ".join(format_amount(int(minor), currency) for currency, minor in unposted.items())
        notes.append(f"Not in the aging: payments received by the as-of date but not posted yet ({amounts}; "
                     f"Received, not posted among the key figures). Run Match and Post to apply them.")
    if not kpis:
        notes.append("Nothing is open and nothing was sold as of this date.")
    for k in kpis.values():
        if k.dso_count_back is not None and not k.count_back_complete:
            notes.append(f"{k.currency}: the AR is larger than all the sales history, so its count-back DSO "
                         f"is at least the {k.dso_count_back:.0f} days shown.")
    return notes


def _first_base(currencies: Iterable[str], base: str) -> list[str]:
    """The base currency first, then the others alphabetically."""
    return sorted(currencies, key=lambda c: (c != base, c))


def summary_report(summary: AgingSummary, kpis: dict[str, CurrencyKpis], settings: Settings,
                   now: dt.datetime, unposted: pd.Series) -> Report:
    """The AgingSummary sheet. ``unposted``: cents of payments received by the as-of date and
    not posted, per currency."""
    buckets = summary.buckets
    currencies = _first_base(summary.currencies.index, settings.base_currency)
    blocks: list[Block] = []
    charts: list[Chart] = []

    basis = "Due date" if settings.aging_basis == "DueDate" else "Invoice date"
    info = Block(3, 1, [
        ["As of", settings.as_of],
        ["Aging basis", basis],
        ["Buckets", ", ".join(buckets)],
        ["Prepared", f"{now:%Y-%m-%d %H:%M} by arxl for {settings.company_name}"],
    ], formats={1: DATE}, header=False)
    blocks.append(info)
    row = info.top + len(info.rows) + 2

    kpi_rows: list[list[object]] = [["Currency", "Total AR", "Received, not posted", "Past due",
                                     f"Sales, last {settings.kpi_period_days} days", "% past due",
                                     "DSO (count-back), days", "DSO (simple), days", "Best possible DSO, days",
                                     "Average days delinquent", "CEI, %"]]
    for currency in _first_base(set(kpis) | set(unposted.index), settings.base_currency):
        waiting = _money(unposted.get(currency, 0), currency)
        k = kpis.get(currency)
        if k is None:  # cash arrived in a currency nothing is open or sold in
            kpi_rows.append([currency, 0.0, waiting, *[None] * 8])
            continue
        kpi_rows.append([currency, _money(k.total_ar, currency), waiting, _money(k.past_due, currency),
                         _money(k.period_sales, currency),
                         _number(k.percent_past_due), _number(k.dso_count_back), _number(k.dso_simple),
                         _number(k.best_possible_dso), _number(k.average_days_delinquent), _number(k.cei)])
    key_figures = Block(row, 3, kpi_rows, title=f"Key figures as of {settings.as_of.isoformat()}",
                        formats={1: MONEY, 2: MONEY, 3: MONEY, 4: MONEY, 5: PERCENT, 6: DAYS, 7: DAYS, 8: DAYS,
                                 9: DAYS, 10: DAYS})
    blocks.append(key_figures)
    row += len(kpi_rows) + 2

    # the charts' source: bucket totals per currency (readable whatever the number of customers)
    for currency in currencies:
        total = summary.currencies.loc[currency]
        bucket_rows: list[list[object]] = [["Bucket", f"Open AR, {currency}", "Share"]]
        for bucket in buckets:
            share = total[bucket] / total["Total"] if total["Total"] > 0 else None
            bucket_rows.append([bucket, _money(total[bucket], currency), share])
        bucket_rows.append(["Total", _money(total["Total"], currency), 1.0 if total["Total"] > 0 else None])
        blocks.append(Block(row, 3, bucket_rows, formats={1: MONEY, 2: PERCENT},
                            title=f"Open AR by bucket, {currency}", bold_last_row=True))
        charts.append(Chart(block=len(blocks) - 1, category_col=0, value_cols=[1],
                            title=f"Open AR by bucket, {currency}", y_title=currency,
                            anchor=f"{CHART_COLUMN}{row - 1}", width_cm=16, height_cm=7.2,
                            last_data_row=len(buckets)))
        row += max(len(bucket_rows) + 2, CHART_ROWS)

    definitions = [line for name, text in KPI_DEFINITIONS for line in _lines(name, text)]
    how = Block(row, 2, definitions, header=False, title="How the key figures are computed",
                page_break_before=True)
    blocks.append(how)
    row += len(definitions) + 2

    notes = [line for text in _notes(settings, kpis, unposted) for line in _lines("", text)]
    notes_block = Block(row, 2, [[None, line] for _, line in notes], header=False, title="Notes")
    blocks.append(notes_block)
    row += len(notes) + 2

    header = ["CustomerID", "Customer", "Currency", *buckets, "Total", "Past due", "% past due",
              "Credit limit", "Over limit"]
    n_buckets = len(buckets)
    formats = {3 + i: MONEY for i in range(n_buckets + 2)}
    formats.update({5 + n_buckets: PERCENT, 6 + n_buckets: MONEY})
    for currency in currencies:
        mine = summary.customers.loc[summary.customers["Currency"] == currency]
        rows: list[list[object]] = [list(header)]
        rows.extend(_customer_row(record, buckets) for record in mine.to_dict("records"))
        total = summary.currencies.loc[currency]
        rows.append([f"Total {currency}", f"{len(mine)} customer(s)", currency,
                     *[_money(total[b], currency) for b in buckets], _money(total["Total"], currency),
                     _money(total["PastDue"], currency),
                     _number(total["PercentPastDue"]), None, None])
        blocks.append(Block(row, 1, rows, formats=formats, bold_last_row=True, centered=(len(header) - 1,),
                            title=f"Customers, {currency} (largest balance first)", page_break_before=True))
        row += len(rows) + 3

    widths: dict[int, float] = {1: 12, 2: 36, 3: 12}
    widths.update({4 + i: 14 for i in range(n_buckets)})
    widths.update({4 + n_buckets: 15, 5 + n_buckets: 15, 6 + n_buckets: 11, 7 + n_buckets: 14,
                   8 + n_buckets: 10})
    for column in range(key_figures.left, key_figures.left + len(kpi_rows[0])):
        widths.setdefault(column, 12)  # few buckets: the key figures still have room
    return Report(blocks=blocks, charts=charts, widths=widths,
                  title=f"Accounts receivable aging summary, {settings.company_name}")
