"""The Stripe webhook (docs/decisions.md, "Lifecycle and money").

Verify the signature on the raw body; fetch the PaymentIntent again (events arrive late,
reordered and duplicated); record the event once in webhook_events; act on the reservation's
current state, never on assumptions.  A payment that arrives after its hold lapsed confirms only
when the engine still accepts the party; otherwise it is refunded in full through the outbox and
the reservation is cancelled: never a silent overbooking.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert.db import Database, RequestContext
from couvert.errors import BadRequest, SlotUnavailable
from couvert.lifecycle import system_transition
from couvert.payments import StripePayments, to_cents
from couvert.queries import query
from couvert.seating import recheck

PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


def verify(raw_body: bytes, signature: str | None, secret: str | None) -> dict[str, Any]:
    import stripe

    if not secret:
        raise BadRequest("webhook secret not configured")
    if not signature:
        raise BadRequest("missing Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(raw_body, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadRequest(f"invalid Stripe signature: {error}") from None
    return json.loads(raw_body)


def handle(db: Database, payments: StripePayments | None, raw_body: bytes, signature: str | None,
           secret: str | None, now: dt.datetime) -> dict[str, Any]:
    event = verify(raw_body, signature, secret)
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadRequest("not a Stripe event")
    obj = (event.get("data") or {}).get("object") or {}
    intent, unknown_intent = None, False
    if event.get("type") in PAYMENT_INTENT_EVENTS and payments is not None and obj.get("id"):
        intent = payments.find_payment_intent(obj["id"])  # the current truth, not the event's copy
        unknown_intent = intent is None
    metadata = (intent.metadata.to_dict() if intent is not None else obj.get("metadata")) or {}
    with db.transaction(RequestContext.system()) as conn:  # a lock timeout is 503: Stripe retries
        recorded = conn.execute(query("record_webhook_event"), {
            "event_id": event["id"], "event_type": event["type"], "payload": Jsonb(event)}).fetchone()
        if recorded is None:
            return {"received": True, "duplicate": True}
        if unknown_intent:  # answered 200: Stripe would otherwise retry for days what can never succeed
            outcome, location_id = "ignored: unknown payment intent", None
        else:
            outcome, location_id = _act(conn, event, obj, intent, metadata, now)
        conn.execute(query("webhook_event_outcome"), {"id": recorded["id"], "now": now, "outcome": outcome,
                                                      "location_id": location_id})
    return {"received": True}


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _act(conn: psycopg.Connection, event: dict, obj: dict, intent, metadata: dict,
         now: dt.datetime) -> tuple[str, UUID | None]:
    """What the event did, and the location it concerned (None when no reservation matched)."""
    kind = event.get("type")
    payment_intent_id = obj.get("payment_intent") if kind == "charge.refunded" else obj.get("id")
    reservation = conn.execute(query("reservation_for_payment"), {
        "reservation_id": _uuid(metadata.get("reservation_id")),
        "payment_intent_id": str(payment_intent_id or "")}).fetchone()
    if reservation is None:
        return "ignored: no reservation for this payment", None
    return _act_on(conn, kind, obj, intent, reservation, now), reservation["location_id"]


def _act_on(conn: psycopg.Connection, kind: str, obj: dict, intent, reservation: dict, now: dt.datetime) -> str:
    if kind == "payment_intent.succeeded":
        return _payment_succeeded(conn, reservation, intent or obj, now)
    if kind == "payment_intent.payment_failed":
        return "recorded: payment failed; the hold stays until it expires"
    if kind == "payment_intent.canceled":
        if reservation["status"] == "pending_payment":
            system_transition(conn, reservation["id"], "cancelled", "payment cancelled", now)
            # Stripe reports the intent cancelled: the cancel the status machine queued is moot.
            conn.execute(query("settle_payment_intent_cancel"), {"reservation_id": reservation["id"], "now": now})
            return "cancelled"
        return f"ignored: reservation is {reservation['status']}"
    if kind == "charge.refunded":
        refunded, amount = obj.get("amount_refunded") or 0, obj.get("amount") or 0
        status = "refunded" if amount and refunded >= amount else "partial_refund"
        conn.execute(query("set_payment_status"), {"id": reservation["id"], "payment_status": status})
        return status
    return "ignored: event type not handled"


def _recheck_lapsed_hold(conn: psycopg.Connection, reservation_id: UUID, now: dt.datetime) -> None:
    """A hold that lapsed before the payment arrived held nothing since: the engine decides again, as
    if booked now but without the booking window (the guest booked in time), whether the party still
    fits — pacing, covers and tables — and where it sits.  Raises SlotUnavailable when it does not."""
    current = conn.cursor(row_factory=dict_row).execute(query("reservation_for_change"),
                                                        {"id": reservation_id}).fetchone()
    if current["hold_expires_at"] is None or current["hold_expires_at"] > now:
        return  # the hold is still held: its table and covers are the reservation's
    stay = recheck(conn, current, now, booking_window="skip")
    conn.execute(query("take_stay"), {"id": reservation_id, **stay.columns()})


def _not_the_deposit(reservation: dict, intent) -> str | None:
    """Why a succeeded intent does not pay this reservation's deposit (metadata can be set by anyone
    who creates an intent): it must be the reservation's own intent, in its currency, in full."""
    if _get(intent, "id") != reservation["payment_intent_id"]:
        return "not this reservation's payment intent"
    expected = to_cents(reservation["payment_amount"] or Decimal(0))
    if str(_get(intent, "currency") or "").lower() != reservation["currency"].lower() or \
            int(_get(intent, "amount_received") or _get(intent, "amount") or 0) < expected:
        return "the amount or currency is not the reservation's deposit"
    return None


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _payment_succeeded(conn: psycopg.Connection, reservation: dict, intent, now: dt.datetime) -> str:
    if _get(intent, "status") != "succeeded":
        return f"ignored: payment intent is {_get(intent, 'status')}"
    mismatch = _not_the_deposit(reservation, intent)
    if mismatch:
        return f"ignored: {mismatch}"
    amount = Decimal(_get(intent, "amount_received") or _get(intent, "amount") or 0) / 100
    paid = {"id": reservation["id"], "amount": amount, "payment_intent_id": _get(intent, "id")}
    status = reservation["status"]
    if status == "pending_payment":
        try:
            with conn.transaction():  # savepoint: a refused late confirm leaves nothing behind
                _recheck_lapsed_hold(conn, reservation["id"], now)
                conn.execute(query("record_payment"), paid)
                system_transition(conn, reservation["id"], "confirmed", "payment received", now)
            return "confirmed"
        except (SlotUnavailable, psycopg.errors.ExclusionViolation):
            system_transition(conn, reservation["id"], "cancelled",
                              "payment arrived after the hold expired and the slot was taken", now)
            status = "cancelled"
    if status == "cancelled":
        conn.execute(query("record_payment"), paid)
        conn.execute(query("refund_in_full"), {"id": reservation["id"], "reason": "late payment", "now": now})
        return "refunded: the reservation was already cancelled"
    if reservation["payment_status"] != "paid":
        conn.execute(query("record_payment"), paid)
    return f"recorded: reservation is {status}"
