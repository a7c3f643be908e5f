"""The operator's location-wide reads and records: whether the caller may see the location, the
evening's list with its floor, the outbox's events.  Apart from a reservation's own moves
(couvert.lifecycle), so that the routes reading a location load neither the engine nor seating."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert.db import Database, RequestContext
from couvert.errors import InvalidTransition, NotFound
from couvert.formats import plain_row
from couvert.queries import query
from couvert.reservations import reservation_json


def require_location(conn: psycopg.Connection, location_id: UUID) -> str:
    """404 unless the caller may see the location (row-level security decides); its time zone."""
    row = conn.execute(query("location_visible"), {"location_id": location_id}).fetchone()
    if row is None:
        raise NotFound("location not found")
    return row["timezone"]


def list_reservations(db: Database, caller: RequestContext, location_id: UUID, date: dt.date,
                      status: str | None) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        params = {"location_id": location_id, "date": date, "status": status}
        with conn.pipeline():  # the evening and its floor in one round trip
            rows, tables, shifts = (conn.cursor(row_factory=dict_row).execute(query(name), params)
                                    for name in ("list_reservations", "floor_tables", "floor_shifts"))
        return {"reservations": [reservation_json(r, for_guest=False) for r in rows.fetchall()],
                "tables": [plain_row(t) for t in tables.fetchall()],
                "shifts": [plain_row(s) for s in shifts.fetchall()]}


def list_outbox(db: Database, caller: RequestContext, location_id: UUID, status: str) -> dict[str, Any]:
    """The location's outbox events in one status (`failed`: what needs a human), newest first."""
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        rows = conn.cursor(row_factory=dict_row).execute(
            query("list_outbox_events"), {"location_id": location_id, "status": status}).fetchall()
    return {"events": [plain_row(r) for r in rows]}


def retry_outbox_event(db: Database, caller: RequestContext, location_id: UUID, event_id: UUID,
                       now: dt.datetime) -> dict[str, Any]:
    """Give a failed event back to the dispatcher, due now; only failed events can be requeued."""
    params = {"location_id": location_id, "event_id": event_id, "now": now}
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        cur = conn.cursor(row_factory=dict_row)
        row = cur.execute(query("requeue_outbox_event"), params).fetchone()
        if row is None:
            current = cur.execute(query("outbox_event_status"), params).fetchone()
            if current is None:
                raise NotFound("outbox event not found")
            raise InvalidTransition("only a failed event can be requeued", current_status=current["status"])
    return {"event": plain_row(row)}
