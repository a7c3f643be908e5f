"""Reservation lifecycle use cases: read, transition, reconfirm, operator reads.

The rules are SQL's (transition_reservation_status and its table); this module authenticates the
caller, calls the RPC, and maps its errors to domain errors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert.api_models import money
from couvert.db import Database, RequestContext
from couvert.errors import InvalidTransition, NotFound
from couvert.queries import query
from couvert.reservations import reservation_json


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@contextmanager
def reservation_transaction(db: Database, caller: RequestContext, reservation_id: UUID,
                            token: str | None) -> Iterator[tuple[psycopg.Connection, RequestContext]]:
    """A transaction in which the caller may see this reservation.

    Operators are checked by row-level security.  A guest must present the manage token; a wrong or
    missing one is 404, exactly like a reservation that does not exist.
    """
    if caller.is_operator:
        with _mapped_errors(), db.transaction(caller) as conn:
            yield conn, caller
        return
    if not token:
        raise NotFound("reservation not found")
    with _mapped_errors(), db.transaction(RequestContext.guest(None)) as conn:
        row = conn.execute(query("guest_reservation_location"),
                           {"id": reservation_id, "token_hash": token_hash(token)}).fetchone()
        if row is None or row["location_id"] is None:
            raise NotFound("reservation not found")
        conn.execute(query("open_guest_location"), {"location_id": row["location_id"]})
        yield conn, RequestContext.guest(row["location_id"])


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        if error.sqlstate == "CV404":
            raise NotFound("reservation not found") from None
        if error.sqlstate == "CV409":
            raise InvalidTransition(error.diag.message_primary or "transition not allowed",
                                    current_status=error.diag.message_detail) from None
        raise


def _load(conn: psycopg.Connection, reservation_id: UUID) -> dict[str, Any]:
    row = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id}).fetchone()
    if row is None:
        raise NotFound("reservation not found")
    return row


def get_reservation(db: Database, caller: RequestContext, reservation_id: UUID,
                    token: str | None) -> dict[str, Any]:
    with reservation_transaction(db, caller, reservation_id, token) as (conn, who):
        return reservation_json(_load(conn, reservation_id), for_guest=not who.is_operator)


def transition(db: Database, caller: RequestContext, reservation_id: UUID, to: str, reason: str | None,
               now: dt.datetime, token: str | None = None, expected_from: str | None = None) -> dict[str, Any]:
    with reservation_transaction(db, caller, reservation_id, token) as (conn, who):
        result = conn.execute(query("transition"), {
            "id": reservation_id, "to": to, "reason": reason, "actor_type": who.actor_type,
            "actor_id": who.user_uuid, "now": now, "expected_from": expected_from}).fetchone()["result"]
        row = _load(conn, reservation_id)
    body: dict[str, Any] = {"reservation": reservation_json(row, for_guest=not who.is_operator)}
    if to == "cancelled":
        body["refund"] = {"amount": money(Decimal(result["refund_cents"]) / 100), "currency": row["currency"]}
    return body


def system_transition(conn: psycopg.Connection, reservation_id: UUID, to: str, reason: str,
                      now: dt.datetime) -> dict[str, Any]:
    """A transition made by the system (webhook, sweeps) inside the caller's transaction."""
    with _mapped_errors():
        return conn.execute(query("transition"), {"id": reservation_id, "to": to, "reason": reason,
                                                  "actor_type": "system", "actor_id": None, "now": now,
                                                  "expected_from": None}).fetchone()["result"]


def reconfirm(db: Database, caller: RequestContext, reservation_id: UUID, token: str | None,
              now: dt.datetime) -> dict[str, Any]:
    with reservation_transaction(db, caller, reservation_id, token) as (conn, who):
        if conn.execute(query("reconfirm"), {"id": reservation_id, "now": now}).fetchone() is None:
            current = conn.execute(query("reservation_status"), {"id": reservation_id}).fetchone()
            raise InvalidTransition("only a confirmed reservation can be reconfirmed",
                                    current_status=current["status"] if current else None)
        row = _load(conn, reservation_id)
        conn.execute(query("insert_audit"), {
            "location_id": row["location_id"], "entity_type": "reservation", "entity_id": reservation_id,
            "action": "reconfirmed", "old_value": None, "new_value": Jsonb({"reconfirmed_at": now.isoformat()}),
            "performed_by": who.user_uuid, "performed_by_type": who.actor_type})
    return {"reservation": reservation_json(row, for_guest=not who.is_operator)}


# -- operator reads -------------------------------------------------------------------------------

def require_location(conn: psycopg.Connection, location_id: UUID) -> None:
    """404 unless the caller may see the location (row-level security decides)."""
    if conn.execute(query("location_visible"), {"location_id": location_id}).fetchone() is None:
        raise NotFound("location not found")


def list_reservations(db: Database, caller: RequestContext, location_id: UUID, date: dt.date,
                      status: str | None) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        rows = conn.cursor(row_factory=dict_row).execute(
            query("list_reservations"), {"location_id": location_id, "date": date, "status": status}).fetchall()
    return {"reservations": [reservation_json(r, for_guest=False) for r in rows]}


def shift_risk(db: Database, caller: RequestContext, location_id: UUID, date: dt.date) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        rows = conn.cursor(row_factory=dict_row).execute(
            query("shift_risk"), {"location_id": location_id, "date": date}).fetchall()
    return {"shifts": [{**r, "location_id": str(r["location_id"]), "shift_id": str(r["shift_id"]),
                        "reservation_date": r["reservation_date"].isoformat(),
                        "avg_risk_score": float(r["avg_risk_score"]) if r["avg_risk_score"] is not None else None,
                        "suggested_overbook_covers": (int(r["suggested_overbook_covers"])
                                                      if r["suggested_overbook_covers"] is not None else None)}
                       for r in rows]}


def get_customer(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        cur = conn.cursor(row_factory=dict_row)
        customer = cur.execute(query("customer_by_id"), {"location_id": location_id,
                                                         "customer_id": customer_id}).fetchone()
        if customer is None:
            raise NotFound("customer not found")
        history = cur.execute(query("customer_history"), {"location_id": location_id,
                                                          "customer_id": customer_id}).fetchall()
    out = {k: (str(v) if isinstance(v, UUID) else v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
           for k, v in customer.items()}
    out["avg_spend_per_visit"] = money(customer["avg_spend_per_visit"])
    out["history"] = [{"id": str(h["id"]), "reference": h["reference"], "date": h["reservation_date"].isoformat(),
                       "start_time": h["start_time"].strftime("%H:%M"), "party_size": h["party_size"],
                       "status": h["status"], "channel": h["channel"], "ticket_id": str(h["ticket_id"])}
                      for h in history]
    return out
