"""The waitlist (seed 001): guests wait for a date, a time range and a party size.

An entry expires at the end of its desired range.  Offering freed capacity to waiting guests
(outbox messages) arrives with the sweeps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row

from couvert import customers, rate_limits
from couvert.db import Database, RequestContext, focus_guest
from couvert.engine.clock import local_date, wall_instant, zone
from couvert.errors import NotFound, ValidationFailed
from couvert.formats import hhmm
from couvert.lifecycle import require_location
from couvert.queries import query
from couvert.requests import WaitlistRequest


def _entry_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "location_id": str(row["location_id"]), "customer_id": str(row["customer_id"]),
            "ticket_id": str(row["ticket_id"]) if row["ticket_id"] else None,
            "date": row["desired_date"].isoformat(), "time_from": hhmm(row["time_from"]),
            "time_to": hhmm(row["time_to"]), "party_size": row["party_size"], "status": row["status"],
            "expires_at": row["expires_at"].isoformat(), "created_at": row["created_at"].isoformat()}


def join(db: Database, caller: RequestContext, location_id: UUID, body: WaitlistRequest,
         now: dt.datetime) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        cur = conn.cursor(row_factory=dict_row)
        location = cur.execute(query("snapshot_location"), {"location_id": location_id}).fetchone()
        if location is None:
            raise NotFound("location not found", location_id=str(location_id))
        rate_limits.take(conn, caller, location_id, body.guest.email, now)
        expires_at = wall_instant(body.date, body.time_to, zone(location["timezone"]))
        if expires_at <= now:
            raise ValidationFailed("that time has passed", fields={"time_to": "must be in the future"})
        horizon = cur.execute(query("waitlist_horizon_days"), {"location_id": location_id,
                                                               "ticket_id": body.ticket_id}).fetchone()["days"]
        if (body.date - local_date(now, zone(location["timezone"]))).days > horizon:
            raise ValidationFailed("too far ahead", fields={"date": f"at most {horizon} days ahead, as bookings"})
        customer_id = customers.find_or_create(conn, location_id, customers.contact_of(body.guest, location["country"]))
        entry_id = uuid.uuid4()
        focus_guest(conn, entry_id)
        row = cur.execute(query("insert_waitlist_entry"), {
            "id": entry_id, "location_id": location_id, "customer_id": customer_id, "ticket_id": body.ticket_id,
            "desired_date": body.date, "time_from": body.time_from, "time_to": body.time_to,
            "party_size": body.party_size, "expires_at": expires_at}).fetchone()
    return {"entry": _entry_json(row)}


def list_entries(db: Database, caller: RequestContext, location_id: UUID, date: dt.date) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        rows = conn.cursor(row_factory=dict_row).execute(query("waitlist_for_date"), {"location_id": location_id, "date": date}).fetchall()
    return {"entries": [_entry_json(r) for r in rows]}
