"""The migration runner: plain SQL files applied in file-name order, once each.

Each file runs in its own transaction and is recorded in schema_migrations with its checksum.
Re-running applies nothing; a file edited after it was applied is an error (write a new file).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg

from couvert_dev.queries import query

DEFAULT_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"
_LOCK_KEY = 7_316_001  # serialises concurrent runners (a session lock: the runner owns its connection)


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    filename: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def discover(directory: Path = DEFAULT_MIGRATIONS_DIR) -> list[Migration]:
    files = sorted(Path(directory).glob("*.sql"))
    if not files:
        raise MigrationError(f"no migrations found in {directory}")
    return [Migration(f.name, f.read_text(encoding="utf-8")) for f in files]


def migrate(database_url: str, directory: Path = DEFAULT_MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the file names applied now."""
    migrations = discover(directory)
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(query("create_schema_migrations"))
        conn.execute(query("lock_migrations"), {"key": _LOCK_KEY})
        try:
            applied = dict(conn.execute(query("applied_migrations")).fetchall())
            for migration in migrations:
                known = applied.get(migration.filename)
                if known is not None:
                    if known != migration.checksum:
                        raise MigrationError(
                            f"{migration.filename} was changed after it was applied "
                            f"(checksum {known[:12]} in the database, {migration.checksum[:12]} on disk); "
                            "add a new migration instead of editing an applied one")
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(query("record_migration"),
                                 {"filename": migration.filename, "checksum": migration.checksum})
                    conn.execute(query("renew_configuration_versions"))
                applied_now.append(migration.filename)
        finally:
            conn.execute(query("unlock_migrations"), {"key": _LOCK_KEY})
    return applied_now
