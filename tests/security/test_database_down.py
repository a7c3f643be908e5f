"""Attack on availability: the database is unreachable.  Every route answers 503 `unavailable` with
Retry-After — never a 500 — and writes nothing anywhere."""

import socket

import pytest

from couvert.db import reset_database
from couvert.settings import reload_settings
from tests.support import call
from tests.support.api import booking_body
from tests.support.clock import iso


@pytest.fixture
def database_down(app_env, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://couvert@127.0.0.1:{port}/couvert")
    reload_settings()
    reset_database()
    yield
    reset_database()


@pytest.mark.parametrize("function, method, path, body", [
    ("check_availability", "GET", "/v1/locations/{loc}/availability?date={day}&party_size=2", None),
    ("create_reservation", "POST", "/v1/locations/{loc}/reservations", "booking"),
    ("transition_status", "GET", "/v1/reservations/{loc}?token=abc", None),
])
def test_an_unreachable_database_is_503_with_retry_after(database_down, demo_location, function, method, path, body):
    url, _, query = path.format(loc=demo_location, day=iso(9)).partition("?")
    params = dict(p.split("=") for p in query.split("&")) if query else None
    payload = booking_body("00000000-0000-0000-0000-000000000001") if body else None
    status, answer, headers = call(function, method, url, query=params, body=payload)
    assert (status, answer["error"]["code"]) == (503, "unavailable")
    assert int(headers["Retry-After"]) > 0
