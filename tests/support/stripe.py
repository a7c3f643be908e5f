"""Stripe as the tests see it: paying through localstripe and delivering signed webhooks."""

import hashlib
import hmac
import json
import time
import uuid

from couvert_dev.localstripe import pay_with_test_card
from tests.support import call
from tests.support.api import WEBHOOK_SECRET, op


def pay(client, pi: str) -> None:
    """What the guest's browser does: attach a card and confirm."""
    pay_with_test_card(client, pi)


def refunds_of(client, pi: str) -> list[int]:
    charge = client.v1.payment_intents.retrieve(pi).latest_charge
    charge_id = charge if isinstance(charge, str) else charge.id
    return [r.amount for r in client.v1.refunds.list().data if r.charge == charge_id]


def paid_then_cancelled_by_the_host(deposit) -> str:
    """The deposit is paid (signed webhook), then the host cancels: a full refund waits in the outbox."""
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    deliver(event("payment_intent.succeeded", {"id": pi}))
    status, _, _ = call("transition_status", "POST", f"/v1/reservations/{body['reservation']['id']}/transitions",
                        body={"to": "cancelled"}, headers=op("host-1"))
    assert status == 200
    return pi


def signed(payload: dict, secret: str = WEBHOOK_SECRET) -> tuple[str, dict]:
    """A body and headers signed exactly as Stripe signs them (t=..., v1=HMAC-SHA256)."""
    body = json.dumps(payload)
    t = int(time.time())
    signature = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, {"stripe-signature": f"t={t},v1={signature}"}


def deliver(payload: dict, secret: str = WEBHOOK_SECRET, base64_body: bool = False):
    body, headers = signed(payload, secret)
    return call("stripe_webhook", "POST", "/v1/webhooks/stripe", body=body, headers=headers,
                base64_body=base64_body)


def event(kind: str, obj: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind, "data": {"object": obj}}
