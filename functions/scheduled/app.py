"""The scheduled function (EventBridge Scheduler, every minute): runs the sweeps.

Each job is set-based and idempotent: safe to run twice at once and to re-run after a crash.
"""

from __future__ import annotations

from couvert import sweeps
from couvert.db import get_database
from couvert.http import logger, metrics, tracer
from couvert.settings import current_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    counts = sweeps.run_all(get_database(worker=True), current_time())
    logger.info("sweeps done", extra={"counts": counts})
    return {"counts": counts}
