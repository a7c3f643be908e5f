"""Attack with an old manage link: it opens the reservation until 30 days after the visit, never after."""

import datetime as dt

from tests.support.api import book, booking_body, res
from tests.support.clock import at


def test_a_manage_link_expires_30_days_after_the_visit(app_env, demo_location, host, set_now):
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))
    rid, token = booked["reservation"]["id"], booked["manage_token"]
    visit_ends = dt.datetime.fromisoformat(booked["reservation"]["end_at"])
    set_now(visit_ends + dt.timedelta(days=30) - dt.timedelta(minutes=1))
    assert res("GET", rid, query={"token": token})[0] == 200
    set_now(visit_ends + dt.timedelta(days=30))
    status, body, _ = res("GET", rid, query={"token": token})
    assert (status, body["error"]["code"]) == (404, "not_found")  # like a reservation that never existed


def test_the_token_may_travel_in_a_header_instead_of_the_url(app_env, demo_location, host, set_now):
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))
    rid, token = booked["reservation"]["id"], booked["manage_token"]
    set_now(at(2, "12:00"))
    assert res("GET", rid, headers={"x-manage-token": token})[0] == 200
    assert res("GET", rid, headers={"x-manage-token": "not-the-token"})[0] == 404
    status, body, _ = res("POST", rid, "/transitions", body={"to": "cancelled"}, headers={"X-Manage-Token": token})
    assert status == 200 and body["reservation"]["status"] == "cancelled"
