"""What the guest's manage page and the host's console read besides the reservation itself: the
refund a cancellation would give (shown before confirming), the calendar file, and the evening's
floor (tables, shifts and their pacing)."""

import datetime as dt

import psycopg
import pytest

from tests.support import FakeContext, call, http_event, load_handler
from tests.support.api import DAY, add_member, book, booking_body, ids, op, res
from tests.support.stripe import deliver, event, pay


@pytest.fixture
def paid(deposit, app_env):
    """A paid 50.00 deposit (Fine Dining: free cancellation until 48 h before, then nothing back)."""
    body, client = deposit
    pay(client, body["payment"]["payment_intent_id"])
    deliver(event("payment_intent.succeeded", {"id": body["payment"]["payment_intent_id"]}))
    return body["reservation"]["id"], body["manage_token"]


def _set_free_hours(database_url, reservation_id, hours: int) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("update reservations set policy_snapshot = policy_snapshot || jsonb_build_object("
                     "'cancel_free_hours', %s::int) where id = %s", (hours, reservation_id))


def test_a_guest_sees_the_refund_before_cancelling_and_gets_exactly_that(paid, app_env):
    rid, token = paid
    status, body, _ = res("GET", rid, headers={"x-manage-token": token})
    assert status == 200 and body["status"] == "confirmed"
    assert body["cancellation"]["refund"] == {"amount": "50.00", "currency": "EUR"}
    free_until = dt.datetime.fromisoformat(body["cancellation"]["free_until"])
    assert free_until == dt.datetime.fromisoformat(body["start_at"]) - dt.timedelta(hours=48)
    assert free_until.utcoffset() == dt.datetime.fromisoformat(body["start_at"]).utcoffset()  # the location's time

    _set_free_hours(app_env, rid, 24 * 400)  # the free period is over: Fine Dining keeps the deposit
    preview = res("GET", rid, headers={"x-manage-token": token})[1]["cancellation"]
    assert preview["refund"]["amount"] == "0.00"
    status, cancelled, _ = res("POST", rid, "/transitions", body={"to": "cancelled"}, headers={"x-manage-token": token})
    assert status == 200 and cancelled["refund"] == preview["refund"]
    assert res("GET", rid, headers={"x-manage-token": token})[1]["cancellation"] is None  # nothing left to cancel


def test_the_preview_follows_who_is_asking(paid, app_env, demo_location):
    rid, token = paid
    _set_free_hours(app_env, rid, 24 * 400)
    add_member(app_env, demo_location, "owner-1", role="owner")
    assert res("GET", rid, headers=op("host-1"))[1]["cancellation"]["refund"]["amount"] == "0.00"  # a host: the policy
    assert res("GET", rid, headers=op("owner-1"))[1]["cancellation"]["refund"]["amount"] == "50.00"  # an owner: in full


def test_the_preview_is_absent_where_the_caller_cannot_cancel(paid, app_env):
    rid, token = paid
    assert res("POST", rid, "/transitions", body={"to": "seated"}, headers=op("host-1"))[0] == 200
    assert res("GET", rid, headers=op("host-1"))[1]["cancellation"] is None  # seated guests are not cancelled


def _calendar(rid, **kw):
    response = load_handler("transition_status").lambda_handler(
        http_event("GET", f"/v1/reservations/{rid}/calendar", **kw), FakeContext())
    return response["statusCode"], response["headers"], response["body"]


def test_the_guest_downloads_the_calendar_file_of_their_booking(app_env, demo_location):
    names = ids(app_env)
    created = book(demo_location, booking_body(names["Regular Dinner"], "19:30", 2))[1]
    rid, token = created["reservation"]["id"], created["manage_token"]
    status, headers, ics = _calendar(rid, headers={"x-manage-token": token})
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar

    entry = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert str(entry["UID"]) == f"{rid}@couvert"  # the same event the confirmation e-mail carries
    assert entry.decoded("DTSTART").isoformat() == created["reservation"]["start_at"]
    assert created["reservation"]["reference"] in str(entry["DESCRIPTION"])
    assert "METHOD:REQUEST" in ics

    res("POST", rid, "/transitions", body={"to": "cancelled"}, headers={"x-manage-token": token})
    assert "METHOD:CANCEL" in _calendar(rid, headers={"x-manage-token": token})[2]
    assert _calendar(rid, headers={"x-manage-token": "not-the-token"})[0] == 404
    assert _calendar(rid)[0] == 404


def test_the_evening_carries_the_floor_and_the_shifts_limits(app_env, demo_location, host):
    status, evening, _ = call("back_office", "GET", f"/v1/locations/{demo_location}/reservations",
                              query={"date": DAY}, headers=op("host-1"))
    assert status == 200
    with psycopg.connect(app_env) as conn:
        active = {n for (n,) in conn.execute("select name from tables where location_id = %s and is_active",
                                             (demo_location,))}
    assert {t["name"] for t in evening["tables"]} == active
    assert all(t["area"] and t["max_capacity"] >= t["min_capacity"] for t in evening["tables"])
    diner = next(s for s in evening["shifts"] if s["name"] == "Diner")
    limits = {t["ticket_name"]: t["pacing_covers_limit"] for t in diner["tickets"]}
    assert limits == {"Regular Dinner": 12, "Chef's Table": 4}  # as config/demo_location.yaml sets them
    assert len(diner["start_time"]) == 5 and diner["arrival_interval_minutes"] > 0
