"""Plans a session keeps are made with the table as it was at its first use (migration 0041).

take_rate_limit keeps one plan per session for its statements (migration 0037).  Made while the
counters' table is nearly empty (a new deployment, or after the sweep forgets the day's windows), a
plan that scans the table was PostgreSQL's cheapest, and the session kept scanning the table whole,
at every guest's booking, as it grew."""

from __future__ import annotations

import datetime as dt

import psycopg

from couvert import rate_limits
from couvert.db import RequestContext, get_database
from tests.support.clock import PINNED_NOW


def _counters_scanned(conn: psycopg.Connection) -> int:
    """Sequential scans of rate_limit_counters in the current transaction so far (this backend's)."""
    return conn.execute("select seq_scan from pg_stat_xact_user_tables where relname = 'rate_limit_counters'"
                        ).fetchone()["seq_scan"]


def test_a_session_that_first_counted_on_an_empty_table_finds_counters_by_key_once_it_has_grown(
        app_env, demo_location):
    with psycopg.connect(app_env, autocommit=True) as admin:
        admin.execute("vacuum analyze public.rate_limit_counters")  # empty, and PostgreSQL knows it
    guest = RequestContext.guest(demo_location, address="203.0.113.7")
    db = get_database()
    with db.transaction(guest) as conn:  # the session's first count: its plan is made now
        rate_limits.take(conn, guest, demo_location, "first@example.com", PINNED_NOW)
        session = conn.execute("select pg_backend_pid() as pid").fetchone()["pid"]
    with psycopg.connect(app_env) as admin:  # a busy evening's counters, of other guests
        window = PINNED_NOW.replace(minute=0, second=0, microsecond=0)
        admin.execute("""insert into public.rate_limit_counters (location_id, bucket, window_start, hits)
                         select %s, 'address:' || md5(g::text), %s - make_interval(hours => g %% 24), 1
                         from generate_series(1, 5000) g""", (demo_location, window))
    with db.transaction(guest) as conn:
        rate_limits.take(conn, guest, demo_location, "second@example.com", PINNED_NOW + dt.timedelta(minutes=1))
        # The same server session (through PgBouncer too: its one client reuses its server), so the
        # plan counted is the one made on the empty table.
        assert conn.execute("select pg_backend_pid() as pid").fetchone()["pid"] == session
        assert _counters_scanned(conn) == 0
