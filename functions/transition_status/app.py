"""Reservation reads, status transitions, changes and operator reads (docs/api.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from couvert import changes, guest_data, guests, lifecycle, risk
from couvert.api_responses import Reservation, ReservationEnvelope, TransitionOut
from couvert.auth import caller_from_event, require_operator
from couvert.change_models import (
    ChangeIn,
    CustomerChangeIn,
    CustomerNoteIn,
    OverbookingIn,
    Status,
    TransitionIn,
)
from couvert.db import get_database
from couvert.http import create_app
from couvert.memory import settle_after_init
from couvert.observability import logger, metrics, tracer
from couvert.operator_responses import (
    CustomerCardOut,
    CustomerErasedOut,
    CustomerExportOut,
    NoteEnvelope,
    OutboxEventEnvelope,
    OutboxListOut,
    OverbookingSetOut,
    ReservationListOut,
    ShiftRiskListOut,
)
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("database", "operator_tokens", "manage_tokens")
app = create_app()

Token = Annotated[str | None, Query(max_length=200, description="the guest's manage token (or the X-Manage-Token header)")]
TokenHeader = Annotated[str | None, Header(alias="x-manage-token", max_length=200,
                                           description="the guest's manage token, kept out of URLs and logs")]


def _caller():
    # Correlate log lines by the reservation or location the request is about (never in metrics).
    params = app.current_event.path_parameters or {}
    logger.append_keys(**{k: v for k, v in params.items() if k in ("reservation_id", "location_id")})
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


@app.get("/v1/locations/<location_id>/reservations")
def list_reservations(location_id: UUID, date: Annotated[dt.date, Query()],
                      status: Annotated[Status | None, Query()] = None) -> ReservationListOut:
    return lifecycle.list_reservations(get_database(), _operator(), location_id, date, status)


@app.get("/v1/locations/<location_id>/shift-risk")
def shift_risk(location_id: UUID, date: Annotated[dt.date, Query()]) -> ShiftRiskListOut:
    return risk.shift_risk(get_database(), _operator(), location_id, date)


@app.put("/v1/locations/<location_id>/shifts/<shift_id>/tickets/<ticket_id>/overbooking")
def set_overbooking(location_id: UUID, shift_id: UUID, ticket_id: UUID,
                    body: Annotated[OverbookingIn, Body()]) -> OverbookingSetOut:
    return risk.set_overbooking(get_database(), _operator(), location_id, shift_id, ticket_id, body.overbooking_covers)


@app.get("/v1/locations/<location_id>/customers/<customer_id>/export")
def export_customer(location_id: UUID, customer_id: UUID) -> CustomerExportOut:
    return guest_data.export(get_database(), _operator(), location_id, customer_id, current_time())


@app.post("/v1/locations/<location_id>/customers/<customer_id>/erase")
def erase_customer(location_id: UUID, customer_id: UUID) -> CustomerErasedOut:
    return guest_data.erase(get_database(), _operator(), location_id, customer_id, current_time())


@app.get("/v1/locations/<location_id>/customers/<customer_id>")
def get_customer(location_id: UUID, customer_id: UUID) -> CustomerCardOut:
    return guests.get_customer(get_database(), _operator(), location_id, customer_id)


@app.patch("/v1/locations/<location_id>/customers/<customer_id>")
def change_customer(location_id: UUID, customer_id: UUID, body: Annotated[CustomerChangeIn, Body()]) -> CustomerCardOut:
    return guests.update_customer(get_database(), _operator(), location_id, customer_id, body.changes())


@app.post("/v1/locations/<location_id>/customers/<customer_id>/notes")
def add_customer_note(location_id: UUID, customer_id: UUID, body: Annotated[CustomerNoteIn, Body()]) -> NoteEnvelope:
    return guests.add_note(get_database(), _operator(), location_id, customer_id, body.note, body.note_type,
                           body.is_alert)


OutboxStatus = Literal["pending", "done", "failed"]


@app.get("/v1/locations/<location_id>/outbox")
def list_outbox(location_id: UUID, status: Annotated[OutboxStatus, Query()] = "failed") -> OutboxListOut:
    return lifecycle.list_outbox(get_database(), _operator(), location_id, status)


@app.post("/v1/locations/<location_id>/outbox/<event_id>/retry")
def retry_outbox_event(location_id: UUID, event_id: UUID) -> OutboxEventEnvelope:
    return lifecycle.retry_outbox_event(get_database(), _operator(), location_id, event_id, current_time())


def _operator():
    return require_operator(_caller())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
