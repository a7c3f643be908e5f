"""The two logins a managed database gives us, made on a local server (tests, bench, `make dev`).

On RDS, Aurora or Supabase neither the migration owner nor the application's login is a superuser
or BYPASSRLS; we run the same way everywhere so that row-level security is tested as deployed:

- couvert_owner: NOSUPERUSER NOBYPASSRLS CREATEROLE; owns the database, runs migrations and config loads.
- couvert_app:   NOSUPERUSER NOBYPASSRLS NOINHERIT; what the functions log in as.  It holds no
                 privilege of its own and switches to couvert_api or couvert_worker per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

OWNER = "couvert_owner"
APP = "couvert_app"
# Local servers only: a cluster started by pgcluster trusts 127.0.0.1; for a given DATABASE_URL
# the password makes the same URLs work.
LOCAL_PASSWORD = "couvert-local-only"


@dataclass(frozen=True)
class Logins:
    owner_url: str
    app_url: str


def _ensure_role(conn: psycopg.Connection, name: str, attributes: str) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(sql.SQL("{} role {} with login {} password {}").format(
        sql.SQL(verb), sql.Identifier(name), sql.SQL(attributes), sql.Literal(LOCAL_PASSWORD)))


def create_database(superuser_url: str, dbname: str, template: str | None = None) -> Logins:
    """Create (or reuse) the owner and app logins and a database owned by the owner."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        _ensure_role(conn, OWNER, "nosuperuser nobypassrls createrole createdb")
        _ensure_role(conn, APP, "nosuperuser nobypassrls noinherit nocreaterole nocreatedb")
        exists = conn.execute("select 1 from pg_database where datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {} owner {}{}").format(
                sql.Identifier(dbname), sql.Identifier(OWNER),
                sql.SQL(" template {}").format(sql.Identifier(template)) if template else sql.SQL("")))
            if template:
                _copy_database_settings(conn, template, dbname)
    return logins_for(superuser_url, dbname)


def _copy_database_settings(conn: psycopg.Connection, template: str, dbname: str) -> None:
    """The template's own settings (ALTER DATABASE ... SET, as migration 0043's), which CREATE DATABASE
    does not copy: a clone is set up as the database it was cloned from."""
    settings = conn.execute("""select unnest(s.setconfig) from pg_db_role_setting s
                               join pg_database d on d.oid = s.setdatabase
                               where d.datname = %s and s.setrole = 0""", (template,)).fetchall()
    for (setting,) in settings:
        name, value = setting.split("=", 1)
        conn.execute(sql.SQL("alter database {} set {} to {}").format(
            sql.Identifier(dbname), sql.Identifier(name), sql.Literal(value)))


def migrated_database(superuser_url: str, dbname: str) -> tuple[Logins, list[str]]:
    """A database set up as on a managed server: created (or reused) with its owner, migrated by that
    owner, and the app login allowed to become the request roles.  Also the migrations applied now."""
    from couvert_dev.migrate import migrate

    logins = create_database(superuser_url, dbname)
    applied = migrate(logins.owner_url)
    grant_request_roles(logins.owner_url)
    return logins, applied


def logins_for(superuser_url: str, dbname: str) -> Logins:
    def as_user(user: str) -> str:
        return make_conninfo(superuser_url, dbname=dbname, user=user, password=LOCAL_PASSWORD)
    return Logins(owner_url=as_user(OWNER), app_url=as_user(APP))


def app_url_for(superuser_url: str) -> str:
    """The app login's URL for the database a superuser URL names."""
    from psycopg.conninfo import conninfo_to_dict

    return logins_for(superuser_url, conninfo_to_dict(superuser_url)["dbname"]).app_url


def grant_request_roles(owner_url: str) -> None:
    """The deployer's step after the first migration (as the owner, which has CREATEROLE): the app
    login may become the request roles."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("grant couvert_api, couvert_worker to {}").format(sql.Identifier(APP)))
