"""The Reservation of docs/api.md and the answers of a reservation's own routes, as named pydantic
models: the handlers declare them, Powertools validates every answer against them, and the OpenAPI
document describes each body.  (What creating answers, a booking or a waitlist entry, is in
creation_responses.py; availability's bodies in availability_models.py; the operator's evening,
guests' records and data, and the outbox in operator_responses.py; Stripe's acknowledgement in
webhook_responses.py.)  Each function loads the models of its own routes only (couvert/shapes.py;
bench/README.md, B7)."""

from typing import Any

from pydantic import ConfigDict

from couvert.shapes import Shape, omitted_when_none


class CustomerOut(Shape):
    id: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone_number: str | None


class RefundOut(Shape):
    amount: str
    currency: str


class CancellationOut(Shape):
    """What cancelling now gives back (the status machine's own rule), shown before one confirms."""

    refund: RefundOut
    free_until: str  # cancelling until then refunds the whole deposit


class GuestReservationOut(Shape):
    """A reservation as its guest sees it: never operator notes or the risk model's reasoning."""

    model_config = ConfigDict(extra="forbid")

    id: str
    reference: str
    location_id: str
    ticket_id: str
    shift_id: str
    status: str
    date: str
    start_time: str
    end_time: str
    start_at: str
    end_at: str
    party_size: int
    channel: str
    is_squeeze: bool
    table_id: str | None
    table_group_id: str | None
    customer: CustomerOut
    payment_status: str | None
    payment_amount: str | None
    option_expires_at: str | None
    reconfirm_sent_at: str | None
    reconfirmed_at: str | None
    no_show_risk_score: float | None
    badges: list[Any]
    guest_notes: str | None
    created_at: str | None
    updated_at: str | None
    # On a single reservation's read: null when this caller cannot cancel it (and in lists).
    cancellation: CancellationOut | None = None


class AlertOut(Shape):
    note: str
    note_type: str


class ReservationOut(GuestReservationOut):
    """A reservation as an operator sees it: `customer` is the record the booking matched, `contact`
    what the booking itself gave."""

    internal_notes: str | None
    risk_factors: dict[str, Any] | None
    contact: CustomerOut
    alerts: list[AlertOut]  # what the host must know about this guest (allergies, incidents, VIP)


Reservation = ReservationOut | GuestReservationOut


class ReservationEnvelope(Shape):
    reservation: Reservation


class TransitionOut(ReservationEnvelope):
    refund: RefundOut | None = omitted_when_none()  # only when cancelling
