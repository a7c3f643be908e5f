"""The tests' one clock: a pinned moment derived from the real date, and every date computed from it.

Tests never write calendar dates: a literal date passes one day and the test with it breaks.  The
pinned moment is the next Monday 09:00 UTC at least a week after the real (or libfaketime's) today,
so every booking window, hold and grace period the tests build lies ahead of it by construction.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def pinned_now(today: dt.date | None = None) -> dt.datetime:
    """The next Monday 09:00 UTC at least seven days after `today` (default: the machine's today)."""
    today = today or dt.datetime.now(dt.UTC).date()
    start = today + dt.timedelta(days=7)
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    return dt.datetime.combine(monday, dt.time(9, 0), tzinfo=dt.UTC)


PINNED_NOW = pinned_now()
PINNED_DAY = PINNED_NOW.date()  # a Monday


def day(offset: int) -> dt.date:
    """The date `offset` days after the pinned Monday (9 is a Wednesday, 10 a Thursday, ...)."""
    return PINNED_DAY + dt.timedelta(days=offset)


def iso(offset: int) -> str:
    """`day(offset)` as the API's YYYY-MM-DD."""
    return day(offset).isoformat()


def at(offset: int, wall: str, tz: ZoneInfo = AMSTERDAM) -> dt.datetime:
    """The instant of wall-clock time `wall` (HH:MM) on `day(offset)` in `tz`, as UTC."""
    local = dt.datetime.combine(day(offset), dt.time.fromisoformat(wall), tzinfo=tz)
    return local.astimezone(dt.UTC)


def later(**delta: float) -> dt.datetime:
    """The pinned moment moved by a timedelta's keywords (minutes=16, days=-1, ...)."""
    return PINNED_NOW + dt.timedelta(**delta)


def dst_changes(year: int, tz: ZoneInfo = AMSTERDAM) -> tuple[dt.date, dt.date]:
    """The local dates in `year` on which `tz` springs forward and falls back (found, not hard-coded)."""
    changes: list[dt.date] = []
    noon = dt.datetime(year, 1, 1, 12, tzinfo=tz)
    for n in range(366):
        today = (noon + dt.timedelta(days=n)).date()
        before = dt.datetime.combine(today, dt.time(0, 0), tzinfo=tz).utcoffset()
        after = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz).utcoffset()
        if before != after:
            changes.append(today)
    spring, autumn = (c for c in changes if c.month < 7), (c for c in changes if c.month >= 7)
    return next(spring), next(autumn)


def next_dst_years() -> tuple[int, int]:
    """The two calendar years after the pinned moment's: their DST days all lie ahead of it."""
    return PINNED_NOW.year + 1, PINNED_NOW.year + 2


def local_iso(offset: int, wall: str, tz: ZoneInfo = AMSTERDAM) -> str:
    """How the API writes that instant: ISO 8601 with the location's offset on that day."""
    return at(offset, wall, tz).astimezone(tz).isoformat()
