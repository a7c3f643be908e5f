"""The `couvert` command on a real database: tokens for operators, and one scheduled run."""

import json

import jwt
import psycopg

from couvert_dev.cli import main
from tests.support.api import JWT_SECRET


def test_couvert_token_adds_the_membership_and_prints_a_token(app_env, logins, demo_location, capsys):
    main(["--database-url", logins.owner_url, "token", "--location", str(demo_location), "--user", "u-1", "--role", "host"])
    token = capsys.readouterr().out.strip()
    assert jwt.decode(token, JWT_SECRET, algorithms=["HS256"])["sub"] == "u-1"
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select role from location_members where user_id = 'u-1'").fetchone() == ("host",)


def test_couvert_sweep_runs_the_named_jobs_once(app_env, logins, demo_location, capsys):
    main(["--database-url", logins.app_url, "sweep", "--jobs", "no_shows", "reminders"])
    out = capsys.readouterr().out
    # Powertools logs to stdout as one JSON line each; the command's answer is the indented document.
    answer = json.loads(out[out.index("{\n"):out.rindex("\n}") + 2])
    assert answer["counts"] == {"no_shows": 0, "reminders": 0}
