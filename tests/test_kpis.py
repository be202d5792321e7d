"""The AR key figures against hand-worked examples."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from arxl.core.kpis import ar_kpis, collection_effectiveness, count_back_dso, simple_dso, trailing_months

AS_OF = dt.date(2026, 11, 20)


def test_count_back_dso_of_the_textbook_example():
    # AR 212,000; sales 100,000, 80,000, 70,000, latest month first, on 30-day months:
    # 212,000 - 100,000 = 112,000 -> 30 days; 112,000 - 80,000 = 32,000 -> 30 days;
    # 32,000 / 70,000 x 30 = 13.71 days; 73.71 in all
    days, complete = count_back_dso(21_200_000, [(10_000_000, 30), (8_000_000, 30), (7_000_000, 30)])
    assert round(days, 1) == 73.7 and complete
    assert days == pytest.approx(60 + 32 / 70 * 30)


def test_count_back_dso_within_the_first_month_and_on_real_month_lengths():
    assert count_back_dso(5_000_000, [(10_000_000, 31), (8_000_000, 30)]) == (15.5, True)
    assert count_back_dso(10_000_000, [(10_000_000, 31), (8_000_000, 30)]) == (31.0, True)


def test_count_back_dso_when_the_history_runs_out_is_a_lower_bound():
    assert count_back_dso(30_000_000, [(10_000_000, 30), (8_000_000, 30)]) == (60.0, False)


def test_count_back_dso_of_no_receivables_is_zero_and_an_empty_month_counts_whole():
    assert count_back_dso(0, [(10_000_000, 30)]) == (0.0, True)
    assert count_back_dso(-5_000, [(10_000_000, 30)]) == (0.0, True)
    assert count_back_dso(5_000_000, [(0, 31), (10_000_000, 30)]) == (46.0, True)


def test_simple_and_best_possible_dso_and_days_delinquent():
    # AR 150,000 of which 90,000 current; sales 270,000 over 90 days = 3,000 a day
    dso = simple_dso(15_000_000, 27_000_000, 90)
    best = simple_dso(9_000_000, 27_000_000, 90)
    assert (dso, best, dso - best) == (50.0, 30.0, 20.0)  # 60,000 past due / 3,000 a day = 20 days
    assert simple_dso(15_000_000, 0, 90) is None


def test_collection_effectiveness_index():
    # began 200,000; sold 300,000; 250,000 left of which 150,000 current:
    # collected 250,000 of a collectable 350,000 = 71.43 %
    assert collection_effectiveness(20_000_000, 30_000_000, 25_000_000, 15_000_000) == pytest.approx(250 / 350 * 100)
    assert collection_effectiveness(0, 0, 0, 0) is None


def test_trailing_months_end_on_the_as_of_date():
    months = trailing_months(AS_OF, 3)
    assert [(s.date().isoformat(), e.date().isoformat(), (e - s).days) for s, e in months] == [
        ("2026-10-20", "2026-11-20", 31), ("2026-09-20", "2026-10-20", 30), ("2026-08-20", "2026-09-20", 31)]


def _aging(*rows):
    """Aging rows as (currency, open cents, days past due)."""
    return pd.DataFrame({"Currency": [r[0] for r in rows],
                         "OpenAmount": pd.Series([r[1] for r in rows], dtype="Int64"),
                         "DaysPastDue": pd.Series([r[2] for r in rows], dtype="Int64")})


def _opening(*rows):
    """Cents open at the period's start, as (currency, cents)."""
    return pd.Series({r[0]: r[1] for r in rows}, dtype="int64")


def _sales(*rows):
    """Invoices as (date, currency, cents)."""
    return pd.DataFrame({"InvoiceDate": pd.to_datetime([r[0] for r in rows]),
                         "Currency": [r[1] for r in rows],
                         "Amount": pd.Series([r[2] for r in rows], dtype="Int64")})


