"""Attack: inputs built to break parsers.  Each is a 4xx in the error format, never a 500, and
writes nothing."""

import json

import pytest

from tests.support import FakeContext, call, http_event, load_handler
from tests.support.api import booking_body, counts, ids
from tests.support.clock import iso


def _booking(app_env, location, mutate):
    body = booking_body(ids(app_env)["Regular Dinner"])
    mutate(body)
    return call("create_reservation", "POST", f"/v1/locations/{location}/reservations", body=body)


@pytest.mark.parametrize("mutate", [
    lambda b: b["guest"].update(first_name="Ada\x00"),
    lambda b: b.update(guest_notes="window\x00please"),
    lambda b: b.update(party_size=int("9" * 4300)),
    lambda b: b.update(date=f"{iso(9)}T99:99"),
], ids=["nul-in-name", "nul-in-notes", "4300-digits", "bad-date"])
def test_hostile_booking_fields_are_4xx_and_write_nothing(app_env, demo_location, mutate):
    before = counts(app_env)
    status, body, _ = _booking(app_env, demo_location, mutate)
    assert 400 <= status < 500 and body["error"]["code"] in ("validation_error", "bad_request")
    assert counts(app_env) == before


def test_a_booking_in_the_year_9999_is_refused_by_the_booking_window(app_env, demo_location):
    status, body, _ = _booking(app_env, demo_location, lambda b: b.update(date="9999-12-31"))
    assert (status, body["error"]["details"]["reason_code"]) == (409, "cut_off")


def test_a_deeply_nested_body_is_4xx(app_env, demo_location):
    deep = "[" * 100_000 + "]" * 100_000
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{demo_location}/reservations", body=deep)
    assert 400 <= status < 500


def test_a_body_that_is_not_base64_is_400(app_env, demo_location):
    event = http_event("POST", f"/v1/locations/{demo_location}/reservations", body="not base64 at all!!")
    event["isBase64Encoded"] = True
    response = load_handler("create_reservation").lambda_handler(event, FakeContext())
    assert response["statusCode"] == 400 and json.loads(response["body"])["error"]["code"] == "bad_request"


def test_a_waitlist_date_far_ahead_is_422(app_env, demo_location):
    entry = {"date": "9999-12-31", "time_from": "18:00", "time_to": "20:00", "party_size": 2,
             "guest": {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"}}
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist", body=entry)
    assert (status, body["error"]["code"]) == (422, "validation_error")


def test_a_nul_in_a_query_parameter_is_4xx(app_env, demo_location):
    status, _, _ = call("check_availability", "GET", f"/v1/locations/{demo_location}/availability",
                        query={"date": iso(9), "party_size": "2", "channel": "widget\x00"})
    assert 400 <= status < 500
