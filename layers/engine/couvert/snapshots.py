"""Loads the engine's Snapshot from PostgreSQL: one query per kind of data, pipelined into a
single round trip, under the caller's row-level security."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
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
from couvert.queries import query

_KINDS = ("snapshot_location", "snapshot_schedule", "snapshot_tickets", "snapshot_shift_tickets",
          "snapshot_areas", "snapshot_tables", "snapshot_table_groups", "snapshot_table_rules",
          "snapshot_bookings")


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
POSITIONAL: dict[str, type] = {"snapshot_areas": Area, "snapshot_tables": Table, "snapshot_bookings": Booking}
_CONVERT = {"snapshot_bookings": lambda v: (*v[:8], tuple(v[8]), *v[9:])}  # table_ids: a tuple
_ROW_FACTORIES = {kind: _positional(cls, _CONVERT.get(kind)) for kind, cls in POSITIONAL.items()}


def load_snapshot(conn: psycopg.Connection, location_id: UUID, date_from: dt.date,
                  date_to: dt.date | None = None) -> Snapshot:
    """The snapshot for [date_from, date_to]; NotFound when the location is unknown, inactive or
    hidden from the caller by row-level security."""
    with conn.pipeline():
        read = send_snapshot(conn, location_id, date_from, date_to)
    return read()


def send_snapshot(conn: psycopg.Connection, location_id: UUID, date_from: dt.date,
                  date_to: dt.date | None = None) -> Callable[[], Snapshot]:
    """Send the snapshot's queries into the pipeline `conn` is in, to travel in one round trip with
    whatever else the caller sends there; once the pipeline has ended, what this returns reads the
    answers into the Snapshot (load_snapshot's, with its NotFound).  A pipeline opened in another
    pipeline that has commands waiting costs a round trip of its own (psycopg syncs on entering it),
    so callers that send more than the snapshot send it this way rather than through load_snapshot."""
    date_to = date_to or date_from
    params = {"location_id": location_id, "date_from": date_from, "date_to": date_to}
    # Binary results: timestamps and uuids decode faster than from text (hundreds of bookings).
    cursors = {name: conn.cursor(row_factory=_ROW_FACTORIES.get(name, dict_row), binary=True)
               .execute(query(name), params)
               for name in _KINDS}

    def read() -> Snapshot:
        location_row = cursors["snapshot_location"].fetchone()
        if location_row is None:
            raise NotFound("location not found", location_id=str(location_id))
        return build_snapshot(Location(**location_row),
                              {name: cursor.fetchall() for name, cursor in cursors.items()})

    return read


def build_snapshot(location: Location, rows: dict[str, list]) -> Snapshot:
    shifts_by_date: dict[dt.date, list[EffectiveShift]] = {}
    for r in rows["snapshot_schedule"]:
        shifts_by_date.setdefault(r["date"], []).append(EffectiveShift(
            date=r["date"], shift_id=r["shift_id"], name=r["name"], start_time=r["start_time"],
            end_time=r["end_time"], arrival_interval_minutes=r["arrival_interval_minutes"],
            closed=r["closed"], label=r["label"], sort_order=r["sort_order"]))
    return Snapshot(
        location=location,
        tickets={r["id"]: _ticket(r) for r in rows["snapshot_tickets"]},
        shift_tickets=tuple(ShiftTicket(**{**r, "area_ids": frozenset(r["area_ids"])})
                            for r in rows["snapshot_shift_tickets"]),
        shifts_by_date={d: tuple(s) for d, s in shifts_by_date.items()},
        areas={area.id: area for area in rows["snapshot_areas"]},
        tables={table.id: table for table in rows["snapshot_tables"]},
        table_groups=tuple(TableGroup(**{**r, "table_ids": tuple(r["table_ids"])})
                           for r in rows["snapshot_table_groups"]),
        table_rules=tuple(TableRule(**{**r, "days_of_week": frozenset(r["days_of_week"])
                                       if r["days_of_week"] is not None else None})
                          for r in rows["snapshot_table_rules"]),
        bookings=tuple(rows["snapshot_bookings"]),
    )
