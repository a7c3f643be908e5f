"""Atomic reservation creation (api.md "Create", engine.md section 8).

One transaction: claim the Idempotency-Key, lock the (location, date), free lapsed holds, load the
snapshot and re-run the engine for the requested slot, choose (or check) the table, find or create
the customer, insert the reservation (its table occupancy follows by trigger, under the exclusion
constraint), write the audit trail and outbox, create the Stripe PaymentIntent for a deposit, store
the answer for replays, commit.  If Stripe fails, the transaction rolls back and nothing is held.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert.api_models import ChangeIn, PaymentOut, ReservationIn, hhmm, money
from couvert.availability_service import check_channel, validate_party
from couvert.db import Database, RequestContext
from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.engine.clock import zone
from couvert.engine.model import Policy, SlotResult, Snapshot, Ticket
from couvert.errors import Forbidden, IdempotencyConflict, NotFound, SlotUnavailable, ValidationFailed
from couvert.payments import StripePayments, to_cents
from couvert.queries import query
from couvert.reservations import reservation_json
from couvert.settings import get_settings
from couvert.snapshots import load_snapshot

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
TABLE_REASONS = frozenset({"tables_full", "squeeze_limit", "overbooking_limit"})


@dataclass(frozen=True)
class BookingResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def request_hash(body: ReservationIn, caller: RequestContext) -> str:
    canonical = json.dumps({"caller": caller.user_id or "guest", "body": body.model_dump(mode="json")},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_caller(caller: RequestContext, body: ReservationIn) -> None:
    check_channel(caller, body.channel)
    if caller.is_operator:
        return
    for field in ("status", "table_id", "table_group_id", "internal_notes"):
        if getattr(body, field) is not None:
            raise Forbidden(f"only operators may set {field}", field=field)


def policy_snapshot(ticket: Ticket) -> dict[str, Any]:
    """The terms the booking was made under; later policy edits never change them."""
    p: Policy = ticket.policy
    return {"policy_set_id": str(p.id), "name": p.name, "payment_type": p.payment_type,
            "payment_amount": money(p.payment_amount), "cancel_free_hours": p.cancel_free_hours,
            "cancel_refund_pct": p.cancel_refund_pct, "noshow_mark_after_minutes": p.noshow_mark_after_minutes,
            "noshow_keep_deposit": p.noshow_keep_deposit, "reconfirm_enabled": p.reconfirm_enabled,
            "reconfirm_hours_before": p.reconfirm_hours_before, "reconfirm_required": p.reconfirm_required}


def create_reservation(db: Database, caller: RequestContext, location_id: UUID, body: ReservationIn,
                       idempotency_key: str | None, now: dt.datetime,
                       payments: StripePayments | None = None) -> BookingResult:
    _check_caller(caller, body)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters",
                               fields={"Idempotency-Key": "1 to 255 characters"})
    digest = request_hash(body, caller)
    try:
        with _table_conflicts(), db.transaction(caller) as conn:
            if idempotency_key is not None:
                replay = _claim_key(conn, location_id, idempotency_key, digest)
                if replay is not None:
                    return replay
            result = _book(conn, caller, location_id, body, now, payments)
            if idempotency_key is not None:
                conn.execute(query("store_idempotent_response"), {
                    "location_id": location_id, "key": idempotency_key,
                    "status_code": result.status_code, "response": Jsonb(result.body)})
            return result
    except psycopg.errors.InsufficientPrivilege:
        # Row-level security refused a write: the caller has no rights at this location.
        raise Forbidden("not allowed at this location") from None
    except psycopg.errors.ForeignKeyViolation:
        # The Idempotency-Key row is the first write and names the location: it does not exist.
        raise NotFound("location not found", location_id=str(location_id)) from None


@contextmanager
def _table_conflicts() -> Iterator[None]:
    """The exclusion constraint refused an overlap (reachable only if the booking lock were bypassed)."""
    try:
        yield
    except psycopg.errors.ExclusionViolation as error:
        raise SlotUnavailable("the table is taken for that stay", reason_code="tables_full",
                              conflict=error.diag.constraint_name) from None


def _claim_key(conn: psycopg.Connection, location_id: UUID, key: str, digest: str) -> BookingResult | None:
    params = {"location_id": location_id, "key": key, "request_hash": digest}
    if conn.execute(query("claim_idempotency_key"), params).fetchone() is not None:
        return None
    record = conn.execute(query("idempotency_record"), params).fetchone()
    if record["request_hash"] != digest:
        raise IdempotencyConflict("this Idempotency-Key was used with another request")
    return BookingResult(record["status_code"], record["response"], replayed=True)


def locked_snapshot(conn: psycopg.Connection, location_id: UUID, day: dt.date, now: dt.datetime) -> Snapshot:
    """Take the (location, date) booking lock, free lapsed holds and load the day's snapshot, in one
    round trip.  The statements run in order, so everything after the lock is read under it."""
    settings = get_settings()
    with conn.pipeline():
        if not settings.unsafe_skip_booking_lock:
            conn.execute(query("lock_location_day"), {"location_id": location_id, "day": day,
                                                      "lock_timeout": f"{settings.booking_lock_timeout_ms}ms"})
        conn.execute(query("release_lapsed_holds"), {"location_id": location_id, "day": day, "now": now})
        return load_snapshot(conn, location_id, day)


def _book(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, body: ReservationIn,
          now: dt.datetime, payments: StripePayments | None) -> BookingResult:
    with conn.pipeline():  # the location's settings travel in the same round trip
        settings_cursor = conn.execute(query("booking_settings"), {"location_id": location_id})
        snapshot = locked_snapshot(conn, location_id, body.date, now)
    booking_settings = settings_cursor.fetchone()
    request = AvailabilityRequest(body.date, body.party_size, body.channel, body.ticket_id)
    validate_party(snapshot, request)
    tz = zone(snapshot.location.timezone)
    engine = AvailabilityEngine(snapshot, now)
    found = engine.evaluate(request, body.ticket_id, body.arrival)
    if found is None:
        if engine.offered(request):
            raise ValidationFailed(f"{body.time} is not an arrival time of this ticket on {body.date}",
                                   fields={"time": "not an arrival time of this ticket that day"})
        raise SlotUnavailable("this ticket is not offered that day", reason_code="closed")
    shift, slot = found
    ticket = snapshot.tickets[body.ticket_id]
    slot = _seat(engine, body, ticket, slot)

    if body.status == "option" and not (booking_settings and booking_settings["options_enabled"]):
        raise ValidationFailed("options are not enabled at this location",
                               fields={"status": "options are not enabled at this location"})
    payment_timeout = booking_settings["payment_timeout_minutes"] if booking_settings else 15
    draft_timeout = booking_settings["draft_timeout_minutes"] if booking_settings else 30

    reservation_id = uuid.uuid4()
    takes_payment = ticket.policy.payment_type in ("deposit_pp", "full_prepay_pp") and body.status != "option"
    status = "option" if body.status == "option" else "pending_payment" if takes_payment else "confirmed"
    amount = (ticket.policy.payment_amount or Decimal(0)) * body.party_size if takes_payment else None
    manage_token = secrets.token_urlsafe(24)
    customer_id = conn.execute(query("upsert_customer"), {
        "location_id": location_id, "first_name": body.guest.first_name, "last_name": body.guest.last_name,
        "email": body.guest.email, "phone_number": body.guest.phone, "locale": body.guest.locale}).fetchone()["id"]
    hold_expires_at = now + dt.timedelta(minutes=payment_timeout if takes_payment else draft_timeout)
    # Written as a draft, then moved by the status machine (the RPC) within this transaction.
    row = {
        "id": reservation_id, "location_id": location_id, "customer_id": customer_id, "ticket_id": ticket.id,
        "shift_id": shift.shift_id, "reservation_date": body.date, "start_time": body.arrival,
        "end_time": slot.end_at.astimezone(tz).time(), "party_size": body.party_size,
        "table_id": slot.table_id, "table_group_id": slot.table_group_id, "status": "draft",
        "channel": body.channel, "is_squeeze": slot.slot_type == "squeeze", "option_expires_at": None,
        "payment_status": "pending" if takes_payment else "none", "payment_intent_id": None,
        "payment_amount": amount, "guest_notes": body.guest_notes, "internal_notes": body.internal_notes,
        "badges": Jsonb(body.badges), "manage_token_hash": hashlib.sha256(manage_token.encode()).hexdigest(),
        "hold_expires_at": hold_expires_at, "policy_snapshot": Jsonb(policy_snapshot(ticket)),
        "start_at": slot.start_at, "end_at": slot.end_at, "occupied_until": slot.occupied_until,
    }
    _insert_with_unique_reference(conn, row)

    payment = intent = None
    if takes_payment:
        from couvert.payments import get_payments

        intent = (payments or get_payments()).create_deposit(
            reservation_id, location_id, to_cents(amount), snapshot.location.currency)
        payment = PaymentOut(payment_intent_id=intent.id, client_secret=intent.client_secret,
                             amount=money(amount), currency=snapshot.location.currency,
                             expires_at=hold_expires_at.astimezone(tz)).model_dump(mode="json")
    with conn.pipeline():
        _audit_created(conn, caller, location_id, reservation_id, body, slot)
        if intent is not None:
            conn.execute(query("set_payment_intent"), {"id": reservation_id, "payment_intent_id": intent.id})
        # The automatic first move: confirmed, pending_payment (system) or option (the operator).
        performed_by, actor = caller.user_uuid, caller.actor_type
        conn.execute(query("transition"), {
            "id": reservation_id, "to": status, "reason": "booked", "now": now, "expected_from": "draft",
            "actor_type": actor if status == "option" else "system",
            "actor_id": performed_by if status == "option" else None})
        saved = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id})
    return BookingResult(201, {"reservation": reservation_json(saved.fetchone(), for_guest=not caller.is_operator),
                               "payment": payment, "manage_token": manage_token})


def _seat(engine: AvailabilityEngine, body: ReservationIn, ticket: Ticket, slot: SlotResult) -> SlotResult:
    """The engine's verdict, an operator's own table, or a 409 with the engine's reason."""
    if body.table_id or body.table_group_id:
        if not slot.available and slot.reason_code not in TABLE_REASONS:
            raise SlotUnavailable(f"slot unavailable: {slot.reason_code}", reason_code=slot.reason_code)
        end = slot.start_at + dt.timedelta(minutes=ticket.duration_minutes)
        occupied = end + dt.timedelta(minutes=ticket.buffer_minutes)
        if not engine.seat_is_free(body.date, body.table_id, body.table_group_id, slot.start_at, end, occupied):
            raise SlotUnavailable("that table is not free for this stay", reason_code="tables_full")
        return SlotResult(slot.time, slot.start_at, True, "normal", "available", ticket.duration_minutes,
                          body.table_id, body.table_group_id, occupied)
    if not slot.available:
        raise SlotUnavailable(f"slot unavailable: {slot.reason_code}", reason_code=slot.reason_code,
                              **({"squeeze_available": True} if slot.squeeze_available else {}))
    if slot.slot_type == "squeeze" and not body.allow_squeeze:
        raise SlotUnavailable("only a shorter (squeeze) stay fits: book it with allow_squeeze",
                              reason_code="tables_full", squeeze_available=True,
                              squeeze_duration_minutes=slot.duration_minutes)
    return slot


