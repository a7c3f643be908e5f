"""Limits on what anonymous guests create: reservations and waitlist entries (docs/decisions.md).

Counted per location in PostgreSQL (public.take_rate_limit), inside the creating transaction: a
refused attempt raises, the transaction rolls back, and nothing of it is written - not even the
hit.  Only creations that commit count, so a guest who gets "fully booked" and tries another time is
not punished.  Operators are not limited here (API Gateway throttles every route).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, NamedTuple
from uuid import UUID

import psycopg

from couvert.db import RequestContext
from couvert.errors import RateLimited
from couvert.queries import query
from couvert.settings import get_settings


def _bucket(kind: str, value: str) -> str:
    # Hashed: the counters hold no address or e-mail in the clear.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class Counted(NamedTuple):
    """What a guest's creation counts against: hashed buckets (its address, its e-mail address), their
    limits, and the window."""

    buckets: list[str]
    limits: list[int]
    window_seconds: int

    @property
    def params(self) -> dict[str, Any]:
        return {"buckets": self.buckets, "limits": self.limits, "window_seconds": self.window_seconds}


NOT_COUNTED = {"buckets": None, "limits": None, "window_seconds": None}


def counted(caller: RequestContext, email: str | None) -> Counted | None:
    """What this creation counts against; None when nothing is counted (operators, the system making
    waitlist offers, a guest with neither address nor e-mail)."""
    if caller.actor_type != "guest":
        return None
    settings = get_settings()
    buckets, limits = [], []
    if caller.address:
        buckets.append(_bucket("address", caller.address))
        limits.append(settings.guest_creations_per_address)
    if email:
        buckets.append(_bucket("email", email.strip().lower()))
        limits.append(settings.guest_creations_per_email)
    return Counted(buckets, limits, settings.rate_limit_window_seconds) if buckets else None


def count(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, email: str | None,
          now: dt.datetime) -> psycopg.Cursor | None:
    """Count this creation against the caller's address and e-mail; `check` its cursor for the verdict.
    Nothing is counted for a location that is unknown or inactive.  None when nothing is counted.
    (A booking counts inside book_reservation, with its writes: migration 0035.)"""
    limits = counted(caller, email)
    if limits is None:
        return None
    return conn.execute(query("take_rate_limit"), {"location_id": location_id, **limits.params, "now": now})


def check(counted_cursor: psycopg.Cursor | None) -> None:
    """RateLimited when `count` found the caller over a limit."""
    row = counted_cursor.fetchone() if counted_cursor is not None else None
    if row is not None and row["wait"]:
        raise RateLimited("too many bookings from this client or e-mail address; try again later",
                          retry_after_seconds=row["wait"])


def take(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, email: str | None,
         now: dt.datetime) -> None:
    """Count this creation against the caller's address and e-mail; RateLimited when over a limit."""
    check(count(conn, caller, location_id, email, now))
