"""Limits on what anonymous guests create: reservations and waitlist entries (docs/decisions.md).

Counted per location in PostgreSQL (public.take_rate_limit), inside the creating transaction: a
refused attempt raises, the transaction rolls back, and nothing of it is written - not even the
hit.  Only creations that commit count, so a guest who gets "fully booked" and tries another time is
not punished.  Operators are not limited here (API Gateway throttles every route).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from uuid import UUID

import psycopg

from couvert.db import RequestContext
from couvert.errors import RateLimited
from couvert.queries import query
from couvert.settings import get_settings


def _bucket(kind: str, value: str) -> str:
    # Hashed: the counters hold no address or e-mail in the clear.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def limits(caller: RequestContext, email: str | None) -> dict[str, Any]:
    """take_rate_limit's buckets, their limits and the window for this creation: the caller's address
    and the e-mail address, hashed.  All None when nothing is counted (operators, the system making
    waitlist offers, a guest with neither address nor e-mail)."""
    buckets, counts = [], []
    if caller.actor_type == "guest":
        settings = get_settings()
        if caller.address:
            buckets.append(_bucket("address", caller.address))
            counts.append(settings.guest_creations_per_address)
        if email:
            buckets.append(_bucket("email", email.strip().lower()))
            counts.append(settings.guest_creations_per_email)
    if not buckets:
        return {"buckets": None, "limits": None, "window_seconds": None}
    return {"buckets": buckets, "limits": counts, "window_seconds": get_settings().rate_limit_window_seconds}


def count(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, email: str | None,
          now: dt.datetime) -> psycopg.Cursor | None:
    """Count this creation against the caller's address and e-mail; `check` its cursor for the verdict.
    Nothing is counted for a location that is unknown or inactive.  None when nothing is counted.
    (A booking counts inside book_reservation, with its writes: migration 0035.)"""
    params = limits(caller, email)
    if params["buckets"] is None:
        return None
    return conn.execute(query("take_rate_limit"), {"location_id": location_id, **params, "now": now})


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
