"""Scheduled jobs (functions/scheduled, every minute).  Each job is one set-based, idempotent
statement run as the worker role, safe to run twice at once; then the outbox's money events are
dispatched.  The status sweeps (no-shows, expiries, reminders) are a later issue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from couvert.db import Database, RequestContext
from couvert.queries import query

JOBS = ("release_lapsed_holds_everywhere",)


def run_all(db: Database, now: dt.datetime, payments=None) -> dict[str, Any]:
    """Run every job in its own transaction, then the money dispatcher when Stripe is configured;
    returns what each touched."""
    counts: dict[str, Any] = {}
    for job in JOBS:
        with db.transaction(RequestContext.system()) as conn:
            counts[job] = conn.execute(query(job), {"now": now}).rowcount
    if payments is not None:
        from couvert.outbox import dispatch_money

        counts["money"] = dispatch_money(db, payments, now)
    return counts
