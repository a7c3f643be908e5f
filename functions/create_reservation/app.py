"""Reservation creation (docs/api.md "Creating a reservation") and the waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from couvert import booking, waitlist
from couvert.api_models import ReservationIn, WaitlistIn
from couvert.auth import caller_from_event, require_operator
from couvert.creation_responses import CreatedOut, WaitlistEntryEnvelope, WaitlistListOut
from couvert.db import get_database
from couvert.http import create_app
from couvert.memory import settle_after_init
from couvert.observability import logger, metrics, tracer
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("database", "operator_tokens", "manage_tokens")
app = create_app()


@app.post("/v1/locations/<location_id>/reservations", responses={
    201: {"description": "the reservation, its payment and manage token",
          "content": {"application/json": {"model": CreatedOut}}}})
def create_reservation(location_id: UUID, body: Annotated[ReservationIn, Body()],
                       idempotency_key: Annotated[str | None, Header(alias="idempotency-key")] = None,
                       ) -> Response[CreatedOut]:
    logger.append_keys(location_id=str(location_id))
    caller = caller_from_event(app.current_event.raw_event, location_id)
    result = booking.create_reservation(get_database(), caller, location_id, body.to_domain(), idempotency_key,
                                        current_time())
    metrics.add_metric(name="ReservationsReplayed" if result.replayed else "ReservationsCreated",
                       unit=MetricUnit.Count, value=1)
    logger.info("reservation created", extra={"replayed": result.replayed,
                                              "reference": result.body["reservation"]["reference"]})
    return Response(result.status_code, "application/json", result.body,
                    headers={"Idempotent-Replayed": "true"} if result.replayed else None)


@app.post("/v1/locations/<location_id>/waitlist", responses={
    201: {"description": "the waitlist entry", "content": {"application/json": {"model": WaitlistEntryEnvelope}}}})
def join_waitlist(location_id: UUID, body: Annotated[WaitlistIn, Body()]) -> Response[WaitlistEntryEnvelope]:
    caller = caller_from_event(app.current_event.raw_event, location_id)
    entry = waitlist.join(get_database(), caller, location_id, body.to_domain(), current_time())
    return Response(201, "application/json", entry)


@app.get("/v1/locations/<location_id>/waitlist")
def list_waitlist(location_id: UUID, date: Annotated[dt.date, Query()]) -> WaitlistListOut:
    caller = require_operator(caller_from_event(app.current_event.raw_event, location_id))
    return waitlist.list_entries(get_database(), caller, location_id, date)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
