"""A booking's snapshot holds the reservations that can touch its stay (migration 0040), not its whole
day: the engine's verdict for the requested slot, with its table and stay, is the whole day's."""

import datetime as dt
import random
import uuid

import psycopg
import pytest

from couvert.engine import AvailabilityEngine, AvailabilityRequest
from couvert.pipelines import batch
from couvert.snapshots import Arrival, load_snapshot, send_snapshot
from tests.conftest import DEFAULT_NOW
from tests.support.api import DAY, add_member, book, booking_body, ids, insert_stays, op, res

THE_DAY = dt.date.fromisoformat(DAY)  # a Wednesday: lunch (Brunch) and dinner (Regular Dinner, Chef's Table)


def _arrival_snapshot(conn, location, ticket_id, time):
    with batch(conn):
        read = send_snapshot(conn, location, THE_DAY, arrival=Arrival(ticket_id, time))
    return read()


def _serve_regular_dinner_at_lunch(conn, location) -> None:
    conn.execute("""insert into shift_tickets (location_id, shift_id, ticket_id, area_ids, pacing_covers_limit,
                                               max_covers_total)
                    select st.location_id, st.shift_id, t.id, st.area_ids, 6, 16
                    from shift_tickets st join tickets b on b.id = st.ticket_id and b.name = 'Brunch'
                    join tickets t on t.location_id = st.location_id and t.name = 'Regular Dinner'
                    where st.location_id = %s""", (location,))


def _busy_day(app_env, location, seed: int) -> list[str]:
    """A hundred and twenty random booking requests through the API, as the engine seats them, then
    some of the bookings cancelled, seated, or seated and completed by a host; the ids of those made.
    Dinner starts at two, the Regular Dinner is served at lunch too (with its own pacing and covers),
    and the Chef's Table seats in every area, without a deposit, so that stays of all three tickets
    share tables, lunch's last ones overlap dinner's first, and from two to three a Regular Dinner
    arrival is offered by both shifts."""
    with psycopg.connect(app_env) as conn:
        conn.execute("update shifts set start_time = '14:00' where location_id = %s and name = 'Diner'", (location,))
        conn.execute("""update tickets t set policy_set_id = p.id from policy_sets p
                        where t.location_id = %(l)s and t.name = 'Chef''s Table'
                          and p.location_id = %(l)s and p.name = 'Standaard'""", {"l": location})
        conn.execute("""update shift_tickets st set area_ids = (select array_agg(a.id) from areas a
                                                                where a.location_id = st.location_id)
                        from tickets t where st.location_id = %(l)s and t.id = st.ticket_id
                          and t.name = 'Chef''s Table'""", {"l": location})
        _serve_regular_dinner_at_lunch(conn, location)
    rng = random.Random(seed)
    names = ids(app_env)
    add_member(app_env, location, "host-1")
    made = []
    for n in range(120):
        ticket, first, last = rng.choice([("Brunch", 12 * 60, 14 * 60 + 45), ("Regular Dinner", 12 * 60, 22 * 60 + 45),
                                          ("Chef's Table", 14 * 60, 22 * 60 + 45)])
        minute = rng.randrange(first, last + 1, 15)
        body = booking_body(names[ticket], f"{minute // 60:02d}:{minute % 60:02d}", rng.randint(2, 4) if ticket == "Chef's Table" else rng.randint(1, 8))
        body["guest"] = {**body["guest"], "email": f"guest{n}@example.com"}
        status, answer, _ = book(location, body, source_ip=f"10.0.{n // 200}.{n % 200}")
        if status == 201:
            made.append(answer["reservation"]["id"])
    for rid in made:
        for move in rng.choice([[], [], ["cancelled"], ["seated"], ["seated", "completed"]]):
            assert res("POST", rid, "/transitions", headers=op("host-1"), body={"to": move})[0] == 200
    return made


