"""No-show risk for the operator (docs/decisions.md, "No-show risk"): per shift, how many covers may not
come, whom to call, and how much to overbook.  The scores themselves are computed in SQL
(calculate_no_show_risk), on every change of their inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row

from couvert.audit import audit
from couvert.db import Database, RequestContext
from couvert.engine.clock import zone
from couvert.errors import Forbidden, NotFound
from couvert.queries import query
from couvert.records import require_location

TOP_FACTORS = 3  # what a host reads on the call list: the factors that weigh most


def shift_risk(db: Database, caller: RequestContext, location_id: UUID, date: dt.date) -> dict[str, Any]:
    with db.transaction(caller) as conn:
        timezone = require_location(conn, location_id)
        cur = conn.cursor(row_factory=dict_row)
        params = {"location_id": location_id, "date": date}
        shifts = cur.execute(query("shift_risk"), params).fetchall()
        calls = cur.execute(query("shift_risk_calls"), params).fetchall()
        overbooking = cur.execute(query("shift_overbooking"), params).fetchall()
    tz = zone(timezone)
    return {"shifts": [{
        "location_id": str(s["location_id"]), "shift_id": str(s["shift_id"]),
        "reservation_date": s["reservation_date"].isoformat(), "shift_name": s["shift_name"],
        "reservation_count": s["reservation_count"], "total_covers": s["total_covers"],
        "avg_risk_score": float(s["avg_risk_score"]) if s["avg_risk_score"] is not None else None,
        "high_risk_count": s["high_risk_count"],
        "suggested_overbook_covers": int(s["suggested_overbook_covers"]) if s["suggested_overbook_covers"] is not None
        else None,
        "overbooking": [{"ticket_id": str(o["ticket_id"]), "ticket_name": o["ticket_name"],
                         "overbooking_covers": o["overbooking_covers"]}
                        for o in overbooking if o["shift_id"] == s["shift_id"]],
        "to_reconfirm": [_call(c, tz) for c in calls if c["shift_id"] == s["shift_id"]],
    } for s in shifts]}


def _call(row: dict[str, Any], tz) -> dict[str, Any]:
    factors = sorted(row["factors"] or [], key=lambda f: abs(float(f["contribution"])), reverse=True)
    return {"reservation_id": str(row["id"]), "reference": row["reference"],
            "start_at": row["start_at"].astimezone(tz).isoformat(), "party_size": row["party_size"],
            "status": row["status"], "guest_name": f"{row['first_name']} {row['last_name']}".strip(),
            "phone": row["phone"], "no_show_risk_score": round(float(row["no_show_risk_score"]), 4),
            "reconfirmed": row["reconfirmed_at"] is not None,
            "top_factors": [{"factor": f["factor"], "value": f["value"], "contribution": float(f["contribution"])}
                            for f in factors[:TOP_FACTORS]]}


def set_overbooking(db: Database, caller: RequestContext, location_id: UUID, shift_id: UUID, ticket_id: UUID,
                    covers: int) -> dict[str, Any]:
    """How many covers beyond capacity this shift takes for this ticket (the engine honours it).
    A configuration change: owners and managers only (row-level security)."""
    with db.transaction(caller) as conn:
        require_location(conn, location_id)
        params = {"location_id": location_id, "shift_id": shift_id, "ticket_id": ticket_id,
                  "overbooking_covers": covers}
        before = conn.execute(query("shift_ticket"), params).fetchone()
        if before is None:
            raise NotFound("this ticket is not offered in this shift")
        after = conn.execute(query("set_overbooking"), params).fetchone()
        if after is None:
            raise Forbidden("only owners and managers change overbooking")
        audit(conn, caller, location_id, after["id"], "overbooking_change",
              {"overbooking_covers": before["overbooking_covers"]}, {"overbooking_covers": covers},
              entity_type="shift_ticket")
    return {"shift_id": str(shift_id), "ticket_id": str(ticket_id), "overbooking_covers": after["overbooking_covers"]}
