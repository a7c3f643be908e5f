"""The pure availability engine: (snapshot, request, now) -> result.  No I/O, no clock."""

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

__all__ = [
    "AvailabilityEngine", "AvailabilityRequest", "Booking", "CalendarDay", "EffectiveShift", "Location",
    "Policy", "ShiftResult", "ShiftTicket", "SlotResult", "Snapshot", "Table", "TableGroup", "TableRule",
    "Ticket", "TicketResult", "calendar_day",
]
