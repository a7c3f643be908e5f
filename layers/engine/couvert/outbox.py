"""The outbox dispatcher: Stripe refunds and PaymentIntent cancellations, and guest messages.

Due events are leased in a short transaction (FOR UPDATE SKIP LOCKED), carried out outside any
transaction — Stripe with the event's deterministic idempotency key, messages with the event id in
a header — and each is marked done exactly once.  Failures retry with exponential backoff; after
MAX_ATTEMPTS an event is parked as `failed` with its error, never dropped.  A dispatcher that dies
between sending and marking leaves the lease to run out, and the event goes out again with the same
id (at least once).  Only the kinds a configured transport can carry are leased: without a
messenger, message events wait in the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from couvert.db import Database, RequestContext
from couvert.db_errors import described
from couvert.observability import log_failure
from couvert.queries import query

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 10
MONEY_KINDS = ("stripe.refund", "stripe.cancel_payment_intent")
MESSAGE_KINDS = ("message.confirmation", "message.modification", "message.cancellation", "message.reminder",
                 "message.reconfirm_request", "message.waitlist_offer", "message.no_show")


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h."""
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


class _Retry(Exception):
    """An attempt failed in a way worth trying again later."""


def dispatch(db: Database, now: dt.datetime, *, payments=None, messenger=None, public_base_url: str = "",
             kinds: Iterable[str] | None = None, location_id: UUID | None = None,
             limit: int = 100) -> dict[str, int]:
    """Carry out up to `limit` due events; returns how many were done, retried and parked as failed."""
    carriable = [k for k in (kinds or MONEY_KINDS + MESSAGE_KINDS)
                 if (k in MONEY_KINDS and payments is not None) or (k in MESSAGE_KINDS and messenger is not None)]
    counts = {"done": 0, "retried": 0, "failed": 0}
    if not carriable:
        return counts
    with db.transaction(RequestContext.system()) as conn:
        events = conn.execute(query("lease_due_events"), {
            "now": now, "lease_until": now + LEASE, "limit": limit, "kinds": carriable,
            "location_id": location_id}).fetchall()
    for event in events:
        try:
            _carry_out(db, event, payments, messenger, public_base_url)
        except Exception as error:  # noqa: BLE001 - any failure is retried, then parked with its error
            if not isinstance(error, _Retry):
                log_failure("outbox event failed", error, event_id=str(event["id"]), kind=event["kind"])
            failed = event["attempts"] >= MAX_ATTEMPTS
            with db.transaction(RequestContext.system()) as conn:
                conn.execute(query("outbox_retry"), {
                    "id": event["id"], "error": described(error)[:1000], "max_attempts": MAX_ATTEMPTS,
                    "next_attempt_at": now + backoff(event["attempts"])})
            counts["failed" if failed else "retried"] += 1
            continue
        with db.transaction(RequestContext.system()) as conn:
            if conn.execute(query("outbox_done"), {"id": event["id"], "now": now}).rowcount and \
                    event["kind"] == "stripe.refund":
                conn.execute(query("refunded_payment_status"), {
                    "reservation_id": event["reservation_id"], "amount_cents": event["payload"]["amount_cents"]})
        counts["done"] += 1
    return counts


def dispatch_money(db: Database, payments, now: dt.datetime, limit: int = 50) -> dict[str, int]:
    """Refunds and PaymentIntent cancellations only (the money side, as the webhook tests run it)."""
    counts = dispatch(db, now, payments=payments, kinds=MONEY_KINDS, limit=limit)
    return {"done": counts["done"], "retried": counts["retried"] + counts["failed"]}


def backlog_age_seconds(db: Database, now: dt.datetime) -> float:
    with db.transaction(RequestContext.system()) as conn:
        return conn.execute(query("outbox_backlog_age"), {"now": now}).fetchone()["seconds"]


def _carry_out(db: Database, event: dict[str, Any], payments, messenger, public_base_url: str) -> None:
    from couvert.payments import PaymentUnavailable

    payload, event_id = event["payload"] or {}, str(event["id"])
    try:
        if event["kind"] == "stripe.refund":
            payments.refund(payload["payment_intent_id"], int(payload["amount_cents"]), f"refund:{event_id}")
        elif event["kind"] == "stripe.cancel_payment_intent":
            payments.cancel_payment_intent(payload["payment_intent_id"], f"cancel:{event_id}")
        else:
            _send_message(db, event, messenger, public_base_url)
    except PaymentUnavailable as error:
        raise _Retry(error.message) from None


def _send_message(db: Database, event: dict[str, Any], messenger, public_base_url: str) -> None:
    from couvert import messages
    from couvert.messaging import MessageFailed

    with db.transaction(RequestContext.system()) as conn:
        facts = messages.load(conn, event) if event["reservation_id"] else None
    message = messages.render(event, facts, public_base_url) if facts else None
    if message is None:
        return  # nothing to say (an abandoned draft, a guest without an address): done
    try:
        messenger.send(message, str(event["id"]))
    except MessageFailed as error:
        raise _Retry(str(error)) from None
