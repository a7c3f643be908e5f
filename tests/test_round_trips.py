"""A booking in two round trips, availability in two (couvert/pipelines.py, migration 0035), and what
a transaction that is one pipeline must still do: commit all of it or nothing, and survive a
connection the server ended while the function was idle."""

from __future__ import annotations

import hashlib
import inspect
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from couvert import pipelines
from couvert.db import RequestContext, get_database
from tests.support.api import availability, book, booking_body, counts


def _round_trips(action) -> int:
    """How many times `action` waits for PostgreSQL on the environment's connection, from libpq's trace
    of the messages: a Flush (to read a batch's answers), a Sync (to end one) or a simple Query, after
    which the client waits for what the server sends back.  Messages sent back to back, before
    anything comes back, are one wait (psycopg sends a Flush behind the Sync that ends a pipeline)."""
    conn = get_database().connection()
    with tempfile.NamedTemporaryFile("w+", suffix=".trace") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            action()
        finally:
            conn.pgconn.untrace()
        messages = [line.split("\t") for line in Path(trace.name).read_text().splitlines()
                    if line.startswith(("F\t", "B\t"))]  # not the lines of a statement's text
    waits, waiting = 0, False
    for direction, _length, message, *_ in messages:
        if direction == "B":
            waiting = False
        elif message.split()[0] in ("Sync", "Flush", "Query") and not waiting:
            waits, waiting = waits + 1, True
    return waits


@pytest.fixture
def warm(app_env, demo_location, host):
    """One booking and one availability answer first: the connection is open and the setup held."""
    assert book(demo_location, booking_body(host["Regular Dinner"], "18:00"))[0] == 201
    assert availability(demo_location, party_size=2)[0] == 200
    return host["Regular Dinner"]


def test_a_booking_waits_for_postgresql_twice(warm, demo_location):
    trips = _round_trips(lambda: book(demo_location, booking_body(warm, "19:00")))
    assert trips == 2  # the claim, lock and snapshot; the writes and the end (it was six)


def test_an_availability_answer_waits_for_postgresql_twice(warm, demo_location):
    assert _round_trips(lambda: availability(demo_location, party_size=2)) == 2  # was four


def test_an_idempotent_booking_too(warm, demo_location):
    trips = _round_trips(lambda: book(demo_location, booking_body(warm, "19:30"), key="one-key"))
    assert trips == 2
    replayed = _round_trips(lambda: book(demo_location, booking_body(warm, "19:30"), key="one-key"))
    assert replayed == 3  # the claim finds the key (nothing locked); the first booking is read; the end


def _as_guest(location_id=None):
    return get_database().transaction(RequestContext.guest(location_id), pipelined=True)


def test_a_pipelined_transaction_commits_everything_it_sent(app_env):
    with _as_guest() as conn:
        conn.execute("select set_config('couvert.probe', 'kept', true)")
        seen = conn.execute("select current_setting('couvert.probe') as v")
        assert seen.fetchone()["v"] == "kept"  # one transaction across the batch's read
        wrote = conn.execute("select pg_current_xact_id()::text as x")
    xact = wrote.fetchone()["x"]
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select pg_xact_status(%s::xid8)", (xact,)).fetchone()[0] == "committed"


@pytest.mark.parametrize("failure", ["python", "database"])
def test_a_pipelined_transaction_that_fails_keeps_nothing(app_env, demo_location, failure):
    """A transaction that fails after its first batch was answered, in Python (a booking the engine
    refuses) or in the database (a statement that raises), keeps nothing it wrote."""
    before = counts(app_env)

    class Refused(Exception):
        pass

    xact = None
    with pytest.raises(Refused if failure == "python" else psycopg.errors.RaiseException), \
            _as_guest(demo_location) as conn:
        conn.execute("select public.find_or_create_customer(%s, 'Ada', 'Probe', 'probe@example.com', null, null)",
                     (demo_location,))
        xact = conn.execute("select pg_current_xact_id()::text as x").fetchone()["x"]
        if failure == "python":
            raise Refused
        conn.execute("do $$ begin raise exception 'refused'; end $$")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select pg_xact_status(%s::xid8)", (xact,)).fetchone()[0] == "aborted"
    assert counts(app_env) == before
    conn = get_database().connection()
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE and not conn.autocommit


def test_a_connection_the_server_ended_is_replaced_before_the_next_request(warm, app_env, demo_location, pooler):
    """An idle connection the server closed (an idle timeout, a failover, RDS Proxy letting it go):
    a pipelined transaction would learn it only when reading its first answers and fail the booking
    with 503, so the environment checks the connection before each transaction."""
    conn = get_database().connection()
    with psycopg.connect(app_env, autocommit=True) as admin:
        pid = conn.info.backend_pid
        admin.execute("select pg_terminate_backend(%s, 5000)", (pid,))
    if pooler is None:
        assert pipelines.ended_by_server(conn)  # the server's goodbye waits on the socket
    status, body, _ = book(demo_location, booking_body(warm, "20:00"))
    assert status == 201, body
    assert get_database().connection().info.backend_pid != pid or pooler is not None


def test_an_idle_healthy_connection_is_kept(warm):
    conn = get_database().connection()
    assert not pipelines.ended_by_server(conn)
    assert get_database().connection() is conn


def _advisory_lock_held(url: str, key: int) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("""select exists (select 1 from pg_locks where locktype = 'advisory' and objid = %s
                                 and database = (select oid from pg_database where datname = current_database()))""",
                            (key,)).fetchone()[0]


def test_a_batch_reaches_postgresql_when_its_answers_are_read(app_env):
    """A statement sent in a pipeline waits in the client until its batch's answers are read or the
    pipeline ends (couvert/pipelines.py, BatchingCursor): the batch leaves in one write and
    PostgreSQL wakes once for it, where psycopg alone writes each statement as it is sent."""
    with _as_guest() as conn:
        conn.execute("select pg_advisory_xact_lock(4242)")
        time.sleep(0.3)  # ample for PostgreSQL to take the lock, had the statement left
        held_before_the_read = _advisory_lock_held(app_env, 4242)
        conn.execute("select 1 as one").fetchone()
        held_after_the_read = _advisory_lock_held(app_env, 4242)
    assert not held_before_the_read
    assert held_after_the_read
    assert not _advisory_lock_held(app_env, 4242)  # the transaction ended with the pipeline


def test_the_batching_cursor_overrides_the_psycopg_method_it_was_written_against():
    """BatchingCursor restates psycopg's private BaseCursor._execute_gen but for the flush: a psycopg
    that changes that method must be read against it again (then record the new method's digest)."""
    source = inspect.getsource(psycopg._cursor_base.BaseCursor._execute_gen)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "d4128fe2e2207fb5"
