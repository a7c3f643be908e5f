"""The migration runner: applies once, re-runs as a no-op, refuses an edited applied file."""

import shutil

import psycopg
import pytest

from couvert_dev.migrate import DEFAULT_MIGRATIONS_DIR, MigrationError, migrate


@pytest.fixture
def empty_database(server_url):
    name = "couvert_test_empty_migrations"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    yield psycopg.conninfo.make_conninfo(server_url, dbname=name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def test_migrations_apply_on_an_empty_database_then_rerun_as_a_no_op(empty_database):
    applied = migrate(empty_database)
    assert applied == sorted(p.name for p in DEFAULT_MIGRATIONS_DIR.glob("*.sql"))
    assert migrate(empty_database) == []
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("select count(*) from schema_migrations").fetchone()[0] == len(applied)
        assert conn.execute("select to_regclass('public.reservations')").fetchone()[0] is not None


def test_an_edited_applied_migration_is_refused(empty_database, tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(DEFAULT_MIGRATIONS_DIR, migrations)
    migrate(empty_database, migrations)
    first = sorted(migrations.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after it was applied\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(empty_database, migrations)


def test_a_failing_migration_is_rolled_back_whole(empty_database, tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(DEFAULT_MIGRATIONS_DIR, migrations)
    (migrations / "9999_broken.sql").write_text(
        "create table public.half_done (id int);\nselect * from no_such_table;\n")
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrate(empty_database, migrations)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("select to_regclass('public.half_done')").fetchone()[0] is None
        recorded = conn.execute("select filename from schema_migrations where filename = '9999_broken.sql'")
        assert recorded.fetchone() is None
