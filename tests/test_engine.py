"""The pure availability engine (docs/engine.md): every reason_code, squeeze, groups, buffers, holds,
booking windows and DST.  Given a small restaurant, when we ask, then the slots say so."""

import datetime as dt

import pytest

from couvert.engine import AvailabilityRequest
from tests.support.clock import dst_changes, next_dst_years
from tests.support.factories import NOON_BEFORE, World


@pytest.fixture
def world():
    """One 4-top, a 120-minute dinner ticket, a shift with arrivals 18:00-21:45."""
    w = World()
    w.t1 = w.table("T1", 1, 4)
    w.dinner = w.ticket("Dinner", 120)
    w.evening = w.shift("Dinner", "18:00", "22:00")
    return w


def _link(w, **kw):
    w.link(w.evening, w.dinner, **kw)


# -- slots ------------------------------------------------------------------------------------

def test_arrival_times_run_from_start_strictly_before_end(world):
    _link(world)
    assert list(world.slots()) == [f"{h:02d}:{m:02d}" for h in range(18, 22) for m in (0, 15, 30, 45)]


def test_an_available_slot_says_available_with_the_stay_length(world):
    _link(world)
    slot = world.slots()["19:00"]
    assert (slot.available, slot.reason_code, slot.slot_type, slot.duration_minutes) == (
        True, "available", "normal", 120)
    assert slot.table_id == world.t1


# -- one scenario per reason_code, and its neighbour ----------------------------------------

def test_closed_shift_gives_closed_and_an_open_one_does_not():
    w = World()
    w.table("T1")
    ticket = w.ticket()
    closed = w.shift("Lunch", "12:00", "14:00", closed=True, label="Private event")
    open_ = w.shift("Dinner", "18:00", "20:00")
    w.link(closed, ticket)
    w.link(open_, ticket)
    assert {s.reason_code for s in w.slots(shift=closed).values()} == {"closed"}
    assert {s.reason_code for s in w.slots(shift=open_).values()} == {"available"}


def test_channel_blocked_when_the_ticket_excludes_the_channel():
    w = World()
    w.table("T1")
    ticket = w.ticket(allowed_channels=frozenset({"phone"}))
    w.link(w.shift(), ticket)
    assert w.slots(channel="widget")["19:00"].reason_code == "channel_blocked"
    assert w.slots(channel="phone")["19:00"].reason_code == "available"


def test_cut_off_inside_the_minimum_advance_and_not_outside_it():
    w = World()
    w.table("T1")
    w.link(w.shift(), w.ticket(booking_min_advance_minutes=60))
    now = w.at("17:30")
    slots = w.slots(now=now)
    assert slots["18:15"].reason_code == "cut_off"
    assert slots["18:30"].reason_code == "available"  # exactly 60 minutes ahead


def test_pacing_arrivals_full_counts_arrivals_in_the_interval(world):
    t2 = world.table("T2", 1, 4)
    _link(world, pacing_arrivals_limit=1)
    world.book(world.evening, world.dinner, "18:05", tables=[t2])
    slots = world.slots()
    assert slots["18:00"].reason_code == "pacing_arrivals_full"
    assert slots["18:15"].reason_code == "available"


def test_pacing_covers_full_when_the_party_would_pass_the_limit(world):
    t2 = world.table("T2", 1, 4)
    _link(world, pacing_covers_limit=4)
    world.book(world.evening, world.dinner, "18:00", party_size=2, tables=[t2])
    assert world.slots(party_size=2)["18:00"].reason_code == "available"
    assert world.slots(party_size=3)["18:00"].reason_code == "pacing_covers_full"


def test_max_covers_reached_counts_the_whole_shift_for_this_ticket(world):
    t2 = world.table("T2", 1, 4)
    _link(world, max_covers_total=6)
    other_ticket = world.ticket("Other")
    world.link(world.evening, other_ticket)
    world.book(world.evening, world.dinner, "18:00", party_size=4, tables=[t2])
    world.book(world.evening, other_ticket, "21:00", party_size=4, tables=[t2])  # another ticket: not counted
    assert world.slots(party_size=2, ticket=world.dinner)["20:30"].reason_code == "available"
    assert world.slots(party_size=3, ticket=world.dinner)["20:30"].reason_code == "max_covers_reached"


