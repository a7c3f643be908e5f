"""Shared helpers for booking tests."""

from __future__ import annotations

import psycopg

from couvert_dev.tokens import issue_dev_token
from tests.clock import iso
from tests.conftest import JWT_SECRET
from tests.support import call

DAY = iso(9)  # a Wednesday, nine days after the pinned Monday


def ids(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url) as conn:
        names = dict(conn.execute("select name, id::text from tickets").fetchall())
        names |= {f"table:{n}": i for n, i in conn.execute("select name, id::text from tables").fetchall()}
    return names


def booking_body(ticket_id: str, time: str = "19:00", party_size: int = 2, **extra) -> dict:
    body = {"ticket_id": ticket_id, "date": DAY, "time": time, "party_size": party_size,
            "guest": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                      "phone": "+31 6 12345678", "locale": "nl"}}
    body.update(extra)
    return body


def book(location_id, body, key: str | None = None, user: str | None = None):
    headers = {}
    if key:
        headers["idempotency-key"] = key
    if user:
        headers["authorization"] = f"Bearer {issue_dev_token(user, JWT_SECRET)}"
    return call("create_reservation", "POST", f"/v1/locations/{location_id}/reservations", body=body,
                headers=headers)


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("reservations", "customers", "table_occupancies", "audit_log", "outbox_events",
                          "idempotency_keys")}
