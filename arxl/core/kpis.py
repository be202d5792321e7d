"""The AR key figures for an as-of date, per currency (never added across currencies).

"Sales" are the invoices' own amounts by InvoiceDate (the workbook's sales history). The
trailing period is the Settings KPIPeriodDays days ending on the as-of date, both ends counted
as (start, as_of]. Each figure, in words (``KPI_DEFINITIONS`` carries the same sentences into
the summary sheet):

- Total AR: the sum of open items as of the date (credits and unapplied cash net).
- % past due: past-due debits / open debits (``arxl.core.aging.percent_past_due``): of what
  customers owe, the share past its due date; credits are left out, so it is never negative.
- Received, not posted: payments received by the as-of date with no Applications row and not
  marked Reverse (``arxl.core.aging.unposted_cash``): cash the total AR does not reflect yet.
- DSO, count-back: take the AR and subtract each month's sales, latest month first, counting
  that month's days while the AR covers it; the part of a month the remainder covers counts in
  proportion (remainder / that month's sales x its days). Months run back from the as-of date
  (Oct 21 - Nov 20, then Sep 21 - Oct 20 ...).
- DSO, simple: total AR / sales of the period x days in the period.
- Best possible DSO: current AR / sales of the period x days in the period.
- Average days delinquent: simple DSO - best possible DSO (= past-due AR / average daily sales).
- CEI: (AR at the period's start + sales of the period - total AR now) / (AR at the period's
  start + sales of the period - current AR now) x 100: of what could have been collected in the
  period, the share that was.
In the last three, past-due AR is what customers owe past its due date (past-due debits) and
current AR the rest of the total: a credit or unapplied cash is never late, so an old credit
cannot make the delinquency negative nor the CEI exceed 100%. The Past due figure itself is
net, as the aging's buckets are.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from arxl.core.aging import percent_past_due
from arxl.core.balances import resolve_currencies

MONTHS_OF_HISTORY = 36  # how far back count-back DSO looks before calling the history exhausted

KPI_DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("Total AR", "Sum of all open items as of the date: invoices and debit memos, less open credit "
                 "memos and unapplied cash."),
    ("Received, not posted", "Payments received by the as-of date that are not posted yet (and not marked "
                             "Reverse): cash the Total AR does not reflect until Match and Post apply it."),
    ("% past due", "Past-due invoices and debit memos / all open invoices and debit memos (what customers "
                   "owe); credits and unapplied cash are left out of both, so it lies between 0% and 100%, "
                   "blank when nothing is owed. Past due = items whose due date has passed."),
    ("DSO (count-back)", "From the AR, subtract each month's sales (invoices by InvoiceDate), latest month "
                         "first, counting that month's days while the AR covers it; the month the rest "
                         "falls in counts rest / its sales x its days. Months end on the as-of date."),
    ("DSO (simple)", "Total AR / sales of the KPI period x days in the period."),
    ("Best possible DSO", "Current AR (the total AR less past-due invoices and debit memos) / sales of the KPI "
                          "period x days in the period."),
    ("Average days delinquent", "DSO (simple) - best possible DSO, i.e. past-due invoices and debit memos / "
                                "average daily sales."),
    ("CEI", "(AR at the start of the period + sales of the period - total AR now) / (AR at the start + "
            "sales - current AR now) x 100: the share of what could be collected that was (at most 100%: a "
            "credit is never late)."),
)


@dataclass(frozen=True)
class CurrencyKpis:
    currency: str
    total_ar: int  # cents
    past_due: int  # cents, net of past-due credits (as the aging's buckets are)
    period_days: int
    period_sales: int  # cents: invoices dated in the period
    beginning_ar: int  # cents: total AR at the period's start
    dso_count_back: float | None  # None without any sales history
    count_back_complete: bool  # False: sales history ran out first, the DSO is at least this
    percent_past_due: float | None  # a fraction of the open debits; None when nothing is owed
    dso_simple: float | None  # None without sales in the period
    best_possible_dso: float | None
    average_days_delinquent: float | None
    cei: float | None  # percent; None when nothing could be collected



# ---- the formulas, on plain numbers -----------------------------------------------------------

def count_back_dso(ar_cents: int, months: list[tuple[int, int]]) -> tuple[float, bool]:
    """Count-back DSO of ``ar_cents`` over ``months`` = [(sales in cents, days in the month)],
    latest month first. Returns (days, complete); complete is False when the AR is larger than
    all the sales given, and the days are then a lower bound."""
    remaining, days = ar_cents, 0.0
    if remaining <= 0:
        return 0.0, True
    for sales, month_days in months:
        if sales <= 0:
            days += month_days  # a month without sales is covered whole by any remaining AR
            continue
        if remaining <= sales:
            return days + remaining / sales * month_days, True
        remaining -= sales
        days += month_days
    return days, False


def simple_dso(ar_cents: int, sales_cents: int, days: int) -> float | None:
    return None if sales_cents <= 0 else ar_cents / sales_cents * days


def collection_effectiveness(beginning_ar: int, sales: int, ending_ar: int, ending_current: int) -> float | None:
    """CEI in percent (see the module text); None when nothing could have been collected."""
    collectable = beginning_ar + sales - ending_current
    if collectable <= 0:
        return None
    return (beginning_ar + sales - ending_ar) / collectable * 100


def trailing_months(as_of: dt.date, count: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, end] windows of one calendar month each, the latest ending on ``as_of``."""
    end = pd.Timestamp(as_of)
    windows = []
    for k in range(count):
        start = pd.Timestamp(as_of) - pd.DateOffset(months=k + 1)
        windows.append((start, end))
        end = start
    return windows


