"""The bodies that change what exists (docs/api.md): a reservation's move, correction and seat, a guest's
record and notes, a shift's overbooking; as pydantic models so the OpenAPI document describes them,
and their mapping to the domain's requests.  The bodies that create are in api_models.py."""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from couvert.body_types import SeatChoiceIn, WallTime
from couvert.requests import ReservationChange
from couvert.shapes import Shape

Status = Literal["draft", "pending_payment", "option", "confirmed", "seated", "completed", "no_show", "cancelled"]


class TransitionIn(Shape):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    to: Status
    reason: str | None = Field(None, max_length=500)
    # The status the caller saw: when set, the move is refused (409) if someone changed it meanwhile.
    expected_from: Status | None = Field(None, alias="from")
    # Operators seating a guest who arrived after being marked a no-show: the table to seat them at.
    table_id: UUID | None = None


class CustomerChangeIn(Shape):
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


class CustomerNoteIn(Shape):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=2000)
    note_type: Literal["preference", "allergy", "incident", "vip", "general"] = "general"
    is_alert: bool = False  # shown with every booking of this guest


class OverbookingIn(Shape):
    """PUT .../shifts/{shift_id}/tickets/{ticket_id}/overbooking (owners and managers)."""

    model_config = ConfigDict(extra="forbid")

    overbooking_covers: int = Field(ge=0, le=100)


class ChangeIn(SeatChoiceIn):
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
