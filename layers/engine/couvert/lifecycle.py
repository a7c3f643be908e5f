"""Reservation lifecycle use cases: read, transition, reconfirm (the operator's location-wide reads
are couvert.records).

The rules are SQL's (transition_reservation_status and its table); this module authenticates the
caller, calls the RPC, and maps its errors to domain errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert.audit import audit, id_text
from couvert.db import Database, RequestContext
from couvert.engine.clock import zone
from couvert.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from couvert.formats import money
from couvert.manage_tokens import token_hash
from couvert.queries import query
from couvert.reservations import reservation_json
from couvert.seating import free_seat, recheck


@contextmanager
def reservation_transaction(db: Database, caller: RequestContext, reservation_id: UUID,
                            token: str | None, now: dt.datetime) -> Iterator[tuple[psycopg.Connection, RequestContext]]:
    """A transaction in which the caller may see this reservation.

    Operators are checked by row-level security.  A guest must present the manage token, valid until
    30 days after the visit; a wrong, expired or missing one is 404, exactly like a reservation that
    does not exist.
    """
    if caller.is_operator:
        with db.transaction(caller) as conn:
            yield conn, caller
        return
    if not token:
        raise NotFound("reservation not found")
    with db.transaction(RequestContext.guest(None)) as conn:
        row = conn.execute(query("guest_reservation_location"),
                           {"id": reservation_id, "token_hash": token_hash(token), "now": now}).fetchone()
        if row is None or row["location_id"] is None:
            raise NotFound("reservation not found")
        conn.execute(query("open_guest_reservation"), {"location_id": row["location_id"], "id": reservation_id})
        yield conn, RequestContext.guest(row["location_id"])


def _load(conn: psycopg.Connection, reservation_id: UUID) -> dict[str, Any]:
    row = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id}).fetchone()
    if row is None:
        raise NotFound("reservation not found")
    return row


def get_reservation(db: Database, caller: RequestContext, reservation_id: UUID,
                    token: str | None, now: dt.datetime) -> dict[str, Any]:
    """The reservation as this caller may see it, with what cancelling it now would refund (shown
    before the guest or host confirms a cancellation); `cancellation` is null when they cannot."""
    with reservation_transaction(db, caller, reservation_id, token, now) as (conn, who):
        row = _load(conn, reservation_id)
        terms = conn.execute(query("cancellation_terms"), {"id": reservation_id, "now": now}).fetchone()
    body = reservation_json(row, for_guest=not who.is_operator)
    body["cancellation"] = None if terms is None else {
        "refund": {"amount": money(Decimal(terms["refund_cents"]) / 100), "currency": row["currency"]},
        "free_until": terms["free_until"].astimezone(zone(row["timezone"])).isoformat()}
    return body


def calendar_file(db: Database, caller: RequestContext, reservation_id: UUID, token: str | None,
                  now: dt.datetime, public_base_url: str) -> bytes:
    """The reservation as an iCalendar file (the widget's "add to calendar"), the same event the
    guest's messages carry: same UID, and the SEQUENCE of the latest message sent about it."""
    from couvert.messages import calendar_file_for

    with reservation_transaction(db, caller, reservation_id, token, now) as (conn, _who):
        row = conn.cursor(row_factory=dict_row).execute(query("calendar_facts"), {"id": reservation_id}).fetchone()
    if row is None:
        raise NotFound("reservation not found")
    return calendar_file_for(row, now, public_base_url)


def transition(db: Database, caller: RequestContext, reservation_id: UUID, to: str, reason: str | None,
               now: dt.datetime, token: str | None = None, expected_from: str | None = None,
               table_id: UUID | None = None) -> dict[str, Any]:
    if table_id is not None and not caller.is_operator:
        raise Forbidden("only operators choose a table", field="table_id")
    with reservation_transaction(db, caller, reservation_id, token, now) as (conn, who):
        if who.is_operator:
            _prepare_operator_move(conn, who, reservation_id, to, now, table_id)
        result = conn.execute(query("transition"), {
            "id": reservation_id, "to": to, "reason": reason, "now": now,
            "expected_from": expected_from}).fetchone()["result"]
        row = _load(conn, reservation_id)
    body: dict[str, Any] = {"reservation": reservation_json(row, for_guest=not who.is_operator)}
    if to == "cancelled":
        body["refund"] = {"amount": money(Decimal(result["refund_cents"]) / 100), "currency": row["currency"]}
    return body


def _prepare_operator_move(conn: psycopg.Connection, who: RequestContext, reservation_id: UUID, to: str,
                           now: dt.datetime, table_id: UUID | None) -> None:
    """What an operator's move needs before the status machine takes it, decided by the engine:
    an expired option is re-booked (its slot re-checked as if booked now), and a guest arriving after
    a no-show gets a table that is free now (theirs, the host's choice, or the engine's)."""
    current = conn.cursor(row_factory=dict_row).execute(query("reservation_for_change"),
                                                        {"id": reservation_id}).fetchone()
    if current is None:
        return  # the status machine answers 404
    if current["status"] == "option" and to == "confirmed" and current["option_expires_at"] <= now:
        stay = recheck(conn, current, now, booking_window="skip")
        with conn.pipeline():
            conn.execute(query("take_stay"), {"id": reservation_id, **stay.columns()})
            conn.execute(query("clear_option_expiry"), {"id": reservation_id})
        audit(conn, who, current["location_id"], reservation_id, "option_rebooked",
              {"option_expires_at": current["option_expires_at"].isoformat()},
              {"table_id": id_text(stay.table_id), "table_group_id": id_text(stay.table_group_id)})
    elif current["status"] == "no_show" and to == "seated":
        seat = free_seat(conn, current, now, table_id)
        if seat != (current["table_id"], current["table_group_id"]):
            conn.execute(query("move_to_table"), {"id": reservation_id, "table_id": seat[0],
                                                  "table_group_id": seat[1]})
            audit(conn, who, current["location_id"], reservation_id, "table_change",
                  {"table_id": id_text(current["table_id"]), "table_group_id": id_text(current["table_group_id"])},
                  {"table_id": id_text(seat[0]), "table_group_id": id_text(seat[1])})
    elif table_id is not None:
        raise ValidationFailed("a table is chosen in a transition only when seating a guest after a no-show",
                               fields={"table_id": "only with no_show -> seated"})



def system_transition(conn: psycopg.Connection, reservation_id: UUID, to: str, reason: str,
                      now: dt.datetime) -> dict[str, Any]:
    """A transition made by the system (webhook, sweeps) inside the worker's transaction."""
    return conn.execute(query("transition"), {"id": reservation_id, "to": to, "reason": reason, "now": now,
                                              "expected_from": None}).fetchone()["result"]


def reconfirm(db: Database, caller: RequestContext, reservation_id: UUID, token: str | None,
              now: dt.datetime) -> dict[str, Any]:
    with reservation_transaction(db, caller, reservation_id, token, now) as (conn, who):
        if conn.execute(query("reconfirm"), {"id": reservation_id, "now": now}).fetchone() is None:
            current = conn.execute(query("reservation_status"), {"id": reservation_id}).fetchone()
            raise InvalidTransition("only a confirmed reservation can be reconfirmed",
                                    current_status=current["status"] if current else None)
        row = _load(conn, reservation_id)
        audit(conn, who, row["location_id"], reservation_id, "reconfirmed", None, {"reconfirmed_at": now.isoformat()})
    return {"reservation": reservation_json(row, for_guest=not who.is_operator)}
