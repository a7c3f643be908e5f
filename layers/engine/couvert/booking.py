"""Atomic reservation creation (docs/api.md, "Creating a reservation"; docs/engine.md §8).

One transaction: claim the Idempotency-Key, lock the (location, date), free lapsed holds, load the
snapshot and re-run the engine for the requested slot, choose (or check) the table, find or create
the customer, insert the reservation (its table occupancy follows by trigger, under the exclusion
constraint), write the audit trail and outbox, remember the key's reservation, commit.

A deposit is taken after that commit, so a slow payment provider holds no lock (`_take_deposit`):
the draft holds the table while the PaymentIntent is created, then becomes pending_payment; if
the intent cannot be created the draft is dropped and nothing is held.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert import customers, idempotency, manage_tokens, rate_limits
from couvert.audit import audit_values, id_text
from couvert.availability_service import check_channel, validate_party
from couvert.db import Database, RequestContext, focus_guest
from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.engine.clock import zone
from couvert.engine.model import Policy, SlotResult, Ticket
from couvert.errors import Forbidden, SlotUnavailable, ValidationFailed
from couvert.formats import money
from couvert.idempotency import BookingResult
from couvert.payments import StripePayments, to_cents
from couvert.queries import query
from couvert.requests import BookingRequest
from couvert.seating import SeatChoice, seat, send_locked_snapshot

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def request_hash(body: BookingRequest, caller: RequestContext) -> str:
    canonical = json.dumps({"caller": caller.user_id or "guest", "body": body.canonical()},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_caller(caller: RequestContext, body: BookingRequest) -> None:
    check_channel(caller, body.channel)
    if caller.is_operator:
        return
    for field in BookingRequest.OPERATOR_FIELDS:
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


def create_reservation(db: Database, caller: RequestContext, location_id: UUID, body: BookingRequest,
                       idempotency_key: str | None, now: dt.datetime,
                       payments: StripePayments | None = None) -> BookingResult:
    _check_caller(caller, body)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters",
                               fields={"Idempotency-Key": "1 to 255 characters"})
    digest = request_hash(body, caller)
    manage_tokens.load_secret()
    with db.transaction(caller) as conn:
        if idempotency_key is not None:
            replay = idempotency.claim(conn, caller, location_id, idempotency_key, digest, now, payments)
            if replay is not None:
                return replay
        booked = book_under_lock(conn, caller, location_id, body, now)
        if idempotency_key is not None:
            idempotency.store(conn, location_id, idempotency_key, 201, booked.reservation_id)
        if booked.deposit is None:
            return BookingResult(201, idempotency.answer(conn, caller, booked.reservation_id, with_secrets=True,
                                                         row=booked.row))
    return _take_deposit(db, caller, booked.deposit, idempotency_key, now, payments)


@dataclass(frozen=True)
class Booked:
    """What book_under_lock wrote: the reservation, the deposit it waits for, and its row as
    reservation_by_id reads it when nothing moved it after its insert (else None: read it again)."""

    reservation_id: UUID
    deposit: DepositDue | None
    row: dict[str, Any] | None


@dataclass(frozen=True)
class DepositDue:
    """A booking whose draft holds its table while the PaymentIntent is created."""

    reservation_id: UUID
    location_id: UUID
    amount_cents: int
    currency: str


def _take_deposit(db: Database, caller: RequestContext, deposit: DepositDue, idempotency_key: str | None,
                  now: dt.datetime, payments: StripePayments | None) -> BookingResult:
    """The PaymentIntent, created after the booking transaction committed: a slow payment provider
    holds no lock that other bookings of the day wait for.  The draft already holds the table;
    with the intent attached it becomes pending_payment.  When the intent cannot be created the
    draft is dropped (no message: it was never promised) and the Idempotency-Key freed for a retry;
    a Lambda that dies in between leaves a draft that the abandoned-drafts sweep clears."""
    reservation_id = deposit.reservation_id
    try:
        from couvert.payments import get_payments

        intent = (payments or get_payments()).create_deposit(
            reservation_id, deposit.location_id, deposit.amount_cents, deposit.currency)
    except Exception:
        with db.transaction(caller) as conn:
            focus_guest(conn, reservation_id)
            conn.execute(query("transition"), {"id": reservation_id, "to": "cancelled", "now": now,
                                               "reason": "the payment could not be started", "expected_from": "draft"})
            if idempotency_key is not None:
                conn.execute(query("release_idempotency_key"), {"location_id": deposit.location_id,
                                                                "key": idempotency_key, "now": now})
        raise
    with db.transaction(caller) as conn:
        focus_guest(conn, reservation_id)
        with conn.pipeline():
            conn.execute(query("set_payment_intent"), {"id": reservation_id, "payment_intent_id": intent.id})
            conn.execute(query("transition"), {"id": reservation_id, "to": "pending_payment", "reason": "booked",
                                               "now": now, "expected_from": "draft"})
        return BookingResult(201, idempotency.answer(conn, caller, reservation_id, with_secrets=True,
                                                     client_secret=intent.client_secret))


def book_under_lock(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, body: BookingRequest,
                    now: dt.datetime, hold_minutes: int | None = None) -> Booked:
    """Book under the day's lock.  With `hold_minutes` the reservation stays a draft that holds its
    table that long for the guest to confirm (a waitlist offer); otherwise it takes its first move."""
    reservation_id = uuid.uuid4()
    # One round trip: the guest's focus, the location's settings, the lock, the snapshot and the
    # guest's rate limits, in that order (one pipeline: a pipeline opened inside it would cost a
    # round trip of its own).  An unknown location is NotFound before a refused rate limit, as ever.
    with conn.pipeline():
        focus_guest(conn, reservation_id)
        settings_cursor = conn.execute(query("booking_settings"), {"location_id": location_id})
        read_snapshot = send_locked_snapshot(conn, location_id, body.date, now)
        counted = rate_limits.count(conn, caller, location_id, body.guest.email, now)
    snapshot = read_snapshot()
    booking_settings = settings_cursor.fetchone()
    rate_limits.check(counted)  # a refused request rolls back: nothing of it is written, not even the count
    request = AvailabilityRequest(body.date, body.party_size, body.channel, body.ticket_id)
    validate_party(snapshot, request)
    tz = zone(snapshot.location.timezone)
    engine = AvailabilityEngine(snapshot, now)
    found = engine.evaluate(request, body.ticket_id, body.time)
    if found is None:
        if engine.offered(request):
            raise ValidationFailed(f"{body.time:%H:%M} is not an arrival time of this ticket on {body.date}",
                                   fields={"time": "not an arrival time of this ticket that day"})
        raise SlotUnavailable("this ticket is not offered that day", reason_code="closed")
    shift, slot = found
    ticket = snapshot.tickets[body.ticket_id]
    slot = seat(engine, body.date, ticket, slot, SeatChoice(body.table_id, body.table_group_id, body.allow_squeeze))

    takes_payment = ticket.policy.payment_type in ("deposit_pp", "full_prepay_pp")
    if body.status == "option" and not (booking_settings and booking_settings["options_enabled"]):
        raise ValidationFailed("options are not enabled at this location",
                               fields={"status": "options are not enabled at this location"})
    if body.status == "option" and takes_payment:  # an option is confirmed without a payment
        raise ValidationFailed(f"{ticket.name} takes a payment, so it is booked with its payment, not as an option",
                               fields={"status": "an option cannot be placed on a ticket that takes a payment"})
    payment_timeout = booking_settings["payment_timeout_minutes"] if booking_settings else 15
    draft_timeout = booking_settings["draft_timeout_minutes"] if booking_settings else 30

    first_move = "option" if body.status == "option" else "confirmed"  # a deposit's waits for its intent
    amount = (ticket.policy.payment_amount or Decimal(0)) * body.party_size if takes_payment else None
    manage_token = manage_tokens.manage_token(reservation_id)
    contact = customers.contact_of(body.guest, snapshot.location.country)
    customer_id = customers.find_or_create(conn, location_id, contact)
    hold_expires_at = now + dt.timedelta(minutes=hold_minutes or (payment_timeout if takes_payment else draft_timeout))
    # Written as a draft, then moved by the status machine (the RPC): within this transaction, or
    # once the deposit's PaymentIntent exists.  A move to confirmed within this transaction is
    # written straight into the row and recorded by the database as the status machine records it
    # (record_first_move: same guards, audit row and message), sparing a second version of the row.
    moves_now = not takes_payment and hold_minutes is None  # the first move, by the booker
    born_confirmed = moves_now and first_move == "confirmed"
    row = {
        "id": reservation_id, "location_id": location_id, "customer_id": customer_id, "ticket_id": ticket.id,
        "shift_id": shift.shift_id, "reservation_date": body.date, "start_time": body.time,
        "end_time": slot.end_at.astimezone(tz).time(), "party_size": body.party_size,
        "table_id": slot.table_id, "table_group_id": slot.table_group_id,
        "status": "confirmed" if born_confirmed else "draft",
        "channel": body.channel, "is_squeeze": slot.slot_type == "squeeze", "option_expires_at": None,
        "payment_status": "pending" if takes_payment else "none", "payment_intent_id": None,
        "payment_amount": amount, "guest_notes": body.guest_notes, "internal_notes": body.internal_notes,
        "badges": Jsonb(list(body.badges)), "manage_token_hash": manage_tokens.token_hash(manage_token),
        "hold_expires_at": hold_expires_at, "policy_snapshot": Jsonb(policy_snapshot(ticket)),
        "start_at": slot.start_at, "end_at": slot.end_at, "occupied_until": slot.occupied_until,
        "booked_at": now, **contact, **audit_values(caller, None, _created(caller, body, slot)),
    }
    inserted = _insert_with_unique_reference(conn, row, first_move_now=born_confirmed, now=now)
    if moves_now and not born_confirmed:  # an option: its move sets the option's expiry
        conn.execute(query("transition"), {
            "id": reservation_id, "to": first_move, "reason": "booked", "now": now, "expected_from": "draft"})
    if takes_payment and hold_minutes is None:
        return Booked(reservation_id, DepositDue(reservation_id, location_id, to_cents(amount),
                                                 snapshot.location.currency), None)
    # The row as inserted is the answer's unless a move changed it since (an option's expiry).
    return Booked(reservation_id, None, inserted if born_confirmed or not moves_now else None)


def _insert_with_unique_reference(conn: psycopg.Connection, row: dict[str, Any], first_move_now: bool,
                                  now: dt.datetime) -> dict[str, Any]:
    """Insert the reservation and its audit row (and, for a booking written confirmed, record its first
    move in the same round trip); the row as reservation_by_id reads it.  A reference clash inserts
    nothing (on conflict do nothing), records nothing, and retries with another reference."""
    for _ in range(8):
        row["reference"] = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        with conn.pipeline():
            cursor = conn.cursor(row_factory=dict_row).execute(query("insert_reservation"), row)
            if first_move_now:
                conn.execute(query("record_first_move"), {"id": row["id"], "reason": "booked", "now": now})
        inserted = cursor.fetchone()
        if inserted is not None:
            return inserted
    raise RuntimeError("could not find a free reservation reference")


def _created(caller: RequestContext, body: BookingRequest, slot: SlotResult) -> dict[str, Any]:
    """The 'created' audit row's new value."""
    return {"date": body.date.isoformat(), "time": f"{body.time:%H:%M}", "party_size": body.party_size,
            "ticket_id": str(body.ticket_id), "channel": body.channel, "slot_type": slot.slot_type,
            "table_id": id_text(slot.table_id), "table_group_id": id_text(slot.table_group_id), "user": caller.user_id}
