"""Corrections a host would hit: each through the handlers on a real database, asserting the exact
status code and the rows that result (status, shift, table, counts, outbox events)."""

import psycopg
import pytest

from tests.support import call
from tests.support.api import add_member, book, booking_body, counts, ids, op, res
from tests.support.clock import at, later
from tests.support.stripe import deliver, event, pay


def _row(database_url, rid, columns="status, shift_id, table_id, party_size"):
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"select {columns} from reservations where id = %s", (rid,)).fetchone()


def _shift(database_url, name):
    with psycopg.connect(database_url) as conn:
        return conn.execute("select id from shifts where name = %s", (name,)).fetchone()[0]


# -- 1. PATCH to another shift stores the new shift ---------------------------------------------

def test_moving_a_lunch_to_dinner_counts_it_in_dinner(app_env, demo_location, host):
    with psycopg.connect(app_env) as conn:  # Regular Dinner is also sold at lunch
        conn.execute("""insert into shift_tickets (location_id, shift_id, ticket_id)
                        select location_id, (select id from shifts where name = 'Lunch'), id
                        from tickets where name = 'Regular Dinner'""")
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"], "13:00", 2))
    rid = body["reservation"]["id"]
    assert status == 201 and _row(app_env, rid)[1] == _shift(app_env, "Lunch")
    status, body, _ = res("PATCH", rid, headers=op("host-1"), body={"time": "19:00"})
    assert status == 200 and body["reservation"]["shift_id"] == str(_shift(app_env, "Diner"))
    assert _row(app_env, rid)[1] == _shift(app_env, "Diner")


# -- 2. a seated or imminent party can be moved by the host -------------------------------------

def test_a_host_moves_a_seated_party_to_another_table_and_adds_a_guest(app_env, demo_location, host, set_now):
    rid = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]["id"]
    set_now(at(9, "19:10"))
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})[0] == 200
    status, body, _ = res("PATCH", rid, headers=op("host-1"), body={"table_id": host["table:R2"]})
    assert (status, body["reservation"]["table_id"]) == (200, host["table:R2"])
    status, body, _ = res("PATCH", rid, headers=op("host-1"), body={"party_size": 3})
    moved = body["reservation"]
    assert status == 200 and moved["party_size"] == 3 and moved["table_id"] not in (host["table:R1"],
                                                                                    host["table:R2"])
    assert _row(app_env, rid)[0] == "seated"


def test_moving_a_seated_party_still_checks_the_table(app_env, demo_location, host, set_now):
    first = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]
    second = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]
    set_now(at(9, "19:10"))
    status, body, _ = res("PATCH", first["id"], headers=op("host-1"), body={"table_id": second["table_id"]})
    assert (status, body["error"]["code"], body["error"]["details"]["reason_code"]) == (
        409, "slot_unavailable", "tables_full")
    assert str(_row(app_env, first["id"])[2]) == first["table_id"]


# -- 3. an expired option cannot be confirmed without the engine ----------------------------------

@pytest.fixture
def option(app_env, demo_location, host):
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2, status="option"),
                           user="host-1")
    assert status == 201
    return body["reservation"]["id"], body["manage_token"]


def test_a_guest_cannot_confirm_an_expired_option(app_env, option, set_now):
    rid, token = option
    set_now(later(hours=49))  # options hold 48 hours at the demo location
    status, body, _ = res("POST", rid, "/transitions", query={"token": token}, body={"to": "confirmed"})
    assert (status, body["error"]["code"], body["error"]["details"]["reason_code"]) == (
        409, "slot_unavailable", "option_expired")
    assert _row(app_env, rid)[0] == "option"


def test_an_operator_rebooks_an_expired_option_through_the_engine(app_env, option, set_now):
    rid, _ = option
    set_now(later(hours=49))
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "confirmed"})
    assert (status, body["reservation"]["status"]) == (200, "confirmed")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from audit_log where action = 'option_rebooked'").fetchone()[0] == 1


def test_an_expired_option_whose_table_was_taken_is_refused(app_env, demo_location, option, host, set_now,
                                                              restaurant):
    rid, _ = option
    set_now(later(hours=49))
    restaurant.only_tables(_row(app_env, rid)[2])  # the lapsed option's table is the only one left
    taken = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2, status="option", guest={
        "first_name": "B", "last_name": "C", "email": "b@example.com"}), user="host-1")
    assert taken[0] == 201
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "confirmed"})
    assert (status, body["error"]["details"]["reason_code"]) == (409, "tables_full")
    assert _row(app_env, rid)[0] == "option"


