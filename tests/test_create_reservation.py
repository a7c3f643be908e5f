"""POST /v1/locations/{id}/reservations: validation, rights, engine verdicts, squeeze, idempotency."""

import copy
import uuid

import psycopg
import pytest

from tests.support import DEMO_CLOSED_DAY
from tests.support.api import DAY, Restaurant, add_member, availability, book, booking_body, counts, ids
from tests.support.clock import day, iso, later, local_iso


@pytest.fixture
def demo(app_env, demo_location):
    return demo_location, ids(app_env)


def test_a_guest_books_a_free_slot(app_env, demo):
    location, names = demo
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2))
    assert status == 201
    r = body["reservation"]
    assert (r["status"], r["date"], r["start_time"], r["end_time"], r["party_size"]) == (
        "confirmed", DAY, "19:00", "21:00", 2)
    assert r["start_at"] == local_iso(9, "19:00")
    assert r["customer"]["phone_number"] == "+31612345678"
    assert len(r["reference"]) == 6 and body["payment"] is None and len(body["manage_token"]) >= 22  # 128 bits
    assert "internal_notes" not in r and "risk_factors" not in r
    with psycopg.connect(app_env) as conn:
        row = conn.execute("""select r.manage_token_hash, r.policy_snapshot, t.name, r.occupied_until - r.end_at
                              from reservations r join tables t on t.id = r.table_id""").fetchone()
        actions = [a for (a,) in conn.execute("select action from audit_log order by created_at, action")]
        outbox = conn.execute("select kind from outbox_events").fetchall()
    assert row[0] != body["manage_token"] and len(row[0]) == 64  # only the hash is stored
    assert row[1]["cancel_free_hours"] == 24 and row[1]["payment_type"] == "none"
    assert row[2] == "R1" and row[3].total_seconds() == 15 * 60  # smallest fitting table; the ticket's buffer
    assert sorted(actions) == ["created", "status_change"] and outbox == [("message.confirmation",)]


def test_the_slot_is_gone_for_the_next_guest(app_env, demo):
    location, names = demo
    assert book(location, booking_body(names["Regular Dinner"], "19:00", 2))[0] == 201
    with psycopg.connect(app_env) as conn:
        tables = [t for (t,) in conn.execute("select t.name from reservations r join tables t on t.id = r.table_id")]
    assert tables == ["R1"]
    second = book(location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    with psycopg.connect(app_env) as conn:
        name = conn.execute("select name from tables where id = %s", (second["table_id"],)).fetchone()[0]
    assert name == "R2"


def test_the_same_guest_email_is_one_customer(app_env, demo):
    location, names = demo
    first = booking_body(names["Regular Dinner"], "18:00")
    second = copy.deepcopy(first)
    second["time"] = "20:30"
    second["guest"]["email"] = "ADA@Example.com"
    second["guest"]["phone"] = None
    assert book(location, first)[0] == 201 and book(location, second)[0] == 201
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*), max(phone_number) from customers").fetchone() == (1, "+31612345678")


@pytest.mark.parametrize("mutate, field", [
    (lambda b: b["guest"].update(email="ada-at-example"), "guest.email"),
    (lambda b: b["guest"].update(email="ada..lovelace@example.com"), "guest.email"),
    (lambda b: b["guest"].update(email="ada@example"), "guest.email"),  # no domain a message reaches
    (lambda b: b["guest"].update(phone="call me"), "guest.phone"),
    (lambda b: b["guest"].update(phone="06 1234"), "guest.phone"),
    (lambda b: b["guest"].update(phone="+31 6 1"), "guest.phone"),
    (lambda b: b["guest"].update(first_name="   "), "guest.first_name"),
    (lambda b: b.update(party_size=0), "party_size"),
    (lambda b: b.update(channel="carrier-pigeon"), "channel"),
    (lambda b: b.update(date=f"{day(9).year}-02-30"), "date"),
    (lambda b: b.update(time="7pm"), "time"),
    (lambda b: b.update(time="19:07"), "time"),
    (lambda b: b.update(guest_notes="x" * 1001), "guest_notes"),
    (lambda b: b.update(ticket_id="abc"), "ticket_id"),
    (lambda b: b.pop("guest"), "guest"),
    (lambda b: b.update(unexpected=True), "unexpected"),
    (lambda b: b.update(badges=["x" * 41]), "badges.0"),
    (lambda b: b.update(table_id=str(uuid.uuid4()), table_group_id=str(uuid.uuid4())), "body"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(app_env, demo, mutate, field):
    location, names = demo
    body = booking_body(names["Regular Dinner"])
    mutate(body)
    before = counts(app_env)
    status, answer, _ = book(location, body, key="bad-input")
    assert status == 422 and answer["error"]["code"] == "validation_error"
    assert field in answer["error"]["details"]["fields"]
    assert counts(app_env) == before


def test_a_body_that_is_not_json_is_400(app_env, demo):
    """An unreadable body is the request's form, not a field's value (docs/api.md, "Errors")."""
    location, _ = demo
    from tests.support import call

    before = counts(app_env)
    for text in ("{not json", '{"party_size": 2', "[1, 2"):
        status, body, _ = call("create_reservation", "POST", f"/v1/locations/{location}/reservations", body=text)
        assert (status, body["error"]["code"], body["error"]["message"]) == (
            400, "bad_request", "the body is not valid JSON")
    assert counts(app_env) == before


def test_a_taken_slot_is_409_with_the_engines_reason(app_env, demo):
    location, names = demo
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2, date=iso(-1)))
    assert (status, body["error"]["code"], body["error"]["details"]["reason_code"]) == (
        409, "slot_unavailable", "cut_off")
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2, date=DEMO_CLOSED_DAY.isoformat()))
    assert body["error"]["details"]["reason_code"] == "closed"


