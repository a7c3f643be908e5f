"""The guest record: operators keep notes, tags and preferences; alerts come with every booking."""

import psycopg

from tests.support import call
from tests.support.api import book, booking_body, op, res


def _customer_of(rid):
    return res("GET", rid, headers=op("host-1"))[1]["customer"]["id"]


def _path(location, customer, suffix=""):
    return f"/v1/locations/{location}/customers/{customer}{suffix}"


def test_operators_keep_notes_tags_and_preferences(app_env, demo_location, host):
    rid = book(demo_location, booking_body(host["Regular Dinner"]))[1]["reservation"]["id"]
    customer = _customer_of(rid)
    status, card, _ = call("back_office", "PATCH", _path(demo_location, customer), headers=op("host-1"),
                           body={"operator_tags": ["vip"], "preferences": {"seating": "window"},
                                 "notes": "regular since 2019", "phone": "06 87654321"})
    assert status == 200
    assert card["operator_tags"] == ["vip"] and card["tags"][0] == "vip" and "new_guest" in card["tags"]
    assert (card["preferences"], card["notes"], card["phone_number"]) == (
        {"seating": "window"}, "regular since 2019", "+31687654321")
    status, card, _ = call("back_office", "PATCH", _path(demo_location, customer), headers=op("host-1"),
                           body={"notes": None})
    assert status == 200 and card["notes"] is None and card["operator_tags"] == ["vip"]  # only what was given
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from audit_log where action = 'customer_change'").fetchone()[0] == 2
    assert call("back_office", "PATCH", _path(demo_location, customer), headers=op("host-1"),
                body={"phone": "12"})[0] == 422
    assert call("back_office", "PATCH", _path(demo_location, customer), headers=op("stranger"),
                body={"notes": "x"})[0] == 404


def test_an_alert_note_comes_with_the_guests_next_booking(app_env, demo_location, host):
    first = book(demo_location, booking_body(host["Regular Dinner"], "18:00"))[1]["reservation"]["id"]
    customer = _customer_of(first)
    status, body, _ = call("back_office", "POST", _path(demo_location, customer, "/notes"), headers=op("host-1"),
                           body={"note": "severe shellfish allergy", "note_type": "allergy", "is_alert": True})
    assert status == 200 and body["note"]["is_alert"] and body["note"]["created_by"] == "host-1"
    call("back_office", "POST", _path(demo_location, customer, "/notes"), headers=op("host-1"),
         body={"note": "liked the lamb"})
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"], "20:00"))
    rid = booked["reservation"]["id"]
    assert "alerts" not in booked["reservation"]  # the guest's own answer shows none of it
    seen = res("GET", rid, headers=op("host-1"))[1]
    assert seen["alerts"] == [{"note": "severe shellfish allergy", "note_type": "allergy"}]
    listed = call("back_office", "GET", f"/v1/locations/{demo_location}/reservations",
                  query={"date": booked["reservation"]["date"]}, headers=op("host-1"))[1]["reservations"]
    assert all(r["alerts"] == seen["alerts"] for r in listed)
    card = call("back_office", "GET", _path(demo_location, customer), headers=op("host-1"))[1]
    assert [n["note"] for n in card["notes_log"]] == ["severe shellfish allergy", "liked the lamb"]
    assert [n["note"] for n in card["alerts"]] == ["severe shellfish allergy"]
