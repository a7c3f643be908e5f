"""A booking's first move to confirmed is written into the row and recorded by record_first_move
(migration 0022): the same audit row and message as the status machine writes for draft -> confirmed,
under the same guards."""

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import as_role
from tests.support.api import add_member, book, booking_body, ids

OPERATOR = "0b0e5c8e-6a43-4c57-9d1a-3f3c0b6f9a11"


def _records(conn, reservation_id):
    audit = conn.execute("""select old_value, new_value, performed_by, performed_by_type from audit_log
                            where entity_id = %s and action = 'status_change'""", (reservation_id,)).fetchall()
    outbox = conn.execute("select kind, payload, next_attempt_at from outbox_events where reservation_id = %s",
                          (reservation_id,)).fetchall()
    return audit, outbox


def _moved_by_the_status_machine(database_url, booked_id, location, claims=None):
    """A draft copy of the booked reservation (no table, so no occupancy), moved to confirmed by
    transition_reservation_status in a request like the booking's own; returns its id."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        conn.execute("create temp table copy as select * from reservations where id = %s", (booked_id,))
        copy_id = conn.execute("""update copy set id = gen_random_uuid(), reference = 'COPY01', status = 'draft',
                                  table_id = null, table_group_id = null returning id""").fetchone()["id"]
        conn.execute("insert into reservations select * from copy")
    with as_role(database_url, claims=claims, guest_location_id=None if claims else location) as conn:
        conn.execute("select set_config('couvert.guest_subject_id', %s::text, true)", (copy_id,))
        conn.execute("select transition_reservation_status(%s, 'confirmed', 'booked', %s, 'draft')",
                     (copy_id, conn.execute("select booked_at from reservations where id = %s",
                                            (copy_id,)).fetchone()["booked_at"]))
        conn.commit()
    return copy_id


@pytest.mark.parametrize("who", ["guest", "operator"])
def test_a_booking_records_its_first_move_as_the_status_machine_does(app_env, demo_location, who):
    add_member(app_env, demo_location, OPERATOR, "manager")
    status, body, _ = book(demo_location, booking_body(ids(app_env)["Regular Dinner"], "19:00", 2),
                           user=OPERATOR if who == "operator" else None)
    assert status == 201 and body["reservation"]["status"] == "confirmed"
    booked = body["reservation"]["id"]
    copy = _moved_by_the_status_machine(app_env, booked, demo_location,
                                        claims={"sub": OPERATOR} if who == "operator" else None)
    with psycopg.connect(app_env) as conn:
        ours, theirs = _records(conn, booked), _records(conn, copy)
    assert ours == theirs and len(ours[0]) == 1 and len(ours[1]) == 1
    assert ours[0][0][3] == who


@pytest.mark.parametrize("status, payment_status", [("draft", "none"), ("confirmed", "pending")])
def test_record_first_move_refuses_what_the_status_machine_would(app_env, demo_location, status, payment_status):
    _, body, _ = book(demo_location, booking_body(ids(app_env)["Regular Dinner"], "19:00", 2))
    booked = body["reservation"]["id"]
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set status = %s, payment_status = %s where id = %s",
                     (status, payment_status, booked))
    with as_role(app_env, guest_location_id=demo_location) as conn:
        conn.execute("select set_config('couvert.guest_subject_id', %s::text, true)", (booked,))
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("select record_first_move(%s, 'booked', now())", (booked,))
    assert refused.value.sqlstate == "CV409"
