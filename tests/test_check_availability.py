"""The check_availability function through real API Gateway v2 events on a real database."""

import datetime as dt
import json
import re
import uuid

import psycopg
import pytest

from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.snapshots import load_snapshot
from couvert_dev.tokens import issue_dev_token
from tests.conftest import DEFAULT_NOW
from tests.support import DEMO_CLOSED_DAY, DEMO_EVE, call
from tests.support.api import DAY, add_member, availability, insert_stays, op
from tests.support.clock import PINNED_NOW, at, day, iso

EVE, CLOSED_DAY = DEMO_EVE.isoformat(), DEMO_CLOSED_DAY.isoformat()



def test_a_guest_gets_the_days_availability_in_the_api_shape(app_env, demo_location):
    status, body, _ = availability(demo_location)
    assert status == 200
    assert (body["location_id"], body["date"], body["timezone"], body["party_size"], body["channel"]) == (
        str(demo_location), DAY, "Europe/Amsterdam", 2, "widget")
    names = [t["name"] for t in body["tickets"]]
    assert names == ["Brunch", "Chef's Table", "Regular Dinner"]
    regular = body["tickets"][2]
    assert regular["policy"] == {"payment_type": "none", "payment_amount": None, "currency": "EUR",
                                 "cancel_free_hours": 24, "cancel_refund_pct": 100, "reconfirm_enabled": False}
    diner = regular["shifts"][0]
    assert (diner["name"], diner["closed"], diner["label"]) == ("Diner", False, None)
    assert diner["slots"][0] == {"time": "18:00", "available": True, "slot_type": "normal",
                                 "reason_code": "available", "duration_minutes": 120}


def test_filtering_by_ticket(app_env, demo_location):
    with psycopg.connect(app_env) as conn:
        chef = conn.execute("select id from tickets where name = 'Chef''s Table'").fetchone()[0]
    status, body, _ = availability(demo_location, ticket_id=chef)
    assert status == 200 and [t["name"] for t in body["tickets"]] == ["Chef's Table"]
    fine = body["tickets"][0]["policy"]
    assert (fine["payment_type"], fine["payment_amount"], fine["cancel_free_hours"]) == ("deposit_pp", "25.00", 48)


@pytest.mark.parametrize("query, field", [
    ({"channel": "fax"}, "channel"),
    ({"party_size": 0}, "party_size"),
    ({"party_size": 9}, "party_size"),
    ({"date": f"{day(9).year}-13-01"}, "date"),
    ({"date": "tomorrow"}, "date"),
    ({"party_size": "four"}, "party_size"),
    ({"ticket_id": "not-a-uuid"}, "ticket_id"),
])
def test_bad_parameters_are_422_naming_the_field(app_env, demo_location, query, field):
    status, body, _ = availability(demo_location, **query)
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert field in body["error"]["details"]["fields"]


def test_a_party_outside_the_named_tickets_range_is_party_size_out_of_range(app_env, demo_location):
    with psycopg.connect(app_env) as conn:
        chef = conn.execute("select id from tickets where name = 'Chef''s Table'").fetchone()[0]
    status, body, _ = availability(demo_location, ticket_id=chef, party_size=5)
    assert status == 422 and body["error"]["details"]["reason_code"] == "party_size_out_of_range"


def test_an_unknown_location_is_404(app_env, demo_location):
    status, body, _ = availability(uuid.uuid4())
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_an_inactive_location_is_404(app_env, demo_location):
    with psycopg.connect(app_env) as conn:
        conn.execute("update locations set is_active = false")
    assert availability(demo_location)[0] == 404


def test_a_guest_may_not_use_operator_channels(app_env, demo_location):
    status, body, _ = availability(demo_location, channel="phone")
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_an_operator_books_by_phone_and_sees_r7(app_env, demo_location):
    add_member(app_env, demo_location, "host-1")
    guest = availability(demo_location, party_size=7)[1]
    status, body, _ = availability(demo_location, party_size=7, channel="phone", headers=op("host-1"))
    assert status == 200
    regular = lambda b: next(t for t in b["tickets"] if t["name"] == "Regular Dinner")  # noqa: E731
    assert regular(body)["shifts"][0]["slots"][4]["available"]
    assert regular(guest)["shifts"][0]["slots"][4]["available"]  # online via the R3+R4 group
    with psycopg.connect(app_env) as conn:
        conn.execute("update table_groups set is_active = false")
    guest = availability(demo_location, party_size=7)[1]
    assert regular(guest)["shifts"][0]["slots"][4]["reason_code"] == "tables_full"
    phone = availability(demo_location, party_size=7, channel="phone", headers=op("host-1"))[1]
    assert regular(phone)["shifts"][0]["slots"][4]["available"]


