"""Response models of the operator's routes (the evening with its floor and shifts, the evening's risk,
guests' records and data, the outbox): what openapi.json documents for them.  Guest-facing shapes
are in couvert.api_responses."""

from typing import Any

from couvert.api_responses import ReservationOut
from couvert.shapes import Shape


class CustomerExportOut(Shape):
    """Everything held about one guest at one location (GDPR access and portability)."""

    exported_at: str
    location_id: str
    customer: dict[str, Any]
    reservations: list[dict[str, Any]]
    waitlist_entries: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    audit_trail: list[dict[str, Any]]


class CustomerErasedOut(Shape):
    customer_id: str
    erased_at: str
    erased: dict[str, int]  # rows anonymised, per kind


class RiskFactorOut(Shape):
    factor: str
    value: Any
    contribution: float


class RiskCallOut(Shape):
    """A high-risk reservation to reconfirm by phone."""

    reservation_id: str
    reference: str
    start_at: str
    party_size: int
    status: str
    guest_name: str
    phone: str | None
    no_show_risk_score: float
    reconfirmed: bool
    top_factors: list[RiskFactorOut]


class OverbookingOut(Shape):
    ticket_id: str
    ticket_name: str
    overbooking_covers: int


class ShiftRiskOut(Shape):
    location_id: str
    shift_id: str
    reservation_date: str
    shift_name: str
    reservation_count: int
    total_covers: int | None
    avg_risk_score: float | None
    high_risk_count: int | None
    suggested_overbook_covers: int | None
    overbooking: list[OverbookingOut]  # the current setting per ticket, beside the suggestion
    to_reconfirm: list[RiskCallOut]


class OverbookingSetOut(Shape):
    shift_id: str
    ticket_id: str
    overbooking_covers: int


class ShiftRiskListOut(Shape):
    shifts: list[ShiftRiskOut]


class VisitOut(Shape):
    id: str
    reference: str
    date: str
    start_time: str
    party_size: int
    status: str
    channel: str
    ticket_id: str


class NoteOut(Shape):
    id: str
    note: str
    note_type: str
    is_alert: bool
    created_by: str | None
    created_at: str


class CustomerCardOut(Shape):
    id: str
    location_id: str
    first_name: str
    last_name: str
    email: str
    phone_number: str | None
    total_visits: int
    no_show_count: int
    cancel_count: int
    avg_spend_per_visit: str | None
    first_visit_at: str | None
    last_visit_at: str | None
    whatsapp_opt_in: bool
    sms_opt_out: bool
    tags: list[str]  # the operator's tags, then the automatic ones that apply
    operator_tags: list[str]
    preferences: dict[str, Any]
    notes: str | None
    locale: str | None
    erased_at: str | None
    created_at: str
    history: list[VisitOut]
    notes_log: list[NoteOut]
    alerts: list[NoteOut]  # the notes shown with every booking of this guest


class NoteEnvelope(Shape):
    note: NoteOut


class OutboxEventOut(Shape):
    id: str
    reservation_id: str | None
    kind: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: str
    created_at: str
    processed_at: str | None


class OutboxListOut(Shape):
    events: list[OutboxEventOut]


class OutboxEventEnvelope(Shape):
    event: OutboxEventOut


class FloorTableOut(Shape):
    id: str
    name: str
    area: str
    min_capacity: int
    max_capacity: int
    group_ids: list[str]  # the table groups it joins into


class FloorShiftOut(Shape):
    """One shift of the day with each ticket's pacing and cover limits (the console's summary)."""

    shift_id: str
    name: str
    start_time: str
    end_time: str
    arrival_interval_minutes: int
    closed: bool
    label: str | None
    tickets: list[dict[str, Any]]


class ReservationListOut(Shape):
    """The evening: its reservations, the floor they are laid out on, and the shifts' limits."""

    reservations: list[ReservationOut]
    tables: list[FloorTableOut]
    shifts: list[FloorShiftOut]
