"""The outbox dispatcher, money side: Stripe refunds and PaymentIntent cancellations.

Due events are leased in a short transaction (FOR UPDATE SKIP LOCKED), Stripe is called outside any
lock with the event's deterministic idempotency key, and each event is marked done exactly once.
Failures retry with exponential backoff; after MAX_ATTEMPTS an event is marked failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from couvert.db import Database, RequestContext
from couvert.payments import PaymentUnavailable, StripePayments
from couvert.queries import query

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 10


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def dispatch_money(db: Database, payments: StripePayments, now: dt.datetime, limit: int = 50) -> dict[str, int]:
    counts = {"done": 0, "retried": 0}
    with db.transaction(RequestContext.system()) as conn:
        events = conn.execute(query("lease_due_money_events"),
                              {"now": now, "lease_until": now + LEASE, "limit": limit}).fetchall()
    for event in events:
        try:
            _carry_out(payments, event)
        except PaymentUnavailable as error:
            with db.transaction(RequestContext.system()) as conn:
                conn.execute(query("outbox_retry"), {
                    "id": event["id"], "error": error.message, "max_attempts": MAX_ATTEMPTS,
                    "next_attempt_at": now + backoff(event["attempts"])})
            counts["retried"] += 1
            continue
        with db.transaction(RequestContext.system()) as conn:
            if conn.execute(query("outbox_done"), {"id": event["id"], "now": now}).rowcount and \
                    event["kind"] == "stripe.refund":
                conn.execute(query("refunded_payment_status"), {
                    "reservation_id": event["reservation_id"], "amount_cents": event["payload"]["amount_cents"]})
        counts["done"] += 1
    return counts


def _carry_out(payments: StripePayments, event: dict[str, Any]) -> None:
    payload = event["payload"]
    if event["kind"] == "stripe.refund":
        payments.refund(payload["payment_intent_id"], int(payload["amount_cents"]), f"refund:{event['id']}")
    elif event["kind"] == "stripe.cancel_payment_intent":
        payments.cancel_payment_intent(payload["payment_intent_id"], f"cancel:{event['id']}")