def test_pacing_refuses_with_pacing_covers_full(app_env, demo):
    location, names = demo
    for _ in range(3):
        assert book(location, booking_body(names["Regular Dinner"], "19:00", 4))[0] == 201
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2))
    assert (status, body["error"]["details"]["reason_code"]) == (409, "pacing_covers_full")


def test_a_party_too_large_for_the_ticket_is_party_size_out_of_range(app_env, demo):
    location, names = demo
    status, body, _ = book(location, booking_body(names["Chef's Table"], "19:00", 6))
    assert status == 422 and body["error"]["details"]["reason_code"] == "party_size_out_of_range"


def _fill_all_two_tops_at(location, names, time):
    """Occupy every table a party of 2 can use for Regular Dinner, starting at `time`."""
    restaurant = Restaurant(names["__url"])
    restaurant.without_pacing()
    restaurant.only_tables("R1")
    assert book(location, booking_body(names["Regular Dinner"], time, 2))[0] == 201


def test_a_squeeze_only_slot_needs_allow_squeeze(app_env, demo):
    location, names = demo
    names["__url"] = app_env
    _fill_all_two_tops_at(location, names, "20:00")  # R1 is taken 20:00-22:15
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "18:30", 2))
    assert (status, body["error"]["details"]) == (409, {"reason_code": "tables_full", "squeeze_available": True,
                                                        "squeeze_duration_minutes": 75})
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "18:30", 2, allow_squeeze=True))
    assert status == 201
    assert (body["reservation"]["is_squeeze"], body["reservation"]["end_time"]) == (True, "19:45")


def test_guests_cannot_use_operator_fields_or_channels(app_env, demo):
    location, names = demo
    reg = names["Regular Dinner"]
    for extra in ({"table_id": names["table:R7"]}, {"status": "option"}, {"internal_notes": "VIP"},
                  {"channel": "phone"}):
        status, body, _ = book(location, booking_body(reg, **extra))
        assert (status, body["error"]["code"]) == (403, "forbidden"), extra
    assert counts(app_env)["reservations"] == 0


def test_an_operator_books_by_phone_on_a_table_of_their_choice(app_env, demo):
    location, names = demo
    add_member(app_env, location, "host-1")
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 7, channel="phone",
                                                  table_id=names["table:R7"], internal_notes="birthday"),
                           user="host-1")
    assert status == 201
    r = body["reservation"]
    assert (r["table_id"], r["channel"], r["internal_notes"]) == (names["table:R7"], "phone", "birthday")
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "20:00", 6, channel="phone",
                                                  table_id=names["table:R7"]), user="host-1")
    assert (status, body["error"]["details"]["reason_code"]) == (409, "tables_full")


def test_an_operator_can_place_an_option(app_env, demo):
    location, names = demo
    add_member(app_env, location, "host-1")
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2, status="option"),
                           user="host-1")
    assert status == 201
    r = body["reservation"]
    assert (r["status"], r["payment_status"]) == ("option", "none") and r["option_expires_at"].startswith(iso(2))  # 48 h


def test_an_option_is_not_placed_on_a_ticket_that_takes_a_deposit(app_env, demo):
    """Attack: an option is confirmed without a payment, so on the Chef's Table (a deposit per guest)
    it would seat a party that never paid."""
    location, names = demo
    add_member(app_env, location, "host-1")
    status, body, _ = book(location, booking_body(names["Chef's Table"], "19:00", 2, status="option"),
                           user="host-1")
    assert (status, body["error"]["code"], list(body["error"]["details"]["fields"])) == (
        422, "validation_error", ["status"])
    assert counts(app_env)["reservations"] == 0


def test_an_operator_of_another_location_gets_404(app_env, demo):
    location, names = demo
    with psycopg.connect(app_env) as conn:
        other = conn.execute("insert into locations (name, slug) values ('Other', 'other') returning id").fetchone()[0]
    add_member(app_env, other, "stranger", "owner")
    status, body, _ = book(location, booking_body(names["Regular Dinner"]), user="stranger")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert counts(app_env)["reservations"] == 0


def test_a_lapsed_payment_hold_does_not_block_the_table(app_env, demo, restaurant):
    location, names = demo
    restaurant.only_tables("R1")
    restaurant.without_pacing()
    assert book(location, booking_body(names["Regular Dinner"], "19:00", 2))[0] == 201
    with psycopg.connect(app_env) as conn:
        conn.execute("""update reservations set status = 'pending_payment',
                          hold_expires_at = %s""", (later(minutes=-1),))
    status, body, _ = book(location, booking_body(names["Regular Dinner"], "19:00", 2))
    assert status == 201 and body["reservation"]["table_id"] == names["table:R1"]


