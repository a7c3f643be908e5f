"""B6: one scheduled run over 200,000 reservations at 50 locations with 5,000 rows due, and the outbox
dispatcher's throughput against moto (SES v2 + SNS).

The rows are generated in SQL from a fixed seed (setseed), relative to the tests' pinned clock.
Due at `now`: 1,000 no-shows, 1,000 lapsed options, 1,000 lapsed payment holds, 1,000 abandoned
drafts and 1,000 reminders; everything else is history or future bookings that are not yet due.
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg
import yaml

from bench.booking import NOW
from tests.support import DEMO_CONFIG

LOCATIONS = 50
RESERVATIONS = 200_000
DUE_PER_JOB = 1000
STATUS_JOBS = ("no_shows", "option_expiry", "payment_hold_expiry", "abandoned_drafts")


def _locations(url: str) -> None:
    from couvert_dev.config_loader import load_config, parse_config

    raw = yaml.safe_load(DEMO_CONFIG.read_text())
    with psycopg.connect(url) as conn:
        for n in range(LOCATIONS):
            raw["location"]["slug"], raw["location"]["name"] = f"bench-{n}", f"Bench {n}"
            load_config(conn, parse_config(raw))


def populate(url: str, now: dt.datetime) -> None:
    """Locations, 40 customers each, 200k reservations: 5k due at `now`, the rest not."""
    _locations(url)
    with psycopg.connect(url) as conn:
        conn.execute("select setseed(0.42)")
        conn.execute("""insert into customers (location_id, first_name, last_name, email, locale, phone_number)
                        select l.id, 'Guest', n::text, 'guest' || n || '@' || l.slug || '.example',
                               case when n % 2 = 0 then 'nl' else 'en' end, '+316' || lpad(n::text, 8, '0')
                        from locations l, generate_series(1, 40) n""")
        # Row numbers to spread rows over locations and guests with hash joins instead of a lookup per row.
        conn.execute("create temp table bl as select id, slug, (row_number() over (order by id) - 1)::int as n "
                     "from locations")
        conn.execute("create temp table bc as select id, location_id, "
                     "(row_number() over (partition by location_id order by id) - 1)::int as n from customers")
        conn.execute("create temp table bst as select distinct on (location_id) location_id, shift_id, ticket_id "
                     "from shift_tickets order by location_id, shift_id, ticket_id")
        # The bulk: history (completed, cancelled, no-show) and future confirmed bookings, none due.
        conn.execute("""
            insert into reservations (location_id, customer_id, ticket_id, shift_id, reservation_date,
              start_time, end_time, party_size, status, reference, start_at, end_at, occupied_until,
              policy_snapshot, booked_at, reminder_sent_at)
            select l.id, c.id, st.ticket_id, st.shift_id, (s.start_at at time zone 'Europe/Amsterdam')::date,
                   (s.start_at at time zone 'Europe/Amsterdam')::time,
                   ((s.start_at + interval '2 hours') at time zone 'Europe/Amsterdam')::time, 2,
                   case when s.start_at < %(now)s then (array['completed', 'completed', 'cancelled', 'no_show'])[1 + (g %% 4)]
                        else 'confirmed' end,
                   'B' || lpad(g::text, 9, '0'), s.start_at, s.start_at + interval '2 hours',
                   s.start_at + interval '135 minutes', '{"noshow_mark_after_minutes": 15}'::jsonb,
                   s.start_at - interval '20 days',
                   case when s.start_at < %(now)s + interval '25 hours' then s.start_at - interval '1 day' end
            from generate_series(1, %(bulk)s) g
            cross join lateral (select %(now)s + make_interval(days => (g %% 120) - 60, hours => 1 + (g %% 7)) as base) b
            -- nothing in the bulk is due: stays that would start around `now` move three days on
            cross join lateral (select b.base + case when b.base between %(now)s - interval '1 hour'
                                                                 and %(now)s + interval '25 hours'
                                                     then interval '3 days' else interval '0' end as start_at) s
            join bl l on l.n = g %% %(locations)s
            join bc c on c.location_id = l.id and c.n = g %% 40
            join bst st on st.location_id = l.id
            """, {"now": now, "bulk": RESERVATIONS - 5 * DUE_PER_JOB, "locations": LOCATIONS})
        # The due rows: one thousand per job.
        conn.execute("""
            insert into reservations (location_id, customer_id, ticket_id, shift_id, reservation_date,
              start_time, end_time, party_size, status, reference, start_at, end_at, occupied_until,
              policy_snapshot, booked_at, hold_expires_at, option_expires_at)
            select l.id, c.id, st.ticket_id, st.shift_id, (s.start_at at time zone 'Europe/Amsterdam')::date,
                   (s.start_at at time zone 'Europe/Amsterdam')::time,
                   ((s.start_at + interval '2 hours') at time zone 'Europe/Amsterdam')::time, 2, j.status,
                   'D' || lpad(g::text, 9, '0'), s.start_at, s.start_at + interval '2 hours',
                   s.start_at + interval '135 minutes', '{"noshow_mark_after_minutes": 15}'::jsonb,
                   %(now)s - interval '10 days',
                   case when j.status in ('draft', 'pending_payment') then %(now)s - interval '1 minute' end,
                   case when j.status = 'option' then %(now)s - interval '1 minute' end
            from generate_series(1, 5 * %(due)s) g
            cross join lateral (select (array['confirmed', 'option', 'pending_payment', 'draft', 'confirmed'])
                                       [1 + (g - 1) / %(due)s] as status,
                                       (g - 1) / %(due)s as job) j
            cross join lateral (select case when j.job = 0 then %(now)s - interval '30 minutes'
                                            when j.job = 4 then %(now)s + interval '23 hours'
                                            else %(now)s + interval '3 days' end as start_at) s
            join bl l on l.n = g %% %(locations)s
            join bc c on c.location_id = l.id and c.n = g %% 40
            join bst st on st.location_id = l.id
            """, {"now": now, "due": DUE_PER_JOB, "locations": LOCATIONS})
        conn.execute("analyze")


def run(server_url: str, make_database) -> dict:
    from couvert import sweeps
    from couvert.db import Database, RequestContext

    url = make_database(server_url, "couvert_bench_sweeps")
    populate(url, NOW)
    from couvert_dev.logins import app_url_for

    app_url = app_url_for(url)
    db = Database(lambda: app_url)
    with db.transaction(RequestContext.system()) as conn:
        total = conn.execute("select count(*) as n from reservations").fetchone()["n"]
    jobs = (*STATUS_JOBS, "reconfirm_requests", "reconfirm_cancellations", "reminders", "waitlist_expiry")
    started = time.perf_counter()
    first = sweeps.run(db, NOW, jobs=jobs, limit=DUE_PER_JOB)
    seconds = time.perf_counter() - started
    again = sweeps.run(db, NOW, jobs=jobs, limit=DUE_PER_JOB).counts()
    with db.transaction(RequestContext.system()) as conn:
        changed = conn.execute("select count(*) as n from audit_log where action = 'status_change'"
                               ).fetchone()["n"]
        queued = conn.execute("select count(*) as n from outbox_events where kind like 'message.%%'"
                              ).fetchone()["n"]
    touched = sum(v for v in first.counts().values() if isinstance(v, int))
    figures = {
        "B6_reservations": total, "B6_rows_touched": touched, "B6_sweep_seconds": round(seconds, 3),
        "B6_touched_once": changed == 4 * DUE_PER_JOB and touched == 5 * DUE_PER_JOB
        and not any(again.values()),
    }
    figures.update(_dispatch_throughput(db, queued))
    db.close()
    return figures


def _dispatch_throughput(db, queued: int) -> dict:
    """Messages per second through the dispatcher into moto's SES v2 and SNS (in-process)."""
    import os

    import boto3
    from moto import mock_aws

    from couvert.messaging import AwsMessenger
    from couvert.outbox import dispatch

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "eu-west-1"})
    with mock_aws():
        boto3.client("sesv2").create_email_identity(EmailIdentity="bench@couvert.example")
        messenger = AwsMessenger("bench@couvert.example")
        sent, started = 0, time.perf_counter()
        while sent < min(queued, 1000):
            counts = dispatch(db, NOW, messenger=messenger, public_base_url="https://book.example", limit=200)
            if not counts["done"]:
                break
            sent += counts["done"]
        seconds = time.perf_counter() - started
    return {"B6_dispatched_messages": sent, "B6_dispatch_events_per_second": round(sent / seconds, 1)}
