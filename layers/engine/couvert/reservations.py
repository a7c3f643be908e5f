"""The Reservation object of docs/api.md, built from a reservation_by_id row."""

from __future__ import annotations

from typing import Any, Literal

from couvert.engine.clock import zone
from couvert.formats import hhmm, money

Status = Literal["draft", "pending_payment", "option", "confirmed", "seated", "completed", "no_show", "cancelled"]

# Fields a guest never sees (docs/api.md): operator notes and the risk model's reasoning.
OPERATOR_ONLY = ("internal_notes", "risk_factors")


def reservation_json(row: dict[str, Any], for_guest: bool) -> dict[str, Any]:
    tz = zone(row["timezone"])
    body = {
        "id": str(row["id"]), "reference": row["reference"], "location_id": str(row["location_id"]),
        "ticket_id": str(row["ticket_id"]), "shift_id": str(row["shift_id"]), "status": row["status"],
        "date": row["reservation_date"].isoformat(), "start_time": hhmm(row["start_time"]),
        "end_time": hhmm(row["end_time"]), "start_at": row["start_at"].astimezone(tz).isoformat(),
        "end_at": row["end_at"].astimezone(tz).isoformat(), "party_size": row["party_size"],
        "channel": row["channel"], "is_squeeze": row["is_squeeze"],
        "table_id": str(row["table_id"]) if row["table_id"] else None,
        "table_group_id": str(row["table_group_id"]) if row["table_group_id"] else None,
        "customer": _contact(row) if for_guest else _customer(row),
        "payment_status": row["payment_status"], "payment_amount": money(row["payment_amount"]),
        "option_expires_at": _iso(row["option_expires_at"], tz),
        "reconfirm_sent_at": _iso(row["reconfirm_sent_at"], tz), "reconfirmed_at": _iso(row["reconfirmed_at"], tz),
        "no_show_risk_score": row["no_show_risk_score"], "risk_factors": row["risk_factors"],
        "badges": row["badges"], "guest_notes": row["guest_notes"], "internal_notes": row["internal_notes"],
        "created_at": _iso(row["created_at"], tz), "updated_at": _iso(row["updated_at"], tz),
    }
    if for_guest:
        for field in OPERATOR_ONLY:
            body.pop(field)
    else:
        body["contact"] = _contact(row)
        body["alerts"] = row.get("alerts") or []  # the guest's alert notes, shown with every booking
    return body


def _customer(row: dict[str, Any]) -> dict[str, Any]:
    """The customer record the booking was matched to (operators only)."""
    return {"id": str(row["customer_id"]) if row["customer_id"] else None, "first_name": row["first_name"],
            "last_name": row["last_name"], "email": row["email"], "phone_number": row["phone_number"]}


def _contact(row: dict[str, Any]) -> dict[str, Any]:
    """What this booking gave: all a guest ever sees of the customer (never the record on file)."""
    return {"id": str(row["customer_id"]) if row["customer_id"] else None, "first_name": row["contact_first_name"],
            "last_name": row["contact_last_name"], "email": row["contact_email"],
            "phone_number": row["contact_phone"]}


def _iso(value, tz) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None
