"""Idempotency-Key (docs/api.md "Creating a reservation"): the same key and body give the first
booking again, never a second one; another body is 409.  Nothing secret is stored for the replay: the
answer is rebuilt from the reservation, and its secrets (the manage token, derived again; the Stripe
client secret, fetched again) go only to the caller who made the booking.  A key lives one day."""

import datetime as dt
from typing import Any, NamedTuple
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


class BookingResult(NamedTuple):
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class Claim(NamedTuple):
    """A booking's claim of its Idempotency-Key, bound to the request and the caller (open_booking
    claims it in the booking's first round trip; book_reservation remembers the reservation)."""

    key: str
    request_hash: str
    fingerprint: str
    now: dt.datetime


class Replay(NamedTuple):
    """The first booking made under a key: what a later request with the same key is answered."""

    reservation_id: UUID
    status_code: int
    request_hash: str
    fingerprint: str


def claim_params(claim: Claim | None) -> dict[str, Any]:
    """open_booking's parameters for the claim (all null: no key)."""
    if claim is None:
        return {"key": None, "request_hash": None, "fingerprint": None, "key_expires_at": None}
    return {"key": claim.key, "request_hash": claim.request_hash, "fingerprint": claim.fingerprint,
            "key_expires_at": claim.now + KEY_LIFETIME}


def replay_of(opened: dict[str, Any]) -> Replay | None:
    """The first booking, when open_booking found the key used (and claimed nothing)."""
    if not opened["replayed"]:
        return None
    return Replay(opened["replay_reservation_id"], opened["replay_status_code"], opened["replay_request_hash"],
                  opened["replay_fingerprint"])


def replay(conn: psycopg.Connection, caller: RequestContext, first: Replay, claim: Claim,
           payments=None) -> BookingResult:
    """The first booking's answer again; another body under the same key is a conflict.  Its secrets
    go only to the caller who made it."""
    if first.request_hash != claim.request_hash:
        raise IdempotencyConflict("this Idempotency-Key was used with another request")
    focus_guest(conn, first.reservation_id)
    return BookingResult(first.status_code, answer(conn, caller, first.reservation_id,
                                                   first.fingerprint == caller.fingerprint, payments=payments),
                         replayed=True)


def answer(conn: psycopg.Connection | None, caller: RequestContext, reservation_id: UUID, with_secrets: bool,
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
