"""Attack from a guest's request transaction: other guests' data, and acting as someone else.

A guest request sees the one reservation (or waitlist entry) it is about; availability sees other
reservations only as capacity; the status machine and the audit trail take the actor from the
request (docs/decisions.md, "Security").
"""

import uuid

import psycopg
import pytest

from tests.support import as_role
from tests.support.api import book, booking_body


@pytest.fixture
def two_bookings(app_env, demo_location, host):
    made = []
    for n, time in enumerate(("19:00", "20:00")):
        body = booking_body(host["Regular Dinner"], time, guest={"first_name": "Guest", "last_name": str(n),
                                                                  "email": f"guest{n}@example.com"})
        status, answer, _ = book(demo_location, body, source_ip=f"192.0.2.{n}")
        assert status == 201
        made.append(uuid.UUID(answer["reservation"]["id"]))
    return made




def test_a_guest_request_reads_no_customer_and_no_other_reservation(app_env, demo_location, two_bookings):
    mine, theirs = two_bookings
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        conn.execute("select set_config('couvert.guest_subject_id', %s, true)", (str(mine),))
        assert conn.execute("select count(*) as n from customers").fetchone()["n"] == 0
        assert [r["id"] for r in conn.execute("select id from reservations")] == [mine]
        assert conn.execute("select count(*) as n from reservations where id = %s", (theirs,)).fetchone()["n"] == 0
        assert conn.execute("update reservations set guest_notes = 'hijacked' where id = %s returning id",
                            (theirs,)).fetchone() is None
        # Availability still counts the other booking, as capacity only.
        capacity = conn.execute("select * from capacity_bookings where id = %s", (theirs,)).fetchone()
        assert capacity["party_size"] == 2
        assert not {"customer_id", "contact_email", "contact_phone", "guest_notes", "internal_notes"} & set(capacity)


def test_the_snapshots_reservations_are_read_under_the_callers_row_level_security(app_env, demo_location,
                                                                                   two_bookings):
    """snapshot_bookings (migration 0030) runs as its caller: a request about another location reads
    none of these, however it names them."""
    with psycopg.connect(app_env) as conn:
        (day,) = {r[0] for r in conn.execute("select reservation_date from reservations where id = any(%s)",
                                             (two_bookings,))}
    read = "select id, party_size from snapshot_bookings(%s, %s, %s)"
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        assert {r["id"] for r in conn.execute(read, (demo_location, day, day))} >= set(two_bookings)
    with as_role(app_env, "couvert_api", guest_location_id=uuid.uuid4()) as conn:
        assert conn.execute(read, (demo_location, day, day)).fetchall() == []


def test_the_engines_reservations_are_capacity_read_under_the_callers_row_level_security(app_env, demo_location,
                                                                                         two_bookings):
    """engine_bookings (migration 0042), the select both snapshots read, runs as its caller
    (security_invoker) over capacity_bookings: no personal data, and a request about another
    location reads none of these, however it names them."""
    read = "select * from engine_bookings where id = any(%s)"
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        rows = conn.execute(read, (two_bookings,)).fetchall()
    assert {r["id"] for r in rows} == set(two_bookings)
    assert not {"customer_id", "contact_email", "contact_phone", "guest_notes", "internal_notes"} & set(rows[0])
    with as_role(app_env, "couvert_api", guest_location_id=uuid.uuid4()) as conn:
        assert conn.execute(read, (two_bookings,)).fetchall() == []
        assert conn.execute("select count(*) as n from engine_bookings").fetchone()["n"] == 0


def test_a_request_frees_lapsed_holds_only_at_its_own_location(app_env, demo_location, two_bookings):
    """Attack: release_lapsed_holds runs as its owner (it frees holds of reservations the booker cannot
    read) and takes `now` from its caller; a request of another location passing a far-off `now`
    must not delete this location's occupancies, the rows the exclusion constraint guards."""
    held = two_bookings[0]
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set status = 'draft', hold_expires_at = start_at where id = %s", (held,))
    free = "select release_lapsed_holds(%s, '-infinity', 'infinity', 'infinity') as n"
    with (as_role(app_env, "couvert_api", guest_location_id=uuid.uuid4()) as conn,
          pytest.raises(psycopg.errors.InsufficientPrivilege)):
        conn.execute(free, (demo_location,))
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from table_occupancies where reservation_id = %s",
                            (held,)).fetchone()[0] == 1
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        assert conn.execute(free, (demo_location,)).fetchone()["n"] == 1  # a request of the location may


def test_a_guest_request_cannot_move_another_reservation_nor_act_as_an_operator(app_env, demo_location, two_bookings):
    mine, theirs = two_bookings
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        conn.execute("select set_config('couvert.guest_subject_id', %s, true)", (str(mine),))
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("select transition_reservation_status(%s, 'cancelled', 'x', now(), null)", (theirs,))
        assert caught.value.sqlstate == "CV404"
        # Seating is an operator's move; the guest context cannot claim to be one.
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("select transition_reservation_status(%s, 'seated', 'x', now(), null)", (mine,))
        assert caught.value.sqlstate == "CV409" and "as guest" in caught.value.diag.message_primary


def test_the_audit_trail_records_the_requests_actor_not_the_writers_claim(app_env, demo_location, two_bookings):
    mine, _ = two_bookings
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        conn.execute(
            """insert into audit_log (location_id, entity_type, entity_id, action, new_value, performed_by,
                                      performed_by_type)
               values (%s, 'reservation', %s, 'forged', '{}', %s, 'operator')""", (demo_location, mine, uuid.uuid4()))
        conn.commit()
    with psycopg.connect(app_env) as conn:
        row = conn.execute("select performed_by, performed_by_type from audit_log where action = 'forged'").fetchone()
    assert row == (None, "guest")


def test_a_guest_of_one_location_cannot_create_customers_in_another(app_env, demo_location):
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select find_or_create_customer(%s, 'A', 'B', 'a@example.com', null, null)", (uuid.uuid4(),))


def test_a_deposit_owed_is_never_confirmed_from_the_draft(app_env, demo_location, host):
    status, answer, _ = book(demo_location, booking_body(host["Regular Dinner"]))
    rid = answer["reservation"]["id"]
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set status = 'draft', payment_status = 'pending' where id = %s", (rid,))
    with as_role(app_env, "couvert_worker") as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute("select transition_reservation_status(%s, 'confirmed', 'x', now(), null)", (rid,))
    assert caught.value.sqlstate == "CV409"
