"""Few round trips: statements sent in batches that travel together, and a transaction that is one
pipeline (Database.pipelined_transaction).

psycopg's pipeline mode sends statements without waiting for their answers; reading an answer sends
what is queued and waits for the answers so far (a round trip), and the pipeline's end syncs (one
more).  Its transactions add two round trips of their own: it waits for BEGIN before anything else,
and syncs at COMMIT before the pipeline's own sync.  A booking took six round trips with them and
takes two as one pipeline (bench/README.md, "Third pass").

A batch also leaves the client in one write (BatchingCursor): psycopg writes each statement of a
pipeline to the socket as it is sent, and PostgreSQL wakes for each (bench/README.md, "Sixth pass")."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.pq import PipelineStatus

_ROLLBACK = "rollback"


class BatchingCursor(psycopg.Cursor):
    """The cursor of the functions' connections: in a pipeline, a statement waits in libpq's buffer
    until its batch's answers are read (psycopg's flush request) or the pipeline syncs, so a batch
    leaves in one write and PostgreSQL wakes once for it.

    psycopg writes each statement at once (after each execute it flushes, and reads what has come
    back); on two cores shared by clients and the server, every write woke the backend and cost both
    sides a context switch (in B5 the clients' system time halved with batching).  A statement's
    error is raised where its batch is read or the pipeline ends (psycopg sometimes raised it at the
    next statement sent).  Outside a pipeline it is psycopg's own.

    It restates psycopg's private `_execute_gen` but for the flush: psycopg is pinned in the layer's
    requirements, and `tests/test_round_trips.py` fails if that method changes or if a statement
    leaves before its batch is read.  psycopg's sync inside a pipeline (a nested `conn.pipeline()`, a
    commit or a psycopg transaction) expects what is buffered to leave in one write; the functions do
    none of these inside their pipelines (`batch` nests none), and their batches are a few kB."""

    def _execute_gen(self, query, params=None, *, prepare=None, binary=None):
        pipeline = self._conn._pipeline
        if pipeline is None:
            return (yield from super()._execute_gen(query, params, prepare=prepare, binary=binary))
        yield from self._start_query(query)
        pgq = self._convert_query(query, params)
        yield from self._maybe_prepare_gen(pgq, prepare=prepare, binary=binary)
        while pipeline.command_queue:  # into libpq's buffer, not yet to the socket
            pipeline.command_queue.popleft()()
        self._last_query = query
        yield from self._conn._prepared.maintain_gen(self._conn)


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
