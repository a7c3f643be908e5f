"""The engine's inputs and outputs: immutable named tuples, built by the repository from SQL rows
(or by tests and benchmarks directly).

Named tuples rather than frozen dataclasses: a dataclass is generated code, compiled when its
module is imported (about half a millisecond each with slots, fifteen here: a cold start's cost,
bench/README.md, B7), and a frozen one sets each field through object.__setattr__ when it is made
(hundreds of bookings per snapshot).  A named tuple is made by the tuple's own constructor and reads
its fields by index.  Compare them by field, never with plain tuples; `_replace` makes a changed copy.

Annotations are not postponed here (nor in the other modules of named tuples): typing.NamedTuple
compiles a forward reference for every string annotation, 1.8 ms of this module's import."""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, NamedTuple
from uuid import UUID

Channel = Literal["widget", "phone", "walk_in", "google", "third_party"]
ONLINE_CHANNELS = frozenset({"widget", "google", "third_party"})

ReasonCode = Literal[
    "available", "closed", "channel_blocked", "cut_off", "pacing_arrivals_full", "pacing_covers_full",
    "max_covers_reached", "tables_full", "squeeze_limit", "overbooking_limit",
]
SlotType = Literal["normal", "squeeze"]

# docs/engine.md §6: statuses that can hold tables and count for pacing and covers.
HOLDING_STATUSES = frozenset({"draft", "pending_payment", "option", "confirmed", "seated", "completed"})


class Location(NamedTuple):
    id: UUID
    name: str
    timezone: str
    currency: str = "EUR"
    country: str | None = None  # ISO 3166-1 alpha-2: national phone numbers are read in it


class Policy(NamedTuple):
    id: UUID
    name: str
    payment_type: str = "none"
    payment_amount: Decimal | None = None
    cancel_free_hours: int = 24
    cancel_refund_pct: int = 100
    noshow_mark_after_minutes: int = 15
    noshow_keep_deposit: bool = True
    reconfirm_enabled: bool = False
    reconfirm_hours_before: int = 24
    reconfirm_required: bool = False


class Ticket(NamedTuple):
    id: UUID
    name: str
    policy: Policy
    duration_minutes: int
    buffer_minutes: int = 0
    min_party_size: int = 1
    max_party_size: int = 20
    description: str | None = None
    booking_min_advance_minutes: int = 60
    booking_max_advance_days: int = 90
    booking_min_advance_large_party_minutes: int | None = None
    large_party_threshold: int = 6
    squeeze_enabled: bool = False
    squeeze_duration_minutes: int | None = None
    squeeze_gap_minutes: int = 0
    squeeze_to_fixed_end_time: dt.time | None = None
    squeeze_limit_per_shift: int | None = None
    allowed_channels: frozenset[str] | None = None
    sort_order: int = 0
    is_active: bool = True
    is_default: bool = False

    def min_advance(self, party_size: int) -> dt.timedelta:
        """docs/engine.md §4.3: how long before arrival a booking closes (longer for large parties when set)."""
        if party_size >= self.large_party_threshold and self.booking_min_advance_large_party_minutes is not None:
            return dt.timedelta(minutes=self.booking_min_advance_large_party_minutes)
        return dt.timedelta(minutes=self.booking_min_advance_minutes)

    def fits_party(self, party_size: int) -> bool:
        return self.min_party_size <= party_size <= self.max_party_size


class ShiftTicket(NamedTuple):
    shift_id: UUID
    ticket_id: UUID
    area_ids: frozenset[UUID] = frozenset()
    pacing_covers_limit: int | None = None
    pacing_arrivals_limit: int | None = None
    max_covers_total: int | None = None
    overbooking_covers: int = 0
    is_active: bool = True
    sort_order: int = 0


class EffectiveShift(NamedTuple):
    """A shift as it runs on one date (get_effective_shift_schedule)."""

    date: dt.date
    shift_id: UUID
    name: str
    start_time: dt.time
    end_time: dt.time
    arrival_interval_minutes: int
    closed: bool = False
    label: str | None = None
    sort_order: int = 0

    def arrival_minutes(self) -> tuple[int, int]:
        """Its arrivals as minutes of the day: from its start's minute to before its end (an end with
        seconds counts its own minute)."""
        return (self.start_time.hour * 60 + self.start_time.minute,
                self.end_time.hour * 60 + self.end_time.minute + (1 if self.end_time.second else 0))

    def runs_at(self, time: dt.time) -> bool:
        """Whether an arrival at `time` falls within the shift (on its grid or not)."""
        start, end = self.arrival_minutes()
        return start <= time.hour * 60 + time.minute < end