def _insert_with_unique_reference(conn: psycopg.Connection, row: dict[str, Any]) -> None:
    """A reference clash inserts nothing (on conflict do nothing) and retries with another."""
    for _ in range(8):
        row["reference"] = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if conn.execute(query("insert_reservation"), row).fetchone() is not None:
            return
    raise RuntimeError("could not find a free reservation reference")


def _audit_created(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, reservation_id: UUID,
                   body: ReservationIn, slot: SlotResult) -> None:
    performed_by, actor = caller.user_uuid, caller.actor_type
    created = {"date": body.date.isoformat(), "time": body.time, "party_size": body.party_size,
               "ticket_id": str(body.ticket_id), "channel": body.channel, "slot_type": slot.slot_type,
               "table_id": _s(slot.table_id), "table_group_id": _s(slot.table_group_id), "user": caller.user_id}
    conn.execute(query("insert_audit"), {
        "location_id": location_id, "entity_type": "reservation", "entity_id": reservation_id,
        "action": "created", "old_value": None, "new_value": Jsonb(created), "performed_by": performed_by,
        "performed_by_type": actor})


def change_reservation(db: Database, caller: RequestContext, reservation_id: UUID, change: ChangeIn,
                       now: dt.datetime) -> dict[str, Any]:
    """An operator moves a reservation (time, party size, table) or edits its notes and badges.

    Same lock and engine as booking: the reservation itself is left out of the snapshot, the new
    shape must be one the engine would book, and each changed field is audited on its own.
    """
    if not caller.is_operator:
        raise Forbidden("only operators may change a reservation")
    with _table_conflicts(), db.transaction(caller) as conn:
        current = conn.cursor(row_factory=dict_row).execute(
            query("reservation_for_change"), {"id": reservation_id}).fetchone()
        if current is None:
            raise NotFound("reservation not found")
        updates, audits = _plan_change(conn, current, change, now)
        if updates:
            conn.execute(query("apply_reservation_change"), {
                "id": reservation_id, **{k: current[k] for k in CHANGEABLE}, **updates})
        performed_by, actor = caller.user_uuid, caller.actor_type
        with conn.pipeline():
            for action, old, new in audits:
                conn.execute(query("insert_audit"), {
                    "location_id": current["location_id"], "entity_type": "reservation",
                    "entity_id": reservation_id, "action": action, "old_value": Jsonb(old),
                    "new_value": Jsonb(new), "performed_by": performed_by, "performed_by_type": actor})
            saved = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id})
        return {"reservation": reservation_json(saved.fetchone(), for_guest=False)}


