"""The bodies that create (docs/api.md): a booking and a waitlist entry, with their guest, as pydantic
models so the OpenAPI document describes them, and their mapping to the domain's requests.  The
bodies that change what exists are in change_models.py: a function builds the models of its own
routes only (couvert/shapes.py)."""

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, model_validator

from couvert import snapstart
from couvert.body_types import SeatChoiceIn, WallTime
from couvert.requests import BookingRequest, Guest, WaitlistRequest
from couvert.shapes import Shape


def _email_address(value: str) -> str:
    """pydantic's EmailStr check (email_validator, no DNS), its library loaded on the first address:
    it compiles Unicode-wide character classes, some fifteen milliseconds, which a function's import
    would otherwise pay whether or not a request ever carries an address."""
    from pydantic.networks import validate_email

    return validate_email(value)[1]


# As EmailStr validates and documents it.  Primed before a SnapStart snapshot, so a restored
# environment has the library loaded and its first booking pays nothing more; here, not in
# body_types.py, so that only the functions that take a guest load it there.
EmailAddress = Annotated[str, AfterValidator(_email_address), WithJsonSchema({"type": "string", "format": "email"})]
snapstart.prime_before_snapshot(lambda: _email_address("guest@example.com"))


class GuestIn(Shape):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailAddress
    # As the guest types it; read in the location's country and stored in E.164 (couvert.phones).
    phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+()./ -]*$")
    locale: str | None = Field(None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")

    def to_domain(self) -> Guest:
        return Guest(self.first_name, self.last_name, str(self.email), self.phone or None, self.locale)


class ReservationIn(SeatChoiceIn):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ticket_id: UUID
    date: dt.date
    time: WallTime
    party_size: int = Field(ge=1, le=500)
    channel: Literal["widget", "phone", "walk_in", "google", "third_party"] = "widget"
    allow_squeeze: bool = False
    guest: GuestIn
    guest_notes: str | None = Field(None, max_length=1000)
    badges: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list, max_length=20)
    # Operator only:
    status: Literal["option"] | None = None
    table_id: UUID | None = None
    table_group_id: UUID | None = None
    internal_notes: str | None = Field(None, max_length=2000)

    def to_domain(self) -> BookingRequest:
        return BookingRequest(
            ticket_id=self.ticket_id, date=self.date, time=dt.time.fromisoformat(self.time),
            party_size=self.party_size, guest=self.guest.to_domain(), channel=self.channel,
            allow_squeeze=self.allow_squeeze, guest_notes=self.guest_notes, badges=tuple(self.badges),
            status=self.status, table_id=self.table_id, table_group_id=self.table_group_id,
            internal_notes=self.internal_notes)


class WaitlistIn(Shape):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    time_from: WallTime
    time_to: WallTime
    party_size: int = Field(ge=1, le=500)
    ticket_id: UUID | None = None
    guest: GuestIn

    @model_validator(mode="after")
    def _range(self):
        if self.time_to <= self.time_from:
            raise ValueError("time_to must be after time_from")
        return self

    def to_domain(self) -> WaitlistRequest:
        return WaitlistRequest(self.date, dt.time.fromisoformat(self.time_from), dt.time.fromisoformat(self.time_to),
                               self.party_size, self.guest.to_domain(), self.ticket_id)