@pytest.mark.parametrize("seed", [1, 2])
def test_the_slot_s_verdict_table_and_stay_are_the_whole_day_s(app_env, demo_location, seed):
    """Every arrival time of every ticket, for every party size on both channels: the engine decides
    the same on the stay's reservations as on the day's (pacing, covers, squeezes and tables alike)."""
    made = _busy_day(app_env, demo_location, seed)
    assert len(made) >= 15  # a day busy enough to refuse some slots
    with psycopg.connect(app_env) as conn:
        day = load_snapshot(conn, demo_location, THE_DAY)
        compared = refused = 0
        for ticket in day.tickets.values():
            for shift in day.shifts_by_date[THE_DAY]:
                start = shift.start_time.hour * 60 + shift.start_time.minute
                end = shift.end_time.hour * 60 + shift.end_time.minute
                for minute in range(start, end, 15):
                    time = dt.time(minute // 60, minute % 60)
                    stay = _arrival_snapshot(conn, demo_location, ticket.id, time)
                    assert {b.id for b in stay.bookings} <= {b.id for b in day.bookings}
                    for party in range(1, 9):
                        for channel in ("widget", "phone"):
                            request = AvailabilityRequest(THE_DAY, party, channel, ticket.id)
                            expected = AvailabilityEngine(day, DEFAULT_NOW).evaluate(request, ticket.id, time)
                            assert AvailabilityEngine(stay, DEFAULT_NOW).evaluate(request, ticket.id, time) == expected
                            compared += expected is not None
                            refused += expected is not None and not expected[1].available
    assert compared > 500 and refused > 50  # the comparison saw slots offered and slots refused


def test_a_lunch_booking_reads_lunch_and_a_dinner_booking_reads_dinner(app_env, demo_location):
    """The stay's reservations are the ticket's in the shifts running at the arrival and the stays
    overlapping its own: a dinner stay is not read for a lunch arrival, even of the same ticket, nor
    the other way round."""
    names = ids(app_env)
    with psycopg.connect(app_env) as conn:
        _serve_regular_dinner_at_lunch(conn, demo_location)
    lunch = book(demo_location, booking_body(names["Brunch"], "12:30", 2))[1]["reservation"]["id"]
    body = booking_body(names["Regular Dinner"], "20:00", 2)
    body["guest"] = {**body["guest"], "email": "dinner@example.com"}
    dinner = book(demo_location, body)[1]["reservation"]["id"]
    late_lunch_body = booking_body(names["Brunch"], "14:45", 2)
    late_lunch_body["guest"] = {**late_lunch_body["guest"], "email": "late@example.com"}
    late_lunch = book(demo_location, late_lunch_body)[1]["reservation"]["id"]
    with psycopg.connect(app_env) as conn:
        def read(ticket, hour, minute=0):
            return {str(b.id) for b in _arrival_snapshot(conn, demo_location, names[ticket], dt.time(hour, minute)).bookings}

        assert read("Brunch", 12) == {lunch, late_lunch}  # the late lunch: the ticket's counts, not its tables
        assert read("Regular Dinner", 20) == {dinner}  # the lunches ended hours before
        assert read("Regular Dinner", 12) == {lunch}  # the Regular Dinner at eight counts for dinner only
        # Another ticket: the dinner stay (20:00 until 22:15, buffer included) only where it overlaps.
        assert read("Chef's Table", 18) == {dinner}
        assert read("Chef's Table", 22) == {dinner}
        assert read("Chef's Table", 22, 15) == set()


def test_around_a_change_of_the_clocks_the_window_is_wider(app_env, demo_location):
    """Where a local time may be read as two instants (PostgreSQL and the engine resolve an ambiguous
    one differently), the window takes three hours more on both sides from the day before a change of
    the clocks to the day after: a stay that ended an hour before the arrival is read then, not on an
    ordinary day."""
    from tests.support.clock import AMSTERDAM, PINNED_NOW

    def day_length(d):
        return (dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), AMSTERDAM).astimezone(dt.UTC)
                - dt.datetime.combine(d, dt.time(0), AMSTERDAM).astimezone(dt.UTC))

    change = next(d for d in (PINNED_NOW.date() + dt.timedelta(days=n) for n in range(400))
                  if day_length(d) != dt.timedelta(hours=24))
    ordinary = change + dt.timedelta(days=7)
    names = ids(app_env)
    with psycopg.connect(app_env) as conn:
        brunch_shift = conn.execute("select shift_id from shift_tickets where ticket_id = %s", (names["Brunch"],)).fetchone()[0]
        rows = {}
        for label, day in (("c", change), ("o", ordinary)):
            stays = {f"{label}ended": (dt.datetime.combine(day, dt.time(16), AMSTERDAM), dt.timedelta(hours=3)),
                     f"{label}far": (dt.datetime.combine(day, dt.time(12), AMSTERDAM), dt.timedelta(hours=3))}
            rows |= insert_stays(conn, demo_location, AMSTERDAM, stays, names["Brunch"], brunch_shift)

        def read(day):
            with batch(conn):
                snapshot = send_snapshot(conn, demo_location, day, arrival=Arrival(names["Regular Dinner"], dt.time(20)))
            return {b.id for b in snapshot().bookings}

        assert read(change) == {rows["cended"]}
        assert read(ordinary) == set()


