"""GET availability for a day, and the availability calendar (docs/api.md).  Guests and operators
call the same routes; an operator (Bearer token) may ask for operator channels."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from couvert import availability_service
from couvert.auth import caller_from_event
from couvert.availability_models import AvailabilityOut, CalendarOut
from couvert.db import get_database
from couvert.engine import AvailabilityRequest
from couvert.http import create_app
from couvert.memory import settle_after_init
from couvert.observability import logger, metrics, tracer
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("database", "operator_tokens")
app = create_app()

ChannelParam = Annotated[Literal["widget", "phone", "walk_in", "google", "third_party"], Query()]
PartySize = Annotated[int, Query(ge=1, le=500)]


@app.get("/v1/locations/<location_id>/availability")
def get_availability(location_id: UUID, date: Annotated[dt.date, Query()], party_size: PartySize,
                     ticket_id: Annotated[UUID | None, Query()] = None,
                     channel: ChannelParam = "widget") -> AvailabilityOut:
    logger.append_keys(location_id=str(location_id))
    caller = caller_from_event(app.current_event.raw_event, location_id)
    day = availability_service.day_availability(
        get_database(), caller, location_id, AvailabilityRequest(date, party_size, channel, ticket_id),
        current_time())
    metrics.add_metric(name="AvailabilityChecks", unit=MetricUnit.Count, value=1)
    return AvailabilityOut.of(day)


@app.get("/v1/locations/<location_id>/availability/calendar")
def get_calendar(location_id: UUID, date_from: Annotated[dt.date, Query(alias="from")],
                 date_to: Annotated[dt.date, Query(alias="to")], party_size: PartySize,
                 ticket_id: Annotated[UUID | None, Query()] = None,
                 channel: ChannelParam = "widget") -> CalendarOut:
    logger.append_keys(location_id=str(location_id))
    caller = caller_from_event(app.current_event.raw_event, location_id)
    location, days = availability_service.calendar(
        get_database(), caller, location_id, date_from, date_to, party_size, ticket_id, channel, current_time())
    metrics.add_metric(name="CalendarChecks", unit=MetricUnit.Count, value=1)
    return CalendarOut.of(location, party_size, days)


@app.get("/openapi.json", include_in_schema=False)
def get_openapi():
    """The API's OpenAPI document (generated from every function by `couvert openapi`)."""
    return Response(200, "application/json", files("couvert").joinpath("openapi.json").read_text(encoding="utf-8"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
