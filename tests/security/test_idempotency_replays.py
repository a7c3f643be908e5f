"""Attack: whoever learns an Idempotency-Key and its body replays it to collect the manage token or
the Stripe client secret.  Replays store no secret, hand secrets only to the caller who made the
booking, and keys expire after a day."""

import psycopg

from tests.support.api import book, booking_body, counts, ids
from tests.support.clock import later


def _stored(database_url):
    with psycopg.connect(database_url) as conn:
        return conn.execute("select row_to_json(k)::text from idempotency_keys k").fetchone()[0]


def test_no_secret_is_stored_for_replays(deposit, app_env, demo_location):
    body = booking_body(ids(app_env)["Chef's Table"], "20:00", 2, guest={"first_name": "B", "last_name": "C",
                                                                 "email": "b@example.com"})
    status, first, _ = book(demo_location, body, key="pay-1")
    assert status == 201 and first["manage_token"] and first["payment"]["client_secret"]
    stored = _stored(app_env)
    assert first["manage_token"] not in stored and first["payment"]["client_secret"] not in stored


def test_a_replay_by_the_same_caller_gets_the_whole_answer_again(deposit, app_env, demo_location):
    body = booking_body(ids(app_env)["Chef's Table"], "20:00", 2, guest={"first_name": "B", "last_name": "C",
                                                                 "email": "b@example.com"})
    first = book(demo_location, body, key="pay-2")
    again = book(demo_location, body, key="pay-2")
    assert again[0] == 201 and again[2].get("Idempotent-Replayed") == "true"
    assert again[1]["manage_token"] == first[1]["manage_token"]
    assert again[1]["payment"]["client_secret"] == first[1]["payment"]["client_secret"]


def test_a_replay_from_elsewhere_gets_the_reservation_without_its_secrets(deposit, app_env, demo_location):
    body = booking_body(ids(app_env)["Chef's Table"], "20:00", 2, guest={"first_name": "B", "last_name": "C",
                                                                 "email": "b@example.com"})
    first = book(demo_location, body, key="pay-3")[1]
    status, stolen, _ = book(demo_location, body, key="pay-3", source_ip="203.0.113.9")
    assert status == 201 and stolen["reservation"]["id"] == first["reservation"]["id"]
    assert stolen["manage_token"] is None and stolen["payment"]["client_secret"] is None


def test_a_key_expires_after_a_day(app_env, demo_location, host, set_now):
    assert book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2), key="daily")[0] == 201
    set_now(later(hours=25))
    status, _, _ = book(demo_location, booking_body(host["Regular Dinner"], "20:00", 3), key="daily")
    assert status == 201 and counts(app_env)["reservations"] == 2


def test_the_scheduled_run_forgets_keys_after_their_day(app_env, demo_location, host):
    from couvert import sweeps
    from couvert.db import get_database

    assert book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2), key="old")[0] == 201
    run = lambda moment: sweeps.run(get_database(worker=True), moment, jobs=("expired_keys",)).counts()  # noqa: E731
    assert run(later(hours=24, minutes=-1)) == {"expired_keys": 0}
    assert run(later(hours=24)) == {"expired_keys": 1} and counts(app_env)["idempotency_keys"] == 0
