"""auto_assign_table: an unassigned (overbooked) reservation gets the table the engine would choose."""

import psycopg

from couvert.changes import auto_assign_table
from couvert.db import RequestContext, get_database
from couvert.settings import current_time
from tests.support.api import book, booking_body, ids


def test_an_overbooked_reservation_is_seated_once_a_table_frees(app_env, demo_location, restaurant):
    names = ids(app_env)
    restaurant.only_tables("R1", "R2")
    restaurant.without_pacing()
    with psycopg.connect(app_env) as conn:
        conn.execute("update shift_tickets set overbooking_covers = 2")
    first = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    second = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    overbooked = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    assert overbooked["table_id"] is None and {first["table_id"], second["table_id"]} == {
        names["table:R1"], names["table:R2"]}
    system = RequestContext.system()
    assert auto_assign_table(get_database(worker=True), system, overbooked["id"], current_time()) == (None, None)
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set status = 'cancelled' where id = %s", (second["id"],))
    table_id, group_id = auto_assign_table(get_database(worker=True), system, overbooked["id"], current_time())
    assert (str(table_id), group_id) == (second["table_id"], None)
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from audit_log where action = 'table_change'").fetchone()[0] == 1
