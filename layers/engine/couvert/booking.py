"""Atomic reservation creation (docs/api.md, "Creating a reservation"; docs/engine.md §8).

One transaction in two round trips (migration 0035).  The first claims the Idempotency-Key, locks
the (location, date), frees lapsed holds, counts the guest's rate limits (open_booking) and loads the
snapshot; the engine re-runs for the requested slot and chooses (or checks) the table; the second
finds or creates the customer, inserts the reservation (its table occupancy follows by trigger, under
the exclusion constraint), writes the audit trail and outbox, remembers the key's reservation
(book_reservation) and commits.

A deposit is taken after that commit, so a slow payment provider holds no lock (`_take_deposit`):
the draft holds the table while the PaymentIntent is created, then becomes pending_payment; if
the intent cannot be created the draft is dropped and nothing is held.
"""

import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any, NamedTuple
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
from couvert.pipelines import batch
from couvert.queries import query
from couvert.requests import BookingRequest
from couvert.seating import Opening, SeatChoice, open_under_lock, seat

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
assert 256 % len(REFERENCE_ALPHABET) == 0  # a random byte picks a character without bias


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
    claim = idempotency.Claim(idempotency_key, request_hash(body, caller), caller.fingerprint, now) \
        if idempotency_key is not None else None
    manage_tokens.load_secret()
    # Two round trips (migration 0035): the claim, the lock and the snapshot; then the booking's
    # writes and the end of the transaction.  The answer is read from what the last one returned.
    with db.transaction(caller, pipelined=True) as conn:
        opening = open_under_lock(conn, caller, location_id, body, now, claim)
        replay = opening.replay()
        if replay is not None:
            return idempotency.replay(conn, caller, replay, claim, payments)
        booked = book_under_lock(conn, caller, location_id, body, now, opening=opening)
    if booked.deposit is not None:
        return _take_deposit(db, caller, booked.deposit, idempotency_key, now, payments)
    return BookingResult(201, idempotency.answer(None, caller, booked.reservation_id, with_secrets=True,
                                                 row=booked.answer.fetchone()))


class DepositDue(NamedTuple):
    """A booking whose draft holds its table while the PaymentIntent is created."""

    reservation_id: UUID
    location_id: UUID
    amount_cents: int
    currency: str


