"""The location's setup kept by the process (couvert/snapshots.py) and its config_version (migration
0029): reused while nothing changed, read again after any change, never a way into another
location, never ahead of what the caller's transaction may see."""

import datetime as dt

import psycopg
import pytest

from couvert.db import RequestContext, get_database
from couvert.errors import NotFound
from couvert.queries import query
from couvert.snapshots import load_snapshot
from tests.support import load_demo_copy
from tests.support.api import DAY

SETUP_TABLES = ["policy_sets", "tickets", "shifts", "shift_exceptions", "shift_tickets", "areas", "tables", "table_groups",
                "table_group_members", "table_availability_rules"]


def _guest_snapshot(location_id, as_guest_of=None):
    with get_database().transaction(RequestContext.guest(as_guest_of or location_id)) as conn:
        return load_snapshot(conn, location_id, dt.date.fromisoformat(DAY))


def _version(conn, location_id):
    return conn.execute("select config_version from locations where id = %s", (location_id,)).fetchone()[0]


def _until(conn, count_sql, failure):
    """Poll `count_sql` on `conn` (autocommit: each poll sees the others anew) until it counts
    something, for about two seconds, sleeping on PostgreSQL's clock: the tests may run on a faked one."""
    for _ in range(200):
        if conn.execute(count_sql).fetchone()[0]:
            return
        conn.execute("select pg_sleep(0.01)")
    pytest.fail(failure)


