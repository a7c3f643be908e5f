"""Database access: one lazy connection per execution environment, and request transactions.

Every request transaction starts with begin_request(): it switches to the API (or worker) role
and sets the caller's identity with set_config(..., true), so row-level security is in force
whatever user DATABASE_URL names, and nothing outlives the transaction (RDS Proxy safe).
"""

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Literal, NamedTuple
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert import pipelines
from couvert.db_errors import translate
from couvert.errors import Unavailable
from couvert.queries import query

ActorType = Literal["operator", "guest", "system", "assistant"]
CONNECT_TIMEOUT_S = 3


class RequestContext(NamedTuple):
    """Who is asking: decides the database role and what row-level security lets through."""

    actor_type: ActorType
    user_id: str | None = None
    claims: Mapping[str, Any] = MappingProxyType({})  # read-only: one empty mapping serves every caller
    guest_location_id: UUID | None = None
    worker: bool = False
    # A guest's client (a hash of address and user agent): who may get a booking's secrets again.
    client: str | None = None
    # A guest's network address, as rate limits count it.
    address: str | None = None

    @classmethod
    def guest(cls, location_id: UUID | None, client: str | None = None,
              address: str | None = None) -> "RequestContext":
        return cls(actor_type="guest", guest_location_id=location_id, client=client, address=address)

    @property
    def fingerprint(self) -> str:
        """Who is asking, as an Idempotency-Key remembers it."""
        return f"user:{self.user_id}" if self.user_id else f"guest:{self.client or ''}"

    @classmethod
    def operator(cls, claims: dict[str, Any]) -> "RequestContext":
        return cls(actor_type="operator", user_id=str(claims["sub"]), claims=dict(claims))

    @classmethod
    def system(cls) -> "RequestContext":
        return cls(actor_type="system", worker=True)

    @property
    def is_operator(self) -> bool:
        return self.actor_type == "operator"

    @property
    def user_uuid(self) -> UUID | None:
        """The user as audit_log.performed_by (a uuid column); None for guests, the system, or a sub
        that is not a uuid (it is still recorded in the audit row's values)."""
        try:
            return UUID(self.user_id) if self.user_id else None
        except ValueError:
            return None


class PrivilegedLogin(RuntimeError):
    """The configured login would bypass row-level security: a deployment error, never served."""