def test_a_new_booking_answers_what_reading_it_again_gives(app_env, demo):
    """A booking's answer is built from the row book_reservation returns (migration 0035), not read
    again: it is what reservation_by_id reads, for an operator too (the customer record on file, not
    the contact the booking gave; the guest's alerts)."""
    location, names = demo
    add_member(app_env, location, "host-1")
    assert book(location, booking_body(names["Regular Dinner"], "18:00"))[0] == 201
    with psycopg.connect(app_env) as conn:
        location_id, customer_id = conn.execute("select location_id, customer_id from reservations").fetchone()
        conn.execute("update customers set first_name = 'Augusta' where id = %s", (customer_id,))
        conn.execute("""insert into customer_notes (location_id, customer_id, note, note_type, is_alert)
                        values (%s, %s, 'shellfish', 'allergy', true)""", (location_id, customer_id))
    answers = {}
    for user, time in (("host-1", "20:30"), (None, "21:00")):
        body = booking_body(names["Regular Dinner"], time, 2)
        first = book(location, body, key=f"key-{time}", user=user)
        replayed = book(location, body, key=f"key-{time}", user=user)  # the answer, read again by id
        assert first[0] == replayed[0] == 201 and replayed[2].get("Idempotent-Replayed") == "true"
        assert first[1] == replayed[1]
        answers[user] = first[1]["reservation"]
    assert answers["host-1"]["customer"]["first_name"] == "Augusta"  # the record on file
    assert answers["host-1"]["alerts"] == [{"note": "shellfish", "note_type": "allergy"}]
    assert answers[None]["customer"]["first_name"] == "Ada"  # a guest sees the contact it gave
    assert answers[None].get("alerts") is None


def test_the_answer_carries_every_column_of_a_reservation(app_env):
    """reservation_answers (the answer's row: reservation_by_id, book_reservation) lists the columns
    reservations had when it was made; a migration that adds one must make the view again."""
    with psycopg.connect(app_env) as conn:
        def columns(table):
            return [c for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'public'"
                " and table_name = %s order by ordinal_position", (table,))]
        details = [c for (c,) in conn.execute(
            "select unnest(proargnames[3:]) from pg_proc where proname = 'reservation_answer_details'")]
        assert columns("reservation_answers") == columns("reservations") + details


def test_same_key_same_body_returns_the_first_answer(app_env, demo):
    location, names = demo
    body = booking_body(names["Regular Dinner"])
    first = book(location, body, key="key-1")
    second = book(location, body, key="key-1")
    assert first[0] == second[0] == 201 and first[1] == second[1]
    assert second[2].get("Idempotent-Replayed") == "true"
    assert counts(app_env)["reservations"] == 1


def test_same_key_other_body_is_409_idempotency_conflict(app_env, demo):
    location, names = demo
    assert book(location, booking_body(names["Regular Dinner"]), key="key-2")[0] == 201
    status, body, _ = book(location, booking_body(names["Regular Dinner"], party_size=3), key="key-2")
    assert (status, body["error"]["code"]) == (409, "idempotency_conflict")
    assert counts(app_env)["reservations"] == 1


def test_a_refused_booking_does_not_burn_its_key(app_env, demo):
    location, names = demo
    body = booking_body(names["Regular Dinner"], "19:00", 2, date=iso(-1))
    assert book(location, body, key="key-3")[0] == 409
    assert counts(app_env)["idempotency_keys"] == 0


def test_availability_and_booking_agree(app_env, demo, restaurant):
    """Every slot the engine reports available is bookable; the others are refused with the same reason."""
    location, names = demo
    restaurant.only_tables("R1", "R3")
    slots = next(t for t in availability(location, party_size=2)[1]["tickets"]
                 if t["name"] == "Regular Dinner")["shifts"][0]["slots"]
    for slot in slots[::3]:
        fresh = next(t for t in availability(location, party_size=2)[1]["tickets"]
                     if t["name"] == "Regular Dinner")["shifts"][0]["slots"]
        now = next(s for s in fresh if s["time"] == slot["time"])
        status, body, _ = book(location, booking_body(names["Regular Dinner"], slot["time"], 2, allow_squeeze=True))
        if now["available"]:
            assert status == 201, (slot, body)
        else:
            assert status == 409 and body["error"]["details"]["reason_code"] == now["reason_code"]


def test_an_unknown_location_with_an_idempotency_key_is_404(app_env, demo):
    _, names = demo
    status, body, _ = book(uuid.uuid4(), booking_body(names["Regular Dinner"]), key="k")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_body_that_is_not_json_content_is_400(app_env, demo):
    from tests.support import call

    location, _ = demo
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{location}/reservations",
                           body="{}", headers={"content-type": "text/plain"})
    assert (status, body["error"]["code"]) == (400, "bad_request")
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{location}/reservations",
                           body="{}", headers={"content-type": "multipart/form-data"})
    assert (status, body["error"]["code"]) == (400, "bad_request")
