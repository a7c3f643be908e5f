"""The bodies of the operator's records (back_office's routes): a guest's record and notes, a shift's
overbooking.  Apart from a reservation's change bodies (change_models.py)."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from couvert.shapes import Shape


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
