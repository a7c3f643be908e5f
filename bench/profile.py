"""Where one booking's milliseconds go (bench/README.md, "Profile of one booking"): `python -m bench.profile [N]`.

Books N reservations (default 300) one after another through the create_reservation handler, as
B5 does (50 fresh locations, two guests a booking, random days), under cProfile, and prints:
  * the handler's wall time per booking and the per-day lock's hold time (from the lock statement
    to the commit, measured in the client: what other bookings of the same day wait for);
  * the Python functions with the most own time and the most cumulative time per booking;
  * PostgreSQL's CPU per booking (/proc) and its time per booking by statement, execution and
    planning (pg_stat_statements with track = all and track_planning, so the
    statements inside functions and triggers are listed too, beside the top-level ones).
Runs against its own throwaway cluster (or DATABASE_URL, a superuser URL of a server with
pg_stat_statements preloaded).
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime as dt
import io
import pstats
import random
import sys
import time

import psycopg

from bench.booking import B4_DAY, ROOT, LockClock, _book, _client_env, server_cpu_ms


def _targets(url: str, count: int) -> list[tuple[str, str]]:
    """B5's 50 empty locations, beside the reference location with its history (as in `make bench`,
    whose bookings run against a database that holds it)."""
    from bench.reference import create_reference_location

    targets = []
    with psycopg.connect(url) as conn:
        create_reference_location(conn)
        for i in range(count):
            location_id, _ = create_reference_location(conn, slug=f"p-{i:02d}", with_reservations=False)
            ticket = conn.execute("select id from tickets where location_id = %s and name = 'A la carte'",
                                  (location_id,)).fetchone()[0]
            targets.append((str(location_id), str(ticket)))
    return targets


# Own time (cProfile's tottime) grouped by where the code lives, first match wins.
GROUPS = (("waiting for PostgreSQL (psycopg wait)", "psycopg/connection.py:", "(wait)"),
          ("psycopg: sending, pipelines, decoding rows", "psycopg/", ""),
          ("engine (couvert/engine)", "couvert/engine/", ""),
          ("snapshot rows into the engine's types", "couvert/snapshots.py", ""),
          ("rest of couvert (booking, seating, answer, db)", "couvert/", ""),
          ("pydantic", "pydantic", ""),
          ("Powertools (resolver, logger, metrics)", "aws_lambda_powertools", ""),
          ("standard library and builtins", "", ""))


def _by_group(profiler: cProfile.Profile, bookings: int) -> str:
    totals = dict.fromkeys((name for name, _, _ in GROUPS), 0.0)
    for (filename, line, function), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():
        where = f"{filename}:{line}({function})"
        name = next(name for name, path, suffix in GROUPS if path in where and where.endswith(suffix))
        totals[name] += tottime
    lines = [f"{1000 * t / bookings:>8.2f} ms  {name}" for name, t in totals.items()]
    return "own time per booking under cProfile, by where the code lives:\n" + "\n".join(lines) + \
        f"\n{1000 * sum(totals.values()) / bookings:>8.2f} ms  in all\n"


def _statements(url: str, bookings: int, limit: int = 30) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("""
            select s.toplevel, s.calls, s.total_exec_time, s.total_plan_time, s.query
            from pg_stat_statements s join pg_database d on d.oid = s.dbid
            where d.datname = current_database() order by s.total_exec_time + s.total_plan_time desc""").fetchall()
    top = [(calls, run, plan) for toplevel, calls, run, plan, _ in rows if toplevel]
    out = [f"server time per booking (top-level statements): execution {sum(r for _, r, _ in top) / bookings:.3f} ms, "
           f"planning {sum(p for _, _, p in top) / bookings:.3f} ms, in {sum(c for c, _, _ in top) / bookings:.1f} "
           f"statements",
           f"{'exec ms':>8} {'plan ms':>8} {'calls':>6}  level   statement (per booking)"]
    for toplevel, calls, run, plan, text in rows[:limit]:
        text = " ".join(text.split())[:100]
        out.append(f"{run / bookings:>8.3f} {plan / bookings:>8.3f} {calls / bookings:>6.2f}  "
                   f"{'top' if toplevel else 'nested':<6}  {text}")
    return "\n".join(out)


def main(bookings: int = 300) -> None:
    from bench.__main__ import _fresh_database, bench_server
    from couvert_dev.logins import app_url_for

    with bench_server("couvert-profile-pg-") as server_url:
        url = _fresh_database(server_url, "couvert_profile")
        targets = _targets(url, 50)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements")
            conn.execute("alter database couvert_profile set pg_stat_statements.track = 'all'")
            conn.execute("alter database couvert_profile set pg_stat_statements.track_planning = on")
        _client_env(app_url_for(url))
        from couvert_dev.devserver import load_function

        handler = load_function(ROOT / "functions" / "create_reservation").lambda_handler
        rng = random.Random(5)

        def one() -> int:
            location_id, ticket_id = rng.choice(targets)
            day = B4_DAY + dt.timedelta(days=rng.randrange(1, 60))
            minute = rng.randrange(17 * 60, 23 * 60, 15)
            return _book(handler, location_id, ticket_id, day, f"{minute // 60:02d}:{minute % 60:02d}", 2,
                         rng.random())

        quiet = contextlib.redirect_stdout(io.StringIO())  # the handler's metrics lines
        with quiet:
            for _ in range(30):  # warm-up: connection, plans, caches
                one()
        clock = LockClock()
        clock.install()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select pg_stat_statements_reset()")
        profiler = cProfile.Profile()
        statuses = []
        cpu_before = server_cpu_ms(server_url)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            profiler.enable()
            for _ in range(bookings):
                statuses.append(one())
            profiler.disable()
        wall = (time.perf_counter() - t0) * 1000
        cpu_after = server_cpu_ms(server_url)
        booked = statuses.count(201)
        holds = sorted(clock.samples)
        print(f"{bookings} requests, {booked} booked; wall {wall / bookings:.2f} ms per request under cProfile; "
              f"lock held p50 {holds[len(holds) // 2]:.2f} ms, mean {sum(holds) / len(holds):.2f} ms "
              f"({len(holds)} transactions)\n")
        print(_by_group(profiler, bookings))
        for order in ("tottime", "cumulative"):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(22)
            print(stream.getvalue())
        if cpu_before is not None and cpu_after is not None:
            print(f"PostgreSQL's CPU per booking (all its processes, /proc): {(cpu_after - cpu_before) / max(booked, 1):.2f} ms")
        print(_statements(url, max(booked, 1)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
