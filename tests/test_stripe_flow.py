"""Money end to end against localstripe: deposit, signed webhooks, refunds through the dispatcher."""

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg

from couvert.db import get_database
from couvert.outbox import dispatch_money
from couvert.payments import get_payments
from couvert.settings import current_time
from tests.support import call
from tests.support.api import book, booking_body, ids, op
from tests.support.clock import at, later
from tests.support.stripe import deliver, event, paid_then_cancelled_by_the_host, pay, refunds_of


def _reservation(app_env):
    with psycopg.connect(app_env) as conn:
        return conn.execute("select status, payment_status, payment_amount from reservations").fetchone()


def test_a_paid_deposit_confirms_once_and_a_bad_signature_changes_nothing(deposit, app_env):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    succeeded = event("payment_intent.succeeded", {"id": pi, "object": "payment_intent"})

    status, answer, _ = deliver(succeeded, secret="whsec_wrong")
    assert (status, answer["error"]["code"]) == (400, "bad_request")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from webhook_events").fetchone()[0] == 0
    assert _reservation(app_env)[0] == "pending_payment"

    assert deliver(succeeded) == (200, {"received": True}, {"Content-Type": "application/json"})
    assert _reservation(app_env) == ("confirmed", "paid", 50)
    status, answer, _ = deliver(succeeded)  # Stripe delivers again
    assert status == 200 and answer["duplicate"] is True
    with psycopg.connect(app_env) as conn:
        confirmations = conn.execute("select count(*) from audit_log where action = 'status_change' "
                                     "and new_value->>'status' = 'confirmed'").fetchone()[0]
        messages = conn.execute("select count(*) from outbox_events where kind = 'message.confirmation'").fetchone()[0]
    assert confirmations == 1 and messages == 1


def test_a_base64_encoded_webhook_body_is_verified_on_its_raw_bytes(deposit, app_env):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    status, _, _ = deliver(event("payment_intent.succeeded", {"id": pi}), base64_body=True)
    assert status == 200 and _reservation(app_env)[0] == "confirmed"


def test_an_unpaid_intent_reported_as_succeeded_is_not_believed(deposit, app_env):
    body, _ = deposit
    forged = event("payment_intent.succeeded", {"id": body["payment"]["payment_intent_id"], "status": "succeeded"})
    assert deliver(forged)[0] == 200
    assert _reservation(app_env)[0] == "pending_payment"  # localstripe says: not paid


def test_cancel_later_and_the_dispatcher_refunds_in_localstripe(deposit, app_env):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    deliver(event("payment_intent.succeeded", {"id": pi}))
    rid = body["reservation"]["id"]
    status, answer, _ = call("transition_status", "POST", f"/v1/reservations/{rid}/transitions",
                             body={"to": "cancelled", "reason": "kitchen closed"}, headers=op("host-1"))
    assert status == 200 and answer["refund"] == {"amount": "50.00", "currency": "EUR"}
    assert dispatch_money(get_database(worker=True), get_payments(), current_time()) == {"done": 1, "retried": 0}
    assert refunds_of(client, pi) == [5000]
    assert _reservation(app_env)[1] == "refunded"
    assert dispatch_money(get_database(worker=True), get_payments(), current_time()) == {"done": 0, "retried": 0}


def test_the_dispatcher_run_twice_at_once_refunds_once(deposit, app_env):
    _, client = deposit
    pi = paid_then_cancelled_by_the_host(deposit)
    start = threading.Barrier(2)

    def run(_):
        start.wait()
        return dispatch_money(get_database(worker=True), get_payments(), current_time())

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, range(2)))
    assert sorted(r["done"] for r in results) == [0, 1]
    assert len(refunds_of(client, pi)) == 1


def test_a_guest_cancelling_late_gets_the_policy_refund_from_the_snapshot(deposit, app_env, set_now):

    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    deliver(event("payment_intent.succeeded", {"id": pi}))
    set_now(at(8, "13:00"))  # inside the 48 h window; Fine Dining refunds 0 %
    status, answer, _ = call("transition_status", "POST", f"/v1/reservations/{body['reservation']['id']}/transitions",
                             body={"to": "cancelled"}, query={"token": body["manage_token"]})
    assert status == 200 and answer["refund"]["amount"] == "0.00"
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from outbox_events where kind = 'stripe.refund'").fetchone()[0] == 0


