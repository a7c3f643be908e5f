"""Loads the engine's Snapshot from PostgreSQL: one query per kind of data, pipelined into a
single round trip, under the caller's row-level security.

A location's setup (tickets, shifts, shift tickets, areas, tables, table groups, table rules)
changes a few times a year and is read by every request, a booking's under its day's lock.  The
process keeps the setup it read last per location, with the schedules of the days it has read,
under the location's config_version (migration 0029), and while it holds them sends none of their
queries: the location's row brings the version, and a changed version costs one more round trip,
in which the setup is read again whole.  The location and its reservations are read every time."""

import datetime as dt
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from psycopg.rows import RowFactory, dict_row

from couvert.engine.model import (
    Area,
    Booking,
    EffectiveShift,
    Location,
    Policy,
    ShiftTicket,
    Snapshot,
    Table,
    TableGroup,
    TableRule,
    Ticket,
)
from couvert.errors import NotFound
from couvert.pipelines import batch
from couvert.queries import query
from couvert.setups import SETUPS, Days, Setup

# The kinds that make a location's setup, kept per location by its config_version.
SETUP_KINDS = ("snapshot_tickets", "snapshot_shift_tickets", "snapshot_areas", "snapshot_tables",
               "snapshot_table_groups", "snapshot_table_rules")
_KINDS = ("snapshot_location", "snapshot_schedule", *SETUP_KINDS, "snapshot_bookings")


def _ticket(row: dict) -> Ticket:
    policy = Policy(
        id=row["policy_id"], name=row["policy_name"], payment_type=row["payment_type"],
        payment_amount=row["payment_amount"], cancel_free_hours=row["cancel_free_hours"],
        cancel_refund_pct=row["cancel_refund_pct"], noshow_mark_after_minutes=row["noshow_mark_after_minutes"],
        noshow_keep_deposit=row["noshow_keep_deposit"], reconfirm_enabled=row["reconfirm_enabled"],
        reconfirm_hours_before=row["reconfirm_hours_before"], reconfirm_required=row["reconfirm_required"])
    return Ticket(
        id=row["id"], name=row["name"], policy=policy, description=row["description"],
        duration_minutes=row["duration_minutes"], buffer_minutes=row["buffer_minutes"],
        min_party_size=row["min_party_size"], max_party_size=row["max_party_size"],
        booking_min_advance_minutes=row["booking_min_advance_minutes"],
        booking_max_advance_days=row["booking_max_advance_days"],
        booking_min_advance_large_party_minutes=row["booking_min_advance_large_party_minutes"],
        large_party_threshold=row["large_party_threshold"], squeeze_enabled=row["squeeze_enabled"],
        squeeze_duration_minutes=row["squeeze_duration_minutes"], squeeze_gap_minutes=row["squeeze_gap_minutes"],
        squeeze_to_fixed_end_time=row["squeeze_to_fixed_end_time"],
        squeeze_limit_per_shift=row["squeeze_limit_per_shift"],
        allowed_channels=frozenset(row["allowed_channels"]) if row["allowed_channels"] is not None else None,
        sort_order=row["sort_order"], is_active=row["is_active"], is_default=row["is_default"])


def _positional(cls: type, convert: Callable[[Sequence[Any]], Sequence[Any]] | None = None) -> RowFactory:
    """Rows straight into an engine type by position (the query selects the type's fields in order):
    a busy day has hundreds of bookings, and a dict per row only to read it back by name was most
    of their cost."""

    def factory(_cursor: psycopg.Cursor) -> Callable[[Sequence[Any]], Any]:
        if convert is None:
            return lambda values: cls(*values)
        return lambda values: cls(*convert(values))

    return factory


# The kinds decoded by position, and their types (tests check each query's columns against the fields).
POSITIONAL: dict[str, type] = {"snapshot_areas": Area, "snapshot_tables": Table, "snapshot_bookings": Booking,
                               "snapshot_stay_bookings": Booking}


