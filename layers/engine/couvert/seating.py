"""Fitting a stay under the booking lock, for a new booking and for every correction.

The same engine decides everywhere: a booking's requested slot, an operator's own table, and a
re-check of an existing reservation after a change — a PATCH, a payment that arrives after its hold
lapsed, an expired option an operator re-books, a late guest seated after a no-show.  Each re-check
runs on a snapshot read under the (location, date) lock with the reservation itself left out.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from uuid import UUID

import psycopg

from couvert.db import RequestContext
from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.engine.clock import zone
from couvert.engine.model import Booking, SlotResult, Snapshot, Ticket
from couvert.errors import SlotUnavailable, ValidationFailed
from couvert.idempotency import Claim, Replay, claim_params, replay_of
from couvert.pipelines import batch
from couvert.queries import query
from couvert.requests import BookingRequest
from couvert.settings import get_settings
from couvert.snapshots import Arrival, send_snapshot

# The reasons an operator's own table overrides: capacity and ticket areas are the host's call.
TABLE_REASONS = frozenset({"tables_full", "squeeze_limit", "overbooking_limit"})

# When the booking window (cut_off) applies to a re-check: always (a guest's booking), never (a late
# payment or a re-booked option: the guest already made the booking in time), or not once the
# reservation has started or is inside its own cut-off (a host moving a seated or imminent party).
BookingWindow = Literal["apply", "skip", "skip_once_started"]


class SeatChoice(NamedTuple):
    """Where to seat: an operator's table or group, else the engine's choice."""

    table_id: UUID | None = None
    table_group_id: UUID | None = None
    allow_squeeze: bool = False

    @property
    def explicit(self) -> bool:
        return self.table_id is not None or self.table_group_id is not None


class Stay(NamedTuple):
    """What a reservation occupies once re-checked: the columns a correction writes."""

    shift_id: UUID
    start_time: dt.time
    end_time: dt.time
    start_at: dt.datetime
    end_at: dt.datetime
    occupied_until: dt.datetime
    party_size: int
    table_id: UUID | None
    table_group_id: UUID | None
    is_squeeze: bool

    def columns(self) -> dict[str, Any]:
        return self._asdict()


def locked_snapshot(conn: psycopg.Connection, location_id: UUID, day: dt.date, now: dt.datetime) -> Snapshot:
    """Take the (location, date) booking lock, free lapsed holds and load the day's snapshot, in one
    round trip.  The statements run in order, so everything after the lock is read under it."""
    with batch(conn):
        read = send_locked_snapshot(conn, location_id, day, now)
    return read()


def send_locked_snapshot(conn: psycopg.Connection, location_id: UUID, day: dt.date,
                         now: dt.datetime) -> Callable[[], Snapshot]:
    """locked_snapshot's statements, sent into the pipeline `conn` is in (snapshots.send_snapshot):
    what it returns reads the snapshot once the pipeline has ended."""
    settings = get_settings()
    if not settings.unsafe_skip_booking_lock:
        conn.execute(query("lock_location_day"), {"location_id": location_id, "day": day,
                                                  "lock_timeout": f"{settings.booking_lock_timeout_ms}ms"})
    conn.execute(query("release_lapsed_holds"), {"location_id": location_id, "day": day, "now": now})
    return send_snapshot(conn, location_id, day)


@dataclass
class Opening:
    """A booking opened under its day's lock (open_under_lock): what open_booking answers and the
    snapshot, sent together and read together."""

    reservation_id: UUID
    claimed_key: str | None  # the Idempotency-Key this booking is made under
    opened: psycopg.Cursor
    read_snapshot: Callable[[], Snapshot]
    _row: dict[str, Any] | None = None

    def _opened(self) -> dict[str, Any]:
        if self._row is None:
            self._row = self.opened.fetchone()  # waits for the batch's answers: the round trip
        return self._row

    def replay(self) -> Replay | None:
        """The first booking under this Idempotency-Key, when the key was used before (nothing was
        locked or counted then)."""
        return replay_of(self._opened())

    def read(self) -> tuple[dict[str, Any], Snapshot]:
        """The location's booking settings and the snapshot, read under the lock (NotFound for an
        unknown location)."""
        return self._opened(), self.read_snapshot()


def open_under_lock(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, body: BookingRequest,
                    now: dt.datetime, claim: Claim | None = None) -> Opening:
    """Send what opens a booking, to travel in one round trip: open_booking (the guest's focus on the
    new reservation, the Idempotency-Key's claim, the day's lock, the lapsed holds freed) and the
    snapshot of the reservations that can touch the requested stay, read under the lock."""
    reservation_id = uuid.uuid4()
    settings = get_settings()
    with batch(conn):
        opened = conn.execute(query("open_booking"), {
            "location_id": location_id, "day": body.date, "now": now, "subject_id": reservation_id,
            "lock_timeout": None if settings.unsafe_skip_booking_lock else f"{settings.booking_lock_timeout_ms}ms",
            **claim_params(claim)})
        # The engine decides the requested slot alone: the reservations that can touch its stay do.
        read_snapshot = send_snapshot(conn, location_id, body.date, arrival=Arrival(body.ticket_id, body.time))
    return Opening(reservation_id, claim.key if claim else None, opened, read_snapshot)


def seat(engine: AvailabilityEngine, day: dt.date, ticket: Ticket, slot: SlotResult,
         choice: SeatChoice) -> SlotResult:
    """The engine's verdict, an operator's own table, or a 409 with the engine's reason."""
    if choice.explicit:
        if not slot.available and slot.reason_code not in TABLE_REASONS:
            raise SlotUnavailable(f"slot unavailable: {slot.reason_code}", reason_code=slot.reason_code)
        end = slot.start_at + dt.timedelta(minutes=ticket.duration_minutes)
        occupied = end + dt.timedelta(minutes=ticket.buffer_minutes)
        if not engine.seat_is_free(day, choice.table_id, choice.table_group_id, slot.start_at, end, occupied):
            raise SlotUnavailable("that table is not free for this stay", reason_code="tables_full")
        return SlotResult(slot.time, slot.start_at, True, "normal", "available", ticket.duration_minutes,
                          choice.table_id, choice.table_group_id, occupied)
    if not slot.available:
        raise SlotUnavailable(f"slot unavailable: {slot.reason_code}", reason_code=slot.reason_code)
    if slot.slot_type == "squeeze" and not choice.allow_squeeze:
        raise SlotUnavailable("only a shorter (squeeze) stay fits: book it with allow_squeeze",
                              reason_code="tables_full", squeeze_available=True,
                              squeeze_duration_minutes=slot.duration_minutes)
    return slot