def test_a_booking_whose_process_holds_an_old_schedule_reads_the_ticket_s_every_shift(app_env, demo_location):
    """The shifts running at the arrival come from the schedule the process holds; when the location's
    setup changed since, the reservations are read again for every shift of the ticket, so that the
    shift now running at that time counts."""
    names = ids(app_env)
    body = booking_body(names["Regular Dinner"], "20:00", 2)
    dinner = book(demo_location, body)[1]["reservation"]["id"]
    with psycopg.connect(app_env) as conn:
        load_snapshot(conn, demo_location, THE_DAY)  # the process now holds the day's schedule
        conn.commit()
        conn.execute("update shifts set start_time = '14:00' where location_id = %s and name = 'Diner'",
                     (demo_location,))
        conn.commit()
        at_half_past_two = _arrival_snapshot(conn, demo_location, names["Regular Dinner"], dt.time(14, 30))
    assert dinner in {str(b.id) for b in at_half_past_two.bookings}  # the dinner shift runs at 14:30 now
    assert any(s.runs_at(dt.time(14, 30)) for s in at_half_past_two.shifts_by_date[THE_DAY])


@pytest.mark.parametrize("squeeze", ["squeeze_duration_minutes = 60", "squeeze_to_fixed_end_time = '13:00'"])
def test_a_squeeze_s_gap_reaches_past_the_ticket_s_own_stay(app_env, demo_location, restaurant, squeeze):
    """A squeeze whose stay ends before the ticket's but whose gap ends after it (a stay to a given
    length, or to a fixed end): the window reaches to the gap's end, where a later stay on the table
    refuses the squeeze.  Here the table's rule refuses the ordinary stay, and a stay of another
    ticket at 13:45 falls inside the squeeze's gap alone."""
    names = ids(app_env)
    restaurant.only_tables("R1")
    add_member(app_env, demo_location, "host-1")
    with psycopg.connect(app_env) as conn:
        _serve_regular_dinner_at_lunch(conn, demo_location)
        conn.execute(f"""update tickets set squeeze_enabled = true, {squeeze}, squeeze_gap_minutes = 50,
                                            squeeze_limit_per_shift = null
                         where location_id = %s and name = 'Brunch'""", (demo_location,))
        conn.execute("""insert into table_availability_rules (location_id, table_id, rule_type, start_time, end_time)
                        select location_id, id, 'block', '13:15', '13:45' from tables
                        where location_id = %s and name = 'R1'""", (demo_location,))
    later = booking_body(names["Regular Dinner"], "13:45", 2, table_id=names["table:R1"], channel="phone")
    assert book(demo_location, later, user="host-1")[0] == 201
    brunch = uuid.UUID(names["Brunch"])
    request = AvailabilityRequest(THE_DAY, 2, "widget", brunch)
    with psycopg.connect(app_env) as conn:
        day = load_snapshot(conn, demo_location, THE_DAY)
        expected = AvailabilityEngine(day, DEFAULT_NOW).evaluate(request, brunch, dt.time(12))
        stay = _arrival_snapshot(conn, demo_location, brunch, dt.time(12))
    assert expected[1].reason_code == "tables_full"  # the rule refuses the stay, the later guest the squeeze
    assert AvailabilityEngine(stay, DEFAULT_NOW).evaluate(request, brunch, dt.time(12)) == expected
