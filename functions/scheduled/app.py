"""The scheduled function (EventBridge Scheduler, every minute): the status sweeps, reminders and
reconfirmation requests, waitlist expiry, then the outbox dispatcher.

Invocations can arrive twice; every job is idempotent and safe to run concurrently.  The event may
name jobs and/or one location: {"jobs": ["no_shows"], "location_id": "…"} (operators, tests).
"""

from __future__ import annotations

from uuid import UUID

from aws_lambda_powertools.metrics import MetricUnit

from couvert import sweeps
from couvert.db import get_database
from couvert.memory import settle_after_init
from couvert.messaging import get_messenger
from couvert.observability import logger, metrics, tracer
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("worker_database", "manage_tokens")


def _payments():
    from couvert.payments import get_payments, stripe_secrets

    return get_payments() if stripe_secrets()["secret_key"] else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    event = event if isinstance(event, dict) else {}
    jobs = tuple(event.get("jobs") or sweeps.JOBS)
    location_id = UUID(event["location_id"]) if event.get("location_id") else None
    run = sweeps.run(get_database(worker=True), current_time(), jobs=jobs, location_id=location_id,
                     payments=_payments() if "outbox" in jobs else None,
                     messenger=get_messenger() if "outbox" in jobs else None,
                     public_base_url=get_settings().public_base_url)
    for job in run.jobs:
        rows = job.rows if isinstance(job.rows, dict) else {"rows": job.rows}
        logger.info("job done", extra={"job": job.job, **rows, "seconds": round(job.seconds, 3)})
        for name, value in rows.items():
            metrics.add_metric(name=f"{job.job}_{name}", unit=MetricUnit.Count, value=value)
        metrics.add_metric(name=f"{job.job}_duration", unit=MetricUnit.Seconds, value=job.seconds)
    metrics.add_metric(name="outbox_backlog_age", unit=MetricUnit.Seconds, value=run.backlog_age_seconds)
    return {"counts": run.counts(), "backlog_age_seconds": run.backlog_age_seconds}


settle_after_init()  # the end of init: what it built lives as long as the environment
