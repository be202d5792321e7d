"""Exact money: amounts travel as integers in the minor unit of their own currency (cents of
USD and EUR, fils of KWD, whole yen of JPY), as ISO 4217 fixes it, unless the workbook keeps a
currency otherwise (``kept_decimals``: yen to the hundredth, as some ERPs export them).

A cell holds a binary float (12.1 is 12.0999...); it is read as the number Excel shows, to its
15 significant digits, and must then be exact to the currency's minor unit: 200.005 USD or
1000.50 JPY is refused, never rounded. Text is read by one rule, the workbook's decimal
separator (Settings DecimalSeparator); a comma or point that does not fit it is refused, never
guessed ("50,00" is never 5,000.00). Every sum then happens on integers, so totals tie to the
minor unit whatever the row count. Amounts from 10**15 minor units up are not money (a typing
error, an overflow): below that, every amount is exact as a double in a cell too.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache
from types import MappingProxyType

import numpy as np

# ISO 4217 minor units of the currencies that do not have 2 (the list 2024-2025).
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
DEFAULT_MINOR_UNITS = 2  # every other code (and a blank one)
LIMIT = 10**15  # an amount's magnitude in minor units stays below this
DECIMAL_SEPARATORS = (".", ",")
_SYMBOLS = "$€£¥"


class NotAnAmount(ValueError):
    """A value that cannot be read as an amount of money; ``problem`` and ``hint`` are written
    for a clerk."""

    def __init__(self, problem: str, hint: str = ""):
        super().__init__(problem)
        self.problem, self.hint = problem, hint


# the workbook at work's own decimals, where they are not ISO 4217's (a context variable: each
# thread, and so each workbook a Dask worker runs, has its own; a forked process keeps its parent's)
_KEPT: ContextVar[Mapping[str, int]] = ContextVar("arxl_kept_decimals", default=MappingProxyType({}))


def iso_minor_units(currency: str) -> int:
    """How many decimals ISO 4217 gives the currency."""
    return MINOR_UNITS.get(str(currency or "").strip().upper(), DEFAULT_MINOR_UNITS)


def minor_units(currency: str) -> int:
    """How many decimals the currency's amounts have: ISO 4217's, or the workbook's own."""
    code = str(currency or "").strip().upper()
    return _KEPT.get().get(code, MINOR_UNITS.get(code, DEFAULT_MINOR_UNITS))


@contextmanager
def kept_decimals(decimals: Mapping[str, int]) -> Iterator[None]:
    """Within it, amounts in these currencies have these decimals ({"JPY": 2}): a workbook whose
    books keep a currency otherwise than ISO 4217 (Settings CurrencyDecimals, or what its
    invoices show: ``arxl.book.port.Workbook.currency_decimals``). Nested, it adds to the
    decimals kept around it."""
    kept = {**_KEPT.get(), **{str(c).strip().upper(): int(d) for c, d in decimals.items()}}
    token = _KEPT.set(MappingProxyType(kept))
    try:
        yield
    finally:
        _KEPT.reset(token)


def _decimals(digits: int) -> str:
    return "no decimals" if digits == 0 else f"{digits} decimal{'s' if digits > 1 else ''}"


@cache
def _grammar(separator: str) -> re.Pattern[str]:
    """Digits, optionally grouped by threes with one mark (the other separator, a space or an
    apostrophe), then optionally the decimal separator and decimals."""
    other = "," if separator == "." else "."
    groups = "[" + re.escape(other + " \u00a0\u202f'") + "]"
    dec = re.escape(separator)
    return re.compile(rf"^(?:\d+|\d{{1,3}}(?P<g>{groups})\d{{3}}(?:(?P=g)\d{{3}})*)(?:{dec}\d*)?$|^{dec}\d+$")


def _text_decimal(text: str, separator: str) -> Decimal | None:
    """Unsigned text such as "1,234.50" under ``separator``; None when it does not fit."""
    if not _grammar(separator).match(text):
        return None
    digits = re.sub(r"[^\d" + re.escape(separator) + "]", "", text).replace(separator, ".")
    return Decimal(digits)


def read_decimal(value: str, separator: str = ".") -> Decimal:
    """Text such as "1,234.50", "(12.00)" or "-1 234,5" as a Decimal, read with ``separator``
    as the decimal separator (see the module docstring); ``NotAnAmount`` for anything else."""
    text = value.strip()
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()").strip().strip(_SYMBOLS).strip()
    if text and text[0] in "+-":
        negative, text = negative != (text[0] == "-"), text[1:].strip().strip(_SYMBOLS).strip()
    found = _text_decimal(text, separator)
    if found is None:
        other = "," if separator == "." else "."
        if _text_decimal(text, other) is not None:
            raise NotAnAmount(f"an amount written with '{other}' as its decimal separator; this workbook's "
                              f"DecimalSeparator is '{separator}'",
                              f"Type the amount as a number cell, or with '{separator}' for decimals; or set "
                              f"DecimalSeparator to '{other}' in Settings if this workbook writes amounts so.")
        raise NotAnAmount("not an amount", f"Type a number such as 1234{separator}50, without text.")
    return -found if negative else found


