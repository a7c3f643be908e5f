"""Reservation creation and the waitlist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aws_lambda_powertools.logging import correlation_paths

from couvert.errors import NotImplementedYet
from couvert.http import create_app, logger, metrics, tracer

app = create_app()


@app.post("/v1/locations/<location_id>/reservations")
def create_reservation(location_id: UUID) -> dict[str, Any]:
    raise NotImplementedYet("booking is not built yet")


@app.post("/v1/locations/<location_id>/waitlist")
def join_waitlist(location_id: UUID) -> dict[str, Any]:
    raise NotImplementedYet("the waitlist is not built yet")


@app.get("/v1/locations/<location_id>/waitlist")
def list_waitlist(location_id: UUID) -> dict[str, Any]:
    raise NotImplementedYet("the waitlist is not built yet")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
