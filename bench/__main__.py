"""`make bench`: the benchmark figures (README, "Benchmarks").  Prints one table, writes bench/results.json.

Runs against its own throwaway PostgreSQL cluster (or DATABASE_URL).  Medians and ratios are
measured in the same run; the machine is described in the output.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def median_ms(fn, repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


@contextmanager
def bench_server(prefix: str) -> Iterator[str]:
    """The server the benchmarks run on: DATABASE_URL, or a throwaway cluster of their own, durable
    (fsync on, so pgbench compares fairly) with pg_stat_statements loaded."""
    from couvert_dev.pgcluster import LocalCluster

    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    cluster = LocalCluster(tempfile.mkdtemp(prefix=prefix), durable=True, preload=("pg_stat_statements",)).start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


def main() -> None:
    with bench_server("couvert-bench-pg-") as url:
        results = run(url)
    report(results)


def _fresh_database(server_url: str, name: str) -> str:
    """A migrated database, set up as on a managed server (non-superuser owner and app logins);
    returns the superuser URL that seeds it.  The handlers log in with app_url_for(url)."""
    from couvert_dev.logins import migrated_database

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
    migrated_database(server_url, name)
    return psycopg.conninfo.make_conninfo(server_url, dbname=name)


def run(server_url: str) -> dict:
    from bench import handlers
    from bench.reference import create_reference_location
    from couvert_dev.logins import app_url_for

    url = _fresh_database(server_url, "couvert_bench")
    with psycopg.connect(url) as conn:
        location_id, reservations = create_reference_location(conn)
        version = conn.execute("show server_version").fetchone()[0]
    results: dict = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "postgres": version,
                    "platform": platform.platform()},
        "reference": {"location_id": str(location_id), "reservations": reservations},
        "figures": {},
    }
    figures = results["figures"]
    # B1-B3 and B8 run in a child process so its peak memory is the handler's alone.
    child = subprocess.run([sys.executable, "-m", "bench.handlers", url, str(location_id)],
                           capture_output=True, text=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": app_url_for(url)})
    if child.returncode != 0:
        raise SystemExit(f"handler benchmark failed:\n{child.stdout}\n{child.stderr}")
    figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
    figures.update(handlers.cold_starts())
    from bench import booking

    figures.update(booking.run(server_url, url))
    from bench import sweeps

    figures.update(sweeps.run(server_url, _fresh_database))
    return results


TARGETS = {
    "B1_engine_day_ms": ("B1 engine, one day, all tickets (p50)", "<= 2 ms"),
    "B2_handler_day_ms": ("B2 check_availability handler (p50)", "<= 10 ms"),
    "B2_floor_ms": ("B2 snapshot, the setup held (p50)", ""),
    "B2_snapshot_setup_read_ms": ("B2 snapshot, the setup read too (p50)", ""),
    "B2_ratio_to_floor": ("B2 handler / snapshot", "<= 3x"),
    "B2_json_floor_ms": ("B2 physical floor: the same rows as one JSON document", ""),
    "B2_snapshot_vs_json_floor": ("B2 snapshot with the setup read / physical floor", "<= 1.5x"),
    "B2_booking_day_rows": ("B2 a booking's snapshot: the day's reservations (rows)", "report"),
    "B2_booking_lunch_rows": ("B2 a booking's snapshot: a lunch arrival's (rows)", "report"),
    "B2_booking_dinner_rows": ("B2 a booking's snapshot: a dinner arrival's (rows)", "report"),
    "B2_booking_lunch_vs_day": ("B2 a booking's snapshot, lunch / the day's (time)", "report"),
    "B2_booking_dinner_vs_day": ("B2 a booking's snapshot, dinner / the day's (time)", "report"),
    "B3_calendar_31_days_ms": ("B3 31-day calendar through the handler (p50)", "<= 100 ms"),
    "B4_bookings": ("B4 32 clients booking one day: bookings made", "report"),
    "B4_requests": ("B4 requests answered (201 + 409 + 503)", "report"),
    "B4_bookings_per_second": ("B4 32 clients booking one day: bookings/s", "report"),
    "B4_violations": ("B4 overlaps + limit violations + 500s", "0"),
    "B4_requests_per_second": ("B4 requests answered per second", "report"),
    "B4_lock_hold_ms": ("B4 per-day lock held per request (ms, mean)", "report"),
    "B4_lock_bound_requests_per_second": ("B4 bound: 1000 / lock hold (requests/s)", "report"),
    "B4_lock_busy_fraction": ("B4 share of the run the day's lock was held", "report"),
    "B5_booking_tps": ("B5 booking throughput, 8 clients (TPS)", ""),
    "B5_pgbench_tps": ("B5 pgbench tpcb-like, 8 clients (TPS)", ""),
    "B5_ratio": ("B5 booking / pgbench", ">= 0.10"),
    "B5_handler_cpu_ms_per_booking": ("B5 handler CPU per booking (ms)", "report"),
    "B5_server_cpu_ms_per_booking": ("B5 PostgreSQL CPU per booking (ms, from /proc)", "report"),
    "B5_server_cpu_ms_per_tpcb": ("B5 PostgreSQL CPU per tpcb-like transaction (ms)", "report"),
    "B5_ceiling_ratio": ("B5 ceiling if the handlers' CPU were elsewhere", "report"),
    "B5db_server_ms_per_booking": ("B5-db server time per booking (ms)", "report"),
    "B5db_server_ms_per_tpcb": ("B5-db server time per tpcb-like transaction (ms)", "report"),
    "B5db_ratio": ("B5-db booking / tpcb-like server time", "<= 10"),
    "B6_reservations": ("B6 reservations in the database (50 locations)", "200000"),
    "B6_rows_touched": ("B6 rows due and touched by one run", "5000"),
    "B6_sweep_seconds": ("B6 scheduled run, 200k rows / 5k due (s)", "<= 2 s"),
    "B6_touched_once": ("B6 each due row touched once (second run: none)", "True"),
    "B6_dispatch_events_per_second": ("B6 outbox dispatcher into moto SES/SNS (events/s)", "report"),
    "B8_peak_rss_mb": ("B8 peak memory of the handler process (MB)", "<= 128 MB"),
}


def _met(value, target: str) -> str:
    """Whether a figure meets its target ("<= 2 ms", ">= 0.10", "0", "True"...): "", "met" or "NOT MET"."""
    words = target.split()
    if not words or words[0] == "report":
        return ""
    if words[0] in ("<=", ">="):
        bound = float(words[1].rstrip("x"))
        return "met" if (value <= bound if words[0] == "<=" else value >= bound) else "NOT MET"
    return "met" if str(value) == words[0] else "NOT MET"


def _row(label: str, value, target: str) -> str:
    # Three decimals: a ratio of 0.096 must not read as its target of 0.10.
    shown = f"{value:>12.3f}" if isinstance(value, float) else f"{value!s:>12}"
    return f"{label:<52} {shown}   {target:<30} {_met(value, target)}".rstrip()


def report(results: dict) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    from bench.handlers import REPEAT

    m = results["machine"]
    print(f"\nCouvert benchmarks - {m['cores']} cores, PostgreSQL {m['postgres']}, Python {m['python']}")
    print(f"reference location: {results['reference']['reservations']} reservations "
          f"(400 on the measured day, history around it)\n")
    print(f"{'figure':<52} {'result':>12}   target")
    figures = results["figures"]
    for key, (label, target) in TARGETS.items():
        if key in figures:
            print(_row(label, figures[key], target))
    for key, value in sorted(figures.items()):
        if key.startswith("B7_"):
            name = "B7 cold import " + key[3:]
            if key.endswith("_vs_floor") and not key.startswith("B7_best_"):
                print(_row(name, value, f"<= 1.15x the stack's floor (medians of {REPEAT})"))
            elif key.endswith("_vs_floor"):
                print(f"{name:<52} {value:>12.3f}   report (the best of each)")
            elif isinstance(value, float):
                print(f"{name + ' (ms)':<52} {value:>12.1f}   report")
            else:
                print(_row(name, value, "no"))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
