"""B4 (32 clients fill one location-day) and B5 (booking throughput over 50 locations vs pgbench).

Clients are processes (each like one Lambda execution environment) calling the
create_reservation handler in-process with API Gateway events, against the same server.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing as mp
import os
import random
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import psycopg

from tests.support.clock import PINNED_NOW, day

ROOT = Path(__file__).resolve().parents[1]
NOW = PINNED_NOW  # a Monday 09:00 UTC derived from the real date (the tests' clock)
B4_DAY = day(30)  # a Wednesday


class LockClock:
    """Client-side hold time of the (location, date) lock: from open_under_lock's call (open_booking,
    the lock's statement, is its first) to the end of the booking's transaction, which is one pipeline
    that ends with its sync (couvert/pipelines.py): committed or rolled back."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._local = threading.local()

    def install(self) -> None:
        from couvert import booking, pipelines

        original = self._original = (booking.open_under_lock, pipelines.transaction)
        clock = self

        def timed_open_under_lock(*args, **kwargs):
            clock._local.start = time.perf_counter()
            return original[0](*args, **kwargs)

        @contextmanager
        def timed_transaction(*args, **kwargs):
            try:
                with original[1](*args, **kwargs):
                    yield
            finally:
                start = getattr(clock._local, "start", None)
                if start is not None:
                    clock.samples.append((time.perf_counter() - start) * 1000)
                    clock._local.start = None

        booking.open_under_lock = timed_open_under_lock
        pipelines.transaction = timed_transaction

    def uninstall(self) -> None:
        from couvert import booking, pipelines

        booking.open_under_lock, pipelines.transaction = self._original


def _client_env(url: str) -> None:
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    if mp.current_process().name != "MainProcess":  # pool workers: keep the metrics lines off the terminal
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    os.environ.update({"DATABASE_URL": url, "POWERTOOLS_TRACE_DISABLED": "true",
                       "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
                       "COUVERT_FROZEN_NOW": NOW.isoformat()})


def _book(handler, location_id, ticket_id, day, time_, party, seed):
    from tests.support import FakeContext, http_event

    body = {"ticket_id": ticket_id, "date": day.isoformat(), "time": time_, "party_size": party,
            "allow_squeeze": True,
            "guest": {"first_name": "Bench", "last_name": f"Guest{seed}", "email": f"guest{seed}@example.com"}}
    # Each booking is another guest on another network address, as in a real evening: the
    # per-client rate limits (docs/decisions.md, "Security") do not bind here.
    address = int(seed * 2**24)
    source_ip = f"10.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"
    return handler(http_event("POST", f"/v1/locations/{location_id}/reservations", body=body, source_ip=source_ip),
                   FakeContext())["statusCode"]


def _fill_day_client(handler, location_id, ticket_id, seed, start):
    rng = random.Random(seed)
    start.wait()
    statuses = []
    misses = 0
    while misses < 25:  # stop once the day keeps refusing: it is full
        minute = rng.randrange(17 * 60, 23 * 60, 15)
        status = _book(handler, location_id, ticket_id, B4_DAY, f"{minute // 60:02d}:{minute % 60:02d}",
                       rng.choice([2, 2, 4, 6]), rng.random())
        statuses.append(status)
        misses = misses + 1 if status != 201 else 0
    return statuses


def _throughput_client(args):
    url, targets, seconds, seed = args
    _client_env(url)
    from couvert_dev.devserver import load_function

    handler = load_function(ROOT / "functions" / "create_reservation").lambda_handler
    rng = random.Random(seed)
    booked = answered = 0
    cpu_started = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        location_id, ticket_id = rng.choice(targets)
        day = B4_DAY + dt.timedelta(days=rng.randrange(1, 60))
        minute = rng.randrange(17 * 60, 23 * 60, 15)
        status = _book(handler, location_id, ticket_id, day, f"{minute // 60:02d}:{minute % 60:02d}", 2, rng.random())
        answered += 1
        booked += status == 201
    return booked, answered, time.process_time() - cpu_started