CHANGEABLE = ("start_time", "end_time", "start_at", "end_at", "occupied_until", "party_size", "table_id",
              "table_group_id", "is_squeeze", "internal_notes", "badges")


def _plan_change(conn: psycopg.Connection, current: dict[str, Any], change: ChangeIn,
                 now: dt.datetime) -> tuple[dict[str, Any], list[tuple[str, Any, Any]]]:
    fields = change.model_fields_set
    updates: dict[str, Any] = {}
    audits: list[tuple[str, Any, Any]] = []
    moves = {"time", "party_size", "table_id", "table_group_id"} & fields
    if moves:
        if current["status"] not in ("draft", "pending_payment", "option", "confirmed", "seated"):
            raise SlotUnavailable(f"a {current['status']} reservation cannot be moved", reason_code="closed")
        updates |= _replan(conn, current, change, now)
        old_time, new_time = hhmm(current["start_time"]), hhmm(updates["start_time"])
        if old_time != new_time:
            audits.append(("time_change", {"time": old_time}, {"time": new_time}))
        if current["party_size"] != updates["party_size"]:
            audits.append(("party_size_change", {"party_size": current["party_size"]},
                           {"party_size": updates["party_size"]}))
        old_seat = (current["table_id"], current["table_group_id"])
        new_seat = (updates["table_id"], updates["table_group_id"])
        if old_seat != new_seat:
            audits.append(("table_change", {"table_id": _s(old_seat[0]), "table_group_id": _s(old_seat[1])},
                           {"table_id": _s(new_seat[0]), "table_group_id": _s(new_seat[1])}))
    if "internal_notes" in fields and change.internal_notes != current["internal_notes"]:
        updates["internal_notes"] = change.internal_notes
        audits.append(("notes_change", {"internal_notes": current["internal_notes"]},
                       {"internal_notes": change.internal_notes}))
    if "badges" in fields and change.badges is not None and change.badges != current["badges"]:
        updates["badges"] = Jsonb(change.badges)
        audits.append(("badges_change", {"badges": current["badges"]}, {"badges": change.badges}))
    if "badges" not in updates:
        updates.setdefault("badges", Jsonb(current["badges"]))
    return updates, audits


