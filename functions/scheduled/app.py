"""The scheduled function (EventBridge Scheduler, every minute): runs the sweeps and the outbox.

Invocations can arrive twice; every job is idempotent and safe to run concurrently.
"""

from __future__ import annotations

from couvert import sweeps
from couvert.db import get_database
from couvert.http import logger, metrics, tracer
from couvert.settings import current_time


def _payments():
    from couvert.payments import get_payments, stripe_secrets

    return get_payments() if stripe_secrets()["secret_key"] else None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    counts = sweeps.run_all(get_database(worker=True), current_time(), _payments())
    logger.info("scheduled run done", extra={"counts": counts})
    return {"counts": counts}