def _table_ids_as_tuple(values: Sequence[Any]) -> Sequence[Any]:
    """A booking's row with its table_ids a tuple (the array arrives as a list)."""
    return (*values[:8], tuple(values[8]), *values[9:])


_CONVERT = {"snapshot_bookings": _table_ids_as_tuple, "snapshot_stay_bookings": _table_ids_as_tuple}
_ROW_FACTORIES = {kind: _positional(cls, _CONVERT.get(kind)) for kind, cls in POSITIONAL.items()}


def load_snapshot(conn: psycopg.Connection, location_id: UUID, date_from: dt.date,
                  date_to: dt.date | None = None) -> Snapshot:
    """The snapshot for [date_from, date_to]; NotFound when the location is unknown, inactive or
    hidden from the caller by row-level security."""
    with batch(conn):
        read = send_snapshot(conn, location_id, date_from, date_to)
    return read()


class Arrival(NamedTuple):
    """The one arrival a booking asks for: its snapshot holds the reservations that can touch its stay."""

    ticket_id: UUID
    time: dt.time


def send_snapshot(conn: psycopg.Connection, location_id: UUID, date_from: dt.date,
                  date_to: dt.date | None = None, arrival: Arrival | None = None) -> Callable[[], Snapshot]:
    """Send the snapshot's queries into the pipeline `conn` is in, to travel in one round trip with
    whatever else the caller sends there; once the pipeline has ended, what this returns reads the
    answers into the Snapshot (load_snapshot's, with its NotFound).  A pipeline opened in another
    pipeline that has commands waiting costs a round trip of its own (psycopg syncs on entering it),
    so callers that send more than the snapshot send it this way rather than through load_snapshot.

    With an `arrival` (a booking's ticket and time on date_from) the snapshot's reservations are
    those that can touch its stay alone (migration 0040), enough for the engine to decide that slot
    (AvailabilityEngine.evaluate) and nothing else: the day's listing needs the day's."""
    date_to = date_to or date_from
    dates = [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    held = SETUPS.get(location_id)
    held_days = SETUPS.held_days(held, dates) if held is not None else None
    params = {"location_id": location_id, "date_from": date_from, "date_to": date_to}
    unsent: tuple[str, ...] = ()
    if held is not None:  # the location's row will say whether it still is the location's setup
        unsent = SETUP_KINDS if held_days is None else (*SETUP_KINDS, "snapshot_schedule")
    kinds = [kind for kind in _KINDS if kind not in unsent]
    bookings = "snapshot_bookings"
    if arrival is not None:
        bookings = "snapshot_stay_bookings"
        kinds[kinds.index("snapshot_bookings")] = bookings
        # The ticket's counts of the shifts running at the arrival, where this process holds the day's
        # schedule (the location's version says below whether it still may); else of every shift.
        running = None if held_days is None else [s.shift_id for s in held_days[date_from] if s.runs_at(arrival.time)]
        params |= {"ticket_id": arrival.ticket_id, "time": arrival.time, "shift_ids": running}
    cursors = _send(conn, kinds, params)

    def read() -> Snapshot:
        location = _location(cursors, location_id)
        version = location.pop("config_version")
        rows = cursors[bookings]
        if held is None:
            setup = _remember(location_id, version, cursors)
            days = _read_days(setup, dates, cursors)
        elif held.version == version:
            setup = held
            days = held_days if held_days is not None else _read_days(setup, dates, cursors)
        else:  # changed since this process read it (or held from a change never committed)
            # A booking's reservations were chosen by the schedule held: read them again, of every shift.
            again = (bookings,) if params.get("shift_ids") is not None else ()
            setup, days, read_again = _read_again(conn, params, dates, again)
            rows = read_again.get(bookings, rows)
        return build_snapshot(Location(**location), setup, days, rows.fetchall())

    return read


def _send(conn: psycopg.Connection, kinds: Sequence[str], params: dict[str, Any]) -> dict[str, psycopg.Cursor]:
    # Binary results: timestamps and uuids decode faster than from text (hundreds of bookings).
    return {name: conn.cursor(row_factory=_ROW_FACTORIES.get(name, dict_row), binary=True)
            .execute(query(name), params)
            for name in kinds}


def _location(cursors: dict[str, psycopg.Cursor], location_id: UUID) -> dict[str, Any]:
    row = cursors["snapshot_location"].fetchone()
    if row is None:
        raise NotFound("location not found", location_id=str(location_id))
    return row


def _read_again(conn: psycopg.Connection, params: dict[str, Any], dates: Sequence[dt.date],
                also: Sequence[str] = ()) -> tuple[Setup, Days, dict[str, psycopg.Cursor]]:
    """The location's setup and the days' schedules as they are now (one round trip), remembered; and
    the cursors, with those of the kinds `also` read in the same round trip (every shift's)."""
    with batch(conn):
        cursors = _send(conn, ("snapshot_location", "snapshot_schedule", *SETUP_KINDS, *also),
                        {**params, "shift_ids": None})
    location_id = params["location_id"]
    setup = _remember(location_id, _location(cursors, location_id)["config_version"], cursors)
    return setup, _read_days(setup, dates, cursors), cursors


def _read_days(setup: Setup, dates: Sequence[dt.date],
               cursors: dict[str, psycopg.Cursor]) -> Days:
    """The schedules of `dates` from the schedule query's rows (a day without shifts has none),
    remembered with the setup."""
    shifts: dict[dt.date, list[EffectiveShift]] = {day: [] for day in dates}
    for r in cursors["snapshot_schedule"].fetchall():
        shifts[r["date"]].append(EffectiveShift(
            date=r["date"], shift_id=r["shift_id"], name=r["name"], start_time=r["start_time"],
            end_time=r["end_time"], arrival_interval_minutes=r["arrival_interval_minutes"],
            closed=r["closed"], label=r["label"], sort_order=r["sort_order"]))
    days = {day: tuple(s) for day, s in shifts.items()}
    SETUPS.add_days(setup, days)
    return days


def _remember(location_id: UUID, version: UUID, cursors: dict[str, psycopg.Cursor]) -> Setup:
    """The setup from its queries' rows (sent after the location's, so at least as new as `version`:
    a change in between makes the next request read it again), kept for the next request."""
    rows = {name: cursors[name].fetchall() for name in SETUP_KINDS}
    setup = Setup(
        version=version,
        tickets=MappingProxyType({r["id"]: _ticket(r) for r in rows["snapshot_tickets"]}),
        shift_tickets=tuple(ShiftTicket(**{**r, "area_ids": frozenset(r["area_ids"])})
                            for r in rows["snapshot_shift_tickets"]),
        areas=MappingProxyType({area.id: area for area in rows["snapshot_areas"]}),
        tables=MappingProxyType({table.id: table for table in rows["snapshot_tables"]}),
        table_groups=tuple(TableGroup(**{**r, "table_ids": tuple(r["table_ids"])})
                           for r in rows["snapshot_table_groups"]),
        table_rules=tuple(TableRule(**{**r, "days_of_week": frozenset(r["days_of_week"])
                                       if r["days_of_week"] is not None else None})
                          for r in rows["snapshot_table_rules"]),
        days={})
    SETUPS.put(location_id, setup)
    return setup


def build_snapshot(location: Location, setup: Setup, days: Days,
                   bookings: list[Booking]) -> Snapshot:
    return Snapshot(
        location=location, tickets=setup.tickets, shift_tickets=setup.shift_tickets, shifts_by_date=days,
        areas=setup.areas, tables=setup.tables, table_groups=setup.table_groups,
        table_rules=setup.table_rules, bookings=tuple(bookings))