def _s(value: UUID | None) -> str | None:
    return str(value) if value else None


def _replan(conn: psycopg.Connection, current: dict[str, Any], change: ChangeIn, now: dt.datetime) -> dict[str, Any]:
    """Re-run the engine for the new shape, under the booking lock, without the reservation itself."""
    from dataclasses import replace

    day = current["reservation_date"]
    snapshot = locked_snapshot(conn, current["location_id"], day, now)
    snapshot = replace(snapshot, bookings=tuple(b for b in snapshot.bookings if b.id != current["id"]))
    fields = change.model_fields_set
    explicit_seat = bool({"table_id", "table_group_id"} & fields)
    body = ReservationIn.model_construct(
        ticket_id=current["ticket_id"], date=day,
        time=change.time if "time" in fields and change.time else hhmm(current["start_time"]),
        party_size=change.party_size if "party_size" in fields and change.party_size else current["party_size"],
        channel=current["channel"], allow_squeeze=True, guest=None, guest_notes=None, badges=[], status=None,
        table_id=change.table_id if explicit_seat else current["table_id"],
        table_group_id=change.table_group_id if explicit_seat else current["table_group_id"],
        internal_notes=None)
    request = AvailabilityRequest(day, body.party_size, body.channel, body.ticket_id)
    engine = AvailabilityEngine(snapshot, now)
    found = engine.evaluate(request, body.ticket_id, body.arrival)
    if found is None:
        raise ValidationFailed(f"{body.time} is not an arrival time of this ticket on {day}",
                               fields={"time": "not an arrival time of this ticket that day"})
    _shift, slot = found
    # The operator's table, else the current one when it still fits, else the engine's choice.
    ticket = snapshot.tickets[body.ticket_id]
    try:
        slot = _seat(engine, body, ticket, slot)
    except SlotUnavailable:
        if explicit_seat or not (body.table_id or body.table_group_id):
            raise
        slot = _seat(engine, body.model_copy(update={"table_id": None, "table_group_id": None}), ticket, slot)
    tz = zone(snapshot.location.timezone)
    return {"start_time": body.arrival, "end_time": slot.end_at.astimezone(tz).time(), "start_at": slot.start_at,
            "end_at": slot.end_at, "occupied_until": slot.occupied_until, "party_size": body.party_size,
            "table_id": slot.table_id, "table_group_id": slot.table_group_id,
            "is_squeeze": slot.slot_type == "squeeze"}


