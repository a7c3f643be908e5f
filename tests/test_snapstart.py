"""SnapStart runtime hooks (couvert/snapstart.py): no database connection goes into a snapshot, and
after a restore the next request connects afresh and reads its secrets again."""

import os
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest

from couvert import payments, snapstart
from couvert.db import get_database
from couvert_dev.devserver import function_names
from tests.support import ROOT, call
from tests.support.clock import iso


def _availability(location) -> int:
    status, _, _ = call("check_availability", "GET", f"/v1/locations/{location}/availability",
                        query={"date": iso(9), "party_size": 2})
    return status


def _server_pid(conn: psycopg.Connection) -> int:
    pid = conn.execute("select pg_backend_pid() as pid").fetchone()["pid"]
    conn.rollback()
    return pid


def _backend_gone(server_url: str, pid: int, seconds: float = 5.0) -> bool:
    """Whether the server has no backend with this pid (a closed connection's backend exits promptly)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(server_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if not conn.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
                return True
            time.sleep(0.05)
    return False


def test_before_snapshot_closes_the_connection_a_request_opened(app_env, demo_location, server_url, pooler):
    assert _availability(demo_location) == 200
    conn = get_database().connection()
    pid = _server_pid(conn)
    snapstart.before_snapshot()
    assert conn.closed
    if pooler is None:  # through PgBouncer the server connection stays pooled: only the client's closes
        assert _backend_gone(server_url, pid)


def test_after_restore_the_next_request_opens_a_fresh_connection(app_env, demo_location, server_url, pooler):
    assert _availability(demo_location) == 200
    restored = get_database().connection()
    pid = _server_pid(restored)
    snapstart.after_restore()
    assert restored.closed
    assert _availability(demo_location) == 200
    fresh = get_database().connection()
    assert fresh is not restored and not fresh.closed
    if pooler is None:
        assert _server_pid(fresh) != pid
        assert _backend_gone(server_url, pid)


def test_after_restore_forgets_cached_secrets(monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    cleared = []
    monkeypatch.setattr(parameters, "clear_caches", lambda: cleared.append(True))
    monkeypatch.setattr(payments, "_payments", object())  # a Stripe client built from a cached key
    snapstart.after_restore()
    assert cleared == [True]
    assert payments._payments is None


FAKE_RUNTIME = """
hooks = []
def register_before_snapshot(func, *args, **kwargs):
    hooks.append(("before_snapshot", func.__module__, func.__name__))
    return func
def register_after_restore(func, *args, **kwargs):
    hooks.append(("after_restore", func.__module__, func.__name__))
    return func
"""

PROBE = """
import sys
sys.path.insert(0, {function!r})
import app
import snapshot_restore_py
print(sorted(snapshot_restore_py.hooks))
"""


@pytest.mark.parametrize("function", function_names())
def test_every_function_registers_the_hooks_with_the_lambda_runtime(function, tmp_path):
    """The runtime only runs hooks registered by modules the handler imports."""
    (tmp_path / "snapshot_restore_py.py").write_text(textwrap.dedent(FAKE_RUNTIME))
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "DATABASE_URL": "postgresql:///snapstart", "JWT_SECRET": "x" * 32}
    env.pop("COUVERT_FROZEN_NOW", None)
    result = subprocess.run([sys.executable, "-c", PROBE.format(function=str(ROOT / "functions" / function))],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([("after_restore", "couvert.snapstart", "after_restore"),
                                         ("before_snapshot", "couvert.snapstart", "before_snapshot")])


def test_without_the_lambda_runtime_registering_does_nothing():
    assert "snapshot_restore_py" not in sys.modules
    assert snapstart.register() is False


PRIMED = """
import sys
sys.path.insert(0, {function!r})
import app
from couvert import snapstart
loaded_at_import = "email_validator" in sys.modules
snapstart.before_snapshot()
print(loaded_at_import, "email_validator" in sys.modules)
"""


@pytest.mark.parametrize(("function", "takes_a_guest"), [("create_reservation", True), ("transition_status", False),
                                                           ("back_office", False)])
def test_the_guest_e_mail_check_is_loaded_before_the_snapshot_not_at_import(function, takes_a_guest):
    """email_validator costs some fifteen milliseconds of import: a function's cold start leaves it for
    the first address, and the snapshot of a function that takes a guest holds it, so no restored
    environment pays for it; a function that takes no guest never loads it."""
    env = {**os.environ, "DATABASE_URL": "postgresql:///snapstart", "JWT_SECRET": "x" * 32}
    env.pop("COUVERT_FROZEN_NOW", None)
    code = PRIMED.format(function=str(ROOT / "functions" / function))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", str(takes_a_guest)]


BUILT = """
import sys
sys.path.insert(0, {function!r})
import app
from couvert import shapes, snapstart
models = list(shapes._every_shape())
routes = app.app._static_routes + app.app._dynamic_routes  # Powertools' own lists of the routes
deferred = sum(not m.__pydantic_complete__ for m in models)
routes_deferred = sum(r._dependant is None for r in routes)
snapstart.before_snapshot()
print(len(models), deferred, len(routes), routes_deferred, sum(not m.__pydantic_complete__ for m in models),
      sum(r._dependant is None for r in routes))
"""


@pytest.mark.parametrize("function", function_names(http_only=True))
def test_models_and_routes_build_on_first_use_and_before_the_snapshot(function):
    """A function's import leaves its HTTP models unbuilt (each costs a millisecond or so); the hook
    before the snapshot builds every one, and Powertools' validation of every route, so that a
    restored environment builds nothing at its first request."""
    env = {**os.environ, "DATABASE_URL": "postgresql:///snapstart", "JWT_SECRET": "x" * 32}
    env.pop("COUVERT_FROZEN_NOW", None)
    code = BUILT.format(function=str(ROOT / "functions" / function))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    models, deferred, routes, routes_deferred, unbuilt, routes_unprepared = map(int, result.stdout.split())
    assert models > 0 and deferred == models and routes > 0 and routes_deferred == routes
    assert (unbuilt, routes_unprepared) == (0, 0)