def _violations(url: str, location_id) -> dict:
    with psycopg.connect(url) as conn:
        overlaps = conn.execute("""select count(*) from table_occupancies a join table_occupancies b
            on a.table_id = b.table_id and a.reservation_id < b.reservation_id and a.occupied && b.occupied
            where a.location_id = %s""", (location_id,)).fetchone()[0]
        over_pacing = conn.execute("""
            select count(*) from (
              select a.id from reservations a
              join reservations b on b.location_id = a.location_id and b.shift_id = a.shift_id
                and b.ticket_id = a.ticket_id and b.reservation_date = a.reservation_date
                and b.start_at >= a.start_at and b.start_at < a.start_at + interval '15 minutes'
              join shift_tickets st on st.shift_id = a.shift_id and st.ticket_id = a.ticket_id
              where a.location_id = %s and a.reservation_date = %s
              group by a.id, st.pacing_covers_limit
              having sum(b.party_size) > coalesce(st.pacing_covers_limit, 1000000)) v""",
            (location_id, B4_DAY)).fetchone()[0]
        over_total = conn.execute("""
            select count(*) from (
              select r.shift_id, r.ticket_id from reservations r
              join shift_tickets st on st.shift_id = r.shift_id and st.ticket_id = r.ticket_id
              where r.location_id = %s and r.reservation_date = %s
              group by r.shift_id, r.ticket_id, st.max_covers_total
              having sum(r.party_size) > coalesce(st.max_covers_total, 1000000)) v""",
            (location_id, B4_DAY)).fetchone()[0]
    return {"overlaps": overlaps, "pacing": over_pacing, "max_covers": over_total}


def server_ms(server_url: str, dbname: str, reset: bool = False, matching: str | None = None) -> float | None:
    """PostgreSQL's own time spent on `dbname`'s statements (pg_stat_statements, top-level statements:
    a function call counts with all it does), or on those whose text is LIKE `matching`; None when
    the extension is not loaded."""
    url = psycopg.conninfo.make_conninfo(server_url, dbname=dbname)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create extension if not exists pg_stat_statements")
            if reset:
                conn.execute("select pg_stat_statements_reset()")
                return 0.0
            return float(conn.execute(
                """select coalesce(sum(s.total_exec_time), 0) from pg_stat_statements s
                   join pg_database d on d.oid = s.dbid
                   where d.datname = %s and (%s::text is null or s.query like %s)""",
                (dbname, matching, matching)).fetchone()[0])
    except psycopg.Error:
        return None


def track_nested(server_url: str, dbname: str, on: bool) -> None:
    """pg_stat_statements counts the statements inside functions too (`on`), for the connections
    opened from now on to `dbname`; off, it counts top-level statements only (its default)."""
    url = psycopg.conninfo.conninfo_to_dict(server_url)
    with psycopg.connect(psycopg.conninfo.make_conninfo(**url), autocommit=True) as conn:
        conn.execute(f'alter database "{dbname}" set pg_stat_statements.track = ' + ("'all'" if on else "default"))


def top_statements(server_url: str, dbname: str, per: int, limit: int = 8) -> list[dict] | None:
    """The top-level statements with the most server time on `dbname`, per booking (results.json only)."""
    url = psycopg.conninfo.make_conninfo(server_url, dbname=dbname)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                """select s.total_exec_time, s.calls, s.query from pg_stat_statements s
                   join pg_database d on d.oid = s.dbid where d.datname = %s and s.toplevel
                   order by s.total_exec_time desc limit %s""", (dbname, limit)).fetchall()
    except psycopg.Error:
        return None
    return [{"ms_per_booking": round(total / per, 3), "calls_per_booking": round(calls / per, 2),
             "query": " ".join(text.split())[:160]} for total, calls, text in rows]


