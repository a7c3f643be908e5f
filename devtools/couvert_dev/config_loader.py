"""Loads a location from a YAML file (demo_location.yaml format: names as references).

The whole file is validated first, then written in one transaction as upserts keyed by natural
keys (slug, names), so loading the same file twice updates and never duplicates.  A bad file is
refused with a message naming the entry, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from couvert.errors import ConfigError
from couvert_dev.queries import query

Weekday = int
Channel = Literal["widget", "phone", "walk_in", "google", "third_party"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


@cache
def _zone_countries() -> dict[str, str]:
    """IANA time zone -> ISO country code, from zone.tab (one country per zone)."""
    from importlib.resources import files

    table = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    return {cols[2]: cols[0] for line in table.splitlines()
            if line and not line.startswith("#") and len(cols := line.split("\t")) >= 3}


def _check_weekdays(days: list[int] | None) -> list[int] | None:
    if days is None:
        return None
    bad = [d for d in days if not 1 <= d <= 7]
    if bad:
        raise ValueError(f"unknown weekday {bad[0]} (ISO weekdays are 1 = Monday .. 7 = Sunday)")
    if len(set(days)) != len(days):
        raise ValueError("a weekday is listed twice")
    return sorted(days)


class _Capacity(_Entry):
    @model_validator(mode="after")
    def _min_le_max(self):
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity {self.min_capacity} > max_capacity {self.max_capacity}")
        return self


class LocationIn(_Entry):
    name: str = Field(min_length=1)
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    timezone: str = "Europe/Amsterdam"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    # Where national phone numbers are read; by default the country of the time zone (NL for
    # Europe/Amsterdam), from the IANA zone table shipped with tzdata.
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")

    @model_validator(mode="after")
    def _country_of_zone(self):
        if self.country is None:
            self.country = _zone_countries().get(self.timezone)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class SettingsIn(_Entry):
    options_enabled: bool = False
    option_default_hours: int = Field(48, gt=0)
    payment_timeout_minutes: int = Field(15, gt=0)
    draft_timeout_minutes: int = Field(30, gt=0)
    reconfirm_grace_hours: int = Field(6, ge=0)
    reminder_hours_before: int = Field(24, ge=0)


class AreaIn(_Entry):
    name: str = Field(min_length=1)
    sort_order: int = 0
    is_active: bool = True


class TableIn(_Capacity):
    name: str = Field(min_length=1)
    area: str
    min_capacity: int = Field(1, ge=1)
    max_capacity: int = Field(ge=1)
    priority: int = 0
    online_bookable: bool = True
    is_active: bool = True


class TableGroupIn(_Capacity):
    name: str = Field(min_length=1)
    tables: list[str] = Field(min_length=2)
    min_capacity: int = Field(1, ge=1)
    max_capacity: int = Field(ge=1)
    is_active: bool = True


class TableRuleIn(_Entry):
    table: str
    rule_type: Literal["block", "allow"]
    days_of_week: list[Weekday] | None = None
    start_time: dt.time
    end_time: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    label: str | None = None

    _weekdays = field_validator("days_of_week")(_check_weekdays)

    @model_validator(mode="after")
    def _ranges(self):
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ShiftIn(_Entry):
    name: str = Field(min_length=1)
    short_name: str | None = None
    start_time: dt.time
    end_time: dt.time
    days_of_week: list[Weekday] = Field(min_length=1)
    arrival_interval_minutes: Literal[5, 10, 15, 20, 30, 60] = 15
    color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    sort_order: int = 0
    is_active: bool = True

    _weekdays = field_validator("days_of_week")(_check_weekdays)

    @model_validator(mode="after")
    def _range(self):
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self


class ShiftExceptionIn(_Entry):
    date: dt.date
    shift: str | None = None
    exception_type: Literal["closed", "modified", "special"]
    override_start_time: dt.time | None = None
    override_end_time: dt.time | None = None
    label: str | None = None
    notes: str | None = None


class PolicySetIn(_Entry):
    name: str = Field(min_length=1)
    payment_type: Literal["none", "deposit_pp", "full_prepay_pp"] = "none"
    payment_amount: Decimal | None = Field(None, ge=0, decimal_places=2)
    cancel_free_hours: int = Field(24, ge=0)
    cancel_refund_pct: int = Field(100, ge=0, le=100)
    noshow_mark_after_minutes: int = Field(15, ge=0)
    noshow_keep_deposit: bool = True
    reconfirm_enabled: bool = False
    reconfirm_hours_before: int = Field(24, gt=0)
    reconfirm_required: bool = False
    is_active: bool = True

    @model_validator(mode="after")
    def _amount(self):
        if self.payment_type != "none" and not self.payment_amount:
            raise ValueError(f"payment_type {self.payment_type} needs a payment_amount above 0")
        return self


class TicketIn(_Entry):
    name: str = Field(min_length=1)
    short_name: str | None = None
    description: str | None = None
    duration_minutes: int = Field(gt=0)
    buffer_minutes: int = Field(0, ge=0)
    min_party_size: int = Field(1, ge=1)
    max_party_size: int = Field(20, ge=1)
    policy_set: str
    booking_min_advance_minutes: int = Field(60, ge=0)
    booking_max_advance_days: int = Field(90, ge=0)
    booking_min_advance_large_party_minutes: int | None = Field(None, ge=0)
    large_party_threshold: int = Field(6, ge=1)
    squeeze_enabled: bool = False
    squeeze_duration_minutes: int | None = Field(None, gt=0)
    squeeze_gap_minutes: int = Field(0, ge=0)
    squeeze_to_fixed_end_time: dt.time | None = None
    squeeze_limit_per_shift: int | None = Field(None, ge=0)
    color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    sort_order: int = 0
    is_active: bool = True
    is_default: bool = False
    allowed_channels: list[Channel] | None = None

    @model_validator(mode="after")
    def _ranges(self):
        if self.min_party_size > self.max_party_size:
            raise ValueError(f"min_party_size {self.min_party_size} > max_party_size {self.max_party_size}")
        if self.squeeze_duration_minutes and self.squeeze_duration_minutes > self.duration_minutes:
            raise ValueError("squeeze_duration_minutes is longer than duration_minutes")
        return self


class ShiftTicketIn(_Entry):
    shift: str
    ticket: str
    areas: list[str] = Field(default_factory=list)
    pacing_covers_limit: int | None = Field(None, ge=0)
    pacing_arrivals_limit: int | None = Field(None, ge=0)
    max_covers_total: int | None = Field(None, ge=0)
    overbooking_covers: int = Field(0, ge=0)
    is_active: bool = True
    sort_order: int = 0


class LocationConfig(_Entry):
    location: LocationIn
    reservation_settings: SettingsIn = Field(default_factory=SettingsIn)
    areas: list[AreaIn] = Field(default_factory=list)
    tables: list[TableIn] = Field(default_factory=list)
    table_groups: list[TableGroupIn] = Field(default_factory=list)
    table_availability_rules: list[TableRuleIn] = Field(default_factory=list)
    shifts: list[ShiftIn] = Field(default_factory=list)
    shift_exceptions: list[ShiftExceptionIn] = Field(default_factory=list)
    policy_sets: list[PolicySetIn] = Field(default_factory=list)
    tickets: list[TicketIn] = Field(default_factory=list)
    shift_tickets: list[ShiftTicketIn] = Field(default_factory=list)


def _entry_name(section: str, index: int, item: Any) -> str:
    label = getattr(item, "name", None) or (item.get("name") if isinstance(item, dict) else None)
    return f"{section}[{index}]" + (f" ({label})" if label else "")


def _refuse(raw: dict[str, Any], error: ValidationError) -> ConfigError:
    problems = []
    for e in error.errors():
        loc = list(e["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(loc[0]), list):
            entry = raw[loc[0]][loc[1]]
            where = _entry_name(str(loc[0]), loc[1], entry) + ("." + ".".join(map(str, loc[2:])) if loc[2:] else "")
        problems.append(f"{where}: {e['msg']}")
    return ConfigError("location file refused: " + "; ".join(problems), problems=problems)


def _check_references(cfg: LocationConfig) -> None:
    problems: list[str] = []

    def unique(section: str, items: Iterable[Any]) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            key = item.name.lower()
            if key in seen:
                problems.append(f"{_entry_name(section, i, item)}: the name is used twice")
            seen.add(key)
        return seen

    areas = unique("areas", cfg.areas)
    tables = unique("tables", cfg.tables)
    unique("table_groups", cfg.table_groups)
    shifts = unique("shifts", cfg.shifts)
    policies = unique("policy_sets", cfg.policy_sets)
    tickets = unique("tickets", cfg.tickets)

    for i, t in enumerate(cfg.tables):
        if t.area.lower() not in areas:
            problems.append(f"{_entry_name('tables', i, t)}: unknown area {t.area!r}")
    for i, g in enumerate(cfg.table_groups):
        for name in g.tables:
            if name.lower() not in tables:
                problems.append(f"{_entry_name('table_groups', i, g)}: unknown table {name!r}")
    for i, r in enumerate(cfg.table_availability_rules):
        if r.table.lower() not in tables:
            problems.append(f"table_availability_rules[{i}]: unknown table {r.table!r}")
    for i, e in enumerate(cfg.shift_exceptions):
        if e.shift is not None and e.shift.lower() not in shifts:
            problems.append(f"shift_exceptions[{i}] ({e.date}): unknown shift {e.shift!r}")
    for i, t in enumerate(cfg.tickets):
        if t.policy_set.lower() not in policies:
            problems.append(f"{_entry_name('tickets', i, t)}: unknown policy set {t.policy_set!r}")
    seen_pairs: set[tuple[str, str]] = set()
    for i, st in enumerate(cfg.shift_tickets):
        where = f"shift_tickets[{i}] ({st.shift} / {st.ticket})"
        if st.shift.lower() not in shifts:
            problems.append(f"{where}: unknown shift {st.shift!r}")
        if st.ticket.lower() not in tickets:
            problems.append(f"{where}: unknown ticket {st.ticket!r}")
        for a in st.areas:
            if a.lower() not in areas:
                problems.append(f"{where}: unknown area {a!r}")
        pair = (st.shift.lower(), st.ticket.lower())
        if pair in seen_pairs:
            problems.append(f"{where}: this ticket is linked to this shift twice")
        seen_pairs.add(pair)
    if problems:
        raise ConfigError("location file refused: " + "; ".join(problems), problems=problems)


def parse_config(raw: Any) -> LocationConfig:
    if not isinstance(raw, dict):
        raise ConfigError("location file refused: the file must be a mapping with a 'location' entry")
    try:
        cfg = LocationConfig.model_validate(raw)
    except ValidationError as error:
        raise _refuse(raw, error) from None
    _check_references(cfg)
    return cfg


def read_config(path: str | Path) -> LocationConfig:
    import yaml  # only the CLI and tests load files

    with open(path, encoding="utf-8") as f:
        try:
            raw = yaml.safe_load(f)
        except yaml.YAMLError as error:
            raise ConfigError(f"location file refused: not valid YAML ({error})") from None
    return parse_config(raw)


def load_config(conn: psycopg.Connection, cfg: LocationConfig) -> UUID:
    """Write the configuration in one transaction (as the worker role); returns the location id."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query("as_worker"))
        def one(name: str, params: dict[str, Any]) -> UUID:
            row = cur.execute(query(name), params).fetchone()
            assert row is not None
            return row["id"]

        location_id = one("upsert_location", cfg.location.model_dump())
        cur.execute(query("upsert_reservation_settings"),
                    {"location_id": location_id, **cfg.reservation_settings.model_dump()})
        area_ids = {a.name.lower(): one("upsert_area", {"location_id": location_id, **a.model_dump()})
                    for a in cfg.areas}
        table_ids = {
            t.name.lower(): one("upsert_table", {"location_id": location_id, "area_id": area_ids[t.area.lower()],
                                                 **t.model_dump(exclude={"area"})})
            for t in cfg.tables}
        for g in cfg.table_groups:
            group_id = one("upsert_table_group", {"location_id": location_id, **g.model_dump(exclude={"tables"})})
            member_ids = [table_ids[n.lower()] for n in g.tables]
            cur.execute(query("replace_table_group_members"),
                        {"location_id": location_id, "table_group_id": group_id, "table_ids": member_ids})
        rules = [{"table_id": table_ids[r.table.lower()], **r.model_dump(exclude={"table"})}
                 for r in cfg.table_availability_rules]
        cur.execute(query("replace_table_availability_rules"),
                    {"location_id": location_id, "rules": psycopg.types.json.Jsonb(
                        [{k: (v.isoformat() if hasattr(v, "isoformat") else (str(v) if isinstance(v, UUID) else v))
                          for k, v in r.items()} for r in rules])})
        shift_ids = {s.name.lower(): one("upsert_shift", {"location_id": location_id, **s.model_dump()})
                     for s in cfg.shifts}
        for e in cfg.shift_exceptions:
            cur.execute(query("upsert_shift_exception"), {
                "location_id": location_id, "shift_id": shift_ids[e.shift.lower()] if e.shift else None,
                **e.model_dump(exclude={"shift"})})
        policy_ids = {p.name.lower(): one("upsert_policy_set", {"location_id": location_id, **p.model_dump()})
                      for p in cfg.policy_sets}
        ticket_ids = {
            t.name.lower(): one("upsert_ticket", {"location_id": location_id,
                                                  "policy_set_id": policy_ids[t.policy_set.lower()],
                                                  **t.model_dump(exclude={"policy_set"})})
            for t in cfg.tickets}
        for st in cfg.shift_tickets:
            cur.execute(query("upsert_shift_ticket"), {
                "location_id": location_id, "shift_id": shift_ids[st.shift.lower()],
                "ticket_id": ticket_ids[st.ticket.lower()],
                "area_ids": [area_ids[a.lower()] for a in st.areas],
                **st.model_dump(exclude={"shift", "ticket", "areas"})})
    return location_id


def load_config_file(database_url: str, path: str | Path) -> UUID:
    cfg = read_config(path)
    with psycopg.connect(database_url) as conn:
        return load_config(conn, cfg)
