"""Few round trips: statements sent in batches that travel together, and a transaction that is one
pipeline (Database.pipelined_transaction).

psycopg's pipeline mode sends statements without waiting for their answers; reading an answer sends
what is queued and waits for the answers so far (a round trip), and the pipeline's end syncs (one
more).  Its transactions add two round trips of their own: it waits for BEGIN before anything else,
and syncs at COMMIT before the pipeline's own sync.  A booking took six round trips with them and
takes two as one pipeline (bench/README.md, "Third pass")."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.pq import PipelineStatus

_ROLLBACK = "rollback"


@contextmanager
def transaction(conn: psycopg.Connection, begin: Callable[[], None]) -> Iterator[None]:
    """One transaction, one pipeline: `begin` (the request's role and identity) is queued with the
    block's first statements, reading an answer in the block is a round trip, and the pipeline's only
    sync ends it with the block's last statements.

    The connection is in autocommit for the block and sends no BEGIN or COMMIT: PostgreSQL runs the
    statements between two syncs as one implicit transaction and commits it at the sync (psycopg's
    own transaction would wait for its BEGIN and sync at its COMMIT, two round trips more).  A
    database error aborts the transaction, and the sync rolls it back; a block that raises queues a
    ROLLBACK first (PostgreSQL warns "there is no transaction in progress": the implicit one is
    rolled back all the same)."""
    conn.autocommit = True
    try:
        with conn.pipeline():
            begin()
            try:
                yield
            except psycopg.Error:
                raise  # the transaction is aborted: nothing more runs, the sync rolls it back
            except BaseException:
                conn.execute(_ROLLBACK)
                raise
    finally:
        if _usable(conn):
            conn.autocommit = False


@contextmanager
def batch(conn: psycopg.Connection) -> Iterator[None]:
    """Statements sent inside travel together: in the pipeline the transaction already is (read their
    answers when needed), else in a pipeline of their own (one round trip at its end).  psycopg syncs
    when a pipeline is opened inside another with answers pending, a round trip of its own, so code
    that runs in either kind of transaction batches with this."""
    if conn.info.pipeline_status != PipelineStatus.OFF:
        yield
        return
    with conn.pipeline():
        yield


def ended_by_server(conn: psycopg.Connection) -> bool:
    """Whether the server has ended an idle connection (an idle timeout, a restart, a proxy closing
    it): between transactions nothing is due from the server, so anything to read is its goodbye or
    the end of the stream.  Checked before each transaction, as a pipelined one learns of a dead
    connection only when it reads its first answers."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


def _usable(conn: psycopg.Connection) -> bool:
    return not conn.closed and not conn.broken
