"""Property-based tests of the engine on random restaurants and bookings (hypothesis)."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couvert.engine import AvailabilityEngine, AvailabilityRequest
from tests.support.factories import NOON_BEFORE, World

STATUSES = ["confirmed", "seated", "completed", "cancelled", "no_show", "option", "pending_payment", "draft"]


@st.composite
def worlds(draw):
    w = World()
    tables = []
    for i in range(draw(st.integers(1, 6))):
        low = draw(st.integers(1, 4))
        tables.append(w.table(f"T{i}", low, low + draw(st.integers(0, 4)), priority=draw(st.integers(0, 2)),
                              online_bookable=draw(st.booleans())))
    if len(tables) >= 2 and draw(st.booleans()):
        w.group("G", tables[:2], 3, 10)
    if draw(st.booleans()):
        w.rule(tables[0], draw(st.sampled_from(["block", "allow"])), "20:00", "21:00")
    squeeze = draw(st.booleans())
    ticket = w.ticket(duration=draw(st.sampled_from([60, 90, 120])), buffer=draw(st.sampled_from([0, 15])),
                      squeeze_enabled=squeeze, squeeze_duration_minutes=45 if squeeze else None,
                      squeeze_limit_per_shift=draw(st.none() | st.integers(0, 2)), max_party_size=10)
    shift = w.shift("Dinner", "17:00", "23:00", interval=draw(st.sampled_from([15, 30])))
    w.link(shift, ticket, pacing_covers_limit=draw(st.none() | st.integers(2, 16)),
           pacing_arrivals_limit=draw(st.none() | st.integers(1, 4)),
           max_covers_total=draw(st.none() | st.integers(4, 40)), overbooking_covers=draw(st.integers(0, 4)))
    for _ in range(draw(st.integers(0, 12))):
        _random_booking(draw, w, shift, ticket, tables)
    w.party = draw(st.integers(1, 8))
    w.channel = draw(st.sampled_from(["widget", "phone"]))
    w.handles = (shift, ticket, tables)
    return w


def _random_booking(draw, w, shift, ticket, tables):
    hour, minute = draw(st.integers(16, 23)), draw(st.sampled_from([0, 10, 15, 30, 45]))
    status = draw(st.sampled_from(STATUSES))
    extra = {}
    if status in ("draft", "pending_payment"):
        extra["hold_expires_at"] = NOON_BEFORE + dt.timedelta(minutes=draw(st.integers(-30, 30)))
    if status == "option":
        extra["option_expires_at"] = NOON_BEFORE + dt.timedelta(minutes=draw(st.integers(-30, 30)))
    if status == "completed":
        extra["completed_at"] = w.at(f"{hour:02d}:{minute:02d}") + dt.timedelta(minutes=draw(st.integers(0, 90)))
    chosen = draw(st.lists(st.sampled_from(tables), max_size=1))
    return w.book(shift, ticket, f"{hour:02d}:{minute:02d}", party_size=draw(st.integers(1, 6)), tables=chosen,
                  minutes=draw(st.sampled_from([45, 90, 120])), status=status,
                  is_squeeze=draw(st.booleans()), **extra)


def _available(engine, w):
    results = engine.availability(AvailabilityRequest(w.day, w.party, w.channel))
    return {slot.time: slot for t in results for s in t.shifts for slot in s.slots}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_same_input_same_output(w):
    assert _available(w.engine(), w) == _available(w.engine(), w)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_a_chosen_table_is_free_for_the_whole_stay_plus_buffer(w):
    snapshot = w.snapshot()
    holding = [b for b in snapshot.bookings if b.holds_capacity(NOON_BEFORE)]
    members = {g.id: g.table_ids for g in snapshot.table_groups}
    for slot in _available(w.engine(), w).values():
        if not slot.available or (slot.table_id is None and slot.table_group_id is None):
            continue
        seats = (slot.table_id,) if slot.table_id else members[slot.table_group_id]
        for booking in holding:
            if set(seats) & set(booking.table_ids):
                assert not (slot.start_at < booking.table_free_at and booking.start_at < slot.occupied_until), (
                    f"{slot.time} overlaps a booking at {booking.start_at}")
        if slot.table_id:
            table = snapshot.tables[slot.table_id]
            assert table.min_capacity <= w.party <= table.max_capacity
            assert table.online_bookable or w.channel == "phone"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.data())
def test_adding_a_reservation_never_makes_a_slot_more_available(w, data):
    before = _available(w.engine(), w)
    shift, ticket, tables = w.handles
    _random_booking(data.draw, w, shift, ticket, tables)
    after = _available(w.engine(), w)
    for time, slot in after.items():
        if slot.available:
            assert before[time].available, f"{time} became available after adding a booking"
        if slot.slot_type == "normal" and slot.available and slot.table_id:
            assert before[time].slot_type == "normal"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_auto_assign_picks_what_availability_would(w):
    """choose_table for an unassigned booking equals the table availability offers at its time."""
    shift, ticket, _ = w.handles
    engine = w.engine()
    for time, slot in _available(engine, w).items():
        if slot.available and slot.slot_type == "normal" and (slot.table_id or slot.table_group_id):
            booking = w.book(shift, ticket, time.strftime("%H:%M"), party_size=w.party)
            w.bookings.pop()
            online = w.channel != "phone"
            assert AvailabilityEngine(w.snapshot(), NOON_BEFORE).choose_table(booking, online) == (
                slot.table_id, slot.table_group_id)
            break


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_a_booking_s_single_slot_is_the_day_listing_s(w):
    """evaluate computes the requested slot alone (a booking's check): its verdict, table and stay are
    the listing's for that time, squeeze, pacing, rules and overbooking included."""
    _, ticket, _ = w.handles
    engine = w.engine()
    for time, slot in _available(engine, w).items():
        _, evaluated = AvailabilityEngine(w.snapshot(), NOON_BEFORE).evaluate(
            AvailabilityRequest(w.day, w.party, w.channel), ticket, time)
        assert evaluated == slot


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.data())
def test_stays_that_ended_before_the_day_began_change_nothing(w, data):
    """The snapshot leaves out the day before's stays that ended before the day began (migration
    0039): the engine's answer for the day is the same with or without them."""
    shift, ticket, tables = w.handles
    late = w.shift("Late", "00:00", "02:00", interval=15)  # slots from the day's first minute
    w.link(late, ticket)
    midnight = w.at("00:00")
    for _ in range(data.draw(st.integers(1, 6))):
        ends = midnight - dt.timedelta(minutes=data.draw(st.integers(0, 120)))  # at midnight at the latest
        start = ends - dt.timedelta(minutes=data.draw(st.sampled_from([45, 90, 120])))
        w.book(shift, ticket, start.astimezone(w.tz).strftime("%H:%M"), day=w.day - dt.timedelta(days=1),
               party_size=data.draw(st.integers(1, 6)), tables=data.draw(st.lists(st.sampled_from(tables), max_size=1)),
               occupied_until=ends, status=data.draw(st.sampled_from(STATUSES)))
    with_them = _available(w.engine(), w)
    w.bookings = [b for b in w.bookings if b.occupied_until > midnight]
    assert _available(w.engine(), w) == with_them
