"""Attack on availability through a dependency: Stripe accepts the connection and never answers.
A deposit booking gives up within the short timeout (503, nothing held), and the day's other
bookings go on meanwhile: the PaymentIntent is created outside the day's lock."""

import socket
import threading
import time

import psycopg
import pytest

from couvert.payments import STRIPE_TIMEOUT_S, reset_payments
from couvert.settings import reload_settings
from tests.support.api import book, booking_body, counts, ids


@pytest.fixture
def hanging_stripe(app_env, monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])  # hold the connection open, say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_couvert")
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{server.getsockname()[1]}")
    reload_settings()
    reset_payments()
    yield
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()
    reset_payments()


def test_a_hanging_stripe_costs_a_deposit_booking_seconds_and_blocks_no_one_else(hanging_stripe, app_env,
                                                                                  demo_location):
    names = ids(app_env)
    deposit: dict = {}

    def deposit_booking():
        started = time.monotonic()
        deposit["answer"] = book(demo_location, booking_body(names["Chef's Table"], "19:00", 2), source_ip="192.0.2.1")
        deposit["waited"] = time.monotonic() - started

    hanging = threading.Thread(target=deposit_booking)
    hanging.start()
    time.sleep(0.5)  # the deposit booking is now waiting for Stripe
    started = time.monotonic()  # the same day's lock is free for everyone else meanwhile
    assert book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2), source_ip="192.0.2.2")[0] == 201
    assert time.monotonic() - started < 1.5 and "answer" not in deposit
    hanging.join()
    status, body, headers = deposit["answer"]
    assert (status, body["error"]["code"]) == (503, "payment_unavailable") and "Retry-After" in headers
    assert deposit["waited"] < 2 * STRIPE_TIMEOUT_S + 3  # one retry at most, each cut short
    with psycopg.connect(app_env) as conn:  # the draft that held its table while waiting is dropped
        assert sorted(conn.execute("select status from reservations").fetchall()) == [("cancelled",), ("confirmed",)]
    assert counts(app_env)["table_occupancies"] == 1