def without_reservation(snapshot: Snapshot, reservation_id: UUID) -> Snapshot:
    """The snapshot with a reservation left out: what a re-check of that reservation sees."""
    return snapshot._replace(bookings=tuple(b for b in snapshot.bookings if b.id != reservation_id))


def _seats(snapshot: Snapshot, choice: SeatChoice, party_size: int) -> bool:
    """Whether the table (or group) takes a party of this size (an operator's own choice skips this)."""
    if choice.table_id is not None:
        table = snapshot.tables.get(choice.table_id)
        return table is not None and table.min_capacity <= party_size <= table.max_capacity
    group = next((g for g in snapshot.table_groups if g.id == choice.table_group_id), None)
    return group is not None and group.min_capacity <= party_size <= group.max_capacity


def recheck(conn: psycopg.Connection, current: dict[str, Any], now: dt.datetime, *,
            time: dt.time | None = None, party_size: int | None = None, choice: SeatChoice | None = None,
            booking_window: BookingWindow = "apply") -> Stay:
    """Re-run the engine for a reservation's (new) time and party size, as if it were booked now.

    Seats it at the operator's `choice` when given, else at its current table when that still fits,
    else at the engine's choice; raises SlotUnavailable with the engine's reason otherwise.
    """
    day = current["reservation_date"]
    snapshot = without_reservation(locked_snapshot(conn, current["location_id"], day, now), current["id"])
    ticket = snapshot.tickets[current["ticket_id"]]
    party_size = party_size or current["party_size"]
    respect_window = booking_window == "apply" or (
        booking_window == "skip_once_started" and current["start_at"] - now >= ticket.min_advance(party_size))
    request = AvailabilityRequest(day, party_size, current["channel"], ticket.id, respect_window)
    engine = AvailabilityEngine(snapshot, now)
    arrival = time or current["start_time"]
    found = engine.evaluate(request, ticket.id, arrival)
    if found is None:
        raise ValidationFailed(f"{arrival:%H:%M} is not an arrival time of this ticket on {day}",
                               fields={"time": "not an arrival time of this ticket that day"})
    shift, slot = found
    current_seat = SeatChoice(current["table_id"], current["table_group_id"])
    if choice is not None:
        slot = seat(engine, day, ticket, slot, choice)
    elif current_seat.explicit and (party_size == current["party_size"]
                                    or _seats(snapshot, current_seat, party_size)):
        try:  # the current table when it still fits: a correction should not move a party needlessly
            slot = seat(engine, day, ticket, slot, current_seat)
        except SlotUnavailable:
            slot = seat(engine, day, ticket, slot, SeatChoice(allow_squeeze=True))
    else:
        slot = seat(engine, day, ticket, slot, SeatChoice(allow_squeeze=True))
    tz = zone(snapshot.location.timezone)
    return Stay(shift.shift_id, arrival, slot.end_at.astimezone(tz).time(), slot.start_at, slot.end_at,
                slot.occupied_until or slot.end_at, party_size, slot.table_id, slot.table_group_id,
                slot.slot_type == "squeeze")


def free_seat(conn: psycopg.Connection, current: dict[str, Any], now: dt.datetime,
              table_id: UUID | None = None) -> tuple[UUID | None, UUID | None]:
    """A table for a guest who arrives after being marked a no-show: the host's `table_id`, else the
    reservation's own table when still free, else the engine's choice.  Only tables are checked — the
    party came; pacing and covers were decided when it booked."""
    day = current["reservation_date"]
    snapshot = without_reservation(locked_snapshot(conn, current["location_id"], day, now), current["id"])
    engine = AvailabilityEngine(snapshot, now)
    stay = (current["start_at"], current["end_at"], current["occupied_until"])
    if table_id is not None:
        if engine.seat_is_free(day, table_id, None, *stay):
            return table_id, None
        raise SlotUnavailable("that table is not free for this stay", reason_code="tables_full")
    seat_now = (current["table_id"], current["table_group_id"])
    if any(seat_now) and engine.seat_is_free(day, *seat_now, *stay):
        return seat_now
    itself = Booking(current["id"], current["shift_id"], current["ticket_id"], day, current["start_at"],
                     current["occupied_until"], current["party_size"], "seated", end_at=current["end_at"])
    chosen = engine.choose_table(itself, online=False)
    if chosen == (None, None):
        raise SlotUnavailable("no table is free for this party now; choose one (table_id)",
                              reason_code="tables_full")
    return chosen
