"""The guest record as operators keep it (docs/decisions.md, "Guest records"): the card (stats, tags,
preferences, notes, history), changes by operators, and notes, some of them alerts shown with every
booking of that guest.  Bookings never change a customer (couvert.customers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from couvert.audit import audit
from couvert.db import Database, RequestContext
from couvert.errors import NotFound
from couvert.formats import money, plain, plain_row
from couvert.phones import e164
from couvert.queries import query
from couvert.records import require_location


def get_customer(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        return _card(conn, location_id, customer_id)


def _card(conn: psycopg.Connection, location_id: UUID, customer_id: UUID) -> dict[str, Any]:
    """The customer card: the record, their visits and the notes kept about them."""
    params = {"location_id": location_id, "customer_id": customer_id}
    cur = conn.cursor(row_factory=dict_row)
    customer = cur.execute(query("customer_by_id"), params).fetchone()
    if customer is None:
        raise NotFound("customer not found")
    history = cur.execute(query("customer_history"), params).fetchall()
    notes = cur.execute(query("customer_notes"), params).fetchall()
    out = plain_row(customer)
    out["avg_spend_per_visit"] = money(customer["avg_spend_per_visit"])
    out["history"] = [{"id": str(h["id"]), "reference": h["reference"], "date": h["reservation_date"].isoformat(),
                       "start_time": h["start_time"].strftime("%H:%M"), "party_size": h["party_size"],
                       "status": h["status"], "channel": h["channel"], "ticket_id": str(h["ticket_id"])}
                      for h in history]
    out["notes_log"] = [plain_row(n) for n in notes]
    out["alerts"] = [plain_row(n) for n in notes if n["is_alert"]]
    return out


def update_customer(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the fields given (a null phone or notes clears them); audited field by field."""
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        cur = conn.cursor(row_factory=dict_row)
        params = {"location_id": location_id, "customer_id": customer_id}
        before = cur.execute(query("customer_by_id"), params).fetchone()
        if before is None:
            raise NotFound("customer not found")
        if "phone_number" in changes:
            country = cur.execute(query("location_country"), params).fetchone()["country"]
            changes["phone_number"] = e164(changes["phone_number"], country, field="phone_number")
        row = cur.execute(query("update_customer"), {
            **params, "first_name": changes.get("first_name"), "last_name": changes.get("last_name"),
            "phone_given": "phone_number" in changes, "phone_number": changes.get("phone_number"),
            "notes_given": "notes" in changes, "notes": changes.get("notes"),
            "preferences": Jsonb(changes["preferences"]) if "preferences" in changes else None,
            "operator_tags": Jsonb(changes["operator_tags"]) if "operator_tags" in changes else None,
            "sms_opt_out": changes.get("sms_opt_out"), "locale": changes.get("locale")}).fetchone()
        if row is None:
            raise NotFound("customer not found")  # erased guests are not edited back to life
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if changed:
            audit(conn, caller, location_id, customer_id, "customer_change",
                  {k: plain(before[k]) for k in changed}, plain_row(changed),
                  entity_type="customer")
        return _card(conn, location_id, customer_id)


def add_note(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID, note: str,
             note_type: str, is_alert: bool) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        cur = conn.cursor(row_factory=dict_row)
        if cur.execute(query("customer_by_id"), {"location_id": location_id, "customer_id": customer_id}).fetchone() is None:
            raise NotFound("customer not found")
        row = cur.execute(query("add_customer_note"), {
            "location_id": location_id, "customer_id": customer_id, "note": note, "note_type": note_type,
            "is_alert": is_alert, "created_by": caller.user_id}).fetchone()
    return {"note": plain_row(row)}
