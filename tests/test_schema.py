"""What the database itself guarantees: no double booking, the effective schedule, checks."""

import datetime as dt
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support import DEMO_CLOSED_DAY, DEMO_EVE, as_role
from tests.support.clock import AMSTERDAM, at, day


def local(offset: int, wall: str) -> dt.datetime:
    """A wall-clock moment on day(offset) at the demo location, with its offset."""
    return at(offset, wall).astimezone(AMSTERDAM)


def _ids(conn, location_id):
    q = lambda sql: conn.execute(sql, {"l": location_id}).fetchone()  # noqa: E731
    return {
        "ticket": q("select id from tickets where location_id = %(l)s and name = 'Regular Dinner'")[0],
        "shift": q("select id from shifts where location_id = %(l)s and name = 'Diner'")[0],
        "table": q("select id from tables where location_id = %(l)s and name = 'R1'")[0],
    }


def _insert_reservation(conn, location_id, ids, start, minutes=120, status="confirmed"):
    end = start + dt.timedelta(minutes=minutes)
    return conn.execute(
        """insert into reservations (location_id, ticket_id, shift_id, reservation_date, start_time, end_time,
             party_size, table_id, status, reference, start_at, end_at, occupied_until)
           values (%s, %s, %s, %s, %s, %s, 2, %s, %s, %s, %s, %s, %s) returning id""",
        (location_id, ids["ticket"], ids["shift"], start.date(), start.time(), end.time(), ids["table"], status,
         uuid.uuid4().hex[:8].upper(), start, end, end)).fetchone()[0]


