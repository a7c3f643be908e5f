"""Through PgBouncer in transaction mode (the stand-in for RDS Proxy): nothing a request sets
outlives its transaction, so a pooled server connection never carries one caller into another's
request.  (`make test` also runs the whole suite through PgBouncer.)"""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from couvert.db import Database, RequestContext, reset_database
from couvert.settings import reload_settings
from couvert_dev.logins import APP, LOCAL_PASSWORD, logins_for
from couvert_dev.pgbouncer import LocalPgBouncer
from tests.support.api import book, booking_body


@pytest.fixture
def one_server_connection(server_url, database_url):
    """A pooler with a single server connection: every client's transactions share one backend."""
    bouncer = LocalPgBouncer(server_url, {APP: LOCAL_PASSWORD}, pool_size=1).start()
    dbname = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    yield bouncer.url(logins_for(server_url, dbname).app_url)
    bouncer.stop()


def test_a_callers_identity_never_reaches_the_next_request_on_the_same_backend(
        app_env, demo_location, one_server_connection):
    guest, worker = Database(lambda: one_server_connection), Database(lambda: one_server_connection)
    with guest.transaction(RequestContext.guest(demo_location)) as conn:
        first = conn.execute("select pg_backend_pid() as pid, current_user as role, "
                             "current_setting('couvert.guest_location_id') as loc").fetchone()
    with worker.transaction(RequestContext.operator({"sub": "someone-else"})) as conn:
        second = conn.execute("select pg_backend_pid() as pid, current_user as role, "
                              "current_setting('couvert.guest_location_id', true) as loc, "
                              "current_setting('statement_timeout') as timeout").fetchone()
    assert first["pid"] == second["pid"]  # the same server connection served both clients
    assert (first["role"], first["loc"]) == ("couvert_api", str(demo_location))
    assert (second["role"], second["loc"], second["timeout"]) == ("couvert_api", "", "10s")
    guest.close()
    worker.close()


def test_concurrent_bookings_through_one_pooled_backend_stay_correct(
        app_env, demo_location, host, one_server_connection, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", one_server_connection)
    reload_settings()
    reset_database()
    start = threading.Barrier(8)

    def attempt(n):
        body = booking_body(host["Regular Dinner"], "19:00", 2,
                            guest={"first_name": "P", "last_name": str(n), "email": f"p{n}@example.com"})
        start.wait()
        return book(demo_location, body, source_ip=f"192.0.2.{n}")[0]

    with ThreadPoolExecutor(8) as pool:
        codes = Counter(pool.map(attempt, range(8)))
    assert set(codes) <= {201, 409, 503} and codes[201] >= 1, codes
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from reservations").fetchone()[0] == codes[201]
        assert conn.execute("""select count(*) from table_occupancies a join table_occupancies b
                               on a.table_id = b.table_id and a.reservation_id < b.reservation_id
                               and a.occupied && b.occupied""").fetchone()[0] == 0
    reset_database()


# What makes RDS Proxy pin a client to one database connection for the rest of its session, or
# leaves session state on a pooled backend, when it appears in the SQL text a client sends (a
# function that does it inside does not pin).
PINS_ANYWHERE = re.compile(
    r"\b(set_config|nextval|setval|currval|pg_advisory_lock|pg_advisory_lock_shared|pg_try_advisory_lock)\s*\("
    r"|\bcreate\s+(local\s+|global\s+)?(temp|temporary)\b|\binto\s+(temp|temporary)\b|\bwith\s+hold\b",
    re.IGNORECASE)
PINS_AS_STATEMENT = re.compile(r"(^|;)\s*(set|reset|listen|unlisten|prepare|deallocate|discard|load)\b",
                               re.IGNORECASE)  # SET as a statement, not UPDATE ... SET


def test_no_statement_the_functions_send_would_pin_an_rds_proxy_connection():
    """A pinned connection serves one Lambda environment until it ends: under a burst the proxy can
    no longer share connections.  Every SQL statement the functions run is a named query."""
    from couvert.queries import query

    def code(sql):  # the statement without its comments and string literals
        return re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.DOTALL))

    pinning = sorted(name for name, sql in query._queries.items()
                     if PINS_ANYWHERE.search(code(sql)) or PINS_AS_STATEMENT.search(code(sql)))
    assert pinning == []
