"""Business hours: only the studio's working days count (its time zone; weekends and the public
holidays of its country are off). Pure Python over `holidays`; no Django import."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@lru_cache(maxsize=16)
def _holiday_calendar(country: str):
    return holidays.country_holidays(country)


def is_working_day(day: date, *, country: str) -> bool:
    return day.weekday() < 5 and day not in _holiday_calendar(country)


def add_business_hours(start: datetime, hours: float, *, tz: str, country: str) -> datetime:
    """The moment `hours` working-day hours after `start` (aware datetime in, aware UTC-comparable out).

    Time on weekends and public holidays does not count; a start on a day off counts from the
    next working day's midnight.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    remaining = timedelta(hours=hours)
    day = local.date()
    cursor = local
    while True:
        if is_working_day(day, country=country):
            day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time.min, tzinfo=zone)


def business_hours_between(start: datetime, end: datetime, *, tz: str, country: str) -> float:
    """Working-day hours from `start` to `end`; negative when `end` is before `start`."""
    if end < start:
        return -business_hours_between(end, start, tz=tz, country=country)
    zone = ZoneInfo(tz)
    cursor = start.astimezone(zone)
    stop = end.astimezone(zone)
    total = timedelta()
    while cursor < stop:
        day = cursor.date()
        day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        segment_end = min(day_end, stop)
        if is_working_day(day, country=country):
            total += segment_end - cursor
        cursor = segment_end
    return total.total_seconds() / 3600