def test_the_exclusion_constraint_refuses_overlapping_stays_on_one_table(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        ids = _ids(conn, demo_location)
        _insert_reservation(conn, demo_location, ids, local(8, "18:00"))
        with pytest.raises(psycopg.errors.ExclusionViolation) as caught:
            _insert_reservation(conn, demo_location, ids, local(8, "19:59"))
        assert caught.value.diag.constraint_name == "table_occupancies_no_overlap"


def test_the_exclusion_constraint_accepts_touching_stays(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        ids = _ids(conn, demo_location)
        _insert_reservation(conn, demo_location, ids, local(8, "18:00"))
        _insert_reservation(conn, demo_location, ids, local(8, "20:00"))
        assert conn.execute("select count(*) from table_occupancies").fetchone()[0] == 2


def test_cancelling_frees_the_table_and_completing_frees_it_from_completed_at(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        ids = _ids(conn, demo_location)
        first = _insert_reservation(conn, demo_location, ids, local(8, "18:00"))
        conn.execute("update reservations set status = 'cancelled' where id = %s", (first,))
        second = _insert_reservation(conn, demo_location, ids, local(8, "18:30"))
        conn.execute("update reservations set status = 'completed', completed_at = %s where id = %s",
                     (local(8, "19:30"), second))
        _insert_reservation(conn, demo_location, ids, local(8, "19:30"))
        with pytest.raises(psycopg.errors.ExclusionViolation):
            _insert_reservation(conn, demo_location, ids, local(8, "19:15"))


def _schedule(conn, location_id, day):
    return conn.cursor(row_factory=dict_row).execute(
        "select * from get_effective_shift_schedule(%s, %s)", (location_id, day)).fetchall()


def test_effective_schedule_on_a_normal_day(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        rows = _schedule(conn, demo_location, day(9))  # a Wednesday
    assert [(r["name"], r["start_time"], r["end_time"], r["closed"]) for r in rows] == [
        ("Lunch", dt.time(12), dt.time(15), False), ("Diner", dt.time(18), dt.time(23), False)]


def test_effective_schedule_leaves_out_a_weekday_the_shift_does_not_run(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        rows = _schedule(conn, demo_location, day(7))  # a Monday: no lunch
    assert [r["name"] for r in rows] == ["Diner"]


def test_effective_schedule_with_a_location_wide_closure(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        rows = _schedule(conn, demo_location, DEMO_CLOSED_DAY)
    assert {(r["name"], r["closed"], r["label"]) for r in rows} == {
        ("Lunch", True, "Eerste Kerstdag"), ("Diner", True, "Eerste Kerstdag")}


def test_effective_schedule_with_a_shift_specific_modified_exception(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        rows = {r["name"]: r for r in _schedule(conn, demo_location, DEMO_EVE)}
    assert (rows["Diner"]["start_time"], rows["Diner"]["end_time"]) == (dt.time(17), dt.time(21))
    assert rows["Diner"]["label"] == "Kerstavond" and not rows["Diner"]["closed"]
    assert (rows["Lunch"]["start_time"], rows["Lunch"]["label"]) == (dt.time(12), None)


def test_a_shift_specific_exception_beats_a_location_wide_one(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        shift = conn.execute("select id from shifts where name = 'Diner'").fetchone()[0]
        conn.execute("""insert into shift_exceptions (location_id, shift_id, exception_date, exception_type, label)
                        values (%s, %s, %s, 'special', 'Kerstdiner')""", (demo_location, shift, DEMO_CLOSED_DAY))
        rows = {r["name"]: r for r in _schedule(conn, demo_location, DEMO_CLOSED_DAY)}
    assert rows["Diner"]["closed"] is False and rows["Diner"]["label"] == "Kerstdiner"
    assert rows["Lunch"]["closed"] is True


def test_a_special_day_runs_a_shift_on_a_weekday_it_normally_skips(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        shift = conn.execute("select id from shifts where name = 'Lunch'").fetchone()[0]
        conn.execute("""insert into shift_exceptions (location_id, shift_id, exception_date, exception_type,
                          override_start_time, override_end_time, label)
                        values (%s, %s, %s, 'special', '11:00', '14:00', 'Sinterklaaslunch')""",
                     (demo_location, shift, day(7)))  # a Monday: Lunch runs Wednesday to Sunday
        rows = {r["name"]: r for r in _schedule(conn, demo_location, day(7))}
    assert (rows["Lunch"]["start_time"], rows["Lunch"]["end_time"]) == (dt.time(11), dt.time(14))
    assert rows["Lunch"]["label"] == "Sinterklaaslunch" and rows["Lunch"]["exception_type"] == "special"


def test_a_location_wide_special_labels_the_shifts_that_run_and_wakes_no_other(database_url, demo_location):
    """A location-wide `special` re-labels (and re-times) the day's running shifts; only a shift-specific
    `special` makes a shift run on a weekday outside its days_of_week."""
    with psycopg.connect(database_url) as conn:
        conn.execute("""insert into shift_exceptions (location_id, shift_id, exception_date, exception_type,
                          override_start_time, label)
                        values (%s, null, %s, 'special', '17:30', 'Wildweek')""", (demo_location, day(7)))
        rows = {r["name"]: r for r in _schedule(conn, demo_location, day(7))}  # a Monday: Lunch does not run
    assert list(rows) == ["Diner"]
    assert (rows["Diner"]["start_time"], rows["Diner"]["label"]) == (dt.time(17, 30), "Wildweek")


@pytest.mark.parametrize("sql, constraint", [
    ("update tables set min_capacity = 9 where name = 'R1'", "tables_capacity_range"),
    ("update policy_sets set cancel_refund_pct = 101", "policy_sets_cancel_refund_pct_range"),
    ("update tickets set min_party_size = 0", "tickets_party_size_positive"),
    ("update shifts set end_time = '10:00'", "shifts_time_range"),
    ("update table_availability_rules set rule_type = 'maybe'", "table_availability_rules_type_valid"),
])
def test_named_check_constraints_refuse_bad_rows(database_url, demo_location, sql, constraint):
    with psycopg.connect(database_url) as conn, pytest.raises(psycopg.errors.CheckViolation) as caught:
        conn.execute(sql)
    assert caught.value.diag.constraint_name == constraint


def test_the_risk_view_runs_with_the_callers_rights(database_url):
    with psycopg.connect(database_url) as conn:
        options = conn.execute("select reloptions from pg_class where relname = 'shift_risk_summary'").fetchone()[0]
    assert "security_invoker=true" in options


def test_the_api_role_cannot_bypass_rls(database_url):
    with as_role(database_url) as conn:
        row = conn.execute("select rolbypassrls, rolsuper from pg_roles where rolname = current_user").fetchone()
    assert row == {"rolbypassrls": False, "rolsuper": False}


def test_every_table_and_view_has_a_comment(database_url):
    with psycopg.connect(database_url) as conn:
        missing = conn.execute("""select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                  where n.nspname = 'public' and c.relkind in ('r', 'v')
                                    and c.relname <> 'schema_migrations'
                                    and obj_description(c.oid, 'pg_class') is null""").fetchall()
    assert missing == []


def test_the_functions_sessions_read_instants_in_utc(app_env, demo_location):
    """Migration 0043: whatever the server's TimeZone (initdb takes Etc/UTC from this machine), the
    database sets its sessions' to UTC, and psycopg gives the functions their instants in
    datetime.timezone.utc (a ZoneInfo zone decoded and compared three to four times more slowly)."""
    from couvert.db import RequestContext, get_database

    instant = at(9, "19:30")
    with get_database().transaction(RequestContext.guest(demo_location)) as conn:
        row = conn.execute("select setting, source from pg_settings where name = 'TimeZone'").fetchone()
        read = conn.execute("select %s::timestamptz as t", (instant,)).fetchone()["t"]
        reported = conn.info.parameter_status("TimeZone")
    assert row == {"setting": "UTC", "source": "database"} and reported == "UTC"
    assert read == instant and read.tzinfo is dt.UTC


# Columns whose now() default only stamps a record; nothing is ever compared with them as a deadline.
RECORD_STAMPS = {"created_at", "updated_at", "received_at", "applied_at"}


def test_no_column_default_reads_the_database_clock_except_record_stamps(database_url):
    with psycopg.connect(database_url) as conn:
        clocked = conn.execute(
            """select table_name, column_name from information_schema.columns
               where table_schema = 'public'
                 and column_default ~* '(now\\(\\)|current_timestamp|clock_timestamp|localtimestamp|current_date)'
               order by 1, 2""").fetchall()
    assert clocked, "the record stamps themselves should be found by this query"
    assert [(t, c) for t, c in clocked if c not in RECORD_STAMPS] == []


def test_no_function_reads_the_database_clock(database_url):
    """`now` is an argument (p_now), never a default or a call: every decision uses the caller's clock.
    Only the updated_at trigger stamps a record with the database's time."""
    with psycopg.connect(database_url) as conn:
        readers = conn.execute(
            """select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname = 'public'
                 and (p.prosrc ~* '(now\\(\\)|current_timestamp|clock_timestamp|localtimestamp|current_date|statement_timestamp|transaction_timestamp)'
                      or coalesce(pg_get_expr(p.proargdefaults, 0), '') ~* '(now\\(\\)|current_timestamp)')
               order by 1""").fetchall()
    assert [name for (name,) in readers] == ["touch_updated_at"]