def test_a_late_payment_after_the_table_was_taken_is_refunded_not_overbooked(deposit, app_env, set_now,
                                                                           restaurant):

    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    names = ids(app_env)
    held = body["reservation"]["table_id"]
    restaurant.only_tables(held)  # only the held table exists for this party
    set_now(later(minutes=30))  # the 15-minute hold has lapsed
    taken = book(body["reservation"]["location_id"], booking_body(names["Chef's Table"], "19:00", 2,
                                                                    guest={"first_name": "B", "last_name": "C",
                                                                           "email": "b@example.com"}))
    assert taken[0] == 201 and taken[1]["reservation"]["table_id"] == str(held)
    pay(client, pi)
    assert deliver(event("payment_intent.succeeded", {"id": pi}))[0] == 200
    with psycopg.connect(app_env) as conn:
        first = conn.execute("select status, payment_status from reservations where id = %s",
                             (body["reservation"]["id"],)).fetchone()
        refund = conn.execute("select payload from outbox_events where kind = 'stripe.refund'").fetchone()[0]
        overlaps = conn.execute("""select count(*) from table_occupancies a join table_occupancies b
            on a.table_id = b.table_id and a.reservation_id < b.reservation_id and a.occupied && b.occupied""").fetchone()[0]
    assert first == ("cancelled", "paid") and refund["amount_cents"] == 5000 and overlaps == 0


def test_payment_intent_canceled_cancels_a_pending_reservation(deposit, app_env):
    body, _ = deposit
    assert deliver(event("payment_intent.canceled", {"id": body["payment"]["payment_intent_id"],
                                                     "status": "canceled"}))[0] == 200
    assert _reservation(app_env)[0] == "cancelled"


def test_charge_refunded_sets_the_payment_status(deposit, app_env):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    deliver(event("payment_intent.succeeded", {"id": pi}))
    partial = event("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": pi,
                                        "amount": 5000, "amount_refunded": 2000})
    assert deliver(partial)[0] == 200 and _reservation(app_env)[1] == "partial_refund"
    full = event("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": pi,
                                     "amount": 5000, "amount_refunded": 5000})
    assert deliver(full)[0] == 200 and _reservation(app_env)[1] == "refunded"


def test_payment_failed_is_recorded_and_the_hold_stays(deposit, app_env):
    body, _ = deposit
    assert deliver(event("payment_intent.payment_failed", {"id": body["payment"]["payment_intent_id"]}))[0] == 200
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select outcome from webhook_events").fetchone()[0].startswith("recorded")
    assert _reservation(app_env)[0] == "pending_payment"


def test_a_stripe_outage_retries_the_refund_later(deposit, app_env, monkeypatch):
    from couvert.payments import StripePayments

    paid_then_cancelled_by_the_host(deposit)
    down = StripePayments("sk_test_couvert", "http://127.0.0.1:9")
    assert dispatch_money(get_database(worker=True), down, current_time()) == {"done": 0, "retried": 1}
    with psycopg.connect(app_env) as conn:
        attempts, status, error = conn.execute(
            "select attempts, status, last_error from outbox_events where kind = 'stripe.refund'").fetchone()
    assert (attempts, status) == (1, "pending") and "payment provider" in error
    assert dispatch_money(get_database(worker=True), get_payments(), current_time())["done"] == 0  # backing off


def test_a_signed_payload_that_is_not_an_event_is_400(stripe_env, app_env):
    status, body, _ = deliver({"hello": "world"})
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_events_for_unknown_or_malformed_references_are_acknowledged_and_ignored(stripe_env, app_env):
    odd = event("charge.refunded", {"id": "ch_x", "payment_intent": "pi_nobody", "amount": 1, "amount_refunded": 1,
                                    "metadata": {"reservation_id": "not-a-uuid", "location_id": "zzz"}})
    assert deliver(odd)[0] == 200
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select outcome, location_id from webhook_events").fetchone() == (
            "ignored: no reservation for this payment", None)


def test_a_changed_party_size_keeps_the_deposit_the_guest_was_asked_for(deposit, app_env):
    """docs/decisions.md, "Editing a reservation": the PaymentIntent is for the party booked, and the
    webhook confirms only the full amount of its own intent, so the host settles a difference on the bill."""
    body, client = deposit
    rid, pi = body["reservation"]["id"], body["payment"]["payment_intent_id"]
    status, answer, _ = call("transition_status", "PATCH", f"/v1/reservations/{rid}", headers=op("host-1"),
                             body={"party_size": 4})
    assert status == 200 and answer["reservation"]["party_size"] == 4
    pay(client, pi)
    assert deliver(event("payment_intent.succeeded", {"id": pi, "object": "payment_intent"}))[0] == 200
    assert _reservation(app_env) == ("confirmed", "paid", 50)  # 2 x 25.00, as asked