class Area(NamedTuple):
    id: UUID
    name: str
    sort_order: int = 0
    is_active: bool = True


class Table(NamedTuple):
    id: UUID
    area_id: UUID
    name: str
    min_capacity: int
    max_capacity: int
    priority: int = 0
    online_bookable: bool = True
    is_active: bool = True


class TableGroup(NamedTuple):
    id: UUID
    name: str
    min_capacity: int
    max_capacity: int
    table_ids: tuple[UUID, ...]
    is_active: bool = True


class TableRule(NamedTuple):
    table_id: UUID
    rule_type: Literal["block", "allow"]
    start_time: dt.time
    end_time: dt.time
    days_of_week: frozenset[int] | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        return ((self.days_of_week is None or day.isoweekday() in self.days_of_week)
                and (self.valid_from is None or day >= self.valid_from)
                and (self.valid_until is None or day <= self.valid_until))


class Booking(NamedTuple):
    """An existing reservation, as far as capacity is concerned."""

    id: UUID
    shift_id: UUID
    ticket_id: UUID
    date: dt.date
    start_at: dt.datetime
    occupied_until: dt.datetime  # end_at + buffer (or squeeze gap)
    party_size: int
    status: str
    table_ids: tuple[UUID, ...] = ()
    is_squeeze: bool = False
    hold_expires_at: dt.datetime | None = None
    option_expires_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    end_at: dt.datetime | None = None

    def holds_capacity(self, now: dt.datetime) -> bool:
        """docs/engine.md §6: lapsed holds and options hold nothing, even before a sweep."""
        if self.status not in HOLDING_STATUSES:
            return False
        if self.status in ("draft", "pending_payment") and self.hold_expires_at is not None:
            return self.hold_expires_at > now
        if self.status == "option" and self.option_expires_at is not None:
            return self.option_expires_at > now
        return True

    @property
    def table_free_at(self) -> dt.datetime:
        """A completed stay frees its tables at completed_at."""
        if self.status == "completed" and self.completed_at is not None:
            return max(self.start_at, min(self.completed_at, self.occupied_until))
        return self.occupied_until


class Snapshot(NamedTuple):
    """Everything availability depends on, for a location and a range of dates."""

    location: Location
    tickets: Mapping[UUID, Ticket]
    shift_tickets: tuple[ShiftTicket, ...]
    shifts_by_date: dict[dt.date, tuple[EffectiveShift, ...]]
    areas: Mapping[UUID, Area]
    tables: Mapping[UUID, Table]
    table_groups: tuple[TableGroup, ...] = ()
    table_rules: tuple[TableRule, ...] = ()
    bookings: tuple[Booking, ...] = ()


class AvailabilityRequest(NamedTuple):
    date: dt.date
    party_size: int
    channel: str = "widget"
    ticket_id: UUID | None = None
    # False for a host correcting a reservation that has started (or a payment arriving late): every
    # capacity and table check still applies, only the booking window (cut_off) does not.
    respect_booking_window: bool = True

    @property
    def online(self) -> bool:
        return self.channel in ONLINE_CHANNELS


class SlotResult(NamedTuple):
    time: dt.time
    start_at: dt.datetime
    available: bool
    slot_type: SlotType
    reason_code: ReasonCode
    duration_minutes: int
    # The engine's table choice for an available slot (None when overbooked without a table).
    table_id: UUID | None = None
    table_group_id: UUID | None = None
    occupied_until: dt.datetime | None = None

    @property
    def end_at(self) -> dt.datetime:
        return self.start_at + dt.timedelta(minutes=self.duration_minutes)


class ShiftResult(NamedTuple):
    shift: EffectiveShift
    slots: tuple[SlotResult, ...]


class TicketResult(NamedTuple):
    ticket: Ticket
    shifts: tuple[ShiftResult, ...] = ()
