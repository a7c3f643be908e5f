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


def test_make_dev_stopped_by_a_terminate_signal_stops_its_stripe_too(server_url, tmp_path):
    """A terminal closing or a container stopping sends SIGTERM, not Ctrl-C: `couvert dev` stops as it
    does on Ctrl-C, and the localstripe it started goes with it instead of keeping its port."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from couvert_dev.pgcluster import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    env["MAIL_SINK_DIR"] = str(tmp_path / "mail")
    command = [str(Path(sys.executable).with_name("couvert")), "--database-url", server_url, "dev",
               "--port", str(free_port())]
    dev = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        stripe_port, lines = None, []
        for line in dev.stdout:  # until the server is up, or the command ends
            lines.append(line)
            if found := re.search(r"localstripe on http://127\.0\.0\.1:(\d+)", line):
                stripe_port = int(found.group(1))
            if line.startswith("Couvert dev server on"):
                break
        assert stripe_port is not None, "".join(lines)
        dev.send_signal(signal.SIGTERM)
        assert dev.wait(timeout=30) is not None
    finally:
        if dev.poll() is None:
            dev.kill()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", stripe_port)) != 0, "localstripe still listens after `couvert dev` stopped"