@pytest.fixture
def other_location(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        return load_demo_copy(conn)


def _sent_kinds(monkeypatch):
    """The names of the queries the snapshots send from now on."""
    from couvert import snapshots

    sent = []
    monkeypatch.setattr(snapshots, "query", lambda name: sent.append(name) or query(name))
    return sent


def test_a_second_snapshot_reuses_the_setup_and_sends_none_of_its_queries(app_env, demo_location, monkeypatch):
    first = _guest_snapshot(demo_location)
    sent = _sent_kinds(monkeypatch)
    second = _guest_snapshot(demo_location)
    assert second.tables is first.tables and second.tickets is first.tickets
    assert len(second.tables) > 0
    assert sent == ["snapshot_location", "snapshot_bookings"]


def test_a_day_not_yet_held_sends_its_schedule_and_nothing_else_of_the_setup(app_env, demo_location, monkeypatch):
    day = dt.date.fromisoformat(DAY)
    first = _guest_snapshot(demo_location)
    sent = _sent_kinds(monkeypatch)
    with get_database().transaction(RequestContext.guest(demo_location)) as conn:
        week = load_snapshot(conn, demo_location, day, day + dt.timedelta(days=6))
    assert sent == ["snapshot_location", "snapshot_schedule", "snapshot_bookings"]
    assert week.tables is first.tables and len(week.shifts_by_date) == 7
    assert week.shifts_by_date[day] == first.shifts_by_date[day]


@pytest.mark.parametrize("table", SETUP_TABLES)
def test_any_change_of_a_setup_table_gives_its_location_a_new_version(database_url, demo_location,
                                                                      other_location, table):
    with psycopg.connect(database_url) as conn:
        before = {loc: _version(conn, loc) for loc in (demo_location, other_location)}
        changed = conn.execute(f"update {table} set location_id = location_id where location_id = %s",
                               (demo_location,)).rowcount
        assert changed > 0, f"the demo location has no {table} to change"
        assert _version(conn, demo_location) != before[demo_location]
        assert _version(conn, other_location) == before[other_location]


def test_a_setup_row_added_or_removed_gives_its_location_a_new_version(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        before = _version(conn, demo_location)
        rule = conn.execute("""insert into table_availability_rules (location_id, table_id, rule_type, start_time, end_time)
                               select location_id, id, 'block', '12:00', '13:00' from tables where location_id = %s limit 1
                               returning id""", (demo_location,)).fetchone()[0]
        added = _version(conn, demo_location)
        assert added != before
        conn.execute("delete from table_availability_rules where id = %s", (rule,))
        assert _version(conn, demo_location) not in (before, added)


def test_a_truncated_setup_table_gives_every_location_a_new_version(database_url, demo_location, other_location):
    with psycopg.connect(database_url) as conn:
        before = {loc: _version(conn, loc) for loc in (demo_location, other_location)}
        conn.execute("truncate table_availability_rules")
        assert all(_version(conn, loc) != version for loc, version in before.items())


def test_a_change_committed_elsewhere_reaches_the_next_snapshot(app_env, demo_location):
    first = _guest_snapshot(demo_location)
    table = next(t for t in first.tables.values() if t.is_active)
    with psycopg.connect(app_env) as conn:
        conn.execute("update tables set is_active = false where id = %s", (table.id,))
        conn.execute("update tickets set max_party_size = max_party_size + 1 where location_id = %s", (demo_location,))
        conn.execute("delete from table_availability_rules where location_id = %s", (demo_location,))
    assert first.table_rules, "the demo location has table rules to remove"
    second = _guest_snapshot(demo_location)
    assert second.tables[table.id].is_active is False
    assert {t.id: t.max_party_size + 1 for t in first.tickets.values()} == \
        {t.id: t.max_party_size for t in second.tickets.values()}
    assert second.table_rules == ()


def test_a_closed_day_reaches_the_next_snapshot_of_that_day(app_env, demo_location):
    day = dt.date.fromisoformat(DAY)
    first = _guest_snapshot(demo_location)
    assert first.shifts_by_date[day] and not any(s.closed for s in first.shifts_by_date[day])
    assert _guest_snapshot(demo_location).shifts_by_date[day] is first.shifts_by_date[day]  # the held day
    with psycopg.connect(app_env) as conn:
        conn.execute("""insert into shift_exceptions (location_id, exception_date, exception_type, label)
                        values (%s, %s, 'closed', 'Private party')""", (demo_location, day))
    assert all(s.closed and s.label == "Private party" for s in _guest_snapshot(demo_location).shifts_by_date[day])


def test_a_setup_change_not_yet_committed_stays_out_of_other_requests(app_env, demo_location):
    _guest_snapshot(demo_location)
    area = next(iter(_guest_snapshot(demo_location).areas))
    with psycopg.connect(app_env) as writer:
        writer.execute("""insert into tables (location_id, area_id, name, min_capacity, max_capacity)
                          values (%s, %s, 'Uncommitted', 1, 2)""", (demo_location, area))
        # The writer's own transaction reads its change, and the process now holds that setup.
        assert "Uncommitted" in {t.name for t in load_snapshot(writer, demo_location, dt.date.fromisoformat(DAY))
                                 .tables.values()}
        assert "Uncommitted" not in {t.name for t in _guest_snapshot(demo_location).tables.values()}
        writer.rollback()
    assert "Uncommitted" not in {t.name for t in _guest_snapshot(demo_location).tables.values()}


def test_a_held_setup_is_no_key_to_a_location_the_caller_cannot_read(app_env, demo_location, other_location):
    assert _guest_snapshot(demo_location).tables  # held now
    with pytest.raises(NotFound):
        _guest_snapshot(demo_location, as_guest_of=other_location)


def test_a_location_cannot_be_set_back_to_a_version_a_process_holds(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        held = _version(conn, demo_location)
        conn.execute("update tables set priority = priority where location_id = %s", (demo_location,))
        assert _version(conn, demo_location) != held
        conn.execute("update locations set config_version = %s where id = %s", (held, demo_location))
        assert _version(conn, demo_location) != held


def test_a_setup_change_committed_between_the_snapshots_statements_is_read_again_whole(
        app_env, demo_location, monkeypatch):
    """The process holds a setup it read inside an uncommitted change; another request reads the
    location's old version, then the change commits before the request's other statements run: the
    versions differ, and the request reads the setup again, now with the committed change, and files
    it under the committed version (the next request reads none of it again)."""
    import threading

    from couvert import snapshots

    area = next(iter(_guest_snapshot(demo_location).areas))
    writer = psycopg.connect(app_env)
    gate = psycopg.connect(app_env, autocommit=True)
    try:
        writer.execute("""insert into tables (location_id, area_id, name, min_capacity, max_capacity)
                          values (%s, %s, 'Late', 1, 2)""", (demo_location, area))
        load_snapshot(writer, demo_location, dt.date.fromisoformat(DAY))  # held: the uncommitted setup
        # A pause between the location's statement and the setup's: a lock the test holds.
        gate.execute("select pg_advisory_lock(4242)")
        kinds = snapshots._KINDS
        monkeypatch.setattr(snapshots, "_KINDS", (kinds[0], "pause", *kinds[1:]))
        monkeypatch.setattr(snapshots, "query", lambda name: "select pg_advisory_xact_lock_shared(4242)"
                            if name == "pause" else query(name))
        result = {}
        request = threading.Thread(target=lambda: result.update(snapshot=_guest_snapshot(demo_location)))
        request.start()
        _until(gate, """select count(*) from pg_locks l join pg_database d on d.oid = l.database
                        where d.datname = current_database() and l.locktype = 'advisory'
                          and l.objid = 4242 and not l.granted""", "the request never reached the pause")
        writer.commit()
        gate.execute("select pg_advisory_unlock(4242)")
        request.join()
    finally:
        writer.close()
        gate.close()
    assert "Late" in {t.name for t in result["snapshot"].tables.values()}
    assert len(result["snapshot"].tables) > 1
    monkeypatch.setattr(snapshots, "_KINDS", kinds)
    sent = _sent_kinds(monkeypatch)  # and the real queries again
    assert _guest_snapshot(demo_location).tables is result["snapshot"].tables
    assert sent == ["snapshot_location", "snapshot_bookings"]


def test_a_new_location_gets_a_fresh_version_whatever_it_is_given(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        held = _version(conn, demo_location)
        given = conn.execute("""insert into locations (name, slug, timezone, config_version)
                                values ('Again', 'again', 'Europe/Amsterdam', %s) returning config_version""",
                             (held,)).fetchone()[0]
    assert given != held


def test_a_migration_run_that_applies_something_renews_every_version(database_url, demo_location, tmp_path):
    """A migration can change what the snapshot reads without touching a row (a function's body)."""
    import shutil

    from couvert_dev.migrate import DEFAULT_MIGRATIONS_DIR, migrate

    with psycopg.connect(database_url) as conn:
        before = _version(conn, demo_location)
    directory = tmp_path / "migrations"
    shutil.copytree(DEFAULT_MIGRATIONS_DIR, directory)
    assert migrate(database_url, directory) == []
    with psycopg.connect(database_url) as conn:
        assert _version(conn, demo_location) == before  # nothing applied: nothing renewed
    # The first applies, the next fails: what the first changed is read afresh all the same.
    (directory / "9998_a_function_changes.sql").write_text("select 1;\n")
    (directory / "9999_a_broken_one.sql").write_text("select from nowhere at all;\n")
    with pytest.raises(psycopg.Error):
        migrate(database_url, directory)
    with psycopg.connect(database_url) as conn:
        assert _version(conn, demo_location) != before


def test_a_manager_changing_overbooking_during_a_configuration_load_waits_instead_of_deadlocking(
        app_env, demo_location, host):
    """A load of the configuration locks the location, then changes its setup rows; the overbooking
    change locks a shift ticket, whose version trigger then needs the location: taken in that order
    the two deadlocked, so the change takes the location first."""
    import threading

    from tests.support import call
    from tests.support.api import add_member, op

    add_member(app_env, demo_location, "manager-1", "manager")
    ticket = host["Regular Dinner"]
    with psycopg.connect(app_env) as conn:
        shift = conn.execute("select shift_id from shift_tickets where ticket_id = %s limit 1", (ticket,)).fetchone()[0]
    path = f"/v1/locations/{demo_location}/shifts/{shift}/tickets/{ticket}/overbooking"
    with psycopg.connect(app_env) as load, psycopg.connect(app_env, autocommit=True) as watch:
        load.execute("update locations set name = name where id = %s", (demo_location,))  # as upsert_location
        answers = []
        change = threading.Thread(target=lambda: answers.append(
            call("back_office", "PUT", path, body={"overbooking_covers": 3}, headers=op("manager-1"))))
        change.start()
        _until(watch, """select count(*) from pg_stat_activity
                         where datname = current_database() and wait_event_type = 'Lock'""",
               "the overbooking change never waited for the location")
        load.execute("update shift_tickets set overbooking_covers = 2 where location_id = %s and shift_id = %s "
                     "and ticket_id = %s", (demo_location, shift, ticket))
    change.join()
    assert answers[0][0] == 200, answers
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select overbooking_covers from shift_tickets where location_id = %s and shift_id = %s "
                            "and ticket_id = %s", (demo_location, shift, ticket)).fetchone()[0] == 3
