"""The one audit writer: every change a person or the system makes to a reservation leaves a row in
audit_log, in the same transaction as the change (the status machine writes its own in SQL, and a
booking's insert its 'created' row, with the values audit_values gives)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from couvert.db import RequestContext
from couvert.queries import query


def audit(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, entity_id: UUID,
          action: str, old: Any, new: Any, entity_type: str = "reservation") -> None:
    """Record `action` on an entity (a reservation unless named) by `caller`, with its old and new
    value (JSON).  The database records the request's actor, whatever is passed here."""
    conn.execute(query("insert_audit"), {"location_id": location_id, "entity_type": entity_type,
                                         "entity_id": entity_id, "action": action, **audit_values(caller, old, new)})


def audit_values(caller: RequestContext, old: Any, new: Any) -> dict[str, Any]:
    """An audit row's old and new value and who acted: for insert_audit, and for a booking's insert,
    which writes its 'created' row in the same statement (booking.sql, book_reservation)."""
    return {"old_value": None if old is None else Jsonb(old), "new_value": None if new is None else Jsonb(new),
            "performed_by": caller.user_uuid, "performed_by_type": caller.actor_type}


def id_text(value: UUID | None) -> str | None:
    """An id as audit JSON writes it."""
    return str(value) if value else None
