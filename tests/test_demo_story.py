"""The operator's story of the original design, on the demo location (demo_location.yaml), loaded through SQL."""

import datetime as dt

import psycopg
import pytest

from couvert.engine import AvailabilityEngine, AvailabilityRequest, Booking
from couvert.engine.clock import slot_instant, zone
from couvert.snapshots import load_snapshot
from tests.support import DEMO_CLOSED_DAY, DEMO_EVE
from tests.support.clock import PINNED_NOW, day

NOW = PINNED_NOW
WEDNESDAY = day(9)
AMS = zone("Europe/Amsterdam")


@pytest.fixture
def demo(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        snapshot = load_snapshot(conn, demo_location, WEDNESDAY - dt.timedelta(days=1), DEMO_CLOSED_DAY + dt.timedelta(days=1))
    by_name = {t.name: t.id for t in snapshot.tickets.values()}
    tables = {t.name: t.id for t in snapshot.tables.values()}
    shifts = {s.name: s.shift_id for s in snapshot.shifts_by_date[WEDNESDAY]}
    return snapshot, by_name, tables, shifts


def _slots(snapshot, day, party, ticket, channel="widget", now=NOW):
    results = AvailabilityEngine(snapshot, now).availability(AvailabilityRequest(day, party, channel, ticket))
    return {(s.shift.name, slot.time.strftime("%H:%M")): slot for t in results for s in t.shifts for slot in s.slots}


def _tables_of(snapshot, slots):
    return {snapshot.tables[s.table_id].name for s in slots.values() if s.table_id}


def _book(snapshot, shifts, ticket, time, party, tables, day=WEDNESDAY, minutes=120):
    start = slot_instant(day, dt.time.fromisoformat(time), AMS)
    return Booking(id=__import__("uuid").uuid4(), shift_id=shifts["Diner"], ticket_id=ticket, date=day,
                   start_at=start, occupied_until=start + dt.timedelta(minutes=minutes + 15), party_size=party,
                   status="confirmed", table_ids=tuple(tables))


def test_regular_dinner_sits_only_in_restaurant_and_terras(demo):
    snapshot, tickets, _tables, _ = demo
    chosen = _tables_of(snapshot, _slots(snapshot, WEDNESDAY, 2, tickets["Regular Dinner"]))
    assert chosen and all(name[0] in "RT" for name in chosen)


def test_chefs_table_sits_only_in_the_privezaal(demo):
    snapshot, tickets, _tables, _ = demo
    chosen = _tables_of(snapshot, _slots(snapshot, WEDNESDAY, 2, tickets["Chef's Table"]))
    assert chosen and all(name.startswith("P") for name in chosen)


def test_regular_pacing_is_twelve_covers_per_quarter_hour(demo):
    snapshot, tickets, tables, shifts = demo
    reg = tickets["Regular Dinner"]
    bookings = [_book(snapshot, shifts, reg, "19:00", 4, [tables[n]]) for n in ("R3", "R4")]
    bookings.append(_book(snapshot, shifts, reg, "19:10", 2, [tables["R1"]]))  # 10 covers in [19:00, 19:15)
    s = _slots(snapshot._replace(bookings=tuple(bookings)), WEDNESDAY, 2, reg)
    assert s[("Diner", "19:00")].available
    s = _slots(snapshot._replace(bookings=tuple(bookings)), WEDNESDAY, 3, reg)
    assert s[("Diner", "19:00")].reason_code == "pacing_covers_full"
    assert s[("Diner", "19:15")].available


def test_chefs_table_pacing_four_per_quarter_and_twelve_per_shift(demo):
    snapshot, tickets, tables, shifts = demo
    chef = tickets["Chef's Table"]
    first = [_book(snapshot, shifts, chef, "18:00", 4, [tables["P1"]], minutes=180)]
    s = _slots(snapshot._replace(bookings=tuple(first)), WEDNESDAY, 2, chef)
    assert s[("Diner", "18:00")].reason_code == "pacing_covers_full"
    assert s[("Diner", "18:15")].available
    nine_more = first + [_book(snapshot, shifts, chef, t, 4, [], minutes=180) for t in ("19:00", "20:00")]
    s = _slots(snapshot._replace(bookings=tuple(nine_more)), WEDNESDAY, 2, chef)
    assert s[("Diner", "21:00")].reason_code == "max_covers_reached"  # 12 + 2 > 12


def test_kerstavond_runs_diner_from_17_to_21(demo):
    snapshot, tickets, _tables, _ = demo
    s = _slots(snapshot, DEMO_EVE, 2, tickets["Regular Dinner"])
    times = sorted(t for shift, t in s if shift == "Diner")
    assert times[0] == "17:00" and times[-1] == "20:45"


def test_christmas_day_is_closed_with_its_label(demo):
    snapshot, tickets, _tables, _ = demo
    results = AvailabilityEngine(snapshot, NOW).availability(AvailabilityRequest(DEMO_CLOSED_DAY, 2))
    shifts = [s for t in results for s in t.shifts]
    assert shifts and all(s.shift.closed and s.shift.label == "Eerste Kerstdag" for s in shifts)
    assert {slot.reason_code for s in shifts for slot in s.slots} == {"closed"}


def test_the_terrace_table_is_blocked_after_21_30(demo):
    snapshot, tickets, tables, shifts = demo
    reg = tickets["Regular Dinner"]
    # Occupy every 2-seat table but T1, so the 2-top choice shows whether T1 may be used.
    others = [_book(snapshot, shifts, reg, "18:00", 2, [tables[n]], minutes=300) for n in ("R1", "R2")]
    s = _slots(snapshot._replace(bookings=tuple(others)), WEDNESDAY, 2, reg)
    assert snapshot.tables[s[("Diner", "19:30")].table_id].name == "T1"  # 19:30-21:30 touches the block
    assert snapshot.tables[s[("Diner", "19:45")].table_id].name != "T1"


def test_r7_is_bookable_by_phone_but_not_online(demo):
    snapshot, tickets, tables, shifts = demo
    reg = tickets["Regular Dinner"]
    group_taken = [_book(snapshot, shifts, reg, "18:00", 6, [tables["R3"]], minutes=300)]
    snap = snapshot._replace(bookings=tuple(group_taken))
    online = _slots(snap, WEDNESDAY, 7, reg)[("Diner", "19:00")]
    phone = _slots(snap, WEDNESDAY, 7, reg, channel="phone")[("Diner", "19:00")]
    assert online.reason_code == "tables_full"
    assert phone.available and snapshot.tables[phone.table_id].name == "R7"
