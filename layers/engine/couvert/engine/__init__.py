"""The pure availability engine: (snapshot, request, now) -> result.  No I/O, no clock.

Names are loaded on first use (PEP 562), so that importing `couvert.engine.clock` alone, as the
settings, the manage links and the status machine do, does not build the engine's model classes
in functions that never run it (the scheduled function, the Stripe webhook)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__all__ = [
    "AvailabilityEngine", "AvailabilityRequest", "Booking", "CalendarDay", "EffectiveShift", "Location",
    "Policy", "ShiftResult", "ShiftTicket", "SlotResult", "Snapshot", "Table", "TableGroup", "TableRule",
    "Ticket", "TicketResult", "calendar_day",
]
_IN_AVAILABILITY = {"AvailabilityEngine", "CalendarDay", "calendar_day"}  # the rest are in model


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = "availability" if name in _IN_AVAILABILITY else "model"
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # for readers and type checkers: the same names, imported eagerly
    from couvert.engine.availability import AvailabilityEngine, CalendarDay, calendar_day
    from couvert.engine.model import (
        AvailabilityRequest,
        Booking,
        EffectiveShift,
        Location,
        Policy,
        ShiftResult,
        ShiftTicket,
        SlotResult,
        Snapshot,
        Table,
        TableGroup,
        TableRule,
        Ticket,
        TicketResult,
    )
