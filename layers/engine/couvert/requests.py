"""What callers ask of the domain, as plain named tuples: the use cases never see an HTTP model (the
handlers convert api_models' bodies into these)."""

import datetime as dt
from typing import NamedTuple
from uuid import UUID


class Guest(NamedTuple):
    first_name: str
    last_name: str
    email: str
    phone: str | None = None  # as typed; read in the location's country (phones.e164)
    locale: str | None = None


class BookingRequest(NamedTuple):
    ticket_id: UUID
    date: dt.date
    time: dt.time
    party_size: int
    guest: Guest
    channel: str = "widget"
    allow_squeeze: bool = False
    guest_notes: str | None = None
    badges: tuple[str, ...] = ()
    # Operator only:
    status: str | None = None
    table_id: UUID | None = None
    table_group_id: UUID | None = None
    internal_notes: str | None = None

    OPERATOR_FIELDS = ("status", "table_id", "table_group_id", "internal_notes")

    def canonical(self) -> dict:
        """The request as plain JSON values (what an Idempotency-Key is bound to)."""
        fields = {**self._asdict(), "guest": self.guest._asdict()}
        return {k: v if isinstance(v, bool | int | None | dict | list) else
                [str(x) for x in v] if isinstance(v, tuple) else str(v) for k, v in fields.items()}


class ReservationChange(NamedTuple):
    """An operator's PATCH: only the fields in `given` change (None may mean "clear", e.g. notes)."""

    given: frozenset[str] = frozenset()
    time: dt.time | None = None
    party_size: int | None = None
    table_id: UUID | None = None
    table_group_id: UUID | None = None
    internal_notes: str | None = None
    badges: tuple[str, ...] | None = None


class WaitlistRequest(NamedTuple):
    date: dt.date
    time_from: dt.time
    time_to: dt.time
    party_size: int
    guest: Guest
    ticket_id: UUID | None = None
