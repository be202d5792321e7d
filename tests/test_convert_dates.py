"""Excel serial numbers as dates: the one rule every door uses (arxl.book.convert)."""
from __future__ import annotations

import datetime as dt

import pytest

from arxl.book.convert import SERIALS_1900, SERIALS_1904, BadValue, date_from_serial, read_value


@pytest.mark.parametrize(("serial", "shown"), [
    (1, dt.datetime(1900, 1, 1)),      # Excel's first date
    (59, dt.datetime(1900, 2, 28)),
    (61, dt.datetime(1900, 3, 1)),     # after the 29 February 1900 Excel counts
    (46346, dt.datetime(2026, 11, 20)),
    (46346.75, dt.datetime(2026, 11, 20, 18, 0)),
    (2958465, dt.datetime(9999, 12, 31)),
])
def test_serials_of_the_1900_system_are_the_dates_excel_shows(serial, shown):
    assert date_from_serial(serial) == shown


def test_serials_of_the_1904_system_count_from_1904():
    assert date_from_serial(0, SERIALS_1904) == dt.datetime(1904, 1, 1)
    assert date_from_serial(44884, SERIALS_1904) == dt.datetime(2026, 11, 20)
    assert date_from_serial(46346 - 1462, SERIALS_1904) == date_from_serial(46346, SERIALS_1900)


@pytest.mark.parametrize("serial", [0, 0.5, -1, 2958466, float("nan"), float("inf"), True])
def test_numbers_outside_excels_calendar_are_refused(serial):
    with pytest.raises(BadValue, match="not a date"):
        date_from_serial(serial)


def test_the_29th_of_february_1900_is_refused_with_its_own_reason():
    with pytest.raises(BadValue, match="never was"):
        date_from_serial(60.25)


def test_a_number_is_a_date_only_where_the_door_says_excel_handed_over_a_serial():
    with pytest.raises(BadValue, match="a number where a date belongs"):
        read_value("date", 46346.0)  # in a table: a cell not formatted as a date
    assert read_value("date", 46346.6, SERIALS_1900) == dt.datetime(2026, 11, 20)  # the time is dropped
    assert read_value("datetime", 46346.5, SERIALS_1900) == dt.datetime(2026, 11, 20, 12, 0)
    assert read_value("date", None, SERIALS_1900) is None
    assert read_value("money", 46346.0, SERIALS_1900) == 4634600  # only dates change
