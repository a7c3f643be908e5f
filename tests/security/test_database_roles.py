"""What the database roles may touch: request roles from inside a transaction, and the logins."""

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from couvert.db import Database, PrivilegedLogin
from tests.support import as_role, call
from tests.support.api import DAY, book, booking_body, op, res


@pytest.mark.parametrize("role", ["couvert_api", "couvert_worker"])
def test_request_roles_cannot_rewrite_the_migration_history(database_url, role):
    with as_role(database_url, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("delete from schema_migrations")


def test_no_security_definer_function_is_open_to_every_role(database_url):
    """Attack: a SECURITY DEFINER function runs with its owner's rights, so one PUBLIC may execute is
    open to any login of the database (on Supabase, PostgREST's anonymous role).  Trigger functions
    cannot be called directly, so they are left out."""
    with psycopg.connect(database_url) as conn:
        open_to_all = conn.execute(
            """select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
               where n.nspname = 'public' and p.prosecdef and p.prorettype <> 'trigger'::regtype
                 and has_function_privilege('public', p.oid, 'execute')""").fetchall()
    assert open_to_all == []


@pytest.mark.parametrize("role, timeout", [("couvert_api", "30s"), ("couvert_worker", "1min")])
def test_a_request_transaction_cannot_sit_idle_holding_locks(database_url, role, timeout):
    """The role defaults apply only to logins as these roles; a switched-to role gets them per request."""
    with as_role(database_url, role) as conn:
        assert conn.execute("show idle_in_transaction_session_timeout").fetchone()["idle_in_transaction_session_timeout"] == timeout


def test_the_suite_runs_as_on_a_managed_database(database_url, logins):
    """Neither the migration owner nor the functions' login is a superuser or BYPASSRLS (as on RDS,
    Aurora, Supabase), and the SECURITY DEFINER functions belong to their own unprivileged role."""
    with psycopg.connect(database_url) as conn:
        privileged = conn.execute(
            """select r.rolname, r.rolsuper or r.rolbypassrls from pg_roles r
               where r.rolname in ((select tableowner from pg_tables where tablename = 'reservations'),
                                   %s, %s)""",
            (conninfo_to_dict(logins.owner_url)["user"], conninfo_to_dict(logins.app_url)["user"])).fetchall()
        definers = conn.execute(
            """select p.proname, pg_get_userbyid(p.proowner), r.rolsuper or r.rolbypassrls
               from pg_proc p join pg_roles r on r.oid = p.proowner
               where p.prosecdef and p.pronamespace = 'public'::regnamespace""").fetchall()
    assert sorted(privileged) == [("couvert_app", False), ("couvert_owner", False)]
    assert {name for name, _, _ in definers} >= {"operator_location_ids", "guest_reservation_location"}
    assert {(owner, bypass) for _, owner, bypass in definers} == {("couvert_definer", False)}


def test_operator_reads_and_guest_links_work_without_a_privileged_role(app_env, demo_location, host):
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"]))
    assert status == 201
    rid = booked["reservation"]["id"]
    status, mine, _ = res("GET", rid, query={"token": booked["manage_token"]})
    assert (status, mine["id"]) == (200, rid)
    status, listed, _ = call("back_office", "GET", f"/v1/locations/{demo_location}/reservations",
                             query={"date": DAY}, headers=op("host-1"))
    assert status == 200 and [r["id"] for r in listed["reservations"]] == [rid]


def test_a_privileged_login_is_refused(database_url):
    """A superuser login would make every policy moot: the functions refuse to serve with it."""
    database = Database(lambda: database_url)
    with pytest.raises(PrivilegedLogin, match="superuser or BYPASSRLS"):
        database.connection()