def to_decimal(value: object, decimal_separator: str = ".") -> Decimal:
    """A cell value (number, Decimal, or text such as "1,234.50" or "(12.00)") as the exact
    amount it shows, in major units; ``NotAnAmount`` for what is not money."""
    if isinstance(value, bool) or value is None:
        raise NotAnAmount("not an amount", "Type a number such as 1234.50.")
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise NotAnAmount("not a finite number", "Type the amount as a number such as 1234.50.")
        return Decimal(format(float(value), ".15g"))  # what Excel shows: 15 significant digits
    if isinstance(value, str):
        return read_decimal(value, decimal_separator)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NotAnAmount("not a finite number", "Type the amount as a number such as 1234.50.")
        return value
    raise NotAnAmount("not an amount", "Type a number such as 1234.50.")


def to_minor(value: object, currency: str, decimal_separator: str = ".") -> int:
    """A cell value (number, Decimal, or text such as "1,234.50" or "(12.00)") as an integer in
    the currency's minor unit. Raises ``NotAnAmount`` for what is not money, for an amount more
    precise than the currency allows, and for one too large (see the module docstring)."""
    return _exact(to_decimal(value, decimal_separator), currency)


def _exact(dec: Decimal, currency: str) -> int:
    digits = minor_units(currency)
    code = str(currency or "").strip().upper() or "the currency"
    scaled = dec.scaleb(digits)
    if abs(scaled) >= LIMIT:
        raise NotAnAmount("too large to be an amount",
                          f"Amounts are at most {format_amount(LIMIT - 1, currency)}; check the cell for a "
                          f"typing error.")
    if scaled != scaled.to_integral_value():
        raise NotAnAmount(f"more decimals than {code} has ({_decimals(digits)})",
                          f"{code} amounts have {_decimals(digits)}: type the exact amount (arxl never "
                          f"rounds money).")
    return int(scaled)


def check_amount(amount: int, currency: str) -> int:
    """``amount`` (minor units, computed) if it is still money; ``NotAnAmount`` if too large."""
    return _exact(Decimal(int(amount)).scaleb(-minor_units(currency)), currency)


def minor_to_decimal(amount: int, currency: str) -> Decimal:
    """The exact amount, with the currency's decimals (1234 JPY, 12.345 KWD, 12.50 USD)."""
    return Decimal(int(amount)).scaleb(-minor_units(currency))


def minor_to_float(amount: int, currency: str) -> float:
    """The float a cell should hold: the nearest double to the exact amount."""
    return float(minor_to_decimal(amount, currency))


def major_to_minor_floor(amount: Decimal, currency: str) -> int:
    """A limit in major units (a tolerance of 5.00) in the currency's minor units, rounded down
    (up to 0.5 JPY lets nothing go)."""
    return int(amount.scaleb(minor_units(currency)).to_integral_value(rounding=ROUND_FLOOR))


def format_amount(amount: int, currency: str, *, code: bool = True) -> str:
    """'1,234.50 USD', '150,000 JPY', '12.345 KWD' for messages, evidence and documents;
    ``code=False`` leaves the currency code off."""
    text = f"{minor_to_decimal(amount, currency):,.{minor_units(currency)}f}"
    return f"{text} {str(currency or '').strip().upper()}".strip() if code else text


def percent_of(amount: int, rate: Decimal | float | str) -> int:
    """``rate`` (a fraction, 0.02 for 2%) of an amount, rounded half-up to the minor unit."""
    product = Decimal(int(amount)) * Decimal(str(rate))
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of_each(amounts: np.ndarray, rate: Decimal | float | str) -> np.ndarray:
    """``percent_of`` each amount (int64), in whole numbers: the rate as a fraction p/q, each
    amount times p over q, rounded half away from zero as ``percent_of`` rounds (one at a time
    with ``percent_of`` where the products would not fit in 64 bits)."""
    amounts = np.asarray(amounts, dtype=np.int64)
    p, q = Decimal(str(rate)).as_integer_ratio()
    if not len(amounts) or 2 * int(np.abs(amounts).max()) * abs(p) + q >= 2 ** 62:
        return np.array([percent_of(int(a), rate) for a in amounts.tolist()], dtype=np.int64)
    product = amounts * p
    each: np.ndarray = np.sign(product) * ((2 * np.abs(product) + q) // (2 * q))
    return each