def test_an_operator_of_another_location_gets_404_not_data(app_env, demo_location):
    other = uuid.uuid4()
    with psycopg.connect(app_env) as conn:
        conn.execute("insert into locations (id, name, slug) values (%s, 'Elsewhere', 'elsewhere')", (other,))
    add_member(app_env, other, "stranger", "owner")
    status, body, _ = availability(demo_location, headers=op("stranger"))
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_bad_token_is_401_never_anonymous(app_env, demo_location):
    status, body, _ = availability(demo_location, headers={"authorization": "Bearer not.a.token"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    forged = issue_dev_token("host-1", "another-secret-of-sufficient-length-xx")
    assert availability(demo_location, headers={"authorization": f"Bearer {forged}"})[0] == 401


def test_verified_claims_from_the_api_gateway_authorizer_are_used(app_env, demo_location):
    add_member(app_env, demo_location, "host-2")
    status, _, _ = call("check_availability", "GET", f"/v1/locations/{demo_location}/availability",
                        query={"date": DAY, "party_size": 2, "channel": "walk_in"}, claims={"sub": "host-2"})
    assert status == 200


def _insert_bookings(conn, location_id):
    """A few reservations straight in SQL: confirmed, a lapsed payment hold, a cancelled one."""
    ids = dict(conn.execute("select name, id from tables").fetchall())
    reg = conn.execute("select id from tickets where name = 'Regular Dinner'").fetchone()[0]
    diner = conn.execute("select id from shifts where name = 'Diner'").fetchone()[0]
    rows = [("R1", "18:00", 2, "confirmed", None), ("R3", "19:00", 4, "confirmed", None),
            ("R4", "19:00", 4, "pending_payment", DEFAULT_NOW - dt.timedelta(minutes=1)),
            ("T2", "20:00", 3, "cancelled", None), ("R5", "19:05", 4, "confirmed", None)]
    for n, (table, time, party, status, hold) in enumerate(rows):
        start = at(9, time)
        end = start + dt.timedelta(minutes=120)
        conn.execute(
            """insert into reservations (location_id, ticket_id, shift_id, reservation_date, start_time, end_time,
                 party_size, table_id, status, reference, start_at, end_at, occupied_until, hold_expires_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (location_id, reg, diner, DAY, time, end.time(), party, ids[table], status, f"TEST{n:02d}",
             start, end, end + dt.timedelta(minutes=15), hold))


def test_the_http_result_equals_the_pure_engines(app_env, demo_location):
    with psycopg.connect(app_env) as conn:
        _insert_bookings(conn, demo_location)
        snapshot = load_snapshot(conn, demo_location, dt.date.fromisoformat(DAY))
    for party in (2, 4, 6):
        expected = AvailabilityEngine(snapshot, DEFAULT_NOW).availability(
            AvailabilityRequest(dt.date.fromisoformat(DAY), party))
        body = availability(demo_location, party_size=party)[1]
        got = {(t["name"], s["name"], slot["time"]): (slot["available"], slot["reason_code"], slot["slot_type"])
               for t in body["tickets"] for s in t["shifts"] for slot in s["slots"]}
        want = {(t.ticket.name, s.shift.name, slot.time.strftime("%H:%M")):
                (slot.available, slot.reason_code, slot.slot_type)
                for t in expected for s in t.shifts for slot in s.slots}
        assert got == want
    regular = next(t for t in body["tickets"] if t["name"] == "Regular Dinner")
    assert {s["time"]: s["reason_code"] for s in regular["shifts"][0]["slots"]}["19:00"] == "pacing_covers_full"


def test_the_calendar_marks_closed_full_and_available_days(app_env, demo_location):
    status, body, _ = call("check_availability", "GET", f"/v1/locations/{demo_location}/availability/calendar",
                           query={"from": iso(30), "to": iso(33), "party_size": 2})
    assert status == 200
    days = {d["date"]: d for d in body["days"]}
    assert days[CLOSED_DAY] == {"date": CLOSED_DAY, "status": "closed", "available_slots": 0,
                                "first_available": None}
    assert days[EVE]["status"] == "available" and days[EVE]["first_available"] == "12:00"
    with psycopg.connect(app_env) as conn:
        conn.execute("update shift_tickets set max_covers_total = 0")
    days = {d["date"]: d for d in call("check_availability", "GET",
                                       f"/v1/locations/{demo_location}/availability/calendar",
                                       query={"from": iso(30), "to": iso(33), "party_size": 2})[1]["days"]}
    assert days[EVE]["status"] == "full"


@pytest.mark.parametrize("query, field", [
    ({"from": iso(8), "to": iso(70)}, "to"),
    ({"from": iso(17), "to": iso(8)}, "from"),
    ({"from": iso(8)}, "to"),
])
def test_bad_calendar_ranges_are_422(app_env, demo_location, query, field):
    status, body, _ = call("check_availability", "GET", f"/v1/locations/{demo_location}/availability/calendar",
                           query={"party_size": 2, **query})
    assert status == 422 and field in body["error"]["details"]["fields"]


def test_a_62_day_calendar_is_allowed(app_env, demo_location):
    status, body, _ = call("check_availability", "GET", f"/v1/locations/{demo_location}/availability/calendar",
                           query={"from": iso(8), "to": iso(69), "party_size": 2})
    assert status == 200 and len(body["days"]) == 62


def test_an_unknown_route_is_404_in_the_error_format(app_env):
    status, body, _ = call("check_availability", "GET", "/v1/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_the_openapi_document_describes_every_route_of_the_template(app_env):
    from couvert_dev.devserver import read_routes

    status, doc, _ = call("check_availability", "GET", "/openapi.json")
    assert status == 200
    expected = {(r.method, r.path) for r in read_routes() if r.path != "/openapi.json"}  # the document itself
    assert ("GET", "/v1/locations/{location_id}/shift-risk") in expected and len(expected) >= 20
    normalise = lambda p: re.sub(r"\{[^}]+\}", "{}", p)  # noqa: E731
    documented = {(m.upper(), normalise(p)) for p, ops in doc["paths"].items() for m in ops}
    missing = {(m, p) for m, p in expected if (m, normalise(p)) not in documented}
    assert missing == set()


def test_the_openapi_document_describes_our_errors_and_who_may_call(app_env):
    """A client generated from the document reads errors as they are answered (the envelope of
    docs/api.md, every status a route may answer), and knows which routes need an operator token."""
    from couvert.errors import CouvertError, SlotUnavailable
    from couvert.http import error_response
    from couvert_dev.devserver import read_template

    doc = call("check_availability", "GET", "/openapi.json")[1]
    text = json.dumps(doc)
    assert "HTTPValidationError" not in text and "ResponseValidationError" not in text
    envelope = doc["components"]["schemas"]["Error"]
    answered = json.loads(error_response(409, SlotUnavailable.code, "taken", {"reason_code": "tables_full"}).body)
    assert set(envelope["required"]) == set(answered) and set(
        envelope["properties"]["error"]["required"]) == set(answered["error"])
    assert {CouvertError.code, "slot_unavailable", "payment_unavailable", "rate_limited"} <= set(
        envelope["properties"]["error"]["properties"]["code"]["enum"])

    def responses(method, path):
        return doc["paths"][path][method]["responses"]

    booking = "/v1/locations/{location_id}/reservations"
    assert set(responses("post", booking)) == {"201", "400", "401", "403", "404", "409", "422", "429", "500", "503"}
    assert set(responses("get", "/v1/locations/{location_id}/availability")) == {
        "200", "400", "401", "403", "404", "422", "429", "500", "503"}  # nothing to conflict with
    assert "409" not in responses("patch", "/v1/locations/{location_id}/customers/{customer_id}")
    assert set(responses("post", "/v1/webhooks/stripe")) == {"200", "400", "429", "500", "503"}
    ref = "#/components/responses/"
    # Our 429 (with Retry-After) only where our rate limits count; API Gateway's throttling anywhere.
    assert responses("post", booking)["429"] == {"$ref": ref + "RateLimited"}
    assert responses("get", "/v1/locations/{location_id}/availability")["429"] == {"$ref": ref + "Throttled"}
    assert "Retry-After" in doc["components"]["responses"]["Error503"]["headers"]
    assert doc["components"]["responses"]["Throttled"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GatewayError"}
    assert doc["components"]["securitySchemes"]["operatorJwt"].items() >= {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.items()
    authorizer = {(event["Properties"]["Method"].lower(), event["Properties"]["Path"]):
                  event["Properties"].get("Auth", {}).get("Authorizer")
                  for resource in read_template()["Resources"].values()
                  for event in (resource.get("Properties", {}).get("Events") or {}).values()
                  if event.get("Type") == "HttpApi"}
    for (method, path), name in authorizer.items():
        if path == "/openapi.json":
            continue
        operation = doc["paths"][path][method]
        if name == "OperatorJwt":  # API Gateway refuses these without a token, in its own body
            assert operation["security"] == [{"operatorJwt": []}], path
            assert operation["responses"]["401"] == {"$ref": ref + "Unauthorized"}, path
        elif path == "/v1/webhooks/stripe":  # Stripe's signature, not a caller's token
            assert operation["security"] == [], path
        else:  # shared with guests: a token is optional, and a bad one is our 401
            assert operation["security"] == [{}, {"operatorJwt": []}], path
            assert operation["responses"]["401"] == {"$ref": ref + "Error401"}, path


def test_the_committed_openapi_document_is_current(app_env):
    from couvert_dev.openapi import DOCUMENT, build_openapi

    assert json.loads(DOCUMENT.read_text()) == build_openapi()


def test_the_snapshot_reads_the_reservations_that_can_overlap_the_day_and_no_more(app_env, demo_location):
    """The window is the location's own days: stays that start from the local midnight before the day
    to the local midnight two days after it (a late stay of the day runs into the next), less the
    stays of the day before that ended before the day began (migration 0039)."""
    from tests.support.clock import AMSTERDAM

    day = dt.date.fromisoformat(DAY)
    midnight = dt.datetime.combine(day, dt.time(0, 0), AMSTERDAM)
    usual = dt.timedelta(hours=2, minutes=15)
    stays = {"before": (midnight - dt.timedelta(days=1, minutes=1), dt.timedelta(days=1, hours=1)),  # too early,
             # however long: a stay is shorter than a day, and the index range starts there
             "ended": (midnight - usual, usual),  # free exactly as the day begins
             "first": (midnight - dt.timedelta(hours=2), usual),  # runs 15 minutes into the day
             "last": (dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0, 0), AMSTERDAM)
                      - dt.timedelta(minutes=1), usual),
             "after": (dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0, 0), AMSTERDAM), usual)}
    with psycopg.connect(app_env) as conn:
        ids = insert_stays(conn, demo_location, AMSTERDAM, stays)
        snapshot = load_snapshot(conn, demo_location, day)
    assert {b.id for b in snapshot.bookings} == {ids["first"], ids["last"]}
    first = next(b for b in snapshot.bookings if b.id == ids["first"])
    start = stays["first"][0]
    assert (first.date, first.start_at, first.end_at, first.occupied_until, first.party_size, first.status,
            first.table_ids, first.is_squeeze, first.completed_at) == (
        start.date(), start, start + dt.timedelta(hours=2), start + usual, 2, "confirmed", (), False, None)


def test_where_midnight_happens_twice_the_day_begins_at_the_first(database_url, app_env, demo_location):
    """Where clocks go back at one in the morning (Havana), a date's midnight happens twice.  The engine
    takes an ambiguous wall time at its first instant (couvert/engine/clock.py), PostgreSQL at its
    second: the snapshot must still bring a stay of the day before that runs into the first hour."""
    from zoneinfo import ZoneInfo

    havana = ZoneInfo("America/Havana")
    day = next(d for d in (PINNED_NOW.date() + dt.timedelta(days=n) for n in range(800))
               if dt.datetime.combine(d, dt.time(0), havana).utcoffset()
               > dt.datetime.combine(d, dt.time(0), havana).replace(fold=1).utcoffset())
    first_midnight = dt.datetime.combine(day, dt.time(0), havana)  # fold=0: the first of the two
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("update locations set timezone = 'America/Havana' where id = %s", (demo_location,))
    stays = {"reaches": (first_midnight - dt.timedelta(hours=2), dt.timedelta(hours=2, minutes=30)),
             "ended": (first_midnight - dt.timedelta(hours=3), dt.timedelta(hours=3))}
    with psycopg.connect(app_env) as conn:
        ids = insert_stays(conn, demo_location, havana, stays)
        snapshot = load_snapshot(conn, demo_location, day)
    assert {b.id for b in snapshot.bookings} == {ids["reaches"]}


@pytest.mark.parametrize("kind", ["snapshot_areas", "snapshot_tables", "snapshot_bookings", "snapshot_stay_bookings"])
def test_a_snapshot_query_decoded_by_position_selects_the_engine_types_fields_in_order(app_env, demo_location, kind):
    """Snapshot rows of these kinds become engine objects by position (couvert/snapshots.py): the
    query's columns must be the dataclass's fields, in order, or a field would take another's value."""
    from couvert.queries import query
    from couvert.snapshots import POSITIONAL

    day = dt.date.fromisoformat(DAY)
    with psycopg.connect(app_env) as conn:
        cursor = conn.execute(query(kind), {"location_id": demo_location, "date_from": day, "date_to": day,
                                            "ticket_id": uuid.uuid4(), "time": dt.time(19), "shift_ids": None})
        assert [c.name for c in cursor.description] == list(POSITIONAL[kind]._fields)
