"""Availability use cases: load the snapshot under the caller's rights, run the pure engine."""

import datetime as dt
from typing import NamedTuple
from uuid import UUID

from couvert.db import Database, RequestContext
from couvert.engine import AvailabilityEngine, AvailabilityRequest, CalendarDay, calendar_day
from couvert.engine.model import ONLINE_CHANNELS, Location, Snapshot, TicketResult
from couvert.errors import Forbidden, NotFound, ValidationFailed
from couvert.snapshots import load_snapshot

MAX_CALENDAR_DAYS = 62


class DayAvailability(NamedTuple):
    location: Location
    request: AvailabilityRequest
    tickets: list[TicketResult]


def check_channel(caller: RequestContext, channel: str) -> None:
    """Guests book only through online channels; phone and walk-in are the host's."""
    if not caller.is_operator and channel not in ONLINE_CHANNELS:
        raise Forbidden(f"only operators may use channel {channel!r}", channel=channel)


def validate_party(snapshot: Snapshot, request: AvailabilityRequest) -> None:
    """422 when no ticket (or the named one) can take this party size; 404 for an unknown ticket."""
    if request.ticket_id is not None:
        ticket = snapshot.tickets.get(request.ticket_id)
        if ticket is None or not ticket.is_active:
            raise NotFound("ticket not found", ticket_id=str(request.ticket_id))
        if not ticket.fits_party(request.party_size):
            raise ValidationFailed(
                f"{ticket.name} is for parties of {ticket.min_party_size} to {ticket.max_party_size}",
                fields={"party_size": f"must be between {ticket.min_party_size} and {ticket.max_party_size}"},
                reason_code="party_size_out_of_range")
        return
    largest = max((t.max_party_size for t in snapshot.tickets.values() if t.is_active), default=0)
    if request.party_size > largest:
        raise ValidationFailed(f"no ticket takes parties larger than {largest}",
                               fields={"party_size": f"must be at most {largest}"},
                               reason_code="party_size_out_of_range")


def day_availability(db: Database, caller: RequestContext, location_id: UUID, request: AvailabilityRequest,
                     now: dt.datetime) -> DayAvailability:
    check_channel(caller, request.channel)
    with db.transaction(caller, pipelined=True) as conn:  # two round trips: the snapshot, the end
        snapshot = load_snapshot(conn, location_id, request.date)
    validate_party(snapshot, request)
    return DayAvailability(snapshot.location, request,
                           AvailabilityEngine(snapshot, now).availability(request))


def calendar(db: Database, caller: RequestContext, location_id: UUID, date_from: dt.date, date_to: dt.date,
             party_size: int, ticket_id: UUID | None, channel: str,
             now: dt.datetime) -> tuple[Location, list[CalendarDay]]:
    if date_from > date_to:
        raise ValidationFailed("from is after to", fields={"from": "must not be after to"})
    if (date_to - date_from).days + 1 > MAX_CALENDAR_DAYS:
        raise ValidationFailed(f"at most {MAX_CALENDAR_DAYS} days at a time",
                               fields={"to": f"at most {MAX_CALENDAR_DAYS} days after from"})
    check_channel(caller, channel)
    with db.transaction(caller, pipelined=True) as conn:
        snapshot = load_snapshot(conn, location_id, date_from, date_to)
    validate_party(snapshot, AvailabilityRequest(date_from, party_size, channel, ticket_id))
    engine = AvailabilityEngine(snapshot, now)
    days = []
    day = date_from
    while day <= date_to:
        days.append(calendar_day(engine.availability(AvailabilityRequest(day, party_size, channel, ticket_id)), day))
        day += dt.timedelta(days=1)
    return snapshot.location, days
