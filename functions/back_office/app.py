"""The operator's back office, the routes that read or keep a location's records (docs/api.md): the
evening's list with its floor, the shift's no-show risk and overbooking, guests' cards and their
data (export, erasure), the outbox.  Operators only; a reservation's own moves are transition_status's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths

from couvert import guest_data, guests, records, risk
from couvert.auth import caller_from_event, require_operator
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
from couvert.record_models import CustomerChangeIn, CustomerNoteIn, OverbookingIn
from couvert.reservations import Status
from couvert.settings import current_time, get_settings

# Validated once per cold start: a function missing its configuration fails here, not per request.
SETTINGS = get_settings().require("database", "operator_tokens")
app = create_app()


def _operator():
    # Correlate log lines by the location the request is about (never in metrics).
    logger.append_keys(location_id=(app.current_event.path_parameters or {}).get("location_id"))
    return require_operator(caller_from_event(app.current_event.raw_event))


@app.get("/v1/locations/<location_id>/reservations")
def list_reservations(location_id: UUID, date: Annotated[dt.date, Query()],
                      status: Annotated[Status | None, Query()] = None) -> ReservationListOut:
    return records.list_reservations(get_database(), _operator(), location_id, date, status)


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
    return records.list_outbox(get_database(), _operator(), location_id, status)


@app.post("/v1/locations/<location_id>/outbox/<event_id>/retry")
def retry_outbox_event(location_id: UUID, event_id: UUID) -> OutboxEventEnvelope:
    return records.retry_outbox_event(get_database(), _operator(), location_id, event_id, current_time())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)


settle_after_init()  # the end of init: what it built lives as long as the environment
