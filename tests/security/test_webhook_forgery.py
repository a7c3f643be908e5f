"""Attack: pay a cheaper PaymentIntent of one's own, tagged with someone's reservation, and let Stripe
tell us it succeeded.  Only the reservation's own intent, for its full amount and currency, confirms."""

import psycopg
import pytest

from tests.support.stripe import deliver, event, pay


def _status(database_url):
    with psycopg.connect(database_url) as conn:
        return conn.execute("select status, payment_status from reservations").fetchone()


@pytest.mark.parametrize("amount, currency", [(50, "eur"), (5000, "usd")])
def test_a_foreign_intent_tagged_with_the_reservation_confirms_nothing(deposit, app_env, amount, currency):
    body, client = deposit
    forged = client.v1.payment_intents.create(params={
        "amount": amount, "currency": currency,
        "metadata": {"reservation_id": body["reservation"]["id"], "location_id": body["reservation"]["location_id"]}})
    pay(client, forged.id)
    status, answer, _ = deliver(event("payment_intent.succeeded", {"id": forged.id}))
    assert (status, answer) == (200, {"received": True})
    assert _status(app_env) == ("pending_payment", "pending")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select outcome from webhook_events").fetchone()[0].startswith("ignored")


def test_the_reservations_own_intent_still_confirms(deposit, app_env):
    body, client = deposit
    pay(client, body["payment"]["payment_intent_id"])
    assert deliver(event("payment_intent.succeeded", {"id": body["payment"]["payment_intent_id"]}))[0] == 200
    assert _status(app_env) == ("confirmed", "paid")


def test_a_signed_event_for_an_intent_stripe_does_not_know_is_recorded_and_ignored(deposit, app_env):
    """Stripe would retry a 503 for days; an intent that does not exist never will."""
    status, answer, _ = deliver(event("payment_intent.succeeded", {"id": "pi_does_not_exist_anywhere"}))
    assert (status, answer) == (200, {"received": True})
    assert _status(app_env) == ("pending_payment", "pending")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select outcome from webhook_events").fetchone()[0] == "ignored: unknown payment intent"