class Database:
    """Owns one connection, opened lazily and reopened when broken (no pool threads in Lambda)."""

    def __init__(self, conninfo: Callable[[], str], api_role: str = "couvert_api",
                 worker_role: str = "couvert_worker") -> None:
        self._conninfo = conninfo
        # One connection per thread: Lambda has one; the dev server and concurrency tests have many.
        self._local = threading.local()
        self.api_role = api_role
        self.worker_role = worker_role

    def _connect(self) -> psycopg.Connection:
        """Connect, trying once more after a failure (a proxy or a failover may need a moment); an
        unreachable database is a retryable 503, never a 500."""
        def attempt() -> psycopg.Connection:
            return psycopg.connect(self._conninfo(), connect_timeout=CONNECT_TIMEOUT_S, prepare_threshold=None,
                                   row_factory=dict_row, cursor_factory=pipelines.BatchingCursor)
        try:
            conn = attempt()
        except psycopg.OperationalError:
            try:
                conn = attempt()
            except psycopg.OperationalError:
                raise Unavailable("the database cannot be reached; retry in a few seconds") from None
        if conn.execute(query("login_is_privileged")).fetchone()["privileged"]:
            user = conn.info.user
            conn.close()
            raise PrivilegedLogin(
                f"refusing to run as the database login {user!r}: it is a superuser or BYPASSRLS, so "
                "row-level security would not apply; log in as a role like couvert_app (see the README, Database roles)")
        conn.commit()  # the check left a transaction open
        return conn

    def connection(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken or pipelines.ended_by_server(conn):
            if conn is not None:
                conn.close()
            conn = self._local.conn = self._connect()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            conn.close()
        self._local.conn = None

    @contextmanager
    def transaction(self, ctx: RequestContext, pipelined: bool = False) -> Iterator[psycopg.Connection]:
        """A transaction as the caller: role and identity set first, committed on success.

        `pipelined`: the whole transaction is one pipeline (`pipelined_transaction`), for a use case
        that sends its statements in batches and reads each batch's answers at once."""
        if pipelined:
            with self.pipelined_transaction(ctx) as conn:
                yield conn
            return
        conn = self.connection()
        try:
            self._begin(conn, ctx)
        except psycopg.OperationalError:
            # A connection that died while the environment was frozen: reconnect once.
            self.close()
            conn = self.connection()
            self._begin(conn, ctx)
        try:
            yield conn
        except BaseException as error:
            if not conn.closed:
                conn.rollback()
            _raise_translated(error)
        else:
            conn.commit()

    @contextmanager
    def pipelined_transaction(self, ctx: RequestContext) -> Iterator[psycopg.Connection]:
        """A transaction that is one pipeline (pipelines.transaction): begin_request travels with the
        caller's first statements, and the end of the transaction with its last."""
        conn = self.connection()
        try:
            with pipelines.transaction(conn, lambda: self._begin(conn, ctx)):
                yield conn
        except BaseException as error:
            _raise_translated(error)

    def _begin(self, conn: psycopg.Connection, ctx: RequestContext) -> None:
        conn.execute(query("begin_request"), {
            "role": self.worker_role if ctx.worker else self.api_role,
            "claims": json.dumps(dict(ctx.claims)) if ctx.claims else None,
            "guest_location_id": ctx.guest_location_id,
        })


def _raise_translated(error: BaseException) -> None:
    """Raise the domain error a database error means (nothing was written; it says what to do), or
    the error itself."""
    domain = translate(error) if isinstance(error, psycopg.Error) else None
    if domain is not None:
        raise domain from None
    raise error


def focus_guest(conn: psycopg.Connection, subject_id: UUID) -> None:
    """Name what this guest request is about (a reservation or waitlist entry): row-level security
    lets a guest see that row and no other of its kind.  Harmless for operators and the worker."""
    conn.execute(query("focus_guest"), {"subject_id": subject_id})


def conninfo_from_settings(worker: bool = False) -> str:
    """DATABASE_URL when set, else the RDS-style JSON secret named by DB_SECRET_ARN.  The worker
    (sweeps, Stripe webhook) may log in as its own role: WORKER_DATABASE_URL / WORKER_DB_SECRET_ARN."""
    from couvert.settings import get_settings

    settings = get_settings()
    url = (settings.worker_database_url if worker else None) or settings.database_url
    secret_arn = (settings.worker_db_secret_arn if worker else None) or settings.db_secret_arn
    if url:
        return url
    if secret_arn:
        from couvert.secrets import secret_json  # only in AWS: no boto3 at check_availability's cold start

        secret = secret_json(secret_arn)
        tls = {"sslmode": secret.get("sslmode", "verify-full")}
        if settings.db_ssl_root_cert:
            tls["sslrootcert"] = settings.db_ssl_root_cert
        return psycopg.conninfo.make_conninfo(
            host=settings.db_host or secret["host"], port=secret.get("port", 5432),
            dbname=secret.get("dbname", "postgres"), user=secret["username"], password=secret["password"], **tls)
    raise RuntimeError("set DATABASE_URL, or DB_SECRET_ARN to a Secrets Manager secret")


_databases: dict[bool, Database] = {}


def get_database(worker: bool = False) -> Database:
    """The execution environment's Database (the API's, or the worker's), wired once from configuration."""
    if worker not in _databases:
        from couvert.settings import get_settings

        settings = get_settings()
        _databases[worker] = Database(lambda: conninfo_from_settings(worker), settings.api_db_role,
                                      settings.worker_db_role)
    return _databases[worker]


def close_connections() -> None:
    """Close the wired Databases' connections; the next request opens one (SnapStart, reset)."""
    for database in _databases.values():
        database.close()


def reset_database() -> None:
    """Drop the wired Databases (tests and the dev server point them elsewhere by configuration)."""
    close_connections()
    _databases.clear()


# SnapStart: close connections before the snapshot and reconnect after a restore.  Imported here,
# last, so that every function (they all use the database) registers the hooks with the runtime.
from couvert import snapstart  # noqa: E402, F401