# -- 4. a late payment is confirmed only when the engine still accepts it -----------------------

def test_a_late_payment_confirms_when_the_slot_is_still_free(deposit, app_env, set_now):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    set_now(later(minutes=30))  # the 15-minute hold has lapsed
    pay(client, pi)
    assert deliver(event("payment_intent.succeeded", {"id": pi}))[0] == 200
    assert _row(app_env, body["reservation"]["id"], "status, payment_status") == ("confirmed", "paid")


def test_a_late_payment_is_refunded_when_pacing_filled_meanwhile(deposit, app_env, set_now):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    names = ids(app_env)
    set_now(later(minutes=30))
    with psycopg.connect(app_env) as conn:  # another table, but the interval's covers are now spoken for
        conn.execute("update shift_tickets set pacing_covers_limit = 2 where ticket_id = %s",
                     (names["Chef's Table"],))
    other_table = names["table:P2"] if body["reservation"]["table_id"] != names["table:P2"] else names["table:P1"]
    taken = book(body["reservation"]["location_id"], booking_body(names["Chef's Table"], "19:00", 2, guest={
        "first_name": "B", "last_name": "C", "email": "b@example.com"}, table_id=other_table), user="host-1")
    assert taken[0] == 201 and taken[1]["reservation"]["table_id"] == other_table
    pay(client, pi)
    assert deliver(event("payment_intent.succeeded", {"id": pi}))[0] == 200
    assert _row(app_env, body["reservation"]["id"], "status, payment_status") == ("cancelled", "paid")
    with psycopg.connect(app_env) as conn:
        refunds = conn.execute("""select (payload->>'amount_cents')::int from outbox_events
                                  where kind = 'stripe.refund' and reservation_id = %s""",
                               (body["reservation"]["id"],)).fetchall()
    assert refunds == [(5000,)]


# -- 5. a late guest after a no-show: a new table, or a clear 409 --------------------------------

@pytest.fixture
def no_show_on_a_taken_table(app_env, demo_location, host, set_now):
    """A 19:00 party marked no-show on R1, whose table a walk-in then took."""
    rid = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]["id"]
    assert _row(app_env, rid)[2] is not None
    set_now(at(9, "19:20"))
    assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "no_show"})[0] == 200
    with psycopg.connect(app_env) as conn:
        conn.execute("""insert into reservations (location_id, ticket_id, shift_id, reservation_date, start_time,
                          end_time, party_size, table_id, status, reference, start_at, end_at, occupied_until,
                          channel, seated_at)
                        select location_id, ticket_id, shift_id, reservation_date, '19:20', '21:20', 2, table_id,
                               'seated', 'WALKIN', %s, %s, %s, 'walk_in', %s
                        from reservations where id = %s""",
                     (at(9, "19:20"), at(9, "21:20"), at(9, "21:35"), at(9, "19:20"), rid))
    return rid


def test_seating_a_late_no_show_moves_it_to_the_engines_free_table(app_env, no_show_on_a_taken_table, host):
    rid = no_show_on_a_taken_table
    taken = _row(app_env, rid)[2]
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})
    assert (status, body["reservation"]["status"]) == (200, "seated")
    assert body["reservation"]["table_id"] not in (None, str(taken))


def test_seating_a_late_no_show_with_no_table_left_is_409(app_env, no_show_on_a_taken_table, host, restaurant):
    rid = no_show_on_a_taken_table
    restaurant.only_tables(_row(app_env, rid)[2])
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"), body={"to": "seated"})
    assert (status, body["error"]["code"], body["error"]["details"]["reason_code"]) == (
        409, "slot_unavailable", "tables_full")
    assert _row(app_env, rid)[0] == "no_show"


def test_the_host_chooses_the_table_for_a_late_no_show(app_env, no_show_on_a_taken_table, host):
    rid = no_show_on_a_taken_table
    status, body, _ = res("POST", rid, "/transitions", headers=op("host-1"),
                          body={"to": "seated", "table_id": host["table:T1"]})
    assert (status, body["reservation"]["table_id"]) == (200, host["table:T1"])


# -- 6. operator tags survive the automatic ones --------------------------------------------------