def test_tables_full_while_the_only_table_is_taken(world):
    _link(world)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1])
    slots = world.slots()
    assert slots["19:45"].reason_code == "tables_full"
    assert slots["20:00"].reason_code == "available"


def test_squeeze_limit_when_only_a_squeeze_fits_and_the_shift_has_its_quota(world):
    squeezy = world.ticket("Squeezy", 120, squeeze_enabled=True, squeeze_duration_minutes=60,
                           squeeze_limit_per_shift=1)
    world.link(world.evening, squeezy)
    world.book(world.evening, squeezy, "20:00", tables=[world.t1])
    assert world.slots(ticket=squeezy)["19:00"].reason_code == "available"
    assert world.slots(ticket=squeezy)["19:00"].slot_type == "squeeze"
    world.book(world.evening, squeezy, "18:00", minutes=60, is_squeeze=True)  # a squeeze elsewhere
    assert world.slots(ticket=squeezy)["19:00"].reason_code == "squeeze_limit"


def test_overbooking_seats_without_a_table_until_its_covers_are_used(world):
    _link(world, overbooking_covers=2)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1])
    slot = world.slots(party_size=2)["18:30"]
    assert (slot.available, slot.slot_type, slot.table_id) == (True, "normal", None)
    world.book(world.evening, world.dinner, "18:15", party_size=2)  # an earlier overbooked party
    assert world.slots(party_size=2)["18:30"].reason_code == "overbooking_limit"


def test_checks_run_in_order_and_the_first_failure_is_the_reason():
    w = World()
    w.table("T1")
    shift = w.shift(closed=True)
    w.link(shift, w.ticket(allowed_channels=frozenset({"phone"}), booking_min_advance_minutes=10_000),
           pacing_covers_limit=0)
    assert w.slots()["19:00"].reason_code == "closed"


# -- squeeze ----------------------------------------------------------------------------------

@pytest.fixture
def squeeze_world(world):
    world.squeezy = world.ticket("Squeezy", 120, squeeze_enabled=True, squeeze_duration_minutes=75)
    world.link(world.evening, world.squeezy)
    world.book(world.evening, world.squeezy, "20:00", tables=[world.t1])
    return world


def test_squeeze_is_offered_only_where_the_normal_stay_does_not_fit(squeeze_world):
    slots = squeeze_world.slots(ticket=squeeze_world.squeezy)
    assert (slots["18:00"].slot_type, slots["18:00"].duration_minutes) == ("normal", 120)
    assert (slots["18:15"].slot_type, slots["18:15"].duration_minutes) == ("squeeze", 75)
    assert (slots["18:45"].slot_type, slots["18:45"].available) == ("squeeze", True)
    assert slots["19:00"].reason_code == "tables_full"  # 19:00 + 75 min runs into 20:00


def test_squeeze_respects_its_gap_instead_of_the_buffer(world):
    ticket = world.ticket("Gap", 120, buffer=30, squeeze_enabled=True, squeeze_duration_minutes=75,
                          squeeze_gap_minutes=15)
    world.link(world.evening, ticket)
    world.book(world.evening, ticket, "20:00", tables=[world.t1])
    slots = world.slots(ticket=ticket)
    assert slots["18:30"].slot_type == "squeeze"  # 18:30 + 75 + 15 gap = 20:00
    assert slots["18:45"].reason_code == "tables_full"


