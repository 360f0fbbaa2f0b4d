from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.calendar import BusinessCalendar

MSK = ZoneInfo("Europe/Moscow")
cal = BusinessCalendar()


def test_within_one_day():
    start = datetime(2026, 11, 24, 10, 0, tzinfo=MSK)  # Tuesday
    assert cal.add_working_hours(start, 4) == datetime(2026, 11, 24, 14, 0, tzinfo=MSK)


def test_rolls_over_evening_and_weekend():
    start = datetime(2026, 11, 27, 16, 0, tzinfo=MSK)  # Friday 16:00 → 2 h Friday, 2 h Monday
    assert cal.add_working_hours(start, 4) == datetime(2026, 11, 30, 11, 0, tzinfo=MSK)


def test_starts_before_opening_and_skips_public_holiday():
    start = datetime(2026, 11, 3, 20, 0, tzinfo=MSK)  # Tue evening; 4 Nov is Unity Day
    assert cal.add_working_hours(start, 4) == datetime(2026, 11, 5, 13, 0, tzinfo=MSK)


def test_new_year_holidays_and_working_days():
    start = datetime(2026, 12, 31, 12, 0, tzinfo=MSK)
    result = cal.add_working_days(start, 1).astimezone(MSK)
    assert result.date() > datetime(2027, 1, 8).date() and result.hour == 18


def test_result_is_utc_and_naive_start_refused():
    assert cal.add_working_hours(datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc), 1).tzinfo == timezone.utc
    with pytest.raises(ValueError):
        cal.add_working_hours(datetime(2026, 11, 24, 10, 0), 1)
