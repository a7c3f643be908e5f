"""Booking under concurrency: 32 clients on separate connections, through the handler."""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from couvert.settings import reload_settings
from tests.support.api import DAY, availability, book, booking_body, ids

pytestmark = pytest.mark.slow
CLIENTS = 32


def _free_slots(location, ticket_id):
    body = availability(location, party_size=2, ticket_id=ticket_id)[1]
    return [s["time"] for t in body["tickets"] for sh in t["shifts"] for s in sh["slots"] if s["available"]]


def _overlaps(conn) -> int:
    return conn.execute("""select count(*) from table_occupancies a join table_occupancies b
                           on a.table_id = b.table_id and a.reservation_id < b.reservation_id
                           and a.occupied && b.occupied""").fetchone()[0]


def test_32_clients_fill_a_day_without_double_booking_or_breaking_limits(app_env, demo_location):
    names = ids(app_env)
    reg = names["Regular Dinner"]
    with psycopg.connect(app_env) as conn:  # tight limits so pacing and max covers bind, not only tables
        conn.execute("update shift_tickets set pacing_covers_limit = 6, max_covers_total = 30 where ticket_id = %s",
                     (reg,))
    statuses: list[tuple[int, dict, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for attempt in range(60):
            free = _free_slots(demo_location, reg)
            if not free:
                return
            # A different guest each time: this test is about locking, not about per-guest limits.
            body = booking_body(reg, rng.choice(free), 2, allow_squeeze=True)
            body["guest"] = {**body["guest"], "email": f"guest-{seed}-{attempt}@example.com"}
            result = book(demo_location, body, source_ip=f"10.{seed}.{attempt}.1")
            with lock:
                statuses.append(result)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))

    codes = Counter(status for status, _, _ in statuses)
    assert set(codes) <= {201, 409, 503}, codes
    assert all("Retry-After" in headers for status, _, headers in statuses if status == 503)
    assert all(body["error"]["code"] == "slot_unavailable" for status, body, _ in statuses if status == 409)
    with psycopg.connect(app_env) as conn:
        booked = conn.execute("select count(*), coalesce(sum(party_size), 0) from reservations").fetchone()
        assert _overlaps(conn) == 0
        worst_quarter = conn.execute(
            """select coalesce(max(covers), 0) from (
                 select sum(b.party_size) as covers from reservations a join reservations b
                   on b.start_at >= a.start_at and b.start_at < a.start_at + interval '15 minutes'
                 group by a.id) per_window""").fetchone()[0]
    assert codes[201] == booked[0] > 0
    assert booked[1] <= 30 and worst_quarter <= 6
    assert _free_slots(demo_location, reg) == []  # booked until the engine says the day is full


def _race_for_one_table(app_env, location, reg, time):
    start = threading.Barrier(CLIENTS)

    def client(_):
        start.wait()
        return book(location, booking_body(reg, time, 2))

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(client, range(CLIENTS)))


@pytest.fixture
def one_table(app_env, demo_location, restaurant):
    restaurant.only_tables("R1")
    restaurant.without_pacing()
    with psycopg.connect(app_env) as conn:
        conn.execute("update tickets set squeeze_enabled = false")
    return ids(app_env)["Regular Dinner"]


def test_with_the_lock_one_wins_and_the_engine_refuses_the_rest(app_env, demo_location, one_table):
    results = _race_for_one_table(app_env, demo_location, one_table, "19:00")
    assert Counter(s for s, _, _ in results)[201] == 1
    refused_by_db = [b for s, b, _ in results if s == 409 and "conflict" in b["error"]["details"]]
    assert refused_by_db == []


def test_with_the_lock_broken_the_exclusion_constraint_refuses_the_overlap(
        app_env, demo_location, one_table, monkeypatch):
    monkeypatch.setenv("COUVERT_UNSAFE_SKIP_BOOKING_LOCK", "true")
    reload_settings()
    refused_by_db = 0
    for time in ("18:00", "20:30", "18:15", "20:45", "18:30"):
        results = _race_for_one_table(app_env, demo_location, one_table, time)
        assert Counter(s for s, _, _ in results)[201] == 1
        refused_by_db += sum(1 for s, b, _ in results
                             if s == 409 and b["error"]["details"].get("conflict") == "table_occupancies_no_overlap")
        if refused_by_db:
            break
    assert refused_by_db > 0, "no race reached the database in five rounds"
    with psycopg.connect(app_env) as conn:
        assert _overlaps(conn) == 0


def test_concurrent_retries_with_one_idempotency_key_create_one_reservation(app_env, demo_location):
    reg = ids(app_env)["Regular Dinner"]
    body = booking_body(reg, "19:00", 2)
    start = threading.Barrier(16)

    def client(_):
        start.wait()
        return book(demo_location, body, key="retry-storm")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(client, range(16)))
    assert {s for s, _, _ in results} == {201}
    assert len({b["reservation"]["id"] for _, b, _ in results}) == 1
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from reservations").fetchone()[0] == 1


def test_a_booking_that_cannot_get_the_day_lock_in_time_is_503_with_retry_after(app_env, demo_location,
                                                                                monkeypatch):
    monkeypatch.setenv("BOOKING_LOCK_TIMEOUT_MS", "200")
    reload_settings()
    reg = ids(app_env)["Regular Dinner"]
    with psycopg.connect(app_env) as holder:  # another booking of the same day, still in progress
        holder.execute("select lock_location_day(%s, %s, '5s')", (demo_location, DAY))
        status, body, headers = book(demo_location, booking_body(reg, "19:00", 2))
        holder.rollback()
    assert (status, body["error"]["code"], headers.get("Retry-After")) == (503, "busy", "1")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from reservations").fetchone()[0] == 0