def test_squeeze_to_a_fixed_end_time(world):
    ticket = world.ticket("Fixed", 120, squeeze_enabled=True, squeeze_to_fixed_end_time=dt.time(20, 0))
    world.link(world.evening, ticket)
    world.book(world.evening, ticket, "20:00", tables=[world.t1])
    slots = world.slots(ticket=ticket)
    assert (slots["18:30"].slot_type, slots["18:30"].duration_minutes) == ("squeeze", 90)
    assert (slots["19:30"].slot_type, slots["19:30"].duration_minutes) == ("squeeze", 30)
    assert slots["20:00"].reason_code == "tables_full"  # the fixed end is not later than the arrival


def test_outside_the_booking_window_every_other_check_still_applies(world):
    """A host's correction (respect_booking_window=False) skips cut_off, never capacity or tables."""
    _link(world)
    world.book(world.evening, world.dinner, "19:00", tables=[world.t1])
    late = world.at("19:10")
    assert world.slots(now=late)["19:00"].reason_code == "cut_off"
    slots = world.slots(now=late, respect_booking_window=False)
    assert slots["19:00"].reason_code == "tables_full" and slots["21:00"].available


# -- table groups, buffers, rules ---------------------------------------------------------------

@pytest.fixture
def group_world():
    w = World()
    w.a = w.table("A", 2, 4)
    w.b = w.table("B", 2, 4)
    w.ab = w.group("A+B", [w.a, w.b], 5, 8)
    w.dinner = w.ticket()
    w.evening = w.shift()
    w.link(w.evening, w.dinner)
    return w


def test_a_party_of_six_sits_at_a_group_when_every_member_is_free(group_world):
    slot = group_world.slots(party_size=6)["19:00"]
    assert (slot.available, slot.table_id, slot.table_group_id) == (True, None, group_world.ab)


def test_a_group_is_not_free_when_one_member_is_occupied(group_world):
    group_world.book(group_world.evening, group_world.dinner, "19:00", tables=[group_world.b])
    slots = group_world.slots(party_size=6)
    assert slots["19:00"].reason_code == "tables_full"
    assert slots["21:00"].available


def test_a_single_table_is_preferred_over_a_group(group_world):
    big = group_world.table("Big", 4, 8)
    assert group_world.slots(party_size=6)["19:00"].table_id == big


def test_choice_order_smallest_then_priority_then_area_then_name():
    w = World()
    terrace = w.area("Terrace", sort_order=2)
    w.table("Z-big", 1, 6)
    w.table("B", 1, 4, area=terrace)
    a = w.table("A", 1, 4, area=terrace)
    inside = w.table("C", 1, 4)
    w.link(w.shift(), w.ticket())
    assert w.slots()["19:00"].table_id == inside  # main area sorts before the terrace
    preferred = w.table("Y", 1, 4, area=terrace, priority=5)
    assert w.slots()["19:00"].table_id == preferred
    assert a != preferred


def test_a_table_freed_at_20_with_a_15_minute_buffer_is_free_again_at_20_15():
    w = World()
    t1 = w.table("T1")
    ticket = w.ticket(buffer=15)
    shift = w.shift()
    w.link(shift, ticket)
    w.book(shift, ticket, "18:00", tables=[t1])  # 18:00-20:00, occupied until 20:15
    slots = w.slots()
    assert slots["20:00"].reason_code == "tables_full"
    assert slots["20:15"].available


def test_a_new_stay_keeps_its_own_buffer_free_before_the_next_booking():
    w = World()
    t1 = w.table("T1")
    ticket = w.ticket(duration=60, buffer=15)
    shift = w.shift()
    w.link(shift, ticket)
    w.book(shift, ticket, "20:00", tables=[t1])
    slots = w.slots()
    assert slots["18:45"].available  # 18:45-19:45, +15 = 20:00
    assert slots["19:00"].reason_code == "tables_full"


def test_a_block_rule_forbids_stays_overlapping_its_window(world):
    _link(world)
    world.rule(world.t1, "block", "21:30", "23:59")
    slots = world.slots()
    assert slots["19:30"].available  # 19:30-21:30 touches the window
    assert slots["19:45"].reason_code == "tables_full"


