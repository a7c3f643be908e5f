"""The scheduled jobs on a real database, each with `now` moved across its boundary: one minute
before, nothing; at the boundary, exactly the due rows.  Plus a DST night and two runs at once."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from couvert import sweeps
from couvert.db import get_database
from tests.support import call
from tests.support.api import book, booking_body
from tests.support.clock import AMSTERDAM, PINNED_NOW, at, dst_changes, iso, later

MINUTE = dt.timedelta(minutes=1)


def run(job, now, **kw):
    return sweeps.run(get_database(worker=True), now, jobs=(job,), **kw).counts()[job]


def status_of(database_url, rid):
    with psycopg.connect(database_url) as conn:
        return conn.execute("select status from reservations where id = %s", (rid,)).fetchone()[0]


@pytest.fixture
def names(host):
    return host


def booked(location, ticket, time="19:00", user=None, **extra):
    status, body, _ = book(location, booking_body(ticket, time, 2, **extra), user=user)
    assert status == 201, body
    return body["reservation"]["id"]


def test_no_shows_are_marked_after_the_grace_once_and_as_the_system(app_env, demo_location, names):
    rid = booked(demo_location, names["Regular Dinner"])
    grace_ends = at(9, "19:15")  # noshow_mark_after_minutes = 15
    assert run("no_shows", grace_ends - MINUTE) == 0
    assert run("no_shows", grace_ends) == 1
    assert run("no_shows", grace_ends + MINUTE) == 0  # idempotent
    with psycopg.connect(app_env) as conn:
        assert conn.execute("""select r.status, c.no_show_count, a.performed_by_type
                               from reservations r join customers c on c.id = r.customer_id
                               join audit_log a on a.entity_id = r.id and a.new_value->>'status' = 'no_show'
                               """).fetchone() == ("no_show", 1, "system")
    assert status_of(app_env, rid) == "no_show"


def test_a_seated_party_is_never_marked_a_no_show(app_env, demo_location, names, set_now):
    rid = booked(demo_location, names["Regular Dinner"])
    set_now(at(9, "19:05"))
    assert call("transition_status", "POST", f"/v1/reservations/{rid}/transitions", body={"to": "seated"},
                headers={"authorization": f"Bearer {_token('host-1')}"})[0] == 200
    assert run("no_shows", at(9, "20:00")) == 0 and status_of(app_env, rid) == "seated"


def _token(user):
    from couvert_dev.tokens import issue_dev_token
    from tests.conftest import JWT_SECRET

    return issue_dev_token(user, JWT_SECRET)


def test_options_expire_at_their_deadline(app_env, demo_location, names):
    rid = booked(demo_location, names["Regular Dinner"], status="option", user="host-1")
    expiry = later(hours=48)  # option_default_hours at the demo location
    assert run("option_expiry", expiry - MINUTE) == 0 and status_of(app_env, rid) == "option"
    assert run("option_expiry", expiry) == 1 and status_of(app_env, rid) == "cancelled"


def test_payment_holds_expire_and_their_intent_is_cancelled_through_the_outbox(deposit, app_env):
    body, _ = deposit
    rid = body["reservation"]["id"]
    expiry = later(minutes=15)  # payment_timeout_minutes
    assert run("payment_hold_expiry", expiry - MINUTE) == 0
    assert run("payment_hold_expiry", expiry) == 1 and status_of(app_env, rid) == "cancelled"
    with psycopg.connect(app_env) as conn:
        kinds = sorted(k for (k,) in conn.execute("select kind from outbox_events where reservation_id = %s", (rid,)))
    assert kinds == ["message.cancellation", "stripe.cancel_payment_intent"]


def test_abandoned_drafts_are_cancelled(app_env, demo_location, names):
    rid = booked(demo_location, names["Regular Dinner"])
    with psycopg.connect(app_env) as conn:  # a draft nobody finished (the booking path moves its own)
        conn.execute("update reservations set status = 'draft', hold_expires_at = %s", (later(minutes=30),))
    assert run("abandoned_drafts", later(minutes=29)) == 0
    assert run("abandoned_drafts", later(minutes=30)) == 1 and status_of(app_env, rid) == "cancelled"


def _require_reconfirmation(database_url, rid, required=True):
    with psycopg.connect(database_url) as conn:
        conn.execute("""update reservations set policy_snapshot = policy_snapshot || jsonb_build_object(
                          'reconfirm_enabled', true, 'reconfirm_hours_before', 24, 'reconfirm_required', %s::boolean)
                        where id = %s""", (required, rid))


def test_reconfirmation_requests_go_out_once_and_unanswered_ones_are_cancelled(app_env, demo_location, names):
    rid = booked(demo_location, names["Regular Dinner"])
    _require_reconfirmation(app_env, rid)
    due = at(8, "19:00")  # 24 hours before
    assert run("reconfirm_requests", due - MINUTE) == 0
    assert run("reconfirm_requests", due) == 1
    assert run("reconfirm_requests", due + MINUTE) == 0  # once
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select reconfirm_sent_at from reservations").fetchone()[0] == due
        assert conn.execute("select count(*) from outbox_events where kind = 'message.reconfirm_request'"
                            ).fetchone()[0] == 1
    grace_ends = due + dt.timedelta(hours=6)  # reconfirm_grace_hours
    assert run("reconfirm_cancellations", grace_ends - MINUTE) == 0
    assert run("reconfirm_cancellations", grace_ends) == 1 and status_of(app_env, rid) == "cancelled"
    with psycopg.connect(app_env) as conn:  # the system cancelled: the guest's cancel count is untouched
        assert conn.execute("select cancelled_by, cancel_count from reservations r join customers c "
                            "on c.id = r.customer_id").fetchone() == ("system", 0)


def test_a_reconfirmed_or_optional_reconfirmation_is_never_cancelled(app_env, demo_location, names):
    reconfirmed = booked(demo_location, names["Regular Dinner"])
    optional = booked(demo_location, names["Regular Dinner"], "20:00")
    _require_reconfirmation(app_env, reconfirmed)
    _require_reconfirmation(app_env, optional, required=False)
    assert run("reconfirm_requests", at(8, "20:00")) == 2
    with psycopg.connect(app_env) as conn:
        conn.execute("update reservations set reconfirmed_at = %s where id = %s", (at(8, "21:00"), reconfirmed))
    assert run("reconfirm_cancellations", at(9, "12:00")) == 0


def test_reminders_go_out_24_hours_before_once_but_not_for_late_bookings(app_env, demo_location, names, set_now):
    early = booked(demo_location, names["Regular Dinner"])
    set_now(at(8, "20:00"))  # less than 24 hours ahead of 19:30 the next day
    late = booked(demo_location, names["Regular Dinner"], "19:30")
    due = at(8, "19:00")
    assert run("reminders", due - MINUTE) == 0
    assert run("reminders", due) == 1
    assert run("reminders", at(9, "19:00") - MINUTE) == 0  # once; none for the late booking
    with psycopg.connect(app_env) as conn:
        rows = dict(conn.execute("select id::text, reminder_sent_at from reservations").fetchall())
    assert rows == {early: due, late: None}


def test_a_reminder_across_the_spring_forward_night_is_24_real_hours_before(app_env, demo_location, names,
                                                                            set_now):
    spring, _ = dst_changes(PINNED_NOW.year + 1)
    sunday_dinner = dt.datetime.combine(spring, dt.time(19), tzinfo=AMSTERDAM)
    set_now(sunday_dinner - dt.timedelta(days=10))
    rid = booked(demo_location, names["Regular Dinner"], date=spring.isoformat())
    due = sunday_dinner.astimezone(dt.UTC) - dt.timedelta(hours=24)
    assert due.astimezone(AMSTERDAM).strftime("%H:%M") == "18:00"  # the clocks jumped overnight
    assert run("reminders", due - MINUTE) == 0
    assert run("reminders", due) == 1
    assert status_of(app_env, rid) == "confirmed"


def test_waitlist_entries_expire_at_the_end_of_their_window(app_env, demo_location):
    entry = {"date": iso(31), "time_from": "18:00", "time_to": "20:00", "party_size": 4,
             "guest": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}
    assert call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist", body=entry)[0] == 201
    end = at(31, "20:00")
    assert run("waitlist_expiry", end - MINUTE) == 0
    assert run("waitlist_expiry", end) == 1
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status from waitlist_entries").fetchone() == ("expired",)


def test_a_job_can_be_run_for_one_location(app_env, demo_location, names):
    booked(demo_location, names["Regular Dinner"])
    with psycopg.connect(app_env) as conn:
        other = conn.execute("insert into locations (name, slug) values ('Other', 'other') returning id").fetchone()[0]
    assert sweeps.run(get_database(worker=True), at(9, "20:00"), jobs=("no_shows",),
                      location_id=other).counts() == {"no_shows": 0}
    assert run("no_shows", at(9, "20:00"), location_id=demo_location) == 1


def test_a_backlog_drains_over_several_bounded_runs(app_env, demo_location, names):
    for time in ("18:00", "18:30", "19:00"):
        booked(demo_location, names["Regular Dinner"], time)
    assert [run("no_shows", at(9, "21:00"), limit=2) for _ in range(3)] == [2, 1, 0]


def test_two_sweeps_at_once_touch_each_row_once(app_env, demo_location, names):
    rid = booked(demo_location, names["Regular Dinner"])
    with psycopg.connect(app_env) as conn:  # 23 more confirmed parties without a table, each its own guest
        conn.execute("""with guests as (
                          insert into customers (location_id, first_name, last_name, email)
                          select location_id, 'G', n::text, 'g' || n || '@example.com'
                          from reservations, generate_series(1, 23) n returning id, location_id)
                        insert into reservations (location_id, customer_id, ticket_id, shift_id, reservation_date,
                          start_time, end_time, party_size, status, reference, start_at, end_at, occupied_until,
                          policy_snapshot)
                        select r.location_id, g.id, r.ticket_id, r.shift_id, r.reservation_date, r.start_time,
                               r.end_time, 2, 'confirmed', 'SWEEP' || lpad(row_number() over ()::text, 2, '0'),
                               r.start_at, r.end_at, r.occupied_until, r.policy_snapshot
                        from guests g cross join reservations r where r.id = %s""", (rid,))
    start = threading.Barrier(2)

    def sweep(_):
        start.wait()
        return run("no_shows", at(9, "22:00"), limit=1000)

    with ThreadPoolExecutor(2) as pool:
        touched = list(pool.map(sweep, range(2)))
    assert sum(touched) == 24
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from audit_log where new_value->>'status' = 'no_show'"
                            ).fetchone()[0] == 24
        assert conn.execute("select sum(no_show_count) from customers").fetchone()[0] == 24
        assert conn.execute("select count(*) from outbox_events where kind = 'message.no_show'").fetchone()[0] == 24


def test_an_unknown_job_is_refused(app_env):
    with pytest.raises(ValueError, match="unknown job"):
        sweeps.run(get_database(worker=True), PINNED_NOW, jobs=("teleport",))
