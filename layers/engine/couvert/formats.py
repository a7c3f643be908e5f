"""How times and amounts are written in answers and audit rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID


def hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def money(value: Decimal | None) -> str | None:
    """Amounts travel as strings with two decimals ("25.00"), never as floats."""
    return f"{value:.2f}" if value is not None else None


def plain(value: Any) -> Any:
    """A column value as JSON carries it: ids and moments as text, the rest as they are."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")  # the API's HH:MM
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row (or any mapping of column values) as JSON carries it."""
    return {k: plain(v) for k, v in row.items()}
