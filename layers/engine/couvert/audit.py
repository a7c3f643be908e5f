"""The one audit writer: every change a person or the system makes to a reservation leaves a row in
audit_log, in the same transaction as the change (the status machine writes its own in SQL)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from couvert.db import RequestContext
from couvert.queries import query


def audit(conn: psycopg.Connection, caller: RequestContext, location_id: UUID, reservation_id: UUID,
          action: str, old: Any, new: Any) -> None:
    """Record `action` on a reservation by `caller`, with its old and new value (JSON)."""
    conn.execute(query("insert_audit"), {
        "location_id": location_id, "entity_type": "reservation", "entity_id": reservation_id,
        "action": action, "old_value": None if old is None else Jsonb(old),
        "new_value": None if new is None else Jsonb(new),
        "performed_by": caller.user_uuid, "performed_by_type": caller.actor_type})


def id_text(value: UUID | None) -> str | None:
    """An id as audit JSON writes it."""
    return str(value) if value else None