class Booked(NamedTuple):
    """What book_under_lock wrote: the reservation, the deposit it waits for, and the cursor that holds
    its row as reservation_by_id reads it (read it once the transaction has ended, in a pipelined one)."""

    reservation_id: UUID
    deposit: DepositDue | None
    answer: psycopg.Cursor


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
                    now: dt.datetime, hold_minutes: int | None = None, opening: Opening | None = None) -> Booked:
    """Book under the day's lock (open it, unless `opening` did).  With `hold_minutes` the reservation
    stays a draft that holds its table that long for the guest to confirm (a waitlist offer);
    otherwise it takes its first move.  The writes are sent, not waited for: in a pipelined
    transaction they travel with its end."""
    opening = opening or open_under_lock(conn, caller, location_id, body, now)
    booking_settings, snapshot = opening.read()
    reservation_id = opening.reservation_id
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
    if body.status == "option" and not booking_settings["options_enabled"]:
        raise ValidationFailed("options are not enabled at this location",
                               fields={"status": "options are not enabled at this location"})
    if body.status == "option" and takes_payment:  # an option is confirmed without a payment
        raise ValidationFailed(f"{ticket.name} takes a payment, so it is booked with its payment, not as an option",
                               fields={"status": "an option cannot be placed on a ticket that takes a payment"})
    payment_timeout = booking_settings["payment_timeout_minutes"] or 15  # no settings row: the defaults
    draft_timeout = booking_settings["draft_timeout_minutes"] or 30

    first_move = "option" if body.status == "option" else "confirmed"  # a deposit's waits for its intent
    amount = (ticket.policy.payment_amount or Decimal(0)) * body.party_size if takes_payment else None
    manage_token = manage_tokens.manage_token(reservation_id)
    contact = customers.contact_of(body.guest, snapshot.location.country)
    hold_expires_at = now + dt.timedelta(minutes=hold_minutes or (payment_timeout if takes_payment else draft_timeout))
    # Written as a draft, then moved by the status machine (the RPC): within this transaction, or
    # once the deposit's PaymentIntent exists.  A move to confirmed within this transaction is
    # written straight into the row and recorded by the database as the status machine records it
    # (record_first_move: same guards, audit row and message), sparing a second version of the row.
    moves_now = not takes_payment and hold_minutes is None  # the first move, by the booker
    born_confirmed = moves_now and first_move == "confirmed"
    row = {
        "id": reservation_id, "location_id": location_id, "ticket_id": ticket.id,
        "shift_id": shift.shift_id, "reservation_date": body.date, "start_time": body.time,
        "end_time": slot.end_at.astimezone(tz).time(), "party_size": body.party_size,
        "table_id": slot.table_id, "table_group_id": slot.table_group_id,
        "status": "confirmed" if born_confirmed else "draft",
        "channel": body.channel, "is_squeeze": slot.slot_type == "squeeze",
        "payment_status": "pending" if takes_payment else "none",
        "payment_amount": amount, "guest_notes": body.guest_notes, "internal_notes": body.internal_notes,
        "badges": Jsonb(list(body.badges)), "manage_token_hash": manage_tokens.token_hash(manage_token),
        "hold_expires_at": hold_expires_at, "policy_snapshot": Jsonb(policy_snapshot(ticket)),
        "start_at": slot.start_at, "end_at": slot.end_at, "occupied_until": slot.occupied_until,
        "booked_at": now, **contact, **audit_values(caller, None, _created(caller, body, slot)),
        # A reference clash writes nothing and the next one is tried (32^6 references per location).
        "references": _references(8),
        "first_move_reason": "booked" if born_confirmed else None,
        "key": opening.claimed_key, "now": now,
        # Counted with the writes: a request the engine refuses counts nothing (it rolls back).
        **rate_limits.limits(caller, body.guest.email),
    }
    answer = _send_booking(conn, row, option=moves_now and not born_confirmed)
    deposit = DepositDue(reservation_id, location_id, to_cents(amount), snapshot.location.currency) \
        if takes_payment and hold_minutes is None else None
    return Booked(reservation_id, deposit, answer)


def _send_booking(conn: psycopg.Connection, row: dict[str, Any], option: bool) -> psycopg.Cursor:
    """Send book_reservation (and an option's move, which sets its expiry: then the answer is read
    again after it); the cursor that will hold the answer."""
    with batch(conn):
        answer = conn.cursor(row_factory=dict_row).execute(query("book_reservation"), row)
        if option:
            conn.execute(query("transition"), {"id": row["id"], "to": "option", "reason": "booked",
                                               "now": row["now"], "expected_from": "draft"})
            answer = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": row["id"]})
    return answer


def _references(count: int) -> list[str]:
    """Random references of six characters: each byte picks one of the 32 characters (256 is a
    multiple of 32, so every character is as likely)."""
    drawn = secrets.token_bytes(6 * count)
    return ["".join(REFERENCE_ALPHABET[b % len(REFERENCE_ALPHABET)] for b in drawn[i:i + 6])
            for i in range(0, len(drawn), 6)]



def _created(caller: RequestContext, body: BookingRequest, slot: SlotResult) -> dict[str, Any]:
    """The 'created' audit row's new value."""
    return {"date": body.date.isoformat(), "time": f"{body.time:%H:%M}", "party_size": body.party_size,
            "ticket_id": str(body.ticket_id), "channel": body.channel, "slot_type": slot.slot_type,
            "table_id": id_text(slot.table_id), "table_group_id": id_text(slot.table_group_id), "user": caller.user_id}