def test_an_operators_vip_tag_survives_the_next_stats_update(app_env, demo_location, host, set_now):
    rid = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]["id"]
    customer = res("GET", rid, headers=op("host-1"))[1]["customer"]["id"]
    with psycopg.connect(app_env) as conn:  # what the operator's CRM edit writes
        conn.execute("update customers set operator_tags = '[\"vip\", \"allergy: nuts\"]' where id = %s",
                     (customer,))
    set_now(at(9, "19:05"))
    for to in ("seated", "completed"):
        assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": to})[0] == 200
    status, body, _ = call("back_office", "GET", f"/v1/locations/{demo_location}/customers/{customer}",
                           headers=op("host-1"))
    assert status == 200 and body["total_visits"] == 1
    assert sorted(body["tags"]) == ["allergy: nuts", "vip"]  # new_guest went with the first visit


# -- 7. a PaymentIntent Stripe already cancelled is not cancelled again ------------------------------

def test_a_canceled_intent_webhook_queues_no_second_cancel(deposit, app_env):
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    client.v1.payment_intents.cancel(pi)
    assert deliver(event("payment_intent.canceled", {"id": pi}))[0] == 200
    assert _row(app_env, body["reservation"]["id"], "status") == ("cancelled",)
    with psycopg.connect(app_env) as conn:
        assert conn.execute("""select count(*) from outbox_events where kind = 'stripe.cancel_payment_intent'
                               and status = 'pending'""").fetchone()[0] == 0


def test_the_dispatcher_treats_an_already_cancelled_intent_as_done(deposit, app_env):
    from couvert.db import get_database
    from couvert.outbox import dispatch_money
    from couvert.payments import get_payments

    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    client.v1.payment_intents.cancel(pi)  # Stripe cancelled it; our cancel is still queued
    status, _, _ = res("POST", body["reservation"]["id"], "/transitions", headers=op("host-1"),
                       body={"to": "cancelled"})
    assert status == 200
    assert dispatch_money(get_database(worker=True), get_payments(), later()) == {"done": 1, "retried": 0}
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status from outbox_events where kind = 'stripe.cancel_payment_intent'"
                            ).fetchone() == ("done",)


# -- 8. national phone numbers are read in the location's country ---------------------------------

def test_a_dutch_mobile_typed_nationally_is_stored_in_e164(app_env, demo_location, host):
    guest = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "06 12345678"}
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"], guest=guest))
    assert status == 201 and body["reservation"]["customer"]["phone_number"] == "+31612345678"


@pytest.mark.parametrize("phone", ["12", "06 1234", "+31 6 1234567890123"])
def test_an_invalid_phone_is_422_and_books_nothing(app_env, demo_location, host, phone):
    guest = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": phone}
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"], guest=guest))
    assert (status, body["error"]["code"]) == (422, "validation_error")
    assert "guest.phone" in body["error"]["details"]["fields"]
    assert counts(app_env)["reservations"] == 0


# -- 10. an operator of another location with an Idempotency-Key gets the decided 404 ---------------

def test_an_operator_of_another_location_with_a_key_gets_404(app_env, demo_location, host):
    with psycopg.connect(app_env) as conn:
        other = conn.execute("insert into locations (name, slug) values ('Other', 'other') returning id").fetchone()[0]
    add_member(app_env, other, "stranger", "owner")
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"]), key="k-1", user="stranger")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert counts(app_env)["reservations"] == counts(app_env)["idempotency_keys"] == 0



# -- 9. a location-wide special wakes no shift that does not run that weekday ------------------------

def test_a_location_wide_special_offers_only_the_shifts_that_run(app_env, demo_location, host):
    from tests.support.api import availability
    from tests.support.clock import iso

    with psycopg.connect(app_env) as conn:
        conn.execute("""insert into shift_exceptions (location_id, exception_date, exception_type, label)
                        values (%s, %s, 'special', 'Wildweek')""", (demo_location, iso(7)))  # a Monday
    status, body, _ = availability(demo_location, date=iso(7), ticket_id=host["Regular Dinner"])
    shifts = [s for t in body["tickets"] for s in t["shifts"]]
    assert status == 200 and [(s["name"], s["label"]) for s in shifts] == [("Diner", "Wildweek")]
    status, body, _ = availability(demo_location, date=iso(7), ticket_id=host["Brunch"])
    assert status == 200 and body["tickets"] == []  # Brunch is sold only at lunch, which does not run
