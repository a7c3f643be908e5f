"""What the request bodies share (api_models.py creates, change_models.py changes): a wall-clock time
and an operator's choice of a table or a table group."""

from typing import Annotated

from pydantic import Field, model_validator

from couvert.shapes import Shape

WallTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, location-local")]


class SeatChoiceIn(Shape):
    """An operator may name a table or a table group, not both."""

    @model_validator(mode="after")
    def _one_table_kind(self):
        if getattr(self, "table_id", None) and getattr(self, "table_group_id", None):
            raise ValueError("give table_id or table_group_id, not both")
        return self
