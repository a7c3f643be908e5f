"""functions/transition_status (reads, transitions, reconfirm, PATCH) and back_office's operator reads:
who may do what."""

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.support import call
from tests.support.api import DAY, add_member, book, booking_body, ids, op, res
from tests.support.clock import AMSTERDAM, PINNED_NOW, at


@pytest.fixture
def booked(app_env, demo_location):
    """A guest's confirmed Regular Dinner at 19:00 on 2 December, and a host of the location."""
    names = ids(app_env)
    add_member(app_env, demo_location, "host-1")
    status, body, _ = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2,
                                                       guest_notes="window please"))
    assert status == 201
    return body["reservation"]["id"], body["manage_token"], names, demo_location


def test_a_guest_reads_their_reservation_with_the_token_without_internal_fields(booked, app_env):
    rid, token, _, _ = booked
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set internal_notes = 'regular, likes R3', risk_factors = '{}'")
    status, body, _ = res("GET", rid, query={"token": token})
    assert status == 200 and body["id"] == rid and body["guest_notes"] == "window please"
    assert "internal_notes" not in body and "risk_factors" not in body
    status, body, _ = res("GET", rid, headers=op("host-1"))
    assert status == 200 and body["internal_notes"] == "regular, likes R3"


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_a_wrong_or_missing_token_is_404(booked, token):
    rid, _, _, _ = booked
    status, body, _ = res("GET", rid, query={"token": token} if token is not None else None)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_one_guests_token_does_not_open_another_reservation(booked, app_env):
    rid, token, names, location = booked
    other = book(location, booking_body(names["Regular Dinner"], "20:00", 2))[1]["reservation"]["id"]
    assert res("GET", other, query={"token": token})[0] == 404
    assert res("POST", other, "/transitions", query={"token": token}, body={"to": "cancelled"})[0] == 404


def test_a_guest_cancels_and_sees_the_refund(booked, app_env):
    rid, token, _, _ = booked
    status, body, _ = res("POST", rid, "/transitions", query={"token": token},
                          body={"to": "cancelled", "reason": "ill"})
    assert status == 200 and body["reservation"]["status"] == "cancelled"
    assert body["refund"] == {"amount": "0.00", "currency": "EUR"}
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select cancelled_by, cancellation_reason from reservations").fetchone() == ("guest", "ill")


@pytest.mark.parametrize("target", ["seated", "no_show", "completed"])
def test_guests_cannot_make_operator_transitions(booked, app_env, target):
    rid, token, _, _ = booked
    status, body, _ = res("POST", rid, "/transitions", query={"token": token}, body={"to": target})
    assert (status, body["error"]["code"], body["error"]["details"]["current_status"]) == (
        409, "invalid_transition", "confirmed")


def test_a_host_seats_and_completes(booked, app_env):
    rid, _, _, _ = booked
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})[0] == 200
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "completed"})
    assert status == 200 and body["reservation"]["status"] == "completed"
    assert "refund" not in body  # a refund is answered only when cancelling, never as null
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "cancelled"})
    assert (status, body["error"]["details"]["current_status"]) == (409, "completed")


def test_an_operator_of_another_location_gets_404(booked, app_env):
    rid, _, _, _ = booked
    with psycopg.connect(app_env) as conn:
        other = conn.execute("insert into locations (name, slug) values ('O', 'o') returning id").fetchone()[0]
    add_member(app_env, other, "stranger", "owner")
    assert res("GET", rid, headers=op("stranger"))[0] == 404
    assert res("POST", rid, "/transitions", headers=op("stranger"), body={"to": "cancelled"})[0] == 404
    assert res("PATCH", rid, headers=op("stranger"), body={"party_size": 3})[0] == 404


def test_bad_transition_bodies_are_422(booked):
    rid, token, _, _ = booked
    for body in ({"to": "teleported"}, {}, {"to": "cancelled", "reason": "x" * 501}):
        status, answer, _ = res("POST", rid, "/transitions", query={"token": token}, body=body)
        assert (status, answer["error"]["code"]) == (422, "validation_error")


def test_reconfirm_with_the_token(booked, app_env):
    rid, token, _, _ = booked
    status, body, _ = res("POST", rid, "/reconfirm", query={"token": token})
    assert status == 200 and body["reservation"]["reconfirmed_at"] == PINNED_NOW.astimezone(AMSTERDAM).isoformat()
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select performed_by_type from audit_log where action = 'reconfirmed'").fetchone() == (
            "guest",)
    res("POST", rid, "/transitions", query={"token": token}, body={"to": "cancelled"})
    status, body, _ = res("POST", rid, "/reconfirm", query={"token": token})
    assert (status, body["error"]["details"]["current_status"]) == (409, "cancelled")


