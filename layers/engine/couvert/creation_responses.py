"""What creating answers (create_reservation's routes): a booking with its payment and manage token, a
waitlist entry, and the operator's list of a day's waitlist.  Apart from the reservation's own answers
(api_responses.py), which the other functions load without these."""

from couvert.api_responses import Reservation
from couvert.shapes import Shape


class PaymentOut(Shape):
    provider: str = "stripe"
    payment_intent_id: str
    client_secret: str | None  # only for the caller who made the booking
    amount: str
    currency: str
    expires_at: str | None


class CreatedOut(Shape):
    reservation: Reservation
    payment: PaymentOut | None
    manage_token: str | None  # only for the caller who made the booking (a replay from elsewhere: null)


class WaitlistEntryOut(Shape):
    id: str
    location_id: str
    customer_id: str
    ticket_id: str | None
    date: str
    time_from: str
    time_to: str
    party_size: int
    status: str  # active, notified (offered), booked, expired, cancelled
    expires_at: str
    created_at: str
    reservation_id: str | None = None  # the held reservation, while offered
    offer_expires_at: str | None = None


class WaitlistEntryEnvelope(Shape):
    entry: WaitlistEntryOut


class WaitlistListOut(Shape):
    entries: list[WaitlistEntryOut]
