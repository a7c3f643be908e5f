"""B1, B2, B3, B8 (run as a child process: python -m bench.handlers URL LOCATION_ID) and B7."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
# B7's rounds: each code's median is compared (cold_starts); more rounds move it less (bench/README.md,
# "Sixth pass").
REPEAT = 31


def measure(url: str, location_id: UUID) -> dict:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    from bench.__main__ import median_ms
    from bench.reference import MEASURED_DAY
    from couvert.db import RequestContext, get_database
    from couvert.engine import AvailabilityEngine, AvailabilityRequest
    from couvert.setups import SETUPS
    from couvert.snapshots import load_snapshot
    from couvert_dev.devserver import load_function
    from tests.support import FakeContext, http_event

    now = dt.datetime.combine(MEASURED_DAY - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC)
    os.environ["COUVERT_FROZEN_NOW"] = now.isoformat()
    db = get_database()
    guest = RequestContext.guest(location_id)
    # Every measured transaction is pipelined, as the availability handler's are (couvert/pipelines.py).
    with db.transaction(guest, pipelined=True) as conn:
        snapshot = load_snapshot(conn, location_id, MEASURED_DAY)
    request = AvailabilityRequest(MEASURED_DAY, 4, "widget")
    b1 = median_ms(lambda: AvailabilityEngine(snapshot, now).availability(request), 200)

    def floor():
        with db.transaction(guest, pipelined=True) as conn:
            load_snapshot(conn, location_id, MEASURED_DAY)

    floor_ms = median_ms(floor, 200)  # the location's setup held by the process, as between requests

    def setup_read():
        SETUPS.clear()
        floor()

    setup_read_ms = median_ms(setup_read, 200)  # a process's first request for the location

    # The physical floor of the snapshot (bench/README.md, B2): the same rows in one round trip, as one
    # JSON document built by PostgreSQL from the very same queries, fetched and parsed (each query is
    # closed on a new line: it may end in a -- comment).
    from couvert.queries import query
    from couvert.snapshots import _KINDS

    document = "select json_build_object(" + ", ".join(
        f"'{name}', (select coalesce(json_agg(q), '[]'::json) from ({query(name)}\n) q)" for name in _KINDS) + ")"
    params = {"location_id": location_id, "date_from": MEASURED_DAY, "date_to": MEASURED_DAY}

    def json_floor():
        with db.transaction(guest, pipelined=True) as conn:
            conn.execute(document, params).fetchone()

    json_floor_ms = median_ms(json_floor, 200)
    booking_snapshots = _booking_snapshots(db, location_id, MEASURED_DAY, snapshot, floor_ms)
    handler = load_function(ROOT / "functions" / "check_availability").lambda_handler
    path = f"/v1/locations/{location_id}/availability"
    event = http_event("GET", path, query={"date": MEASURED_DAY.isoformat(), "party_size": 4})
    assert handler(event, FakeContext())["statusCode"] == 200
    b2 = median_ms(lambda: handler(event, FakeContext()), 200)
    calendar = http_event("GET", path + "/calendar", query={
        "from": MEASURED_DAY.isoformat(), "to": (MEASURED_DAY + dt.timedelta(days=30)).isoformat(),
        "party_size": 4})
    assert handler(calendar, FakeContext())["statusCode"] == 200
    b3 = median_ms(lambda: handler(calendar, FakeContext()), 30)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"B1_engine_day_ms": b1, "B2_handler_day_ms": b2, "B2_floor_ms": floor_ms,
            "B2_ratio_to_floor": b2 / floor_ms, "B2_json_floor_ms": json_floor_ms,
            "B2_snapshot_setup_read_ms": setup_read_ms, "B2_snapshot_vs_json_floor": setup_read_ms / json_floor_ms,
            "B3_calendar_31_days_ms": b3, "B8_peak_rss_mb": peak_mb, **booking_snapshots}


def _booking_snapshots(db, location_id: UUID, day: dt.date, whole_day, day_ms: float) -> dict:
    """What a booking reads under its day's lock (migration 0040): the reservations that can touch its
    stay, for a lunch and a dinner arrival of the reference day's ticket served at both, against the
    whole day's (rows, and the snapshot's p50 with the setup held)."""
    from bench.__main__ import median_ms
    from couvert.db import RequestContext
    from couvert.pipelines import batch
    from couvert.snapshots import Arrival, send_snapshot

    ticket = next(t.id for t in whole_day.tickets.values() if t.name == "A la carte")
    guest = RequestContext.guest(location_id)
    out = {"B2_booking_day_rows": len(whole_day.bookings)}
    for label, time in (("lunch", dt.time(13)), ("dinner", dt.time(20))):
        def stay(time=time):
            with db.transaction(guest, pipelined=True) as conn:
                with batch(conn):
                    read = send_snapshot(conn, location_id, day, arrival=Arrival(ticket, time))
                return read()

        out[f"B2_booking_{label}_rows"] = len(stay().bookings)
        out[f"B2_booking_{label}_vs_day"] = median_ms(stay, 200) / day_ms
    return out


_COLD = """
import sys, time
sys.path[:0] = {paths!r}
t0 = time.perf_counter()
import app
elapsed = (time.perf_counter() - t0) * 1000
print(elapsed, 'stripe' in sys.modules, 'boto3' in sys.modules)
"""


# The stack's floor: what every HTTP function imports before any code of ours (B7 is a ratio to it):
# psycopg, pydantic's model machinery (BaseModel and Field: pydantic 2 loads lazily, and `import
# pydantic` alone leaves out the fields, the constrained types and annotated_types, which any model
# with a constraint loads), Powertools' Logger, Metrics and Tracer, and its HTTP resolver as every
# function makes it, validating (enable_validation loads its OpenAPI layer: parameters, encoders,
# the validation middleware).  tests/test_cold_start.py holds that every HTTP function loads all of it.
FLOOR_IMPORTS = """
import psycopg
from pydantic import BaseModel, Field
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
APIGatewayHttpResolver(enable_validation=True)
"""
_FLOOR = f"""
import sys, time
t0 = time.perf_counter()
{FLOOR_IMPORTS}
print((time.perf_counter() - t0) * 1000, False, False)
"""


@functools.cache
def _as_deployed() -> dict[str, str]:
    """The environment template.yaml gives every function, read once (B7 starts some sixty interpreters)."""
    from couvert_dev.devserver import function_environment

    return function_environment()


def _fresh_interpreter(code: str, env: dict | None = None) -> str:
    """What `code` prints in a fresh interpreter, configured as a function is (template.yaml's
    environment; nothing connects)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **_as_deployed(), "AWS_DEFAULT_REGION": "eu-west-1",
                               "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql:///b7"), **(env or {})}
                          ).stdout


