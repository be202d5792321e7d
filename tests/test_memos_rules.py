"""The memo rules on plain values: rounding, tax, numbering, due dates (what a UDF would call)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from arxl.contract import is_yes
from arxl.core.aging import due_on_terms
from arxl.core.memos import (
    highest_numbers,
    invoice_tax_ratio,
    line_net,
    memo_number,
    round_half_up,
    tax_on,
)


@pytest.mark.parametrize("value, cents", [
    (Fraction(5, 2), 3), (Fraction(-5, 2), -3), (Fraction(249, 100), 2), (Fraction(251, 100), 3),
    (Fraction(0), 0), (Fraction(7), 7),
])
def test_round_half_up_takes_halves_away_from_zero(value, cents):
    assert round_half_up(value) == cents


def test_tax_is_rounded_half_up_on_the_exact_product():
    assert tax_on(1005, Decimal("0.10")) == 101  # 100.5 cents: half-up, where banker's gives 100
    assert tax_on(3333, "0.075") == 250  # 249.975
    # An invoice ratio that never ends in decimals must still round on its exact value:
    # 3 cents at 5/6 is exactly 2.5 cents -> 3, where a 28-digit Decimal gives 2.4999... -> 2.
    assert tax_on(3, Fraction(5, 6)) == 3


def test_invoice_tax_ratio_is_tax_over_amount_before_tax():
    assert invoice_tax_ratio(108000, 8000) == Fraction(8, 100)
    assert invoice_tax_ratio(10725, 725) == Fraction(725, 10000)
    assert invoice_tax_ratio(50000, 0) == 0  # an invoice without tax
    assert invoice_tax_ratio(500, 500) == 0  # nothing but tax: no base to take a ratio of


def test_line_net_is_quantity_times_unit_price_to_the_cent():
    assert line_net(Decimal("2.5"), 1999) == 4998  # 49.975 -> 49.98
    assert line_net(3, 1234) == 3702
    assert line_net(0.1, 1000) == 100  # the float 0.1 counts as the 0.1 the clerk typed


def test_numbers_follow_the_highest_of_their_own_prefix_only():
    ids = ["CM-000007", "CM-000041", "DM-000003", "CM-12", "CM-draft", "XCM-000099", "CM-000041A"]
    assert highest_numbers(ids, {"CM-", "DM-", "CN-"}) == {"CM-": 41, "DM-": 3, "CN-": 0}
    assert memo_number("CM-", 42) == "CM-000042"
    assert memo_number("CM-", 1234567) == "CM-1234567"  # a sequence past six digits still grows


def test_debit_memo_falls_due_on_the_customers_terms_else_the_default():
    day = dt.date(2026, 11, 20)
    assert due_on_terms(day, "Net 15", "Net 30") == dt.date(2026, 12, 5)
    assert due_on_terms(day, "", "Net 30") == dt.date(2026, 12, 20)
    assert due_on_terms(day, "whenever", "Net 30") == dt.date(2026, 12, 20)


@pytest.mark.parametrize("mark, approved", [
    ("Yes", True), ("y", True), ("TRUE", True), ("x", True), (" X ", True),
    ("", False), ("No", False), ("pending", False),
])
def test_approval_marks(mark, approved):
    assert is_yes(mark) is approved
