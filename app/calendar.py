"""The business calendar: working hours in the company timezone, weekends and Russian public holidays.

One calendar serves SLAs ("4 working hours") and due dates ("3 working days").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=32)
def _ru_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


@dataclass(frozen=True)
class BusinessCalendar:
    tz_name: str = "Europe/Moscow"
    start_hour: int = 9
    end_hour: int = 18

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _ru_holidays(day.year)

    def _day_bounds(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, time(self.start_hour), tzinfo=self.tz),
                datetime.combine(day, time(self.end_hour), tzinfo=self.tz))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (aware), as aware UTC."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        remaining = timedelta(hours=hours)
        moment = start.astimezone(self.tz)
        while True:
            day = moment.date()
            opens, closes = self._day_bounds(day)
            if self.is_working_day(day) and moment < closes:
                moment = max(moment, opens)
                available = closes - moment
                if remaining <= available:
                    return (moment + remaining).astimezone(timezone.utc)
                remaining -= available
            moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the working day `days` working days after `start`'s date, as aware UTC."""
        day = start.astimezone(self.tz).date()
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return self._day_bounds(day)[1].astimezone(timezone.utc)
