"""A reservation's life: the guest's and the host's reads of one reservation, its status moves and
its changes (docs/api.md).  The operator's location-wide reads and records are back_office's."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from couvert import changes, lifecycle
from couvert.api_responses import Reservation, ReservationEnvelope, TransitionOut
from couvert.auth import caller_from_event
from couvert.change_models import ChangeIn, TransitionIn
from couvert.db import get_database
from couvert.http import create_app
from couvert.memory import settle_after_init
from couvert.observability import logger, metrics, tracer
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("database", "operator_tokens", "manage_tokens")
app = create_app()

Token = Annotated[str | None, Query(max_length=200, description="the guest's manage token (or the X-Manage-Token header)")]
TokenHeader = Annotated[str | None, Header(alias="x-manage-token", max_length=200,
                                           description="the guest's manage token, kept out of URLs and logs")]


def _caller():
    # Correlate log lines by the reservation the request is about (never in metrics).
    params = app.current_event.path_parameters or {}
    logger.append_keys(reservation_id=params.get("reservation_id"))
    return caller_from_event(app.current_event.raw_event)


@app.get("/v1/reservations/<reservation_id>")
def get_reservation(reservation_id: UUID, token: Token = None, token_header: TokenHeader = None) -> Reservation:
    return lifecycle.get_reservation(get_database(), _caller(), reservation_id, token_header or token, current_time())


@app.get("/v1/reservations/<reservation_id>/calendar",
         responses={200: {"description": "the reservation as an iCalendar file",
                          "content": {"text/calendar": {"schema": {"type": "string"}}}}})
def calendar_file(reservation_id: UUID, token: Token = None, token_header: TokenHeader = None):
    ics = lifecycle.calendar_file(get_database(), _caller(), reservation_id, token_header or token, current_time(),
                                  SETTINGS.public_base_url)
    return Response(200, "text/calendar; charset=utf-8", ics.decode(),
                    {"Content-Disposition": 'attachment; filename="reservation.ics"'})


@app.post("/v1/reservations/<reservation_id>/transitions")
def transition(reservation_id: UUID, body: Annotated[TransitionIn, Body()], token: Token = None,
               token_header: TokenHeader = None) -> TransitionOut:
    result = lifecycle.transition(get_database(), _caller(), reservation_id, body.to, body.reason, current_time(),
                                  token_header or token, body.expected_from, body.table_id)
    metrics.add_metric(name=f"Transition_{body.to}", unit=MetricUnit.Count, value=1)
    return result


@app.post("/v1/reservations/<reservation_id>/reconfirm")
def reconfirm(reservation_id: UUID, token: Token = None, token_header: TokenHeader = None) -> ReservationEnvelope:
    return lifecycle.reconfirm(get_database(), _caller(), reservation_id, token_header or token, current_time())


@app.patch("/v1/reservations/<reservation_id>")
def change_reservation(reservation_id: UUID, body: Annotated[ChangeIn, Body()]) -> ReservationEnvelope:
    return changes.change_reservation(get_database(), _caller(), reservation_id, body.to_domain(), current_time())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
