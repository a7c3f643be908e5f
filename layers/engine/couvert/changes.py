"""Operators changing a booking: PATCH (time, party size, table, notes, badges) and seating an
unassigned reservation by the engine's choice (auto_assign_table).

Both run under the booking's (location, date) lock and let the same engine decide (seating.py);
each changed field is audited on its own, and a guest hears of a new time or party size.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert.audit import audit, id_text
from couvert.auth import require_operator
from couvert.db import Database, RequestContext
from couvert.engine import AvailabilityEngine
from couvert.errors import NotFound, SlotUnavailable
from couvert.formats import hhmm
from couvert.queries import query
from couvert.requests import ReservationChange
from couvert.reservations import reservation_json
from couvert.seating import SeatChoice, Stay, locked_snapshot, recheck, without_reservation

# A change of time or party size is told to a guest whose booking they know of.
GUEST_KNOWS = frozenset({"pending_payment", "option", "confirmed"})


def change_reservation(db: Database, caller: RequestContext, reservation_id: UUID, change: ReservationChange,
                       now: dt.datetime) -> dict[str, Any]:
    """An operator moves a reservation (time, party size, table) or edits its notes and badges.

    Same lock and engine as booking: the reservation itself is left out of the snapshot, the new
    shape must be one the engine would book, and each changed field is audited on its own.
    """
    require_operator(caller)
    with db.transaction(caller) as conn:
        current = conn.cursor(row_factory=dict_row).execute(
            query("reservation_for_change"), {"id": reservation_id}).fetchone()
        if current is None:
            raise NotFound("reservation not found")
        stay, notes, audits = _plan_change(conn, current, change, now)
        with conn.pipeline():
            if stay is not None:
                conn.execute(query("take_stay"), {"id": reservation_id, **stay.columns()})
            if notes is not None:
                conn.execute(query("set_notes_and_badges"), {"id": reservation_id, **notes})
            if stay is not None and current["status"] in GUEST_KNOWS and (
                    (current["start_at"], current["party_size"]) != (stay.start_at, stay.party_size)):
                conn.execute(query("queue_message"), {"location_id": current["location_id"],
                                                      "reservation_id": reservation_id,
                                                      "kind": "message.modification", "now": now})
        with conn.pipeline():
            for action, old, new in audits:
                audit(conn, caller, current["location_id"], reservation_id, action, old, new)
            saved = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id})
        return {"reservation": reservation_json(saved.fetchone(), for_guest=False)}


def _plan_change(conn: psycopg.Connection, current: dict[str, Any], change: ReservationChange, now: dt.datetime,
                 ) -> tuple[Stay | None, dict[str, Any] | None, list[tuple[str, Any, Any]]]:
    """The re-checked stay (when time, party or table change), the notes and badges (when they
    change), and one audit entry per changed field."""
    fields = change.given
    stay = notes = None
    audits: list[tuple[str, Any, Any]] = []
    if {"time", "party_size", "table_id", "table_group_id"} & fields:
        if current["status"] not in ("draft", "pending_payment", "option", "confirmed", "seated"):
            raise SlotUnavailable(f"a {current['status']} reservation cannot be moved", reason_code="closed")
        explicit = {"table_id", "table_group_id"} & fields
        stay = recheck(conn, current, now, time=change.time,
                       party_size=change.party_size if "party_size" in fields else None,
                       choice=SeatChoice(change.table_id, change.table_group_id) if explicit else None,
                       booking_window="skip_once_started")
        if current["start_time"] != stay.start_time:
            audits.append(("time_change", {"time": hhmm(current["start_time"])}, {"time": hhmm(stay.start_time)}))
        if current["party_size"] != stay.party_size:
            audits.append(("party_size_change", {"party_size": current["party_size"]},
                           {"party_size": stay.party_size}))
        old_seat = (current["table_id"], current["table_group_id"])
        if old_seat != (stay.table_id, stay.table_group_id):
            audits.append(("table_change", {"table_id": id_text(old_seat[0]), "table_group_id": id_text(old_seat[1])},
                           {"table_id": id_text(stay.table_id), "table_group_id": id_text(stay.table_group_id)}))
    new_notes = change.internal_notes if "internal_notes" in fields else current["internal_notes"]
    new_badges = list(change.badges) if "badges" in fields and change.badges is not None else current["badges"]
    if new_notes != current["internal_notes"]:
        audits.append(("notes_change", {"internal_notes": current["internal_notes"]}, {"internal_notes": new_notes}))
    if new_badges != current["badges"]:
        audits.append(("badges_change", {"badges": current["badges"]}, {"badges": new_badges}))
    if (new_notes, new_badges) != (current["internal_notes"], current["badges"]):
        notes = {"internal_notes": new_notes, "badges": Jsonb(new_badges)}
    return stay, notes, audits



def auto_assign_table(db: Database, caller: RequestContext, reservation_id: UUID,
                      now: dt.datetime) -> tuple[UUID | None, UUID | None]:
    """Seat an existing reservation that has no table, by the engine's choice rule (docs/engine.md §5).

    Under the booking lock, with the reservation itself left out of the snapshot; returns the
    (table_id, table_group_id) chosen, (None, None) when nothing fits (the reservation is unchanged).
    """
    with db.transaction(caller) as conn:
        current = conn.cursor(row_factory=dict_row).execute(
            query("reservation_for_change"), {"id": reservation_id}).fetchone()
        if current is None:
            raise NotFound("reservation not found")
        if current["table_id"] or current["table_group_id"]:
            return current["table_id"], current["table_group_id"]
        snapshot = locked_snapshot(conn, current["location_id"], current["reservation_date"], now)
        reservation_id = current["id"]
        itself = next((b for b in snapshot.bookings if b.id == reservation_id), None)
        if itself is None:  # not holding capacity (cancelled, lapsed): nothing to seat
            return None, None
        snapshot = without_reservation(snapshot, reservation_id)
        online = current["channel"] in ("widget", "google", "third_party")
        table_id, group_id = AvailabilityEngine(snapshot, now).choose_table(itself, online)
        if table_id or group_id:
            conn.execute(query("assign_table"), {"id": reservation_id, "table_id": table_id,
                                                 "table_group_id": group_id})
            audit(conn, caller, current["location_id"], reservation_id, "table_change",
                  {"table_id": None, "table_group_id": None},
                  {"table_id": id_text(table_id), "table_group_id": id_text(group_id), "auto": True})
        return table_id, group_id
