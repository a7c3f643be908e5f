"""A guest's data at one location (GDPR): everything we hold about them as one JSON document, and
erasure (docs/decisions.md, "Guests' data").  Owners and managers only: it is the restaurant, as
controller, that answers a guest's request."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from couvert.db import Database, RequestContext
from couvert.errors import Forbidden, NotFound
from couvert.queries import query
from couvert.records import require_location


def _require_manager(conn: psycopg.Connection, location_id: UUID) -> None:
    require_location(conn, location_id)
    if not conn.execute(query("may_manage_location"), {"location_id": location_id}).fetchone()["allowed"]:
        raise Forbidden("only owners and managers handle a guest's data requests")


def _json(rows: Any) -> Any:
    return json.loads(json.dumps(rows, default=str))  # dates, uuids and decimals as text


def export(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID,
           now: dt.datetime) -> dict[str, Any]:
    params = {"location_id": location_id, "customer_id": customer_id}
    with db.transaction(caller) as conn:
        _require_manager(conn, location_id)
        cur = conn.cursor(row_factory=dict_row)
        customer = cur.execute(query("export_customer"), params).fetchone()
        if customer is None:
            raise NotFound("customer not found")
        document = {
            "exported_at": now.isoformat(), "location_id": str(location_id), "customer": customer,
            "reservations": cur.execute(query("export_reservations"), params).fetchall(),
            "waitlist_entries": cur.execute(query("export_waitlist"), params).fetchall(),
            "notes": cur.execute(query("export_notes"), params).fetchall(),
            "messages": cur.execute(query("export_messages"), params).fetchall(),
            "audit_trail": cur.execute(query("export_audit"), params).fetchall(),
        }
    return _json(document)


def erase(db: Database, caller: RequestContext, location_id: UUID, customer_id: UUID,
          now: dt.datetime) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        _require_manager(conn, location_id)
        counts = conn.execute(query("erase_customer"), {"location_id": location_id, "customer_id": customer_id,
                                                        "now": now}).fetchone()["counts"]
    return {"customer_id": str(customer_id), "erased_at": now.isoformat(), "erased": counts}
