"""The scheduled jobs (functions/scheduled, every minute), in this order:

no-show marking, option expiry, payment-hold expiry, abandoned drafts, reconfirmation requests and
required-reconfirmation cancellations, reminders, waitlist expiry, waitlist offers (the engine decides
what fits, so this job is Python: couvert.waitlist.make_offers), forgetting expired Idempotency-Keys,
then the outbox dispatcher.

Each job is one SQL call in its own transaction as the worker role, takes `now`, locks only the rows
due at that moment (FOR UPDATE SKIP LOCKED: two runs at once never touch a row twice) and moves at
most `limit` of them, so a backlog drains over several runs and a run never times out.  Status
changes go through the same status machine as the API.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from couvert.db import Database, RequestContext
from couvert.queries import query

STATUS_JOBS = ("no_shows", "option_expiry", "payment_hold_expiry", "abandoned_drafts")
JOBS = (*STATUS_JOBS, "reconfirm_requests", "reconfirm_cancellations", "reminders", "waitlist_expiry",
        "waitlist_offers", "expired_keys", "outbox")
# Which SQL call runs each job (the status sweeps share one function, as do the guest requests).
_CALLS = {**{job: "sweep_statuses" for job in (*STATUS_JOBS, "reconfirm_cancellations")},
          "reconfirm_requests": "queue_guest_requests", "reminders": "queue_guest_requests",
          "waitlist_expiry": "expire_waitlist_entries", "expired_keys": "forget_expired_keys"}


@dataclass(frozen=True)
class JobRun:
    job: str
    rows: int | dict[str, int]
    seconds: float


@dataclass
class Run:
    jobs: list[JobRun] = field(default_factory=list)
    backlog_age_seconds: float = 0.0

    def counts(self) -> dict[str, Any]:
        return {run.job: run.rows for run in self.jobs}


def run(db: Database, now: dt.datetime, *, jobs: tuple[str, ...] = JOBS, location_id: UUID | None = None,
        limit: int = 1000, payments=None, messenger=None, public_base_url: str = "") -> Run:
    """Run the named jobs (default: all, in order) for one location or all; report each."""
    from couvert import outbox, waitlist

    unknown = set(jobs) - set(JOBS)
    if unknown:
        raise ValueError(f"unknown job(s): {', '.join(sorted(unknown))}")
    result = Run()
    for job in (j for j in JOBS if j in jobs):
        started = time.perf_counter()
        if job == "outbox":
            rows: int | dict[str, int] = outbox.dispatch(
                db, now, payments=payments, messenger=messenger, public_base_url=public_base_url,
                location_id=location_id, limit=limit)
        elif job == "waitlist_offers":
            rows = waitlist.make_offers(db, now, location_id=location_id, limit=min(limit, 50))
        else:
            with db.transaction(RequestContext.system()) as conn:
                rows = conn.execute(query(_CALLS[job]), {"job": job, "now": now, "location_id": location_id,
                                                         "limit": limit}).fetchone()["rows"]
        result.jobs.append(JobRun(job, rows, time.perf_counter() - started))
    if "outbox" in jobs:
        result.backlog_age_seconds = outbox.backlog_age_seconds(db, now)
    return result
