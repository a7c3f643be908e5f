"""The waitlist: guests wait for a date, a time range and a party size.

An entry expires at the end of its desired range.  Offering freed capacity to waiting guests
(outbox messages) arrives with the sweeps.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert import customers, manage_tokens, rate_limits
from couvert.booking import book_under_lock
from couvert.db import Database, RequestContext, focus_guest
from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.engine.clock import local_date, wall_instant, zone
from couvert.errors import NotFound, ValidationFailed
from couvert.formats import hhmm
from couvert.queries import query
from couvert.records import require_location
from couvert.requests import BookingRequest, Guest, WaitlistRequest
from couvert.seating import locked_snapshot


def _entry_json(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), "location_id": str(row["location_id"]), "customer_id": str(row["customer_id"]),
            "ticket_id": str(row["ticket_id"]) if row["ticket_id"] else None,
            "date": row["desired_date"].isoformat(), "time_from": hhmm(row["time_from"]),
            "time_to": hhmm(row["time_to"]), "party_size": row["party_size"], "status": row["status"],
            "expires_at": row["expires_at"].isoformat(), "created_at": row["created_at"].isoformat(),
            # While offered (status notified): the held reservation and until when it is held.
            "reservation_id": str(row["reservation_id"]) if row.get("reservation_id") else None,
            "offer_expires_at": row["offer_expires_at"].isoformat() if row.get("offer_expires_at") else None}


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


def make_offers(db: Database, now: dt.datetime, location_id: UUID | None = None, limit: int = 50) -> dict[str, int]:
    """The scheduled job: offers nobody took in time go to the next in line, and each day with guests
    waiting and capacity free gets one offer: the first guest (in joining order) whose wish fits is
    given the earliest fitting slot, held for them `waitlist_offer_minutes` as a draft reservation
    made through the booking path, and told so (outbox).  One offer at a time per day: a slot is never
    announced to everyone at once."""
    system = RequestContext.system()
    params = {"now": now, "location_id": location_id, "limit": limit}
    with db.transaction(system) as conn:
        expired = len(conn.execute(query("expire_waitlist_offers"), params).fetchall())
        days = conn.execute(query("waitlist_days_to_offer"), params).fetchall()
    if days:
        manage_tokens.load_secret()  # an offer is booked under the day's lock
    offers = 0
    for day in days:
        with db.transaction(system) as conn:
            offers += _offer_for_day(conn, day["location_id"], day["desired_date"], now)
    return {"expired_offers": expired, "offers": offers}


def _offer_for_day(conn: psycopg.Connection, location_id: UUID, date: dt.date, now: dt.datetime) -> int:
    snapshot = locked_snapshot(conn, location_id, date, now)  # the day's lock: offers never race bookings
    engine = AvailabilityEngine(snapshot, now)
    params = {"location_id": location_id, "date": date, "now": now}
    for entry in conn.cursor(row_factory=dict_row).execute(query("waitlist_waiting_for_day"), params).fetchall():
        slot = _first_fitting_slot(engine, snapshot, date, entry)
        if slot is None:
            continue
        minutes = conn.execute(query("waitlist_offer_minutes"), params).fetchone()["minutes"]
        guest = Guest(entry["first_name"], entry["last_name"], entry["email"], entry["phone_number"], entry["locale"])
        reservation_id = book_under_lock(conn, RequestContext.system(), location_id,
                                         BookingRequest(slot[0], date, slot[1], entry["party_size"], guest),
                                         now, hold_minutes=minutes).reservation_id
        expires = now + dt.timedelta(minutes=minutes)
        conn.execute(query("record_waitlist_offer"), {"id": entry["id"], "now": now, "offer_expires_at": expires,
                                                     "reservation_id": reservation_id})
        conn.execute(query("queue_waitlist_offer"), {"location_id": location_id, "reservation_id": reservation_id,
                                                    "entry_id": entry["id"], "offer_expires_at": expires, "now": now})
        return 1
    return 0


def _first_fitting_slot(engine: AvailabilityEngine, snapshot, date: dt.date,
                        entry: dict[str, Any]) -> tuple[UUID, dt.time] | None:
    """The earliest bookable (ticket, time) in the entry's range.  Tickets that take a payment are
    left out: an offer holds a table without one (docs/decisions.md, "Waitlist")."""
    best: tuple[dt.time, UUID] | None = None
    for ticket_result in engine.availability(AvailabilityRequest(date, entry["party_size"], "widget", entry["ticket_id"])):
        ticket = snapshot.tickets[ticket_result.ticket.id]
        if ticket.policy.payment_type in ("deposit_pp", "full_prepay_pp"):
            continue
        for shift in ticket_result.shifts:
            for slot in shift.slots:
                if slot.available and entry["time_from"] <= slot.time <= entry["time_to"] and \
                        (best is None or slot.time < best[0]):
                    best = (slot.time, ticket.id)
    return (best[1], best[0]) if best else None