# ---- per currency, from the tables -----------------------------------------------------------

def ar_kpis(aging: pd.DataFrame, beginning: pd.Series, sales: pd.DataFrame, as_of: dt.date,
            period_days: int) -> dict[str, CurrencyKpis]:
    """The key figures per currency.

    ``aging``: the Aging table as of ``as_of``; ``beginning``: the cents open per currency at the
    period's start (``as_of - period_days``; ``arxl.core.aging.open_by_currency``); ``sales``:
    one row per invoice with InvoiceDate, Currency (resolved) and Amount (cents)."""
    as_of_stamp = pd.Timestamp(as_of)
    start = as_of_stamp - pd.Timedelta(days=period_days)
    dated = sales.loc[sales["InvoiceDate"].notna() & (sales["InvoiceDate"] <= as_of_stamp)]
    amounts = dated["Amount"].fillna(0).astype("int64")
    in_period = (dated["InvoiceDate"] > start)
    period_sales = amounts[in_period].groupby(dated.loc[in_period, "Currency"]).sum()
    first_sale = dated.groupby("Currency")["InvoiceDate"].min()

    open_cents = aging["OpenAmount"].astype("int64")
    totals = open_cents.groupby(aging["Currency"]).sum()
    late = aging["DaysPastDue"].astype("int64") > 0
    past_due = open_cents.where(late, 0).groupby(aging["Currency"]).sum()
    delinquent = open_cents.where(late & (open_cents > 0), 0).groupby(aging["Currency"]).sum()
    late_share = percent_past_due(open_cents, aging["DaysPastDue"], [aging["Currency"]])

    result = {}
    for currency in sorted(set(totals.index) | set(period_sales.index)):
        total = int(totals.get(currency, 0))
        owed_late = int(delinquent.get(currency, 0))
        sold = int(period_sales.get(currency, 0))
        begun = int(beginning.get(currency, 0))
        months = []
        if currency in first_sale.index:
            mine = dated["Currency"] == currency
            for window_start, window_end in trailing_months(as_of, MONTHS_OF_HISTORY):
                if window_end <= first_sale[currency]:
                    break
                window = mine & (dated["InvoiceDate"] > window_start) & (dated["InvoiceDate"] <= window_end)
                months.append((int(amounts[window].sum()), (window_end - window_start).days))
        dso, complete = count_back_dso(total, months) if months else (None, False)
        simple = simple_dso(total, sold, period_days)
        best = simple_dso(total - owed_late, sold, period_days)
        result[currency] = CurrencyKpis(
            currency=currency, total_ar=total, past_due=int(past_due.get(currency, 0)), period_days=period_days,
            period_sales=sold, beginning_ar=begun,
            dso_count_back=dso, count_back_complete=complete,
            percent_past_due=None if pd.isna(share := late_share.get(currency)) else float(share),
            dso_simple=simple, best_possible_dso=best,
            average_days_delinquent=None if simple is None or best is None else simple - best,
            cei=collection_effectiveness(begun, sold, total, total - owed_late),
        )
    return result


def invoiced_sales(invoices: pd.DataFrame, customers: pd.DataFrame, base_currency: str) -> pd.DataFrame:
    """The sales ``ar_kpis`` counts: each invoice's InvoiceDate, resolved Currency and Amount."""
    return pd.DataFrame({
        "InvoiceDate": invoices["InvoiceDate"],
        "Currency": resolve_currencies(invoices["Currency"], invoices["CustomerID"], customers, base_currency),
        "Amount": invoices["Amount"],
    })
