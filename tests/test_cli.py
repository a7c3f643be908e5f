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


def test_make_dev_brings_its_own_stripe_unless_keys_are_configured(monkeypatch):
    import argparse
    import urllib.request

    from couvert_dev.cli import _local_stripe_unless_configured

    for name in ("STRIPE_SECRET_KEY", "STRIPE_SECRET_ARN", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    stripe = _local_stripe_unless_configured(argparse.Namespace(host="127.0.0.1", port=8000))
    try:
        import os

        assert os.environ["STRIPE_API_BASE"] == stripe.url and os.environ["STRIPE_WEBHOOK_SECRET"]
        request = urllib.request.Request(f"{stripe.url}/v1/payment_intents",
                                         headers={"Authorization": f"Bearer {os.environ['STRIPE_SECRET_KEY']}"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["object"] == "list"
    finally:
        stripe.stop()
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_configured")
    assert _local_stripe_unless_configured(argparse.Namespace(host="127.0.0.1", port=8000)) is None


def test_a_local_cluster_in_a_private_checkout_lives_where_postgres_can_reach_it(tmp_path):
    """As root, initdb and postgres run as the postgres user, which cannot enter a 0700 directory
    (`mktemp -d`): the data directory is then kept under /var/tmp and linked from the checkout."""
    import os

    from couvert_dev.pgcluster import LocalCluster

    private = tmp_path / "checkout"
    private.mkdir(mode=0o700)
    asked = private / ".local" / "pg"
    cluster = LocalCluster(asked, throwaway=False)
    if os.geteuid() == 0:
        assert asked.is_symlink() and str(cluster.datadir).startswith("/var/tmp/couvert-pg-")
        assert LocalCluster(asked, throwaway=False).datadir == cluster.datadir  # found again (make dev-stop)
        cluster.datadir.rmdir()
    else:
        assert cluster.datadir == asked.resolve()