def server_cpu_ms(server_url: str) -> float | None:
    """CPU time (user + system, ms) PostgreSQL's processes have used so far, from /proc: the
    postmaster's own, its live children's, and that of the children it has reaped (ended backends).
    None when the server is not a process on this machine."""
    try:
        with psycopg.connect(server_url) as conn:
            backend = conn.execute("select pg_backend_pid()").fetchone()[0]
            postmaster = int(_stat(backend)[1])
        if not Path(f"/proc/{postmaster}/comm").read_text().startswith("postgres"):
            return None
        for _ in range(10):
            own = [int(f) for f in _stat(postmaster)[11:15]]  # utime, stime; reaped children's cutime, cstime
            ticks = sum(own) + sum(_children_ticks(postmaster))
            if [int(f) for f in _stat(postmaster)[13:15]] == own[2:]:
                break  # no child was reaped while its siblings were read: none counted twice or missed
    except (OSError, psycopg.Error, ValueError):
        return None
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _children_ticks(parent: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = _stat(int(entry.name))
            except OSError:
                continue  # ended meanwhile
            if int(stat[1]) == parent:
                yield int(stat[11]) + int(stat[12])


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command's name (state first, then the parent's pid)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class Pgbench:
    """pgbench tpcb-like at the same concurrency as B5, on its own database, run in windows between
    B5's: its TPS, and its server time and server CPU per transaction (ms, when measurable)."""

    def __init__(self, server_url: str, clients: int) -> None:
        from couvert_dev.pgcluster import find_bindir

        self.server_url, self.clients = server_url, clients
        info = psycopg.conninfo.conninfo_to_dict(server_url)
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute("drop database if exists couvert_pgbench with (force)")
            conn.execute("create database couvert_pgbench")
        self.env = {**os.environ, "PGHOST": info.get("host", "127.0.0.1"), "PGPORT": str(info.get("port", 5432)),
                    "PGUSER": info.get("user", "postgres"), "PGDATABASE": "couvert_pgbench"}
        if info.get("password"):
            self.env["PGPASSWORD"] = info["password"]
        self.pgbench = str(find_bindir() / "pgbench")
        subprocess.run([self.pgbench, "-i", "-q", "-s", str(clients)], env=self.env, check=True, capture_output=True)
        self.measurable = server_ms(server_url, "couvert_pgbench", reset=True) is not None
        self.tps: list[float] = []
        self.transactions = 0
        self.cpu_ms: float | None = 0.0

    def window(self, seconds: int) -> None:
        cpu_before = server_cpu_ms(self.server_url)
        out = subprocess.run([self.pgbench, "-b", "tpcb-like", "-c", str(self.clients), "-j", "2", "-T", str(seconds)],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        cpu_after = server_cpu_ms(self.server_url)
        self.transactions += int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
        self.tps.append(float(re.search(r"tps = ([0-9.]+)", out).group(1)))
        if cpu_before is None or cpu_after is None or self.cpu_ms is None:
            self.cpu_ms = None
        else:
            self.cpu_ms += cpu_after - cpu_before

    def figures(self) -> tuple[float, float | None, float | None]:
        """Mean TPS over the windows (all of equal length); server ms and CPU ms per transaction."""
        per_transaction = (server_ms(self.server_url, "couvert_pgbench") / self.transactions
                           if self.measurable else None)
        cpu = self.cpu_ms / self.transactions if self.cpu_ms is not None else None
        return sum(self.tps) / len(self.tps), per_transaction, cpu


def run(server_url: str, url: str) -> dict:
    from bench.reference import create_reference_location

    ctx = mp.get_context("spawn")
    with psycopg.connect(url) as conn:
        b4_location, _ = create_reference_location(conn, slug="b4", with_reservations=False)
        b4_ticket = str(conn.execute("select id from tickets where location_id = %s and name = 'A la carte'",
                                     (b4_location,)).fetchone()[0])
    # B4: 32 clients as threads of one process, each on its own connection (thread-local).
    from couvert_dev.logins import app_url_for

    app_url = app_url_for(url)
    _client_env(app_url)
    from couvert.db import reset_database
    from couvert.settings import reload_settings
    from couvert_dev.devserver import load_function

    reload_settings()
    reset_database()
    handler = load_function(ROOT / "functions" / "create_reservation").lambda_handler
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    clock = LockClock()
    clock.install()
    # The lock is taken inside open_booking (migration 0035): its statement is counted when
    # pg_stat_statements tracks nested statements too, for the connections B4 opens from here on.
    track_nested(server_url, dbname, True)
    waits_measurable = server_ms(server_url, dbname, reset=True) is not None
    start = threading.Barrier(33)
    # The 32 threads share one process's Metrics, whose values reach Powertools' limit of a hundred
    # between the requests' flushes, and it prints them even when disabled: not onto the table.
    with ThreadPoolExecutor(32) as pool, redirect_stdout(io.StringIO()):
        futures = [pool.submit(_fill_day_client, handler, str(b4_location), b4_ticket, i, start) for i in range(32)]
        start.wait()
        t0 = time.perf_counter()
        statuses = [s for f in futures for s in f.result()]
        elapsed = time.perf_counter() - t0
    clock.uninstall()
    violations = _violations(url, b4_location)
    booked = statuses.count(201)
    figures = {"B4_bookings": booked, "B4_requests": len(statuses),
               "B4_bookings_per_second": booked / elapsed,
               "B4_500s": sum(1 for s in statuses if s >= 500 and s != 503),
               "B4_violations": sum(violations.values()) + sum(1 for s in statuses if s >= 500 and s != 503)}
    # The time the lock statement (open_booking's call of lock_location_day) spent waiting for the lock:
    waited = server_ms(server_url, dbname, matching="%public.lock_location_day(%") if waits_measurable else None
    reset_database()  # B4's connections go; B5's count top-level statements only, as pgbench's are
    track_nested(server_url, dbname, False)
    if waited == 0:  # 32 clients on one day always wait: the statement's text no longer matches
        raise RuntimeError("B4: the lock statement is not in pg_stat_statements; update the text matched")
    if waited is not None and clock.samples:
        # What the per-day lock costs each request while held: the client's time from the lock
        # statement to the end of commit or rollback, less the time the lock statement waited.
        hold = (sum(clock.samples) - waited) / len(clock.samples)
        figures.update({"B4_lock_hold_ms": hold, "B4_lock_bound_requests_per_second": 1000 / hold,
                        "B4_requests_per_second": len(statuses) / elapsed,
                        "B4_lock_busy_fraction": len(clock.samples) * hold / (elapsed * 1000)})

    with psycopg.connect(url) as conn:
        targets = []
        for i in range(50):
            location_id, _ = create_reference_location(conn, slug=f"b5-{i:02d}", with_reservations=False)
            ticket = conn.execute("select id from tickets where location_id = %s and name = 'A la carte'",
                                  (location_id,)).fetchone()[0]
            targets.append((str(location_id), str(ticket)))
    # B5 and pgbench take turns, three windows of five seconds each, so that a change in the machine's
    # speed (it moves by a fifth within minutes here) falls on both sides of the ratio alike.
    rounds, seconds = 3, 5
    pgbench = Pgbench(server_url, 8)
    results, elapsed, server_cpu = [], 0.0, 0.0
    with ctx.Pool(8) as pool:
        pool.map(_throughput_client, [(app_url, targets, 2, 100 + i) for i in range(8)])  # warm-up
        measurable = server_ms(server_url, dbname, reset=True) is not None
        for r in range(rounds):
            cpu_before = server_cpu_ms(server_url)
            t0 = time.perf_counter()
            results += pool.map(_throughput_client, [(app_url, targets, seconds, 8 * r + i) for i in range(8)])
            elapsed += time.perf_counter() - t0
            cpu_after = server_cpu_ms(server_url)
            server_cpu = None if None in (cpu_before, cpu_after, server_cpu) else server_cpu + cpu_after - cpu_before
            pgbench.window(seconds)
        booking_server_ms = server_ms(server_url, dbname) if measurable else None
    booked = sum(b for b, _, _ in results)
    statements = top_statements(server_url, dbname, max(booked, 1)) if measurable else None
    tps = booked / elapsed
    reference, tpcb_server_ms, tpcb_cpu_ms = pgbench.figures()
    figures.update({"B5_booking_tps": tps, "B5_pgbench_tps": reference, "B5_ratio": tps / reference,
                    # Handler CPU per booking: the clients' own CPU (the Lambda's share), all attempts counted.
                    "B5_handler_cpu_ms_per_booking": 1000 * sum(c for _, _, c in results) / max(booked, 1)})
    if server_cpu is not None and tpcb_cpu_ms:
        # PostgreSQL's own CPU per booking (parsing and planning too, which pg_stat_statements leaves
        # out), and the ratio to pgbench B5 could reach on these cores with the handlers' CPU elsewhere.
        cpu_per_booking = server_cpu / max(booked, 1)
        figures.update({"B5_server_cpu_ms_per_booking": cpu_per_booking, "B5_server_cpu_ms_per_tpcb": tpcb_cpu_ms,
                        "B5_ceiling_ratio": len(os.sched_getaffinity(0)) * 1000 / cpu_per_booking / reference})
    if booking_server_ms is not None and tpcb_server_ms:
        per_booking = booking_server_ms / max(booked, 1)
        figures.update({"B5db_server_ms_per_booking": per_booking, "B5db_server_ms_per_tpcb": tpcb_server_ms,
                        "B5db_ratio": per_booking / tpcb_server_ms, "B5db_top_statements": statements})
    return figures
