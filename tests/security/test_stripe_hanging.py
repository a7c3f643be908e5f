"""Attack on availability through a dependency: Stripe accepts the connection and never answers.
A deposit booking gives up within the short timeout (503, nothing held), and the day's other
bookings go on."""

import socket
import threading
import time

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


def test_a_hanging_stripe_costs_a_deposit_booking_seconds_not_minutes(hanging_stripe, app_env, demo_location):
    names = ids(app_env)
    started = time.monotonic()
    status, body, headers = book(demo_location, booking_body(names["Chef's Table"], "19:00", 2))
    waited = time.monotonic() - started
    assert (status, body["error"]["code"]) == (503, "payment_unavailable") and "Retry-After" in headers
    assert waited < 2 * STRIPE_TIMEOUT_S + 3  # one retry at most, each cut short
    assert counts(app_env)["reservations"] == 0
    started = time.monotonic()  # the same day's lock is free again for everyone else
    assert book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[0] == 201
    assert time.monotonic() - started < STRIPE_TIMEOUT_S
