"""The bodies that change a reservation (docs/api.md): its move, its correction and seat; as pydantic
models so the OpenAPI document describes them, and their mapping to the domain's requests.  The
bodies that create are in api_models.py, those of the operator's records in record_models.py."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from pydantic import ConfigDict, Field

from couvert.body_types import SeatChoiceIn, WallTime
from couvert.requests import ReservationChange
from couvert.reservations import Status
from couvert.shapes import Shape


class TransitionIn(Shape):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    to: Status
    reason: str | None = Field(None, max_length=500)
    # The status the caller saw: when set, the move is refused (409) if someone changed it meanwhile.
    expected_from: Status | None = Field(None, alias="from")
    # Operators seating a guest who arrived after being marked a no-show: the table to seat them at.
    table_id: UUID | None = None


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
