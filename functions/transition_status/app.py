"""Reservation reads, status transitions, changes, operator reads and the Stripe webhook."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from couvert.errors import NotImplementedYet
from couvert.http import create_app, logger, metrics, tracer

app = create_app()


def _later(what: str):
    raise NotImplementedYet(f"{what} is not built yet")


@app.get("/v1/reservations/<reservation_id>")
def get_reservation(reservation_id: UUID, token: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    _later("reading a reservation")


@app.post("/v1/reservations/<reservation_id>/transitions")
def transition(reservation_id: UUID, token: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    _later("status transitions")


@app.post("/v1/reservations/<reservation_id>/reconfirm")
def reconfirm(reservation_id: UUID, token: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    _later("reconfirmation")


@app.patch("/v1/reservations/<reservation_id>")
def change_reservation(reservation_id: UUID) -> dict[str, Any]:
    _later("changing a reservation")


@app.post("/v1/webhooks/stripe")
def stripe_webhook() -> dict[str, Any]:
    _later("the Stripe webhook")


@app.get("/v1/locations/<location_id>/reservations")
def list_reservations(location_id: UUID, date: Annotated[dt.date, Query()],
                      status: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    _later("the reservation list")


@app.get("/v1/locations/<location_id>/shift-risk")
def shift_risk(location_id: UUID, date: Annotated[dt.date, Query()]) -> dict[str, Any]:
    _later("shift risk")


@app.get("/v1/locations/<location_id>/customers/<customer_id>")
def get_customer(location_id: UUID, customer_id: UUID) -> dict[str, Any]:
    _later("customer profiles")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
