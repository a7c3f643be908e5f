"""Row-level security: tenants are isolated, hosts can't change configuration, anonymous sees nothing."""

import psycopg
import pytest

from couvert_dev.config_loader import load_config, parse_config
from tests.support import as_role, demo_config, load_demo_copy

LOCATION_TABLES_SQL = """
select c.relname, c.relrowsecurity, c.relforcerowsecurity
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind = 'r'
  and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'location_id'
               and not a.attisdropped) or c.relname = 'locations')
"""


@pytest.fixture
def two_locations(database_url):
    """Locations A (demo) and B (a copy), an owner of each and a host of A."""
    with psycopg.connect(database_url) as conn:
        a = load_config(conn, parse_config(demo_config()))
        b = load_demo_copy(conn)
        conn.execute("""insert into location_members (location_id, user_id, role) values
                        (%s, 'owner-a', 'owner'), (%s, 'owner-b', 'owner'), (%s, 'host-a', 'host')""", (a, b, a))
    return a, b


def test_every_location_table_has_rls_enabled_and_forced(database_url):
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(LOCATION_TABLES_SQL).fetchall()
    assert len(rows) >= 20
    assert [name for name, enabled, forced in rows if not (enabled and forced)] == []


def test_no_policy_applies_to_all_commands(database_url):
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("select tablename, policyname from pg_policies where cmd = 'ALL'").fetchall()
    assert rows == []


CONFIG_TABLES = ["areas", "tables", "shifts", "tickets", "policy_sets", "shift_tickets", "table_groups",
                 "shift_exceptions", "table_availability_rules", "reservation_settings"]


@pytest.mark.parametrize("table", CONFIG_TABLES + ["locations"])
def test_an_operator_cannot_read_another_locations_rows(database_url, two_locations, table):
    a, b = two_locations
    column = "id" if table == "locations" else "location_id"
    with as_role(database_url, claims={"sub": "owner-a"}) as conn:
        own = conn.execute(f"select count(*) as n from {table} where {column} = %s", (a,)).fetchone()["n"]
        other = conn.execute(f"select count(*) as n from {table} where {column} = %s", (b,)).fetchone()["n"]
    assert own > 0 and other == 0


@pytest.mark.parametrize("table", CONFIG_TABLES)
def test_an_operator_cannot_change_or_delete_another_locations_rows(database_url, two_locations, table):
    _a, b = two_locations
    with as_role(database_url, claims={"sub": "owner-a"}) as conn:
        updated = conn.execute(f"update {table} set location_id = location_id where location_id = %s", (b,))
        assert updated.rowcount == 0
        deleted = conn.execute(f"delete from {table} where location_id = %s", (b,))
        assert deleted.rowcount == 0
    with psycopg.connect(database_url) as conn:  # as the owner role: B's rows are all still there
        assert conn.execute(f"select count(*) from {table} where location_id = %s", (b,)).fetchone()[0] > 0


def test_an_operator_cannot_insert_into_another_location(database_url, two_locations):
    _a, b = two_locations
    with as_role(database_url, claims={"sub": "owner-a"}) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("insert into areas (location_id, name) values (%s, 'Sneaky')", (b,))


def test_an_operator_cannot_add_customers_or_memberships_elsewhere(database_url, two_locations):
    _a, b = two_locations
    with as_role(database_url, claims={"sub": "owner-a"}) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("""insert into customers (location_id, first_name, last_name, email)
                        values (%s, 'E', 'Vil', 'e@example.com')""", (b,))
    with as_role(database_url, claims={"sub": "owner-a"}) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("insert into location_members (location_id, user_id, role) values (%s, 'owner-a', 'owner')",
                     (b,))


def test_a_host_cannot_change_configuration(database_url, two_locations):
    a, _b = two_locations
    with as_role(database_url, claims={"sub": "host-a"}) as conn:
        assert conn.execute("select count(*) as n from tables where location_id = %s", (a,)).fetchone()["n"] == 12
        assert conn.execute("update tables set max_capacity = 20 where location_id = %s", (a,)).rowcount == 0
        assert conn.execute("delete from shifts where location_id = %s", (a,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into tickets (location_id, name, duration_minutes, policy_set_id) "
                         "select location_id, 'Host special', 60, id from policy_sets where location_id = %s limit 1",
                         (a,))


def test_an_owner_can_change_configuration(database_url, two_locations):
    a, _b = two_locations
    with as_role(database_url, claims={"sub": "owner-a"}) as conn:
        assert conn.execute("update tables set priority = 3 where location_id = %s", (a,)).rowcount == 12


def test_anonymous_claims_see_nothing(database_url, two_locations):
    with as_role(database_url) as conn:
        for table in CONFIG_TABLES + ["locations", "reservations", "customers", "location_members"]:
            assert conn.execute(f"select count(*) as n from {table}").fetchone()["n"] == 0, table


def test_a_guest_context_sees_only_its_one_location(database_url, two_locations):
    a, b = two_locations
    with as_role(database_url, guest_location_id=a) as conn:
        ids = {r["id"] for r in conn.execute("select id from locations").fetchall()}
        assert ids == {a}
        assert conn.execute("select count(*) as n from tables where location_id = %s", (b,)).fetchone()["n"] == 0
        assert conn.execute("update tables set priority = 9").rowcount == 0


def test_identity_set_in_one_transaction_is_gone_in_the_next(database_url, two_locations):
    with psycopg.connect(database_url) as conn:
        conn.execute("select public.begin_request('couvert_api', '{\"sub\": \"owner-a\"}'::jsonb, null)")
        assert conn.execute("select count(*) from locations").fetchone()[0] == 1
        conn.commit()
        conn.execute("set local role couvert_api")
        assert conn.execute("select count(*) from locations").fetchone()[0] == 0


def test_request_transactions_run_as_the_api_role_even_on_a_superuser_url(app_env, demo_location):
    from couvert.db import RequestContext, get_database

    with get_database().transaction(RequestContext.guest(demo_location)) as conn:
        row = conn.execute("select current_user as role, current_setting('couvert.guest_location_id') as loc").fetchone()
    assert row == {"role": "couvert_api", "loc": str(demo_location)}
    with get_database(worker=True).transaction(RequestContext.system()) as conn:
        assert conn.execute("select current_user as role").fetchone()["role"] == "couvert_worker"
    with psycopg.connect(app_env) as conn:  # the URL itself names a superuser
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0] is True


def test_request_transactions_carry_timeouts(app_env, demo_location):
    from couvert.db import RequestContext, get_database

    with get_database().transaction(RequestContext.guest(demo_location)) as conn:
        row = conn.execute("select current_setting('lock_timeout') as lock, "
                           "current_setting('statement_timeout') as statement").fetchone()
    assert row == {"lock": "3s", "statement": "10s"}
