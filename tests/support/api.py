"""Calling the API as guests and operators: bookings, reservations, memberships, tokens."""

from __future__ import annotations

import datetime as dt

import psycopg

from couvert_dev.tokens import issue_dev_token
from tests.support import call
from tests.support.clock import iso

# Secrets the test harness configures the handlers with.
JWT_SECRET = "test-secret-that-is-long-enough-for-hs256"
WEBHOOK_SECRET = "whsec_test_couvert"
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


def book(location_id, body, key: str | None = None, user: str | None = None, source_ip: str = "127.0.0.1"):
    headers = {}
    if key:
        headers["idempotency-key"] = key
    if user:
        headers["authorization"] = f"Bearer {issue_dev_token(user, JWT_SECRET)}"
    return call("create_reservation", "POST", f"/v1/locations/{location_id}/reservations", body=body,
                headers=headers, source_ip=source_ip)


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("reservations", "customers", "table_occupancies", "audit_log", "outbox_events",
                          "idempotency_keys")}


def availability(location_id, **query):
    query = {"date": DAY, "party_size": 2, **query}
    return call("check_availability", "GET", f"/v1/locations/{location_id}/availability", query=query,
                headers=query.pop("headers", None))


def add_member(database_url, location_id, user, role="host"):
    with psycopg.connect(database_url) as conn:
        conn.execute("insert into location_members (location_id, user_id, role) values (%s, %s, %s)",
                     (location_id, user, role))


def op(user):
    return {"authorization": f"Bearer {issue_dev_token(user, JWT_SECRET)}"}


def res(method, rid, suffix="", **kw):
    return call("transition_status", method, f"/v1/reservations/{rid}{suffix}", **kw)


class Restaurant:
    """The set-ups tests repeat, as one call each (the `restaurant` fixture): which tables are open and
    what pacing allows.  Tables are named (R1) or given by id."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def only_tables(self, *keep: str) -> None:
        with psycopg.connect(self.database_url) as conn:
            conn.execute("update tables set is_active = (name = any(%(keep)s) or id::text = any(%(keep)s))",
                         {"keep": [str(k) for k in keep]})

    def without_pacing(self) -> None:
        with psycopg.connect(self.database_url) as conn:
            conn.execute("update shift_tickets set pacing_covers_limit = null")


def insert_stays(conn, location_id, zone, stays: dict, ticket=None, shift=None) -> dict:
    """Confirmed stays {name: (start, occupied)}, each ending two hours after it starts, written as rows
    (on dates and at times the API would refuse to book); their ids.  Of the location's first shift
    ticket, or of `ticket` on `shift`."""
    ticket, shift = (ticket, shift) if ticket else conn.execute(
        "select ticket_id, shift_id from shift_tickets where location_id = %s limit 1", (location_id,)).fetchone()
    ids = {}
    for name, (start, occupied) in stays.items():
        ids[name] = conn.execute(
            """insert into reservations (location_id, ticket_id, shift_id, reservation_date, start_time, end_time,
                 party_size, status, reference, start_at, end_at, occupied_until)
               values (%s, %s, %s, %s, %s, %s, 2, 'confirmed', %s, %s, %s, %s) returning id""",
            (location_id, ticket, shift, start.astimezone(zone).date(), start.astimezone(zone).time(),
             (start + dt.timedelta(hours=2)).astimezone(zone).time(), name.upper()[:6].ljust(6, "X"),
             start, start + dt.timedelta(hours=2), start + occupied)).fetchone()[0]
    conn.commit()
    return ids
