"""Builders for engine snapshots in pure Python: a tiny restaurant described in a few lines."""

from __future__ import annotations

import datetime as dt
import uuid

from couvert.engine import (
    AvailabilityEngine,
    AvailabilityRequest,
    Booking,
    EffectiveShift,
    Location,
    Policy,
    ShiftTicket,
    SlotResult,
    Snapshot,
    Table,
    TableGroup,
    TableRule,
    Ticket,
)
from couvert.engine.clock import slot_instant, zone
from couvert.engine.model import Area
from tests.support.clock import day

DAY = day(9)  # a Wednesday
NOON_BEFORE = dt.datetime.combine(day(2), dt.time(12), tzinfo=dt.UTC)  # a week earlier: inside every window


def hm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


class World:
    """One location on one day: areas, tables, shifts, tickets, bookings."""

    def __init__(self, day: dt.date = DAY, timezone: str = "Europe/Amsterdam") -> None:
        self.day = day
        self.tz = zone(timezone)
        self.location = Location(uuid.uuid4(), "Test", timezone)
        self.policy = Policy(uuid.uuid4(), "Standard")
        self.areas: dict[uuid.UUID, Area] = {}
        self.tables: dict[uuid.UUID, Table] = {}
        self.groups: list[TableGroup] = []
        self.rules: list[TableRule] = []
        self.tickets: dict[uuid.UUID, Ticket] = {}
        self.shifts: list[EffectiveShift] = []
        self.links: list[ShiftTicket] = []
        self.bookings: list[Booking] = []
        self.main_area = self.area("Main")

    def area(self, name: str, sort_order: int = 0, is_active: bool = True) -> uuid.UUID:
        area = Area(uuid.uuid4(), name, sort_order, is_active)
        self.areas[area.id] = area
        return area.id

    def table(self, name: str, min_capacity: int = 1, max_capacity: int = 4, area: uuid.UUID | None = None,
              **kw) -> uuid.UUID:
        table = Table(uuid.uuid4(), area or self.main_area, name, min_capacity, max_capacity, **kw)
        self.tables[table.id] = table
        return table.id

    def group(self, name: str, tables: list[uuid.UUID], min_capacity: int, max_capacity: int) -> uuid.UUID:
        group = TableGroup(uuid.uuid4(), name, min_capacity, max_capacity, tuple(tables))
        self.groups.append(group)
        return group.id

    def rule(self, table: uuid.UUID, rule_type: str, start: str, end: str, **kw) -> None:
        self.rules.append(TableRule(table, rule_type, hm(start), hm(end), **kw))

    def ticket(self, name: str = "Dinner", duration: int = 120, buffer: int = 0, **kw) -> uuid.UUID:
        kw.setdefault("booking_min_advance_minutes", 0)
        kw.setdefault("booking_max_advance_days", 365)
        ticket = Ticket(uuid.uuid4(), name, kw.pop("policy", self.policy), duration, buffer, **kw)
        self.tickets[ticket.id] = ticket
        return ticket.id

    def shift(self, name: str = "Dinner", start: str = "18:00", end: str = "22:00", interval: int = 15,
              day: dt.date | None = None, **kw) -> uuid.UUID:
        shift = EffectiveShift(day or self.day, uuid.uuid4(), name, hm(start), hm(end), interval, **kw)
        self.shifts.append(shift)
        return shift.shift_id

    def link(self, shift: uuid.UUID, ticket: uuid.UUID, **kw) -> None:
        if "area_ids" in kw:
            kw["area_ids"] = frozenset(kw["area_ids"])
        self.links.append(ShiftTicket(shift, ticket, **kw))

    def at(self, time: str, day: dt.date | None = None) -> dt.datetime:
        instant = slot_instant(day or self.day, hm(time), self.tz)
        assert instant is not None
        return instant

    def book(self, shift: uuid.UUID, ticket: uuid.UUID, time: str, party_size: int = 2,
             tables: list[uuid.UUID] = (), minutes: int | None = None, status: str = "confirmed",
             day: dt.date | None = None, **kw) -> Booking:
        t = self.tickets[ticket]
        start = self.at(time, day)
        end = start + dt.timedelta(minutes=minutes if minutes is not None else t.duration_minutes)
        occupied = kw.pop("occupied_until", end + dt.timedelta(minutes=t.buffer_minutes))
        booking = Booking(uuid.uuid4(), shift, ticket, day or self.day, start, occupied, party_size, status,
                          tuple(tables), end_at=end, **kw)
        self.bookings.append(booking)
        return booking

    def snapshot(self) -> Snapshot:
        by_date: dict[dt.date, list[EffectiveShift]] = {}
        for s in self.shifts:
            by_date.setdefault(s.date, []).append(s)
        return Snapshot(self.location, dict(self.tickets), tuple(self.links),
                        {d: tuple(v) for d, v in by_date.items()}, dict(self.areas), dict(self.tables),
                        tuple(self.groups), tuple(self.rules), tuple(self.bookings))

    def engine(self, now: dt.datetime = NOON_BEFORE) -> AvailabilityEngine:
        return AvailabilityEngine(self.snapshot(), now)

    def slots(self, party_size: int = 2, channel: str = "widget", now: dt.datetime = NOON_BEFORE,
              ticket: uuid.UUID | None = None, shift: uuid.UUID | None = None,
              day: dt.date | None = None, respect_booking_window: bool = True) -> dict[str, SlotResult]:
        """The slots of one ticket and shift (the only ones, unless named), keyed 'HH:MM'."""
        results = self.engine(now).availability(AvailabilityRequest(day or self.day, party_size, channel, ticket,
                                                                    respect_booking_window))
        out: dict[str, SlotResult] = {}
        for t in results:
            for s in t.shifts:
                if shift is None or s.shift.shift_id == shift:
                    for slot in s.slots:
                        out.setdefault(slot.time.strftime("%H:%M"), slot)
        return out


def with_bookings(snapshot: Snapshot, bookings) -> Snapshot:
    return snapshot._replace(bookings=tuple(bookings))
