"""Money, terms and settings: the small rules everything else stands on."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arxl.core.money import NotAnAmount, format_amount, kept_decimals, percent_of, to_minor
from arxl.core.settings import WriteOffLimit, read_settings
from arxl.core.terms import UnknownTerms, parse_terms


@pytest.mark.parametrize("value, currency, minor", [
    (0.1, "USD", 10), (0.1 + 0.2, "USD", 30), (1234.56, "USD", 123456), (19.99, "EUR", 1999), (100, "USD", 10000),
    (-5.5, "USD", -550), ("1,234.50", "USD", 123450), ("(12.00)", "USD", -1200), ("$ 7.05", "USD", 705),
    (Decimal("2.67"), "USD", 267), (12.345, "KWD", 12345), ("0.125", "BHD", 125), (150000, "JPY", 150000),
    ("1,500", "KRW", 1500), (9999999999999.99, "USD", 999999999999999),
])
def test_amounts_become_exact_minor_units_of_their_currency(value, currency, minor):
    assert to_minor(value, currency) == minor


@pytest.mark.parametrize("value, currency", [
    ("twelve", "USD"), ("", "USD"), (None, "USD"), (True, "USD"), (float("nan"), "USD"), ("1.2.3", "USD"),
    (dt.date(2026, 1, 1), "USD"), (Decimal("2.675"), "USD"), (2.675, "USD"), (200.005, "USD"), (1000.5, "JPY"),
    (12.3456, "KWD"), (1e18, "USD"), (float("inf"), "USD"), ("1e30", "USD"), (10_000_000_000_000, "USD"),
    ("50,00", "USD"), ("1.234,56", "USD"), ("12,5", "USD"),
])
def test_what_is_not_an_exact_amount_says_so(value, currency):
    with pytest.raises(NotAnAmount):
        to_minor(value, currency)


def test_text_amounts_follow_the_decimal_separator():
    assert to_minor("1.234,56", "EUR", ",") == 123456 and to_minor("50,00", "EUR", ",") == 5000
    assert to_minor("1.234", "EUR", ",") == 123400  # a point groups thousands under ","
    assert to_minor("1 234,5", "EUR", ",") == 123450 and to_minor("1'234.50", "CHF") == 123450
    with pytest.raises(NotAnAmount, match="DecimalSeparator"):
        to_minor("1,234.50", "EUR", ",")


def test_percentages_round_half_up_and_formatting_shows_currency():
    assert percent_of(12345, Decimal("0.02")) == 247  # 246.9
    assert percent_of(125, "0.02") == 3  # 2.5 rounds up
    assert format_amount(123456789, "USD") == "1,234,567.89 USD"
    assert format_amount(150000, "JPY") == "150,000 JPY" and format_amount(12345, "KWD") == "12.345 KWD"
    assert format_amount(-5, "EUR", code=False) == "-0.05"
    assert sum(to_minor(0.01, "USD") for _ in range(1000)) == 1000


def test_a_workbook_may_keep_a_currency_with_other_decimals_than_iso_while_it_is_at_work():
    """An ERP that keeps yen to the hundredth: within kept_decimals, 1000.50 JPY is exact (and
    its write-off tolerance counts in hundredths); outside, ISO 4217's whole yen again."""
    limit = WriteOffLimit(amount=Decimal("5.00"))
    assert limit.in_currency("JPY").minor == 5
    with kept_decimals({"jpy": 2}):
        assert to_minor(1000.5, "JPY") == 100050 and format_amount(100050, "JPY") == "1,000.50 JPY"
        assert to_minor(12.5, "USD") == 1250 and limit.in_currency("JPY").minor == 500
        with pytest.raises(NotAnAmount):
            to_minor(1000.505, "JPY")
    with pytest.raises(NotAnAmount, match="JPY"):
        to_minor(1000.5, "JPY")
    assert format_amount(150000, "JPY") == "150,000 JPY" and limit.in_currency("JPY").minor == 5


@pytest.mark.parametrize("value, kept", [("JPY 2", (("JPY", 2),)), ("jpy=2; KRW: 2, CLP 0", (("JPY", 2), ("KRW", 2),
                                                                                        ("CLP", 0)))])
def test_currency_decimals_setting_names_codes_and_their_decimals(value, kept):
    settings, problems = read_settings([(2, "CurrencyDecimals", value)])
    assert settings.currency_decimals == kept and not problems


@pytest.mark.parametrize("value", ["JPY two", "JPY 7", "JP 2", "JPY"])
def test_currency_decimals_setting_refuses_what_it_cannot_read(value):
    settings, problems = read_settings([(5, "CurrencyDecimals", value)])
    assert settings.currency_decimals == () and [(p.row, p.column) for p in problems] == [(5, "Value")]


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


# days past any calendar (a number typed in Terms, a key held down) stopped the whole refresh
@pytest.mark.parametrize("text", ["", "whenever", "100/10 net 30", "net thirty", "1000000000000000", "Net 3651",
                                  "2/99999999 Net 30"])
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
    assert settings.write_off_tolerance == WriteOffLimit(amount=Decimal("10.00"), rate=Decimal("0.005"))
    assert settings.auto_apply_confidence == 90.0  # 120 is refused, the default stays
    assert settings.match_columns == ("PONumber", "ContractNo") and settings.memo_approval_required
    assert [(p.row, p.column) for p in problems] == [(5, "Value"), (6, "Setting")]
    tolerance = settings.write_off_tolerance.in_currency("USD")
    assert tolerance.allows(1000, 5000) and not tolerance.allows(1001, 5000)
    assert tolerance.allows(-2500, 500000) and not tolerance.allows(2501, 500000)  # 0.5% of 5,000.00
    assert settings.write_off_tolerance.in_currency("KWD").allows(10000, 20000)  # 10.000 KWD
    assert not settings.write_off_tolerance.in_currency("JPY").allows(11, 2000)  # 10 JPY


def test_percent_of_each_amount_is_percent_of_it():
    """The matcher's discounts for 100,000 invoices at once round as percent_of rounds one."""
    import numpy as np

    from arxl.core.money import percent_of_each

    rng = np.random.default_rng(13)
    amounts = np.concatenate([rng.integers(-10**9, 10**9, 3000), np.arange(-300, 300), [125, 12345, 0]])
    for rate in (Decimal("0.02"), Decimal("0.015"), "0.0125", Decimal("-0.02"), Decimal("0.333"), 0.1):
        assert percent_of_each(amounts, rate).tolist() == [percent_of(int(a), rate) for a in amounts]
    huge = np.array([2**61, -(2**61) + 7], dtype=np.int64)  # beyond whole-number room: one at a time
    assert percent_of_each(huge, Decimal("0.02")).tolist() == [percent_of(int(a), Decimal("0.02")) for a in huge]
