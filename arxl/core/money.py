"""Exact money: amounts travel as integer cents.

A cell holds a binary float (12.1 is 12.0999...); converting through ``Decimal(repr)`` and
rounding half-up to the cent gives the amount the clerk typed. Every sum then happens on
integers, so totals tie to the cent whatever the row count.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

CENT = Decimal("0.01")


class NotAnAmount(ValueError):
    """A value that cannot be read as an amount of money."""


def to_cents(value: object) -> int:
    """A cell value (number, Decimal or text such as "1,234.50" or "(12.00)") as integer cents."""
    if isinstance(value, bool) or value is None:
        raise NotAnAmount(value)
    if isinstance(value, int | np.integer):
        return int(value) * 100
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise NotAnAmount(value)
        value = repr(float(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()").strip()
        if not text:
            raise NotAnAmount(value)
        try:
            dec = Decimal(text)
        except InvalidOperation as exc:
            raise NotAnAmount(value) from exc
        if negative:
            dec = -dec
    elif isinstance(value, Decimal):
        dec = value
    else:
        raise NotAnAmount(value)
    if not dec.is_finite():
        raise NotAnAmount(value)
    return int((dec * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def cents_to_float(cents: int) -> float:
    """The float a cell should hold: the nearest double to the exact amount."""
    return float(cents_to_decimal(cents))


def format_cents(cents: int, currency: str = "") -> str:
    """'1,234.50 USD' for messages and Evidence sentences."""
    text = f"{cents_to_decimal(cents):,.2f}"
    return f"{text} {currency}".strip()


def percent_of(cents: int, rate: Decimal | float | str) -> int:
    """``rate`` (a fraction, 0.02 for 2%) of an amount, rounded half-up to the cent."""
    product = Decimal(int(cents)) * Decimal(str(rate))
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))

