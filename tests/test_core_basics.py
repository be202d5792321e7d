"""Money, terms and settings: the small rules everything else stands on."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arxl.core.money import NotAnAmount, format_cents, percent_of, to_cents
from arxl.core.settings import WriteOffTolerance, read_settings
from arxl.core.terms import UnknownTerms, parse_terms


@pytest.mark.parametrize("value, cents", [
    (0.1, 10), (0.1 + 0.2, 30), (1234.56, 123456), (19.99, 1999), (100, 10000), (-5.5, -550),
    ("1,234.50", 123450), ("(12.00)", -1200), ("$ 7.05", 705), (Decimal("2.675"), 268), (2.675, 268),
])
def test_amounts_become_exact_cents(value, cents):
    assert to_cents(value) == cents


@pytest.mark.parametrize("value", ["twelve", "", None, True, float("nan"), "1.2.3", dt.date(2026, 1, 1)])
def test_what_is_not_an_amount_says_so(value):
    with pytest.raises(NotAnAmount):
        to_cents(value)


def test_percentages_round_half_up_and_formatting_shows_currency():
    assert percent_of(12345, Decimal("0.02")) == 247  # 246.9
    assert percent_of(125, "0.02") == 3  # 2.5 rounds up
    assert format_cents(123456789, "USD") == "1,234,567.89 USD"
    assert sum(to_cents(0.01) for _ in range(1000)) == 1000


@pytest.mark.parametrize("text, invoice_date, due", [
    ("Net 30", dt.date(2026, 1, 15), dt.date(2026, 2, 14)),
    ("net45", dt.date(2026, 1, 15), dt.date(2026, 3, 1)),
    ("2/10 Net 30", dt.date(2026, 1, 31), dt.date(2026, 3, 2)),
    ("Due on receipt", dt.date(2026, 1, 15), dt.date(2026, 1, 15)),
    ("COD", dt.date(2026, 1, 15), dt.date(2026, 1, 15)),
    ("EOM", dt.date(2026, 2, 3), dt.date(2026, 2, 28)),
    ("Net 30 EOM", dt.date(2026, 1, 15), dt.date(2026, 3, 2)),
    ("10th Prox", dt.date(2026, 12, 20), dt.date(2027, 1, 10)),
    ("31 prox", dt.date(2026, 1, 5), dt.date(2026, 2, 28)),
])
def test_terms_give_due_dates(text, invoice_date, due):
    assert parse_terms(text).due_date(invoice_date) == due


def test_discount_terms_allow_a_discount_until_the_deadline_only():
    terms = parse_terms("2/10 Net 30")
    invoice = dt.date(2026, 11, 1)
    assert terms.discount_deadline(invoice) == dt.date(2026, 11, 11)
    assert terms.discount_on(100000, invoice, dt.date(2026, 11, 11)) == 2000
    assert terms.discount_on(100000, invoice, dt.date(2026, 11, 12)) == 0
    assert parse_terms("1/15 N45").discount_on(33333, invoice, invoice) == 333
    assert parse_terms("Net 30").discount_on(100000, invoice, invoice) == 0


@pytest.mark.parametrize("text", ["", "whenever", "100/10 net 30", "net thirty"])
def test_unknown_terms_are_refused(text):
    with pytest.raises(UnknownTerms):
        parse_terms(text)


def test_settings_defaults_problems_and_tolerance():
    rows = [(2, "AsOfDate", dt.datetime(2026, 11, 20)), (3, "aging_buckets", "15, 45 ,90"),
            (4, "Write Off Tolerance", "10.00; 0.5%"), (5, "AutoApplyConfidence", "120"),
            (6, "Colour", "blue"), (7, "MatchColumns", "PONumber; ContractNo"), (8, "MemoApprovalRequired", "yes"),
            (9, None, None)]
    settings, problems = read_settings(rows)
    assert settings.as_of == dt.date(2026, 11, 20)
    assert settings.aging_buckets == (15, 45, 90)
    assert settings.write_off_tolerance == WriteOffTolerance(cents=1000, rate=Decimal("0.005"))
    assert settings.auto_apply_confidence == 90.0  # 120 is refused, the default stays
    assert settings.match_columns == ("PONumber", "ContractNo") and settings.memo_approval_required
    assert [(p.row, p.column) for p in problems] == [(5, "Value"), (6, "Setting")]
    tolerance = settings.write_off_tolerance
    assert tolerance.allows(1000, 5000) and not tolerance.allows(1001, 5000)
    assert tolerance.allows(-2500, 500000) and not tolerance.allows(2501, 500000)  # 0.5% of 5,000.00