def test_two_hosts_at_once_one_seats_one_marks_no_show(booked, app_env, set_now):
    rid, _, _, _ = booked
    add_member(app_env, booked[3], "host-2")
    set_now(at(9, "19:30"))  # past the no-show grace
    start = threading.Barrier(2)

    def act(args):
        user, target = args
        start.wait()
        return res("POST", rid, "/transitions", headers=op(user), body={"to": target, "from": "confirmed"})

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(act, [("host-1", "seated"), ("host-2", "no_show")]))
    assert sorted(s for s, _, _ in results) == [200, 409]
    with psycopg.connect(app_env) as conn:
        status, no_shows = conn.execute("""select r.status, c.no_show_count from reservations r
                                           join customers c on c.id = r.customer_id""").fetchone()
        audits = conn.execute("select count(*) from audit_log where action = 'status_change' "
                              "and new_value->>'status' in ('seated', 'no_show')").fetchone()[0]
    assert audits == 1 and no_shows == (1 if status == "no_show" else 0)


def test_without_from_a_late_arrival_corrects_a_no_show(booked, set_now):
    rid, _, _, _ = booked
    set_now(at(9, "19:30"))
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "no_show"})[0] == 200
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})
    assert status == 200 and body["reservation"]["status"] == "seated"


def test_operator_reads_the_day_list_risk_and_customer(booked, app_env):
    rid, _, _, location = booked
    status, body, _ = call("back_office", "GET", f"/v1/locations/{location}/reservations",
                           query={"date": DAY}, headers=op("host-1"))
    assert status == 200 and [r["id"] for r in body["reservations"]] == [rid]
    assert call("back_office", "GET", f"/v1/locations/{location}/reservations",
                query={"date": DAY, "status": "cancelled"}, headers=op("host-1"))[1]["reservations"] == []
    status, body, _ = call("back_office", "GET", f"/v1/locations/{location}/shift-risk",
                           query={"date": DAY}, headers=op("host-1"))
    assert status == 200 and body["shifts"][0]["reservation_count"] == 1
    customer = res("GET", rid, headers=op("host-1"))[1]["customer"]["id"]
    status, body, _ = call("back_office", "GET", f"/v1/locations/{location}/customers/{customer}",
                           headers=op("host-1"))
    assert status == 200 and body["tags"] == ["new_guest"] and [h["id"] for h in body["history"]] == [rid]


def test_operator_reads_need_a_token(booked):
    _, _, _, location = booked
    status, body, _ = call("back_office", "GET", f"/v1/locations/{location}/reservations",
                           query={"date": DAY})
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_patch_moves_time_and_party_rechecked_and_audited_per_field(booked, app_env):
    rid, _, names, _ = booked
    status, body, _ = res("PATCH", rid, headers=op("host-1"),
                          body={"time": "20:00", "party_size": 4, "internal_notes": "moved"})
    assert status == 200
    r = body["reservation"]
    assert (r["start_time"], r["end_time"], r["party_size"], r["internal_notes"]) == ("20:00", "22:00", 4, "moved")
    with psycopg.connect(app_env) as conn:
        actions = sorted(a for (a,) in conn.execute(
            "select action from audit_log where action not in ('created', 'status_change')"))
    # Four do not fit the 2-top the party had: the engine moves it, and that move is audited too.
    assert actions == ["notes_change", "party_size_change", "table_change", "time_change"]
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select t.max_capacity >= 4 from reservations r join tables t on t.id = r.table_id"
                            ).fetchone() == (True,)


def test_patch_to_a_taken_table_is_409_and_changes_nothing(booked, app_env):
    rid, _, names, location = booked
    other = book(location, booking_body(names["Regular Dinner"], "19:00", 4))[1]["reservation"]
    status, body, _ = res("PATCH", rid, headers=op("host-1"), body={"table_id": other["table_id"]})
    assert (status, body["error"]["details"]["reason_code"]) == (409, "tables_full")
    assert res("GET", rid, headers=op("host-1"))[1]["table_id"] != other["table_id"]


def test_guests_cannot_patch(booked):
    rid, token, _, _ = booked
    status, body, _ = res("PATCH", rid, query={"token": token}, body={"party_size": 3})
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_a_guest_confirms_an_option_with_the_token(app_env, demo_location):
    names = ids(app_env)
    add_member(app_env, demo_location, "host-9")
    status, body, _ = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2, status="option"),
                           user="host-9")
    assert status == 201 and body["reservation"]["status"] == "option"
    rid, token = body["reservation"]["id"], body["manage_token"]
    status, answer, _ = res("POST", rid, "/transitions", query={"token": token}, body={"to": "confirmed"})
    assert status == 200 and answer["reservation"]["status"] == "confirmed"
