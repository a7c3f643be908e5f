"""The reference location of the benchmarks (README, "Benchmarks"), generated from a fixed seed (identical every run)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import psycopg

from couvert.engine.clock import slot_instant, zone
from couvert_dev.config_loader import load_config, parse_config
from tests.support.clock import day

MEASURED_DAY = day(32)  # a Friday, from the tests' clock: lunch and dinner run
HISTORY_DAYS = 90
RESERVATIONS_ON_DAY = 400
GUESTS = 2_000  # the history's guests: about two and a half reservations each
TZ = "Europe/Amsterdam"


def reference_config(slug: str = "reference", seed: int = 7) -> dict:
    rng = random.Random(seed)
    areas = [{"name": n, "sort_order": i} for i, n in enumerate(["Zaal", "Serre", "Terras", "Bar"], 1)]
    tables = []
    sizes = [2] * 20 + [4] * 22 + [6] * 12 + [8] * 6  # 60 tables
    for i, size in enumerate(sizes):
        tables.append({"name": f"T{i + 1:02d}", "area": areas[i % 4]["name"],
                       "min_capacity": max(1, size - 2), "max_capacity": size,
                       "priority": rng.randint(0, 3), "online_bookable": i % 12 != 5})  # 5 offline
    groups = [{"name": f"G{j + 1}", "tables": [f"T{21 + 2 * j:02d}", f"T{22 + 2 * j:02d}"],
               "min_capacity": 7, "max_capacity": 10} for j in range(8)]
    return {
        "location": {"name": f"Reference {slug}", "slug": slug, "timezone": TZ, "currency": "EUR"},
        "reservation_settings": {"options_enabled": True},
        "areas": areas, "tables": tables, "table_groups": groups,
        "shifts": [
            {"name": "Lunch", "start_time": "12:00", "end_time": "15:00", "days_of_week": [1, 2, 3, 4, 5]},
            {"name": "Dinner", "start_time": "17:00", "end_time": "23:00", "days_of_week": [1, 2, 3, 4, 5, 6, 7]},
            {"name": "Brunch", "start_time": "10:00", "end_time": "14:00", "days_of_week": [6, 7]},
        ],
        "policy_sets": [{"name": "Free", "payment_type": "none"},
                        {"name": "Deposit", "payment_type": "deposit_pp", "payment_amount": "20.00",
                         "cancel_free_hours": 48, "cancel_refund_pct": 50}],
        "tickets": [
            {"name": "A la carte", "duration_minutes": 120, "buffer_minutes": 15, "max_party_size": 10,
             "policy_set": "Free", "squeeze_enabled": True, "squeeze_duration_minutes": 75,
             "squeeze_limit_per_shift": 10, "booking_min_advance_minutes": 0, "booking_max_advance_days": 365},
            {"name": "Tasting", "duration_minutes": 180, "buffer_minutes": 15, "max_party_size": 8,
             "policy_set": "Deposit", "booking_min_advance_minutes": 0, "booking_max_advance_days": 365},
            {"name": "Lunch", "duration_minutes": 90, "max_party_size": 8, "policy_set": "Free",
             "booking_min_advance_minutes": 0, "booking_max_advance_days": 365},
            {"name": "Brunch", "duration_minutes": 90, "max_party_size": 8, "policy_set": "Free",
             "booking_min_advance_minutes": 0, "booking_max_advance_days": 365},
        ],
        "shift_tickets": [
            {"shift": "Dinner", "ticket": "A la carte", "pacing_covers_limit": 40, "max_covers_total": 400},
            {"shift": "Dinner", "ticket": "Tasting", "areas": ["Zaal", "Serre"], "pacing_covers_limit": 12,
             "max_covers_total": 60},
            {"shift": "Lunch", "ticket": "Lunch"},
            {"shift": "Brunch", "ticket": "Brunch"},
        ],
    }


def _day_plan(rng: random.Random, day: dt.date):
    """(shift, ticket, start minute, stay minutes) sequences per table: lunch on weekdays, then dinner,
    back to back with random gaps, so no table is double-booked."""
    plan = []
    if day.isoweekday() <= 5:
        t = 12 * 60
        while t < 15 * 60:
            plan.append(("Lunch", "Lunch", t, 90))
            t += 105 + rng.choice([0, 15])
    t = 17 * 60 + rng.choice([0, 15])
    while t < 23 * 60:
        plan.append(("Dinner", "A la carte", t, 90))
        t += 105 + rng.choice([0, 15])
    return plan


def seed_reservations(conn: psycopg.Connection, location_id: uuid.UUID, seed: int = 11,
                      day: dt.date = MEASURED_DAY, history_days: int = HISTORY_DAYS,
                      per_day: int = RESERVATIONS_ON_DAY) -> int:
    """Up to 400 reservations on the measured day and a lighter load on the 90 days around it."""
    rng = random.Random(seed)
    tz = zone(TZ)
    tables = conn.execute("select id, max_capacity from tables where location_id = %s order by name",
                          (location_id,)).fetchall()
    shifts = dict(conn.execute("select name, id from shifts where location_id = %s", (location_id,)).fetchall())
    tickets = dict(conn.execute("select name, id from tickets where location_id = %s", (location_id,)).fetchall())
    # A season's reservations come from many guests.  With one guest the customers table held one row,
    # and the plans PostgreSQL keeps per session scanned it whole at every booking as B5 filled it
    # (bench/README.md, "Sixth pass").
    guests = [row[0] for row in conn.execute(
        """insert into customers (location_id, first_name, last_name, email)
           select %s, 'Guest', g::text, 'guest' || g || '@reference.example' from generate_series(1, %s) g
           on conflict (location_id, lower(email)) do update set first_name = excluded.first_name
           returning id""", (location_id, GUESTS)).fetchall()]
    guest_rng = random.Random(seed + 1)  # apart from `rng`: the reservations are those of every run before
    batch = []
    for offset in range(-history_days // 2, history_days // 2 + 1):
        d = day + dt.timedelta(days=offset)
        target = per_day if offset == 0 else per_day // 8
        made = 0
        for table_id, capacity in rng.sample(tables, len(tables)):
            for shift, ticket, minute, minutes in _day_plan(rng, d):
                if made >= target:
                    break
                wall = dt.time(minute // 60, minute % 60)
                start_at = slot_instant(d, wall, tz)
                end_at = start_at + dt.timedelta(minutes=minutes)
                batch.append((location_id, guest_rng.choice(guests), tickets[ticket], shifts[shift], d, wall,
                              end_at.astimezone(tz).time(), max(1, capacity - rng.randint(0, 1)), table_id,
                              "completed" if offset < 0 else "confirmed", f"R{len(batch):07X}",  # unique
                              start_at, end_at, end_at + dt.timedelta(minutes=15),
                              end_at if offset < 0 else None))
                made += 1
    with conn.cursor() as cur:
        cur.executemany(
            """insert into reservations (location_id, customer_id, ticket_id, shift_id, reservation_date, start_time,
                 end_time, party_size, table_id, status, reference, start_at, end_at, occupied_until, completed_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", batch)
    return len(batch)


def create_reference_location(conn: psycopg.Connection, slug: str = "reference", with_reservations: bool = True):
    location_id = load_config(conn, parse_config(reference_config(slug)))
    count = seed_reservations(conn, location_id) if with_reservations else 0
    conn.commit()
    conn.execute("analyze")  # fresh statistics, as autovacuum would have them in production
    return location_id, count
