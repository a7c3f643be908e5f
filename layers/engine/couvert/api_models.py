"""Request bodies of the HTTP API (docs/api.md), as pydantic models so the OpenAPI document
describes them, and their mapping to the domain's requests (availability's response bodies are in
availability_models.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from couvert.requests import BookingRequest, Guest, ReservationChange, WaitlistRequest

Status = Literal["draft", "pending_payment", "option", "confirmed", "seated", "completed", "no_show", "cancelled"]


# -- booking requests ----------------------------------------------------------------------------

WallTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, location-local")]


class _SeatChoice(BaseModel):
    """An operator may name a table or a table group, not both."""

    @model_validator(mode="after")
    def _one_table_kind(self):
        if getattr(self, "table_id", None) and getattr(self, "table_group_id", None):
            raise ValueError("give table_id or table_group_id, not both")
        return self


class GuestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    # As the guest types it; read in the location's country and stored in E.164 (couvert.phones).
    phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+()./ -]*$")
    locale: str | None = Field(None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")

    def to_domain(self) -> Guest:
        return Guest(self.first_name, self.last_name, str(self.email), self.phone or None, self.locale)


class ReservationIn(_SeatChoice):
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


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    to: Status
    reason: str | None = Field(None, max_length=500)
    # The status the caller saw: when set, the move is refused (409) if someone changed it meanwhile.
    expected_from: Status | None = Field(None, alias="from")
    # Operators seating a guest who arrived after being marked a no-show: the table to seat them at.
    table_id: UUID | None = None


class CustomerChangeIn(BaseModel):
    """PATCH /v1/locations/{id}/customers/{customer_id} (operators): only the fields given change;
    `phone` or `notes` set to null clear them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=4000)
    preferences: dict[str, Any] | None = None
    operator_tags: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(None, max_length=30)
    sms_opt_out: bool | None = None
    locale: Literal["en", "nl"] | None = None

    def changes(self) -> dict[str, Any]:
        given = {k: getattr(self, k) for k in self.model_fields_set}
        if "phone" in given:
            given["phone_number"] = given.pop("phone")
        return given


class CustomerNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=2000)
    note_type: Literal["preference", "allergy", "incident", "vip", "general"] = "general"
    is_alert: bool = False  # shown with every booking of this guest


class OverbookingIn(BaseModel):
    """PUT .../shifts/{shift_id}/tickets/{ticket_id}/overbooking (owners and managers)."""

    model_config = ConfigDict(extra="forbid")

    overbooking_covers: int = Field(ge=0, le=100)


class ChangeIn(_SeatChoice):
    """PATCH /v1/reservations/{id} (operators): every field optional; re-checked by the engine."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    time: WallTime | None = None
    party_size: int | None = Field(None, ge=1, le=500)
    table_id: UUID | None = None
    table_group_id: UUID | None = None
    internal_notes: str | None = Field(None, max_length=2000)
    badges: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(None, max_length=20)

    def to_domain(self) -> ReservationChange:
        return ReservationChange(
            given=frozenset(self.model_fields_set), time=dt.time.fromisoformat(self.time) if self.time else None,
            party_size=self.party_size, table_id=self.table_id, table_group_id=self.table_group_id,
            internal_notes=self.internal_notes, badges=tuple(self.badges) if self.badges is not None else None)


class WaitlistIn(BaseModel):
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
