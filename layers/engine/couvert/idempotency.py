"""Idempotency-Key (docs/api.md "Creating a reservation"): the same key and body give the first
booking again, never a second one; another body is 409.  Nothing secret is stored for the replay: the
answer is rebuilt from the reservation, and its secrets (the manage token, derived again; the Stripe
client secret, fetched again) go only to the caller who made the booking.  A key lives one day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert.db import RequestContext, focus_guest
from couvert.engine.clock import zone
from couvert.errors import IdempotencyConflict
from couvert.formats import money
from couvert.manage_tokens import manage_token
from couvert.queries import query
from couvert.reservations import reservation_json

KEY_LIFETIME = dt.timedelta(hours=24)


@dataclass(frozen=True)
class BookingResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def claim(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, key: str, digest: str,
          now: dt.datetime, payments=None) -> BookingResult | None:
    """Claim the key for this booking (None), or the first booking's answer when it is a replay."""
    params = {"location_id": location_id, "key": key, "request_hash": digest, "now": now,
              "fingerprint": caller.fingerprint, "expires_at": now + KEY_LIFETIME}
    if conn.execute(query("claim_idempotency_key"), params).fetchone() is not None:
        return None
    record = conn.execute(query("idempotency_record"), params).fetchone()
    if record["request_hash"] != digest:
        raise IdempotencyConflict("this Idempotency-Key was used with another request")
    with_secrets = record["caller_fingerprint"] == caller.fingerprint
    focus_guest(conn, record["reservation_id"])
    return BookingResult(record["status_code"], answer(conn, caller, record["reservation_id"], with_secrets,
                                                       payments=payments), replayed=True)


def store(conn: psycopg.Connection, location_id: UUID, key: str, status_code: int, reservation_id: UUID) -> None:
    conn.execute(query("store_idempotent_response"), {
        "location_id": location_id, "key": key, "status_code": status_code, "reservation_id": reservation_id})


def answer(conn: psycopg.Connection, caller: RequestContext, reservation_id: UUID, with_secrets: bool,
           client_secret: str | None = None, payments=None, row: dict[str, Any] | None = None) -> dict[str, Any]:
    """The booking's answer as it stands: the reservation, its payment and (for its maker) secrets.
    `row`: the reservation as reservation_by_id reads it, when the caller has it (a new booking's insert
    returns it); else it is read."""
    if row is None:
        row = conn.cursor(row_factory=dict_row).execute(query("reservation_by_id"), {"id": reservation_id}).fetchone()
    payment = None
    if row["payment_intent_id"]:
        if with_secrets and client_secret is None:
            from couvert.payments import get_payments

            client_secret = (payments or get_payments()).retrieve_payment_intent(row["payment_intent_id"]).client_secret
        hold = row["hold_expires_at"]
        payment = {"provider": "stripe", "payment_intent_id": row["payment_intent_id"],
                   "client_secret": client_secret if with_secrets else None, "amount": money(row["payment_amount"]),
                   "currency": row["currency"], "expires_at": hold.astimezone(zone(row["timezone"])).isoformat()
                   if hold else None}
    return {"reservation": reservation_json(row, for_guest=not caller.is_operator), "payment": payment,
            "manage_token": manage_token(reservation_id) if with_secrets else None}
