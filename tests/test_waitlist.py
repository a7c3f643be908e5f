"""The waitlist: guests join for a date and time range; operators list who is waiting."""

import psycopg

from tests.support import call
from tests.support.api import add_member, op
from tests.support.clock import at, iso

ENTRY = {"date": iso(31), "time_from": "18:00", "time_to": "20:00", "party_size": 4,
         "guest": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}


def test_a_guest_joins_and_an_operator_sees_the_entry(app_env, demo_location):
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist", body=ENTRY)
    assert status == 201
    entry = body["entry"]
    assert (entry["status"], entry["time_to"], entry["expires_at"]) == ("active", "20:00", at(31, "20:00").isoformat())
    add_member(app_env, demo_location, "host-1")
    status, body, _ = call("create_reservation", "GET", f"/v1/locations/{demo_location}/waitlist",
                           query={"date": iso(31)}, headers=op("host-1"))
    assert status == 200 and [e["id"] for e in body["entries"]] == [entry["id"]]


def test_bad_waitlist_requests(app_env, demo_location):
    path = f"/v1/locations/{demo_location}/waitlist"
    assert call("create_reservation", "POST", path, body={**ENTRY, "time_to": "17:00"})[0] == 422
    assert call("create_reservation", "POST", path, body={**ENTRY, "date": iso(-300)})[0] == 422
    assert call("create_reservation", "GET", path, query={"date": iso(31)})[0] == 401
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from waitlist_entries").fetchone()[0] == 0
