"""Customers as bookings see them: found by (location, lower(email)) or created, never updated."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from couvert.phones import e164
from couvert.queries import query
from couvert.requests import Guest


def contact_of(guest: Guest, country: str | None) -> dict[str, Any]:
    """The contact details a booking gives, as stored on it (phone in E.164, read in `country`)."""
    return {"first_name": guest.first_name, "last_name": guest.last_name, "email": guest.email,
            "phone_number": e164(guest.phone, country), "locale": guest.locale}


def find_or_create(conn: psycopg.Connection, location_id: UUID, contact: dict[str, Any]) -> UUID:
    """The customer a booking's contact details belong to; the record on file is left as it is."""
    return conn.execute(query("find_or_create_customer"), {"location_id": location_id, **contact}).fetchone()["id"]
