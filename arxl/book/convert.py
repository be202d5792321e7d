"""Cell values <-> typed columns, once for every door (files, xlwings, UDFs).

Reading returns a typed value or raises ``BadValue`` with a clerk's message and hint; writing
turns a typed value back into what a cell should hold. Kinds are those of ``arxl.contract``.
Money is read and written in the minor unit of each row's currency (``arxl.core.money``): the
caller says which currency each value is in (the port, by the table's currency rule), and the
decimal separator text amounts are written with (Settings DecimalSeparator).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel

from arxl.contract import DATE_RANGE, FIRST_DATE, LAST_DATE, date_in_range
from arxl.core.adopt import impossible_date, looks_like_date_text
from arxl.core.money import LIMIT, NotAnAmount, minor_units, read_decimal, to_minor

# Date systems of Excel serial numbers: 1900 (Windows' default) and 1904 (older Mac workbooks,
# File > Options > Advanced > "Use 1904 date system").
SERIALS_1900, SERIALS_1904 = 1900, 1904
_LAST_SERIAL = {SERIALS_1900: 2958465, SERIALS_1904: 2957003}  # 9999-12-31, Excel's last date
_NO_SUCH_DAY = 60  # 1900 system: Excel's 29 February 1900, a day that never was (kept from Lotus 1-2-3)


class BadValue(ValueError):
    def __init__(self, problem: str, hint: str):
        super().__init__(problem)
        self.problem, self.hint = problem, hint


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float):
        return math.isnan(value)
    return value is pd.NaT or value is pd.NA


def _formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def date_from_serial(serial: float, system: int = SERIALS_1900) -> dt.datetime:
    """The date and time an Excel serial number stands for, as Excel shows it: in the 1900
    system serial 1 is 1900-01-01 and serial 61 is 1900-03-01 (Excel counts a 29 February 1900,
    serial 60, which is refused here); in the 1904 system serial 0 is 1904-01-01. The fraction
    is the time of day. Raises ``BadValue`` for a number that is no date of Excel's calendar."""
    first = 1 if system == SERIALS_1900 else 0
    if isinstance(serial, bool) or not math.isfinite(serial) or not first <= serial < _LAST_SERIAL[system] + 1:
        raise BadValue("a number that is not a date",
                       "Give a date between 1900-01-01 and 9999-12-31, or a cell formatted as a date.")
    if system == SERIALS_1900 and int(serial) == _NO_SUCH_DAY:
        raise BadValue("29 February 1900, a day that never was",
                       "Excel counts this day, but it does not exist; give the date you mean.")
    stamp = from_excel(serial, epoch=WINDOWS_EPOCH if system == SERIALS_1900 else MAC_EPOCH)
    return stamp if isinstance(stamp, dt.datetime) else dt.datetime.combine(MAC_EPOCH.date(), stamp)


_LARGEST_WHOLE = 2**53  # every whole number up to this is exact in a cell
_FIRST = dt.datetime.combine(FIRST_DATE, dt.time())
_LAST = dt.datetime.combine(LAST_DATE, dt.time.max)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _date(value, keep_time: bool, serials: int | None) -> dt.datetime:
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, pd.Timestamp):
        stamp = value.to_pydatetime()
    elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise BadValue("not a real date", "Use a date that exists, such as 2026-11-20.") from exc
    elif isinstance(value, int | float) and not isinstance(value, bool) and serials is not None:
        stamp = date_from_serial(value, serials)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise BadValue("a number where a date belongs",
                       "Format the cell as a date, or type the date as 2026-11-20.")
    elif isinstance(value, str) and impossible_date(value):
        raise BadValue("a date typed as text, of a day that does not exist",
                       "Type the date it should be, as a date cell (or as ISO text such as 2026-11-20).")
    elif looks_like_date_text(value):
        raise BadValue("a date typed as text, which arxl does not guess as day/month or month/day",
                       "Retype it as a date cell, or as ISO text such as 2026-11-20.")
    else:
        raise BadValue("not a date", "Type the date as a date cell or as ISO text, such as 2026-11-20.")
    if not date_in_range(stamp):
        raise BadValue(f"a date outside the range arxl reads ({DATE_RANGE})",
                       "Check the year for a typing error.")
    if keep_time:
        return stamp.replace(tzinfo=None)
    return dt.datetime(stamp.year, stamp.month, stamp.day)


def read_value(kind: str, value, serials: int | None = None, currency: str = "", decimal_separator: str = "."):
    """One cell value as the typed value the core expects; None for blank. ``serials`` (a date
    system, SERIALS_1900 or SERIALS_1904) reads a number in a date as an Excel serial number,
    as Excel hands computed dates to a worksheet function (TODAY(), DATE(...), A2+30); without
    it a number where a date belongs is refused, as in a table, where it means a cell that is
    not formatted as a date. A money value is read in ``currency``'s minor unit (a blank
    currency: 2 decimals, ISO's rule for most); text amounts and numbers with
    ``decimal_separator``."""
    if _is_blank(value):
        return None
    if _formula(value) and kind not in ("text", "external"):
        raise BadValue("a formula arxl cannot compute outside Excel",
                       "Replace it by its value (Copy, then Paste Special > Values).")
    if kind in ("id", "text", "external"):
        return _text(value)
    if kind == "money":
        if isinstance(value, dt.date):
            raise BadValue("a date where an amount belongs", "Type the amount, such as 1234.50.")
        try:
            return to_minor(value, currency, decimal_separator)
        except NotAnAmount as exc:
            raise BadValue(exc.problem, exc.hint) from exc
    if kind in ("date", "datetime"):
        return _date(value, keep_time=kind == "datetime", serials=serials)
    if kind in ("number", "integer", "rate"):
        if isinstance(value, bool) or isinstance(value, dt.date):
            raise BadValue("not a number", "Type a number.")
        text = str(value).strip() if isinstance(value, str) else None
        percent = bool(text and text.endswith("%"))
        try:
            number = float(read_decimal(text.rstrip("%"), decimal_separator)) if text is not None else float(value)
        except (ValueError, TypeError) as exc:
            raise BadValue("not a number", f"Type a number such as 12{decimal_separator}5, without text.") from exc
        if not math.isfinite(number):
            raise BadValue("not a number", "Type a number.")
        if kind == "rate":
            number = number / 100 if percent else number
            if not 0 <= number <= 1:
                raise BadValue("not a rate",
                               "Type a percentage from 0% to 100%, such as 8%, or a fraction such as 0.08.")
            return Decimal(str(round(number, 10)))
        if kind == "integer":
            if not number.is_integer():
                raise BadValue("not a whole number", "Type a whole number.")
            if abs(number) > _LARGEST_WHOLE:
                raise BadValue("too large a number", "Check the cell for a typing error.")
            return int(number)
        return number
    raise ValueError(f"unknown column kind {kind!r}")


