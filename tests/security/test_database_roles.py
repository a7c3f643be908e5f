"""Attack from inside a request transaction: what the API and worker roles may touch."""

import psycopg
import pytest

from tests.support import as_role


@pytest.mark.parametrize("role", ["couvert_api", "couvert_worker"])
def test_request_roles_cannot_rewrite_the_migration_history(database_url, role):
    with as_role(database_url, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("delete from schema_migrations")


@pytest.mark.parametrize("role, timeout", [("couvert_api", "30s"), ("couvert_worker", "1min")])
def test_a_request_transaction_cannot_sit_idle_holding_locks(database_url, role, timeout):
    """The role defaults apply only to logins as these roles; a switched-to role gets them per request."""
    with as_role(database_url, role) as conn:
        assert conn.execute("show idle_in_transaction_session_timeout").fetchone()["idle_in_transaction_session_timeout"] == timeout
