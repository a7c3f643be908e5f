"""Deposits against localstripe (a stateful fake Stripe server) through the real stripe library."""

import psycopg
import pytest
import stripe

from couvert import booking
from couvert.api_models import ReservationIn
from couvert.db import RequestContext, get_database
from couvert.payments import StripePayments
from couvert.settings import current_time
from tests.support.api import availability, book, booking_body, counts, ids
from tests.support.clock import AMSTERDAM, later


class RecordingHttpClient(stripe.RequestsClient):
    """The real HTTP client, remembering the headers it sent (localstripe ignores Idempotency-Key)."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, headers, post_data=None):
        self.sent.append((method, url, dict(headers or {})))
        return super().request(method, url, headers, post_data)


@pytest.fixture
def demo(stripe_env, app_env, demo_location):
    return demo_location, ids(app_env)


def test_a_deposit_ticket_creates_a_payment_intent_and_waits_for_payment(stripe_env, app_env, demo):
    location, names = demo
    status, body, _ = book(location, booking_body(names["Chef's Table"], "19:00", 2))
    assert status == 201
    r, payment = body["reservation"], body["payment"]
    assert (r["status"], r["payment_status"], r["payment_amount"]) == ("pending_payment", "pending", "50.00")
    assert (payment["provider"], payment["amount"], payment["currency"]) == ("stripe", "50.00", "EUR")
    assert payment["expires_at"] == later(minutes=15).astimezone(AMSTERDAM).isoformat()  # payment_timeout_minutes = 15
    intent = stripe.StripeClient("sk_test_couvert", base_addresses={"api": stripe_env}).v1.payment_intents.retrieve(
        payment["payment_intent_id"])
    assert (intent.amount, intent.currency) == (5000, "eur")
    assert intent.metadata.to_dict() == {"reservation_id": r["id"], "location_id": str(location)}
    assert intent.client_secret == payment["client_secret"]
    with psycopg.connect(app_env) as conn:
        hold, pi = conn.execute("select hold_expires_at, payment_intent_id from reservations").fetchone()
        assert pi == payment["payment_intent_id"] and hold is not None
        assert conn.execute("select count(*) from outbox_events").fetchone()[0] == 0  # confirmation waits for payment


def test_the_payment_intent_carries_an_idempotency_key_derived_from_the_reservation(stripe_env, app_env, demo):
    location, names = demo
    recorder = RecordingHttpClient()
    payments = StripePayments("sk_test_couvert", stripe_env, http_client=recorder)
    result = booking.create_reservation(
        get_database(), RequestContext.guest(location), location,
        ReservationIn.model_validate(booking_body(names["Chef's Table"], "19:00", 2)).to_domain(), None, current_time(),
        payments)
    reservation_id = result.body["reservation"]["id"]
    posts = [h for method, url, h in recorder.sent if method == "post" and url.endswith("/v1/payment_intents")]
    assert len(posts) == 1
    assert posts[0].get("Idempotency-Key") == f"deposit:{reservation_id}"


def test_a_stripe_failure_leaves_no_table_held(app_env, demo_location, monkeypatch):
    from couvert.payments import reset_payments
    from couvert.settings import reload_settings

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_couvert")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    reload_settings()
    reset_payments()
    names = ids(app_env)
    before = availability(demo_location, party_size=2, ticket_id=names["Chef's Table"])[1]
    status, body, headers = book(demo_location, booking_body(names["Chef's Table"], "19:00", 2), key="pay-1")
    assert (status, body["error"]["code"]) == (503, "payment_unavailable") and "Retry-After" in headers
    # The draft that held the table while Stripe was asked is dropped: no table, no message.
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status, cancellation_reason from reservations").fetchall() == [
            ("cancelled", "the payment could not be started")]
    assert counts(app_env)["table_occupancies"] == 0 and counts(app_env)["outbox_events"] == 0
    assert availability(demo_location, party_size=2, ticket_id=names["Chef's Table"])[1] == before
    # The key was freed: a retry is a new attempt, not a replay of the dropped draft.
    assert book(demo_location, booking_body(names["Chef's Table"], "19:00", 2), key="pay-1")[0] == 503
    assert counts(app_env)["reservations"] == 2
    reset_payments()
