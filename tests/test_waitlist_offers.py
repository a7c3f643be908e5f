"""Waitlist offers: a freed table goes to the first waiting guest it fits, held for them a while,
then to the next; the guest takes it through their link; one offer at a time, never to everyone."""

import datetime as dt

import psycopg
import pytest
from psycopg.rows import dict_row

from couvert import sweeps
from couvert.db import get_database
from couvert.manage_tokens import manage_token
from couvert.messages import load, render
from tests.support import call
from tests.support.api import DAY, book, booking_body, op, res
from tests.support.clock import PINNED_NOW


def _guest(name):
    return {"first_name": name, "last_name": "Waiting", "email": f"{name.lower()}@example.com", "phone": "0612345678"}


def _join(location, name, time_from="18:00", time_to="18:30", party=2):
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{location}/waitlist",
                           body={"date": DAY, "time_from": time_from, "time_to": time_to, "party_size": party,
                                 "guest": _guest(name)}, source_ip=f"198.51.100.{len(name)}")
    assert status == 201
    return body["entry"]["id"]


def _offers(now):
    return sweeps.run(get_database(worker=True), now, jobs=("waitlist_offers",)).counts()["waitlist_offers"]


def _entries(database_url):
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        return {r["first_name"]: r for r in conn.execute(
            """select c.first_name, w.status, w.reservation_id, w.offer_expires_at
               from waitlist_entries w join customers c on c.id = w.customer_id""")}


@pytest.fixture
def full_evening(app_env, demo_location, host, restaurant):
    """One table, taken 18:00-20:00 and 20:00-22:00; four guests wait for 18:00-18:30, one too many."""
    restaurant.only_tables("R1")
    restaurant.without_pacing()
    with psycopg.connect(app_env) as conn:
        conn.execute("update tickets set squeeze_enabled = false")
    first = book(demo_location, booking_body(host["Regular Dinner"], "18:00", 2), source_ip="192.0.2.1")[1]
    book(demo_location, booking_body(host["Regular Dinner"], "20:00", 2,
                                     guest={"first_name": "B", "last_name": "B", "email": "b@example.com"}),
         source_ip="192.0.2.2")
    _join(demo_location, "Eight", party=8)  # joined first, but no table of ours seats eight
    for name in ("Ann", "Bob", "Cid"):
        _join(demo_location, name)
    return first["reservation"]["id"], first["manage_token"]


def test_a_cancellation_makes_exactly_one_offer_to_the_first_guest_it_fits(full_evening, app_env):
    assert _offers(PINNED_NOW) == {"expired_offers": 0, "offers": 0}  # nothing free yet
    rid, token = full_evening
    assert res("POST", rid, "/transitions", query={"token": token}, body={"to": "cancelled"})[0] == 200
    assert _offers(PINNED_NOW) == {"expired_offers": 0, "offers": 1}
    entries = _entries(app_env)
    assert [n for n, e in entries.items() if e["status"] == "notified"] == ["Ann"]
    assert entries["Eight"]["status"] == entries["Bob"]["status"] == "active"
    assert _offers(PINNED_NOW + dt.timedelta(minutes=1)) == {"expired_offers": 0, "offers": 0}  # one at a time
    with psycopg.connect(app_env, row_factory=dict_row) as conn:
        held = conn.execute("select status, start_time, hold_expires_at from reservations where id = %s",
                            (entries["Ann"]["reservation_id"],)).fetchone()
        assert (held["status"], held["start_time"]) == ("draft", dt.time(18, 0))
        assert held["hold_expires_at"] == PINNED_NOW + dt.timedelta(minutes=15) == entries["Ann"]["offer_expires_at"]
        [event] = conn.execute("select * from outbox_events where kind = 'message.waitlist_offer'").fetchall()
        message = render(event, load(conn, event), "https://book.example")
    assert "A table is free" in message.subject and "until 10:15" in message.text  # Amsterdam time
    assert message.to_phone == "+31612345678" and "before 10:15" in message.sms  # time-critical: by SMS too


def test_an_offer_not_taken_in_time_goes_to_the_next_guest(full_evening, app_env, set_now):
    rid, token = full_evening
    res("POST", rid, "/transitions", query={"token": token}, body={"to": "cancelled"})
    _offers(PINNED_NOW)
    ann = _entries(app_env)["Ann"]
    later = ann["offer_expires_at"] + dt.timedelta(minutes=1)
    assert _offers(later) == {"expired_offers": 1, "offers": 1}
    entries = _entries(app_env)
    assert (entries["Ann"]["status"], entries["Bob"]["status"], entries["Cid"]["status"]) == (
        "expired", "notified", "active")
    # Ann's link no longer confirms the table she did not take in time.
    set_now(later)
    status, body, _ = res("POST", ann["reservation_id"], "/transitions",
                          query={"token": manage_token(ann["reservation_id"])}, body={"to": "confirmed"})
    assert (status, body["error"]["details"]["reason_code"]) == (409, "hold_expired")


def test_the_guest_takes_the_offer_once(full_evening, app_env, set_now):
    rid, token = full_evening
    res("POST", rid, "/transitions", query={"token": token}, body={"to": "cancelled"})
    _offers(PINNED_NOW)
    offered = _entries(app_env)["Ann"]["reservation_id"]
    set_now(PINNED_NOW + dt.timedelta(minutes=5))
    link = {"token": manage_token(offered)}
    status, body, _ = res("POST", offered, "/transitions", query=link, body={"to": "confirmed"})
    assert status == 200 and body["reservation"]["status"] == "confirmed"
    assert _entries(app_env)["Ann"]["status"] == "booked"
    again = res("POST", offered, "/transitions", query=link, body={"to": "confirmed"})
    assert again[0] == 200 and again[1]["reservation"]["status"] == "confirmed"
    with psycopg.connect(app_env) as conn:
        assert conn.execute("""select count(*) from reservations r join customers c on c.id = r.customer_id
                               where c.first_name = 'Ann'""").fetchone()[0] == 1
        assert conn.execute("select count(*) from outbox_events where kind = 'message.confirmation' "
                            "and reservation_id = %s", (offered,)).fetchone()[0] == 1
    assert _offers(PINNED_NOW + dt.timedelta(minutes=6)) == {"expired_offers": 0, "offers": 0}  # the table is taken


@pytest.mark.parametrize("caller", ["guest", "operator"])
def test_an_offer_cannot_be_parked_waiting_for_a_payment_it_does_not_owe(full_evening, app_env, host, caller):
    """Attack: draft -> pending_payment is the booking's move once its PaymentIntent exists.  Moving
    an offer there (it owes nothing, and has no intent) would leave it waiting for a payment that
    never comes, until the hold sweep cancels it and tells the guest."""
    rid, token = full_evening
    res("POST", rid, "/transitions", query={"token": token}, body={"to": "cancelled"})
    _offers(PINNED_NOW)
    offered = _entries(app_env)["Ann"]["reservation_id"]
    who = {"query": {"token": manage_token(offered)}} if caller == "guest" else {"headers": op("host-1")}
    status, body, _ = res("POST", offered, "/transitions", body={"to": "pending_payment"}, **who)
    assert (status, body["error"]["code"], body["error"]["details"]["current_status"]) == (
        409, "invalid_transition", "draft")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status from reservations where id = %s", (offered,)).fetchone()[0] == "draft"
