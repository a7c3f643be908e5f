"""What the request bodies share (api_models.py creates, change_models.py changes): a wall-clock time,
a guest's e-mail address, and an operator's choice of a table or a table group."""

from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from couvert import snapstart
from couvert.shapes import Shape

WallTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, location-local")]


def _email_address(value: str) -> str:
    """pydantic's EmailStr check (email_validator, no DNS), its library loaded on the first address:
    it compiles Unicode-wide character classes, some fifteen milliseconds, which a function's import
    would otherwise pay whether or not a request ever carries an address."""
    from pydantic.networks import validate_email

    return validate_email(value)[1]


# As EmailStr validates and documents it; primed before a SnapStart snapshot, so a restored
# environment has the library loaded and its first booking pays nothing more.
EmailAddress = Annotated[str, AfterValidator(_email_address), WithJsonSchema({"type": "string", "format": "email"})]
snapstart.prime_before_snapshot(lambda: _email_address("guest@example.com"))


class SeatChoiceIn(Shape):
    """An operator may name a table or a table group, not both."""

    @model_validator(mode="after")
    def _one_table_kind(self):
        if getattr(self, "table_id", None) and getattr(self, "table_group_id", None):
            raise ValueError("give table_id or table_group_id, not both")
        return self
