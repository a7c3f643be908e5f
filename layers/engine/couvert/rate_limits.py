"""Limits on what anonymous guests create: reservations and waitlist entries (docs/decisions.md).

Counted per location in PostgreSQL (public.take_rate_limit), inside the creating transaction: a
refused attempt raises, the transaction rolls back, and nothing of it is written - not even the
hit.  Only creations that commit count, so a guest who gets "fully booked" and tries another time is
not punished.  Operators are not limited here (API Gateway throttles every route).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from uuid import UUID

import psycopg

from couvert.db import RequestContext
from couvert.errors import RateLimited
from couvert.queries import query
from couvert.settings import get_settings


def _bucket(kind: str, value: str) -> str:
    # Hashed: the counters hold no address or e-mail in the clear.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def count(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, email: str | None,
          now: dt.datetime) -> psycopg.Cursor | None:
    """Count this creation against the caller's address and e-mail; `check` its cursor for the verdict.
    Sent without waiting for the answer, so a booking counts in the round trip that takes the day's
    lock, before the lock.  Nothing is counted for a location that is unknown or inactive (the
    booking answers 404 for it, as before).  None when nothing is counted (operators, the system)."""
    if caller.actor_type != "guest":  # operators, and the system making waitlist offers
        return None
    settings = get_settings()
    buckets, limits = [], []
    if caller.address:
        buckets.append(_bucket("address", caller.address))
        limits.append(settings.guest_creations_per_address)
    if email:
        buckets.append(_bucket("email", email.strip().lower()))
        limits.append(settings.guest_creations_per_email)
    if not buckets:
        return None
    return conn.execute(query("take_rate_limit"), {
        "location_id": location_id, "buckets": buckets, "limits": limits,
        "window_seconds": settings.rate_limit_window_seconds, "now": now})


def check(counted: psycopg.Cursor | None) -> None:
    """RateLimited when `count` found the caller over a limit."""
    row = counted.fetchone() if counted is not None else None
    if row is not None and row["wait"]:
        raise RateLimited("too many bookings from this client or e-mail address; try again later",
                          retry_after_seconds=row["wait"])


def take(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, email: str | None,
         now: dt.datetime) -> None:
    """Count this creation against the caller's address and e-mail; RateLimited when over a limit."""
    check(count(conn, caller, location_id, email, now))
