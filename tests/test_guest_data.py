"""GDPR at one location: a guest's export, and erasure that leaves no personal field anywhere while
the restaurant's statistics stay as they were."""

import json

import psycopg
import pytest

from tests.support import call
from tests.support.api import add_member, book, booking_body, op, res

PERSONAL = ["Lovelace", "ada@example.com", "+31612345678", "window please", "likes the corner", "nuts", "shellfish",
            "wheelchair", "gluten-free"]  # the last two: the reservation's badges, health data too


@pytest.fixture
def visited(app_env, demo_location, host):
    """Ada booked (with an Idempotency-Key), the host noted things, she came and ate."""
    add_member(app_env, demo_location, "manager-1", "manager")
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"], guest_notes="window please",
                                                         badges=["wheelchair"]), key="ada-1")
    assert status == 201
    rid = booked["reservation"]["id"]
    assert res("PATCH", rid, headers=op("host-1"), body={"internal_notes": "likes the corner",
                                                         "badges": ["wheelchair", "gluten-free"]})[0] == 200
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})[0] == 200
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "completed"})[0] == 200
    customer = res("GET", rid, headers=op("host-1"))[1]["customer"]["id"]
    assert call("back_office", "POST", f"/v1/locations/{demo_location}/customers/{customer}/notes",
                headers=op("host-1"), body={"note": "shellfish allergy", "is_alert": True})[0] == 200
    with psycopg.connect(app_env) as conn:  # what else the world wrote about her
        conn.execute("update customers set operator_tags = '[\"allergy: nuts\"]', notes = 'likes the corner'")
        conn.execute("""insert into webhook_events (provider_event_id, event_type, payload)
                        values ('evt_1', 'payment_intent.succeeded', %s)""",
                     (json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {
                         "id": "pi_1", "metadata": {"reservation_id": rid},
                         "billing_details": {"name": "Ada Lovelace", "email": "ada@example.com"}}}}),))
        conn.execute("update outbox_events set last_error = 'SES refused ada@example.com' where reservation_id = %s",
                     (rid,))
    return rid, customer


def _everything(database_url) -> str:
    """Every row of every table, as text."""
    with psycopg.connect(database_url) as conn:
        tables = [t for (t,) in conn.execute(
            "select tablename from pg_tables where schemaname = 'public' order by tablename")]
        return "\n".join(str(row) for t in tables for row in conn.execute(f'select t::text from public."{t}" t'))


def _path(location, customer, what):
    return f"/v1/locations/{location}/customers/{customer}/{what}"


def test_the_export_holds_everything_about_the_guest(visited, app_env, demo_location):
    rid, customer = visited
    status, body, _ = call("back_office", "GET", _path(demo_location, customer, "export"),
                           headers=op("manager-1"))
    assert status == 200
    assert body["customer"]["email"] == "ada@example.com" and body["customer"]["operator_tags"] == ["allergy: nuts"]
    assert [r["id"] for r in body["reservations"]] == [rid] and body["reservations"][0]["guest_notes"] == "window please"
    assert {a["action"] for a in body["audit_trail"]} >= {"created", "status_change"}
    assert body["messages"] and all(m["kind"].startswith("message.") for m in body["messages"])
    assert call("back_office", "GET", _path(demo_location, customer, "export"), headers=op("host-1"))[0] == 403


def test_erasure_leaves_no_personal_field_anywhere_and_keeps_the_statistics(visited, app_env, demo_location):
    rid, customer = visited
    assert all(p in _everything(app_env) for p in PERSONAL)  # the attack surface, before
    with psycopg.connect(app_env) as conn:
        before = conn.execute("""select (select count(*) from reservations), (select count(*) from audit_log),
                                        total_visits, no_show_count from customers""").fetchone()
    assert call("back_office", "POST", _path(demo_location, customer, "erase"), headers=op("host-1"))[0] == 403
    status, body, _ = call("back_office", "POST", _path(demo_location, customer, "erase"),
                           headers=op("manager-1"))
    assert status == 200 and body["erased"]["reservations"] == 1 and body["erased"]["webhook_events"] == 1
    everything = _everything(app_env)
    assert [p for p in PERSONAL if p in everything] == []
    with psycopg.connect(app_env) as conn:
        after = conn.execute("""select (select count(*) from reservations), (select count(*) from audit_log) - 1,
                                       total_visits, no_show_count from customers""").fetchone()
        assert after == before  # one audit row more: the erasure itself
        assert conn.execute("select performed_by_type from audit_log where action = 'customer_erased'").fetchone() == (
            "operator",)
    # A replay of her booking's Idempotency-Key hands out nothing personal either.
    status, replay, _ = book(demo_location, booking_body(visited_ticket(app_env), guest_notes="window please",
                                                         badges=["wheelchair"]), key="ada-1")
    assert status == 201 and "Lovelace" not in json.dumps(replay)


def test_a_guest_with_reservations_to_come_is_not_erased(app_env, demo_location, host):
    add_member(app_env, demo_location, "manager-1", "manager")
    rid = book(demo_location, booking_body(host["Regular Dinner"]))[1]["reservation"]["id"]
    customer = res("GET", rid, headers=op("host-1"))[1]["customer"]["id"]
    status, body, _ = call("back_office", "POST", _path(demo_location, customer, "erase"),
                           headers=op("manager-1"))
    assert (status, body["error"]["code"]) == (422, "validation_error") and "customer_id" in body["error"]["details"]["fields"]
    assert "Lovelace" in _everything(app_env)


def visited_ticket(database_url):
    with psycopg.connect(database_url) as conn:
        return str(conn.execute("select ticket_id from reservations").fetchone()[0])