def test_a_block_rule_only_on_its_weekdays_and_dates(world):
    _link(world)
    world.rule(world.t1, "block", "18:00", "23:00", days_of_week=frozenset({1}))  # Mondays; DAY is a Wednesday
    world.rule(world.t1, "block", "18:00", "23:00", valid_from=world.day + dt.timedelta(days=30))
    assert world.slots()["19:00"].available


def test_allow_rules_restrict_arrivals_to_their_windows(world):
    _link(world)
    world.rule(world.t1, "allow", "18:00", "19:00")
    slots = world.slots()
    assert slots["18:45"].available
    assert slots["19:00"].reason_code == "tables_full"


def test_inactive_tables_areas_and_offline_tables(world):
    _link(world)
    offline = world.table("Off", 1, 4, online_bookable=False)
    world.tables.pop(world.t1)
    assert world.slots(channel="widget")["19:00"].reason_code == "tables_full"
    assert world.slots(channel="phone")["19:00"].table_id == offline


def test_area_restriction_of_the_shift_ticket(world):
    terrace = world.area("Terrace")
    outside = world.table("O1", 1, 4, area=terrace)
    world.link(world.evening, world.dinner, area_ids=[terrace])
    assert world.slots()["19:00"].table_id == outside


# -- what holds capacity ------------------------------------------------------------------------

def test_a_completed_stay_frees_its_table_at_completed_at(world):
    _link(world)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status="completed",
               completed_at=world.at("19:00"))
    slots = world.slots()
    assert slots["18:45"].reason_code == "tables_full"
    assert slots["19:00"].available


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_cancelled_and_no_show_hold_nothing(world, status):
    _link(world, pacing_arrivals_limit=1)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status=status)
    assert world.slots()["18:00"].available


@pytest.mark.parametrize("status", ["draft", "pending_payment"])
def test_a_lapsed_hold_holds_nothing_and_a_live_one_holds(world, status):
    _link(world)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status=status,
               hold_expires_at=NOON_BEFORE - dt.timedelta(minutes=1))
    assert world.slots()["18:00"].available
    world.bookings.clear()
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status=status,
               hold_expires_at=NOON_BEFORE + dt.timedelta(minutes=1))
    assert world.slots()["18:00"].reason_code == "tables_full"


def test_an_option_past_its_expiry_holds_nothing(world):
    _link(world, max_covers_total=2)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status="option",
               option_expires_at=NOON_BEFORE)
    assert world.slots()["18:00"].available
    world.bookings.clear()
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1], status="option",
               option_expires_at=NOON_BEFORE + dt.timedelta(hours=1))
    assert world.slots()["20:00"].reason_code == "max_covers_reached"


# -- booking window -----------------------------------------------------------------------------

def test_large_parties_use_their_own_minimum_advance(world):
    world.t1 = world.table("Big", 1, 8)
    world.tickets[world.dinner] = world.tickets[world.dinner]._replace(
        large_party_threshold=6, booking_min_advance_large_party_minutes=1440, max_party_size=8)
    _link(world)
    now = world.at("12:00")
    assert world.slots(party_size=5, now=now)["19:00"].available
    assert world.slots(party_size=6, now=now)["19:00"].reason_code == "cut_off"
    day_before = now - dt.timedelta(days=1)
    assert world.slots(party_size=6, now=day_before)["19:00"].available


def test_max_advance_days_counts_local_calendar_days():
    w = World()
    w.table("T1")
    w.link(w.shift(), w.ticket(booking_max_advance_days=7))
    seven_days_before = w.at("23:30", w.day - dt.timedelta(days=7))
    eight_days_before = w.at("23:30", w.day - dt.timedelta(days=8))
    assert w.slots(now=seven_days_before)["19:00"].available
    assert w.slots(now=eight_days_before)["19:00"].reason_code == "cut_off"


def test_slots_in_the_past_are_cut_off(world):
    _link(world)
    slots = world.slots(now=world.at("20:07"))
    assert slots["20:00"].reason_code == "cut_off"
    assert slots["20:15"].available


