"""The PostgreSQL harness for tests.

Uses DATABASE_URL when set; otherwise starts a throwaway cluster (couvert_dev.pgcluster) for the
session.  Migrations are applied once to a template database; each test that needs a database
gets a fresh clone of it (CREATE DATABASE ... TEMPLATE), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from couvert.db import reset_database
from couvert.settings import reload_settings
from couvert_dev.config_loader import load_config, parse_config
from couvert_dev.logins import Logins, create_database, logins_for, migrated_database
from couvert_dev.pgbouncer import LocalPgBouncer
from couvert_dev.pgcluster import LocalCluster
from tests.support import demo_config
from tests.support.api import JWT_SECRET, WEBHOOK_SECRET, Restaurant
from tests.support.clock import PINNED_NOW

TEMPLATE_DB = "couvert_test_template"
# Tests that pin the clock use this moment (derived from the real date) unless they set their own.
DEFAULT_NOW = PINNED_NOW


def _with_db(url: str, dbname: str) -> str:
    return make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    cluster = LocalCluster(tempfile.mkdtemp(prefix="couvert-test-pg-"), throwaway=True).start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def template_url(server_url: str) -> str:
    """Migrated as on a managed database: by a non-superuser owner (couvert_dev.logins)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{TEMPLATE_DB}" with (force)')
    migrated_database(server_url, TEMPLATE_DB)
    return _with_db(server_url, TEMPLATE_DB)


@pytest.fixture
def database_url(server_url: str, template_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test.  The URL is the server's superuser, for looking at
    rows as they are (use as_role for RLS checks); the handlers log in as `logins.app_url`."""
    name = f"couvert_test_{uuid.uuid4().hex[:12]}"
    create_database(server_url, name, template=TEMPLATE_DB)
    try:
        yield _with_db(server_url, name)
    finally:
        reset_database()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def pooler(server_url: str) -> Iterator[LocalPgBouncer | None]:
    """With COUVERT_TEST_POOLER=pgbouncer the functions reach PostgreSQL through PgBouncer in
    transaction mode (the stand-in for RDS Proxy); the tests' own looks at the rows go direct."""
    if os.environ.get("COUVERT_TEST_POOLER") != "pgbouncer":
        yield None
        return
    from couvert_dev.logins import APP, LOCAL_PASSWORD
    from couvert_dev.pgbouncer import LocalPgBouncer

    bouncer = LocalPgBouncer(server_url, {APP: LOCAL_PASSWORD}).start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


@pytest.fixture
def logins(server_url: str, database_url: str, pooler: LocalPgBouncer | None) -> Logins:
    """The non-superuser owner and app logins of this test's database (the app's through the pooler)."""
    logins = logins_for(server_url, dbname_of(database_url))
    return Logins(logins.owner_url, pooler.url(logins.app_url)) if pooler else logins


@pytest.fixture
def app_env(database_url: str, logins: Logins, monkeypatch: pytest.MonkeyPatch) -> str:
    """Configure the handlers for this test's database, by environment, as in production: they log
    in as a non-superuser.  Returns the superuser URL, for the test's own look at the rows."""
    monkeypatch.setenv("DATABASE_URL", logins.app_url)
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("COUVERT_FROZEN_NOW", DEFAULT_NOW.isoformat())
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    reload_settings()
    reset_database()
    yield database_url
    reset_database()
    monkeypatch.undo()
    reload_settings()


@pytest.fixture
def set_now(monkeypatch: pytest.MonkeyPatch):
    def _set(moment: dt.datetime) -> None:
        monkeypatch.setenv("COUVERT_FROZEN_NOW", moment.isoformat())
        reload_settings()
    return _set


@pytest.fixture
def host(app_env, demo_location) -> dict[str, str]:
    """A host ("host-1") of the demo location; the location's ticket and table ids by name."""
    from tests.support.api import add_member, ids

    add_member(app_env, demo_location, "host-1")
    return ids(app_env)


@pytest.fixture
def restaurant(database_url: str) -> Restaurant:
    return Restaurant(database_url)


@pytest.fixture
def demo_location(logins: Logins) -> uuid.UUID:
    with psycopg.connect(logins.owner_url) as conn:  # as `couvert load-config` runs on a managed database
        return load_config(conn, parse_config(demo_config()))


def dbname_of(url: str) -> str:
    return conninfo_to_dict(url)["dbname"]


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """A localstripe of this test session's own (--from-scratch, on a free port)."""
    from couvert_dev.localstripe import LocalStripe

    stripe = LocalStripe().start()
    try:
        yield stripe.url
    finally:
        stripe.stop()


@pytest.fixture
def stripe_env(app_env, localstripe_url, monkeypatch):
    from couvert.payments import reset_payments

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_couvert")
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    reload_settings()
    reset_payments()
    yield localstripe_url
    reset_payments()


@pytest.fixture
def deposit(stripe_env, app_env, demo_location):
    """A guest's Chef's Table booking for two, waiting for its 50.00 deposit; a host of the location;
    a Stripe client on localstripe."""
    import stripe

    from tests.support.api import add_member, book, booking_body, ids

    names = ids(app_env)
    add_member(app_env, demo_location, "host-1")
    status, body, _ = book(demo_location, booking_body(names["Chef's Table"], "19:00", 2))
    assert status == 201
    client = stripe.StripeClient("sk_test_couvert", base_addresses={"api": stripe_env})
    return body, client
