"""Availability's response bodies (docs/api.md), as pydantic models so the OpenAPI document describes
them; and the mapping from engine results to them.  Apart from the request models (api_models.py)
so that check_availability, which answers them and reads no body, imports no e-mail validation."""

import datetime as dt
from uuid import UUID

from couvert.availability_service import DayAvailability
from couvert.engine import CalendarDay
from couvert.engine.model import Location, Policy
from couvert.formats import hhmm, money
from couvert.shapes import Shape


class PolicyOut(Shape):
    payment_type: str
    payment_amount: str | None
    currency: str
    cancel_free_hours: int
    cancel_refund_pct: int
    reconfirm_enabled: bool

    @classmethod
    def of(cls, policy: Policy, currency: str) -> "PolicyOut":
        return cls(payment_type=policy.payment_type, payment_amount=money(policy.payment_amount), currency=currency,
                   cancel_free_hours=policy.cancel_free_hours, cancel_refund_pct=policy.cancel_refund_pct,
                   reconfirm_enabled=policy.reconfirm_enabled)


class SlotOut(Shape):
    time: str
    available: bool
    slot_type: str
    reason_code: str
    duration_minutes: int


class ShiftOut(Shape):
    shift_id: UUID
    name: str
    closed: bool
    label: str | None
    slots: list[SlotOut]


class TicketOut(Shape):
    ticket_id: UUID
    name: str
    description: str | None
    policy: PolicyOut
    shifts: list[ShiftOut]


class AvailabilityOut(Shape):
    location_id: UUID
    date: dt.date
    timezone: str
    party_size: int
    channel: str
    tickets: list[TicketOut]

    @classmethod
    def of(cls, day: DayAvailability) -> "AvailabilityOut":
        location, request = day.location, day.request
        return cls(
            location_id=location.id, date=request.date, timezone=location.timezone,
            party_size=request.party_size, channel=request.channel,
            tickets=[TicketOut(
                ticket_id=t.ticket.id, name=t.ticket.name, description=t.ticket.description,
                policy=PolicyOut.of(t.ticket.policy, location.currency),
                shifts=[ShiftOut(shift_id=s.shift.shift_id, name=s.shift.name, closed=s.shift.closed,
                                 label=s.shift.label,
                                 slots=[SlotOut(time=hhmm(slot.time), available=slot.available,
                                                slot_type=slot.slot_type, reason_code=slot.reason_code,
                                                duration_minutes=slot.duration_minutes)
                                        for slot in s.slots])
                        for s in t.shifts])
                for t in day.tickets])


class CalendarDayOut(Shape):
    date: dt.date
    status: str
    available_slots: int
    first_available: str | None


class CalendarOut(Shape):
    location_id: UUID
    timezone: str
    party_size: int
    days: list[CalendarDayOut]

    @classmethod
    def of(cls, location: Location, party_size: int, days: list[CalendarDay]) -> "CalendarOut":
        return cls(location_id=location.id, timezone=location.timezone, party_size=party_size,
                   days=[CalendarDayOut(date=d.date, status=d.status, available_slots=d.available_slots,
                                        first_available=hhmm(d.first_available)) for d in days])