def _import_ms(code: str, env: dict | None = None) -> tuple[float, tuple[str, str]]:
    """One import in a fresh interpreter: its milliseconds, and whether stripe and boto3 were loaded."""
    ms, stripe, boto3 = _fresh_interpreter(code, env).split()
    return float(ms), (stripe, boto3)


def _rounds(codes: dict[str, str], repeat: int, env: dict | None = None) -> tuple[dict, dict]:
    """Each code imported `repeat` times, in rounds (every code once, then again), so that a change in
    the machine's load lands on all of them alike; the samples of each, and what each loaded."""
    samples: dict[str, list[float]] = {key: [] for key in codes}
    heavy: dict[str, tuple[str, str]] = {}
    for _ in range(repeat):
        for key, code in codes.items():
            ms, heavy[key] = _import_ms(code, env)
            samples[key].append(ms)
    return samples, heavy


def _layer_as_built(artifacts: Path) -> Path:
    """Our package as the layer's build ships it (layers/engine/Makefile): copied and compiled."""
    subprocess.run(["make", "--no-print-directory", "-s", "-C", str(ROOT / "layers" / "engine"), "package",
                    "bytecode", f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"], check=True)
    return artifacts / "python"


def _standard_library_bytecode_only(prefix: Path, codes: dict[str, str]) -> dict:
    """An environment in which only the standard library has bytecode, as on Lambda with a layer of
    sources: Python looks for bytecode under `prefix` alone, which holds the standard library's."""
    env = {"PYTHONPYCACHEPREFIX": str(prefix)}
    for code in codes.values():  # let Python write what these imports compile ...
        _fresh_interpreter(code, {**env, "PYTHONDONTWRITEBYTECODE": ""})
    stdlib = prefix / Path(sysconfig.get_paths()["stdlib"]).relative_to("/")
    kept = prefix.with_name(prefix.name + "-stdlib")  # ... and keep the standard library's part of it
    shutil.move(stdlib, kept)
    shutil.rmtree(prefix)
    stdlib.parent.mkdir(parents=True)
    shutil.move(kept, stdlib)
    shutil.rmtree(stdlib / "site-packages", ignore_errors=True)
    return {**env, "PYTHONDONTWRITEBYTECODE": "1"}


def cold_starts(repeat: int = REPEAT, from_source_repeat: int = 3) -> dict:
    """B7: import each handler module in a fresh interpreter, and the same for the stack's floor
    (psycopg, pydantic, Powertools), so each function reads as a ratio to it; our package is imported
    as the layer ships it, with its bytecode, as the floor's packages are installed with theirs.

    The ratio is of the medians of each code's rounds; the ratio of the best of each is printed beside
    it (bench/README.md, "Sixth pass": as the target it failed where the medians held).

    Beside it, the same imports with no bytecode but the standard library's: what a cold start
    without SnapStart compiled when the layer was built by SAM's Python builder, which ships sources."""
    from couvert_dev.devserver import function_names

    functions = function_names()
    with tempfile.TemporaryDirectory(prefix="couvert-b7-") as scratch:
        layer = _layer_as_built(Path(scratch) / "layer")
        function = {name: str(ROOT / "functions" / name) for name in functions}
        shipped = {"floor": _FLOOR, **{name: _COLD.format(paths=[str(layer), function[name]]) for name in functions}}
        samples, heavy = _rounds(shipped, repeat)
        sources = {"floor": _FLOOR, **{name: _COLD.format(paths=[function[name]]) for name in functions}}
        env = _standard_library_bytecode_only(Path(scratch) / "pycache", sources)
        from_source, _ = _rounds(sources, from_source_repeat, env)
    best = {key: min(values) for key, values in samples.items()}
    median = {key: statistics.median(values) for key, values in samples.items()}
    out: dict = {"B7_stack_floor_ms": median["floor"], "B7_best_stack_floor_ms": best["floor"],
                 "B7_from_source_stack_floor_ms": statistics.median(from_source["floor"])}
    for name in functions:
        out[f"B7_{name}_ms"] = median[name]
        out[f"B7_{name}_vs_floor"] = median[name] / median["floor"]
        out[f"B7_best_{name}_vs_floor"] = best[name] / best["floor"]
        out[f"B7_from_source_{name}_ms"] = statistics.median(from_source[name])
    out["B7_check_availability_imports_stripe_or_boto3"] = "yes" if "True" in heavy["check_availability"] else "no"
    return out


if __name__ == "__main__":
    url, location = sys.argv[1], UUID(sys.argv[2])
    print(json.dumps(measure(url, location)))
