"""The afternoon question: which shifts will have empty seats, and whom should I call?"""

import psycopg
import pytest

from tests.support import as_role, call
from tests.support.api import DAY, add_member, book, booking_body, op

SCORES = {"18:00": (2, 0.1), "19:00": (4, 0.7), "20:00": (6, 0.5)}


@pytest.fixture
def evening(app_env, demo_location, host):
    made = {}
    for n, (time, (party, _)) in enumerate(SCORES.items()):
        body = booking_body(host["Regular Dinner"], time, party,
                            guest={"first_name": "Guest", "last_name": str(n), "email": f"g{n}@example.com",
                                   "phone": "0612345678"})
        status, answer, _ = book(demo_location, body, source_ip=f"192.0.2.{n}")
        assert status == 201
        made[time] = answer["reservation"]["id"]
    cancelled = book(demo_location, booking_body(host["Regular Dinner"], "21:00", 8), source_ip="192.0.2.99")
    with psycopg.connect(app_env) as conn:
        for time, rid in made.items():  # scores set by hand, to check the arithmetic against
            conn.execute("update reservations set no_show_risk_score = %s where id = %s", (SCORES[time][1], rid))
        conn.execute("update reservations set status = 'cancelled' where id = %s", (cancelled[1]["reservation"]["id"],))
    return made


def _risk(location, user="host-1"):
    return call("back_office", "GET", f"/v1/locations/{location}/shift-risk", query={"date": DAY},
                headers=op(user))


def test_the_summary_matches_a_hand_computed_evening(evening, demo_location):
    status, body, _ = _risk(demo_location)
    assert status == 200
    [diner] = body["shifts"]
    assert (diner["reservation_count"], diner["total_covers"], diner["high_risk_count"]) == (3, 12, 1)
    assert diner["avg_risk_score"] == pytest.approx((0.1 + 0.7 + 0.5) / 3)
    assert diner["suggested_overbook_covers"] == round(2 * 0.1 + 4 * 0.7 + 6 * 0.5)  # 6
    [call_first] = diner["to_reconfirm"]
    assert (call_first["reservation_id"], call_first["party_size"], call_first["phone"]) == (
        evening["19:00"], 4, "+31612345678")
    assert len(call_first["top_factors"]) == 3 and call_first["guest_name"] == "Guest 1"
    assert {o["overbooking_covers"] for o in diner["overbooking"]} == {0}


def test_another_locations_operator_sees_nothing(evening, app_env, demo_location):
    assert _risk(demo_location, user="stranger")[0] == 404
    with as_role(app_env, "couvert_api", claims={"sub": "stranger"}) as conn:
        assert conn.execute("select count(*) as n from shift_risk_summary").fetchone()["n"] == 0
    with as_role(app_env, "couvert_api", claims={"sub": "host-1"}) as conn:
        assert conn.execute("select sum(reservation_count) as n from shift_risk_summary").fetchone()["n"] == 3


def test_managers_set_overbooking_next_to_the_suggestion_and_hosts_may_not(evening, app_env, demo_location, host):
    diner = _risk(demo_location)[1]["shifts"][0]
    path = (f"/v1/locations/{demo_location}/shifts/{diner['shift_id']}/tickets/{host['Regular Dinner']}"
            "/overbooking")
    status, body, _ = call("back_office", "PUT", path, body={"overbooking_covers": 4}, headers=op("host-1"))
    assert (status, body["error"]["code"]) == (403, "forbidden")
    add_member(app_env, demo_location, "manager-1", "manager")
    status, body, _ = call("back_office", "PUT", path, body={"overbooking_covers": 4}, headers=op("manager-1"))
    assert (status, body["overbooking_covers"]) == (200, 4)
    setting = {o["ticket_id"]: o["overbooking_covers"] for o in _risk(demo_location)[1]["shifts"][0]["overbooking"]}
    assert setting[host["Regular Dinner"]] == 4
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select old_value, new_value from audit_log where action = 'overbooking_change'"
                            ).fetchone() == ({"overbooking_covers": 0}, {"overbooking_covers": 4})
    assert call("back_office", "PUT", path, body={"overbooking_covers": -1}, headers=op("manager-1"))[0] == 422
