"""Scheduled jobs.  Each is one set-based, idempotent statement run as the worker role; the
status sweeps (no-shows, expiries, reminders) arrive with the status machine."""

from __future__ import annotations

import datetime as dt

from couvert.db import Database, RequestContext
from couvert.queries import query

JOBS = ("release_lapsed_holds_everywhere",)


def run_all(db: Database, now: dt.datetime) -> dict[str, int]:
    """Run every job in its own transaction; returns the rows each touched."""
    counts: dict[str, int] = {}
    for job in JOBS:
        with db.transaction(RequestContext.system()) as conn:
            counts[job] = conn.execute(query(job), {"now": now}).rowcount
    return counts
