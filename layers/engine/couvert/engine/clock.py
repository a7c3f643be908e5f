"""Wall-clock <-> instant conversion.  Done in Python only (zoneinfo): Python and PostgreSQL
disagree on ambiguous local times, so the database only ever sees timestamptz."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def slot_instant(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime | None:
    """The instant of a wall-clock arrival time, or None when DST skips it.

    An ambiguous time (the repeated hour in October) is taken at its first occurrence (fold=0).
    """
    naive = dt.datetime.combine(day, wall)
    aware = naive.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return instant


def wall_instant(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The instant of a wall-clock boundary (rule windows, fixed end times); never None."""
    return dt.datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_date(instant: dt.datetime, tz: ZoneInfo) -> dt.date:
    return instant.astimezone(tz).date()