def auto_assign_table(db: Database, caller: RequestContext, reservation_id: UUID,
                      now: dt.datetime) -> tuple[UUID | None, UUID | None]:
    """Seat an existing reservation that has no table, by the engine's choice rule (seed 7.2).

    Under the booking lock, with the reservation itself left out of the snapshot; returns the
    (table_id, table_group_id) chosen, (None, None) when nothing fits (the reservation is unchanged).
    """
    from dataclasses import replace

    with _table_conflicts(), db.transaction(caller) as conn:
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
        snapshot = replace(snapshot, bookings=tuple(b for b in snapshot.bookings if b.id != reservation_id))
        online = current["channel"] in ("widget", "google", "third_party")
        table_id, group_id = AvailabilityEngine(snapshot, now).choose_table(itself, online)
        if table_id or group_id:
            conn.execute(query("assign_table"), {"id": reservation_id, "table_id": table_id,
                                                 "table_group_id": group_id})
            performed_by, actor = caller.user_uuid, caller.actor_type
            conn.execute(query("insert_audit"), {
                "location_id": current["location_id"], "entity_type": "reservation", "entity_id": reservation_id,
                "action": "table_change", "old_value": Jsonb({"table_id": None, "table_group_id": None}),
                "new_value": Jsonb({"table_id": _s(table_id), "table_group_id": _s(group_id), "auto": True}),
                "performed_by": performed_by, "performed_by_type": actor})
        return table_id, group_id