_SLOW = object()  # a cell the fast paths leave to ``read_value``
_TEXT_KINDS = ("id", "text", "external")
_NUMBER_TYPES = {float, int, type(None)}


def read_column(kind: str, values: list, currencies: list[str] | None = None,
                decimal_separator: str = ".") -> tuple[list, dict[int, BadValue]]:
    """A whole column of cell values through ``read_value``, with fast paths for the common
    cases (numbers already exact to the minor unit, dates already dates in range, plain text),
    each a column at a time. ``currencies``: the currency of each value of a money column.
    Returns the typed values and the bad ones by position."""
    if kind in _TEXT_KINDS:
        out = [None if value is None or value == "" else value
               if value.__class__ is str and value[0] not in " \t" and value[-1] not in " \t\n" else _SLOW
               for value in values]
    elif kind == "money":
        out = _exact_amounts(values, _scales(currencies) if currencies is not None else None)
    elif kind in ("date", "datetime"):
        typed = {value: _in_range(kind, value) for value in set(values)}  # a column repeats its dates
        out = [typed[value] for value in values]
    else:
        out = [None if value is None else _SLOW for value in values]
    bad: dict[int, BadValue] = {}
    for i in [i for i, value in enumerate(out) if value is _SLOW]:
        try:
            out[i] = read_value(kind, values[i], currency=currencies[i] if currencies is not None else "",
                                decimal_separator=decimal_separator)
        except BadValue as exc:
            out[i] = None
            bad[i] = exc
    return out, bad


def _exact_amounts(values: list, scales: list[int] | None) -> list:
    """Numbers exact to the minor unit (but for the float's own error, far below the 15 digits
    Excel shows: no Decimal needed) in minor units, blanks None, anything else ``_SLOW``."""
    types = set(map(type, values))
    if types <= {type(None)}:  # an optional column left blank
        return [None] * len(values)
    numbers = values if types <= _NUMBER_TYPES else [
        value if value.__class__ is float or value.__class__ is int else None for value in values]
    amounts = np.array(numbers, dtype=float)  # a blank (or text) is NaN
    scaled = amounts * (np.asarray(scales, dtype=np.int64) if scales is not None else 100)
    whole = np.rint(scaled)
    size = np.abs(scaled)
    exact = (size < LIMIT - 1) & (np.abs(scaled - whole) <= size * 1e-15)
    if exact.all():
        return whole.astype(np.int64).tolist()
    out = np.where(exact, whole, 0).astype(np.int64).astype(object)  # Python ints
    out[~exact] = None
    out[~exact & (np.array(values, dtype=object) != None)] = _SLOW  # noqa: E711 (element by element)
    return out.tolist()


def _in_range(kind: str, value: object) -> object:
    """A date cell in range as the fast reader gives it (a datetime, or a date), else ``_SLOW``."""
    if value is None:
        return None
    if type(value) is dt.datetime and _FIRST <= value <= _LAST and (
            kind == "datetime" or value.hour == value.minute == value.second == value.microsecond == 0):
        return value
    if type(value) is dt.date and FIRST_DATE <= value <= LAST_DATE:
        return dt.datetime(value.year, value.month, value.day)
    return _SLOW


def _scales(currencies: list[str]) -> list[int]:
    """10**decimals of each currency (few distinct codes, many rows)."""
    of = {c: 10 ** minor_units(c) for c in set(currencies)}
    return [of[c] for c in currencies]


def cell_values(kind: str, series: pd.Series, currencies: list[str] | None = None) -> list:
    """A typed column as the values cells should hold (None for blank), a whole column at a
    time. Minor units become floats by one division each (by 10**decimals of each row's
    ``currencies``), which IEEE rounds to the nearest double of the exact amount: the same float
    ``minor_to_float`` gives."""
    if kind == "money":
        scale = pd.Series(_scales(currencies) if currencies is not None else 100, index=series.index,
                          dtype="Float64")
        return (series.astype("Float64") / scale).to_numpy(dtype=object, na_value=None).tolist()
    if kind in ("date", "datetime"):
        stamps = pd.to_datetime(series).to_numpy("datetime64[D]" if kind == "date" else "datetime64[us]")
        return stamps.astype(object).tolist()
    if kind == "integer":
        return series.astype("Int64").to_numpy(dtype=object, na_value=None).tolist()
    if kind == "number":
        return series.astype("Float64").to_numpy(dtype=object, na_value=None).tolist()
    if kind == "rate":
        return [None if v is None or pd.isna(v) else float(v) for v in series.tolist()]
    return [None if (v is None or (not isinstance(v, str) and pd.isna(v)) or v == "") else str(v)
            for v in series.tolist()]
