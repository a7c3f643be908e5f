"""The Stripe webhook (docs/api.md): signed events about deposits, acted on as the worker role.

Its own function, so it holds only the worker's database secret and Stripe's, never the API's.
"""

from __future__ import annotations

import base64

from aws_lambda_powertools.logging import correlation_paths

from couvert import stripe_events
from couvert.db import get_database
from couvert.http import create_app
from couvert.memory import settle_after_init
from couvert.observability import logger, metrics, tracer
from couvert.payments import get_payments, stripe_secrets
from couvert.settings import current_time, get_settings
from couvert.webhook_responses import WebhookAck

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("worker_database")
app = create_app()


@app.post("/v1/webhooks/stripe")
def stripe_webhook() -> WebhookAck:
    event = app.current_event
    raw = event.body or ""
    payload = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    secrets = stripe_secrets()
    payments = get_payments() if secrets["secret_key"] else None
    return stripe_events.handle(get_database(worker=True), payments, payload, event.headers.get("stripe-signature"),
                                secrets["webhook_secret"], current_time())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
