"""Attack: one anonymous client books out an evening; one e-mail address floods a location.

Limits (couvert.rate_limits) count creations per location, per client address and per e-mail, in
a sliding window; the refused attempt is 429 `rate_limited` with Retry-After and writes nothing.
"""

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from couvert.settings import reload_settings
from tests.support import call
from tests.support.api import DAY, book, booking_body, counts
from tests.support.clock import PINNED_NOW

TIMES = [f"{h}:{m:02d}" for h in (18, 19, 20) for m in (0, 15, 30, 45)] + ["21:00"]


@pytest.fixture
def limits(app_env, demo_location, host, restaurant, monkeypatch):
    restaurant.without_pacing()
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS", "4")
    monkeypatch.setenv("RATE_LIMIT_PER_EMAIL", "2")
    reload_settings()
    return host["Regular Dinner"]


def _guest(n: int) -> dict:
    return {"first_name": "Bot", "last_name": str(n), "email": f"bot{n}@example.com"}


def test_one_client_cannot_book_out_an_evening(limits, app_env, demo_location):
    statuses = [book(demo_location, booking_body(limits, t, guest=_guest(n)), source_ip="203.0.113.7")
                for n, t in enumerate(TIMES[:6])]
    assert [s for s, _, _ in statuses] == [201, 201, 201, 201, 429, 429]
    _, body, headers = statuses[-1]
    assert body["error"]["code"] == "rate_limited" and 0 < int(headers["Retry-After"]) <= 3600
    before = counts(app_env)
    assert book(demo_location, booking_body(limits, TIMES[-1], guest=_guest(99)), source_ip="203.0.113.7")[0] == 429
    assert counts(app_env) == before  # the refused attempt left nothing: no customer, no key, no hit
    # Another client is not affected.
    assert book(demo_location, booking_body(limits, TIMES[-1], guest=_guest(99)), source_ip="198.51.100.1")[0] == 201


def test_one_email_cannot_flood_a_location_from_many_addresses(limits, demo_location):
    body = lambda t: booking_body(limits, t, guest=_guest(1))  # noqa: E731
    results = [book(demo_location, body(t), source_ip=f"192.0.2.{i}")[0] for i, t in enumerate(TIMES[:3])]
    assert results == [201, 201, 429]
    waitlist = call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist",
                    body={"date": DAY, "party_size": 2, "time_from": "18:00", "time_to": "21:00",
                          "guest": _guest(1)}, source_ip="192.0.2.200")
    assert waitlist[0] == 429  # waitlist joins count with bookings


def test_the_window_slides(limits, demo_location, set_now):
    for n, t in enumerate(TIMES[:4]):
        assert book(demo_location, booking_body(limits, t, guest=_guest(n)), source_ip="203.0.113.9")[0] == 201
    assert book(demo_location, booking_body(limits, TIMES[4], guest=_guest(4)), source_ip="203.0.113.9")[0] == 429
    set_now(PINNED_NOW + dt.timedelta(hours=2))
    assert book(demo_location, booking_body(limits, TIMES[4], guest=_guest(4)), source_ip="203.0.113.9")[0] == 201


def test_operators_are_not_limited(limits, demo_location):
    results = [book(demo_location, booking_body(limits, t, guest=_guest(1)), user="host-1")[0] for t in TIMES[:4]]
    assert results == [201] * 4


def test_a_burst_from_one_client_at_once_gets_no_more_than_its_limit(limits, app_env, demo_location):
    start = threading.Barrier(12)

    def attempt(n: int):
        start.wait()
        return book(demo_location, booking_body(limits, TIMES[n], guest=_guest(n)), source_ip="203.0.113.50")[0]

    with ThreadPoolExecutor(12) as pool:
        codes = Counter(pool.map(attempt, range(12)))
    assert codes[201] <= 4 and codes[429] >= 8 - codes[409] - codes[503], codes
    assert counts(app_env)["reservations"] == codes[201]