def test_ar_kpis_per_currency_from_the_tables():
    aging = _aging(("USD", 9_000_000, -5), ("USD", 6_000_000, 40), ("EUR", 1_000_000, 10))
    beginning = _opening(("USD", 20_000_000), ("EUR", 500_000))
    sales = _sales(
        # USD months ending Nov 20: (Oct 20, Nov 20] 31 days, (Sep 20, Oct 20] 30, (Aug 20, Sep 20] 31
        ("2026-11-20", "USD", 5_000_000), ("2026-10-21", "USD", 5_000_000),  # 100,000 in the last month
        ("2026-10-20", "USD", 4_000_000),  # 40,000 the month before
        ("2026-08-25", "USD", 8_000_000),  # 80,000 three months back (the 90 days start after Aug 22)
        ("2026-11-21", "USD", 99_000_000),  # after the as-of date: no sale yet
        ("2026-11-01", "EUR", 2_000_000),
    )
    kpis = ar_kpis(aging, beginning, sales, AS_OF, 90)
    usd, eur = kpis["USD"], kpis["EUR"]
    assert (usd.total_ar, usd.past_due, usd.period_sales) == (15_000_000, 6_000_000, 22_000_000)
    assert usd.percent_past_due == pytest.approx(0.4)
    # 150,000: 100,000 covers the last month (31 days), 40,000 the one before (30 days),
    # the last 10,000 of 80,000 covers 1/8 of a 31-day month
    assert usd.dso_count_back == pytest.approx(31 + 30 + 31 / 8) and usd.count_back_complete
    assert usd.dso_simple == pytest.approx(150_000 / 220_000 * 90)
    assert usd.best_possible_dso == pytest.approx(90_000 / 220_000 * 90)
    assert usd.average_days_delinquent == pytest.approx(60_000 / 220_000 * 90)
    # (200,000 + 220,000 - 150,000) / (200,000 + 220,000 - 90,000)
    assert usd.cei == pytest.approx(270 / 330 * 100)
    # EUR on its own: 10,000 of AR against 20,000 of sales in the last month (31 days)
    assert eur.dso_count_back == pytest.approx(15.5) and eur.period_sales == 2_000_000
    assert eur.cei == pytest.approx((5_000 + 20_000 - 10_000) / (5_000 + 20_000 - 0) * 100)


def test_ar_kpis_without_sales_history_say_so():
    kpis = ar_kpis(_aging(("USD", 100_000, 3)), _opening(), _sales(), AS_OF, 90)
    usd = kpis["USD"]
    assert usd.dso_count_back is None and usd.dso_simple is None and usd.best_possible_dso is None
    assert usd.average_days_delinquent is None and usd.percent_past_due == 1.0


def test_overdue_credits_never_make_percent_past_due_negative():
    # 10,000.00 owed and not yet due, a 3,000.00 credit 40 days old: past due net is negative
    kpis = ar_kpis(_aging(("USD", 1_000_000, -5), ("USD", -300_000, 40), ("USD", 200_000, 10)), _opening(), _sales(),
                   AS_OF, 90)
    usd = kpis["USD"]
    assert usd.past_due == -100_000 and usd.total_ar == 900_000
    assert usd.percent_past_due == pytest.approx(2_000 / 12_000)  # past-due debits / open debits
    only_credits = ar_kpis(_aging(("USD", -300_000, 40)), _opening(), _sales(), AS_OF, 90)["USD"]
    assert only_credits.percent_past_due is None


def test_an_old_credit_never_makes_the_cei_exceed_100_or_the_delinquency_negative():
    # 5,000.00 at the start, 8,000.00 sold; now 6,000.00 owed, 1,000.00 of it late, and 2,500.00 of
    # unapplied cash 60 days old: (13,000.00 - 3,500.00 total now) / (13,000.00 - 2,500.00 current now)
    aging = _aging(("USD", 500_000, -10), ("USD", 100_000, 20), ("USD", -250_000, 60))
    kpis = ar_kpis(aging, _opening(("USD", 500_000)), _sales(("2026-11-01", "USD", 800_000)), AS_OF, 90)
    usd = kpis["USD"]
    assert usd.past_due == -150_000  # net, as the aging's buckets show it
    assert usd.cei == pytest.approx((13_000 - 3_500) / (13_000 - 2_500) * 100) and usd.cei <= 100
    assert usd.average_days_delinquent == pytest.approx(1_000 / 8_000 * 90)