# -- DST (Europe/Amsterdam) -------------------------------------------------------------------

@pytest.mark.parametrize("day", [dst_changes(year)[0] for year in next_dst_years()])
def test_spring_forward_skips_the_missing_hour_and_overlaps_use_instants(day):
    w = World(day)
    t1 = w.table("T1")
    ticket = w.ticket(duration=60)
    shift = w.shift("Night", "01:00", "04:00", interval=30)
    w.link(shift, ticket)
    now = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    assert list(w.slots(now=now)) == ["01:00", "01:30", "03:00", "03:30"]
    w.book(shift, ticket, "01:30", tables=[t1])  # 60 real minutes: until 03:30 on the wall clock
    slots = w.slots(now=now)
    assert slots["03:00"].reason_code == "tables_full"
    assert slots["03:30"].available


@pytest.mark.parametrize("day", [dst_changes(year)[1] for year in next_dst_years()])
def test_fall_back_takes_repeated_times_once_at_their_first_occurrence(day):
    w = World(day)
    t1 = w.table("T1")
    ticket = w.ticket(duration=90)
    shift = w.shift("Night", "01:00", "04:00", interval=30)
    w.link(shift, ticket)
    now = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    slots = w.slots(now=now)
    assert list(slots) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert slots["02:00"].start_at.astimezone(w.tz).utcoffset() == dt.timedelta(hours=2)  # still summer time
    assert (slots["03:00"].start_at - slots["02:30"].start_at) == dt.timedelta(minutes=90)
    w.book(shift, ticket, "02:00", tables=[t1])  # 90 real minutes: ends at 02:30 winter time
    slots = w.slots(now=now)
    assert slots["02:30"].reason_code == "tables_full"
    assert slots["03:00"].available  # wall-clock arithmetic would wrongly say 02:00 + 90 = 03:30


# -- evaluate (booking uses the same engine) ------------------------------------------------------

def test_evaluate_agrees_with_the_day_listing(world):
    _link(world)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1])
    engine = world.engine()
    request = AvailabilityRequest(world.day, 2)
    listed = {s.time: s for t in engine.availability(request) for sh in t.shifts for s in sh.slots}
    for time, slot in listed.items():
        shift, evaluated = engine.evaluate(request, world.dinner, time)
        assert evaluated == slot and shift.shift_id == world.evening
    assert engine.evaluate(request, world.dinner, dt.time(18, 5)) is None


def test_evaluate_finds_no_slot_at_a_time_that_is_not_an_arrival_time(world):
    """A booking's single slot (evaluate) exists only at the listing's arrival times: off the
    interval, at or after the shift's end, before its start, or with seconds, there is none."""
    _link(world)
    engine = world.engine()
    request = AvailabilityRequest(world.day, 2)
    assert engine.evaluate(request, world.dinner, dt.time(18, 15)) is not None
    for time in (dt.time(18, 10), dt.time(22, 0), dt.time(17, 45), dt.time(18, 15, 30), dt.time(23, 45)):
        assert engine.evaluate(request, world.dinner, time) is None, time


@pytest.mark.parametrize("day", [dst_changes(year)[0] for year in next_dst_years()])
def test_evaluate_finds_no_slot_in_the_hour_spring_forward_skips(day):
    w = World(day)
    w.table("T1")
    ticket = w.ticket(duration=60)
    shift = w.shift("Night", "01:00", "04:00", interval=30)
    w.link(shift, ticket)
    now = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    engine = w.engine(now)
    request = AvailabilityRequest(day, 2)
    assert [engine.evaluate(request, ticket, dt.time(h, m)) is not None for h, m in ((1, 30), (2, 0), (2, 30), (3, 0))] \
        == [True, False, False, True]


def test_the_engine_is_deterministic(world):
    _link(world)
    world.book(world.evening, world.dinner, "18:00", tables=[world.t1])
    request = AvailabilityRequest(world.day, 2)
    assert world.engine().availability(request) == world.engine().availability(request)
