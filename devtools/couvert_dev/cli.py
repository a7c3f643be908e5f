"""The `couvert` command: migrations, location config, development tokens, the dev server."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = ROOT / ".local"
DEMO_CONFIG = ROOT / "config" / "demo_location.yaml"


def _database_url(args: argparse.Namespace) -> str:
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("couvert: give --database-url or set DATABASE_URL")
    return url


def cmd_migrate(args: argparse.Namespace) -> None:
    from couvert_dev.migrate import migrate

    applied = migrate(_database_url(args))
    print("applied: " + ", ".join(applied) if applied else "nothing to apply")


def cmd_load_config(args: argparse.Namespace) -> None:
    from couvert.errors import ConfigError
    from couvert_dev.config_loader import load_config_file

    try:
        print(load_config_file(_database_url(args), args.file))
    except ConfigError as error:
        sys.exit(f"couvert: {error.message}")


def add_member(database_url: str, location_id: str, user_id: str, role: str) -> None:
    import psycopg

    from couvert_dev.queries import query

    with psycopg.connect(database_url) as conn:
        conn.execute(query("as_worker"))
        conn.execute(query("add_location_member"), {"location_id": location_id, "user_id": user_id, "role": role})


def cmd_token(args: argparse.Namespace) -> None:
    from couvert_dev.tokens import DEV_JWT_SECRET, issue_dev_token

    add_member(_database_url(args), args.location, args.user, args.role)
    secret = os.environ.get("JWT_SECRET") or DEV_JWT_SECRET
    print(issue_dev_token(args.user, secret, os.environ.get("JWT_ISSUER"), os.environ.get("JWT_AUDIENCE")))


def cmd_openapi(args: argparse.Namespace) -> None:
    from couvert_dev.openapi import build_openapi, write_openapi

    if args.check:
        import json

        current = json.loads((ROOT / "layers/engine/couvert/openapi.json").read_text())
        if current != build_openapi():
            sys.exit("couvert: openapi.json is stale; run `couvert openapi`")
        print("openapi.json is up to date")
    else:
        print(write_openapi())


DEV_DATABASE = "couvert"


def cmd_dev(args: argparse.Namespace) -> None:
    """Local PostgreSQL under .local/ (or DATABASE_URL), migrations, the demo location, the server."""
    from couvert.settings import reload_settings
    from couvert_dev.config_loader import load_config_file
    from couvert_dev.devserver import serve
    from couvert_dev.logins import migrated_database
    from couvert_dev.tokens import DEV_JWT_SECRET, issue_dev_token

    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        from couvert_dev.pgcluster import LocalCluster

        cluster = LocalCluster(LOCAL_DIR / "pg", throwaway=False, durable=True)
        if cluster.is_running():
            print(f"reusing the local PostgreSQL on port {cluster.port}")
        else:
            cluster.start()
            print(f"started a local PostgreSQL in {cluster.datadir} on port {cluster.port}")
        url = cluster.url()
    # As on a managed database: a non-superuser owner migrates and loads, a non-superuser app login serves.
    logins, applied = migrated_database(url, DEV_DATABASE)
    print("migrations applied: " + (", ".join(applied) if applied else "none pending"))
    location_id = str(load_config_file(logins.owner_url, args.config))
    add_member(logins.owner_url, location_id, "dev-owner", "owner")
    os.environ.setdefault("JWT_SECRET", DEV_JWT_SECRET)
    os.environ["DATABASE_URL"] = logins.app_url
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    # Guest messages go to files under .local/mail, listed at /dev/mail.
    os.environ.setdefault("MESSAGES_TRANSPORT", "sink")
    os.environ.setdefault("MAIL_SINK_DIR", str(LOCAL_DIR / "mail"))
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{args.host}:{args.port}")
    stripe = _local_stripe_unless_configured(args)
    reload_settings()
    token = issue_dev_token("dev-owner", os.environ["JWT_SECRET"])
    print(f"demo location: {location_id}")
    print(f"guest widget:     http://{args.host}:{args.port}/   (embed: docs/embedding.md)")
    print(f"API docs:         http://{args.host}:{args.port}/docs")
    print(f"operator console: http://{args.host}:{args.port}/operator#token={token}  (signs you in as the owner)")
    print(f"operator token (owner of the demo location):\n  {token}")
    print(f"try: curl 'http://{args.host}:{args.port}/v1/locations/{location_id}/availability?date=YYYY-MM-DD&party_size=2'")
    print(f"guest messages: http://{args.host}:{args.port}/dev/mail (the scheduled function runs every minute)")
    try:
        serve(args.host, args.port, {"location_id": location_id, "test_payments": stripe is not None,
                                     "stripe_publishable_key": os.environ.get("STRIPE_PUBLISHABLE_KEY")})
    finally:
        if stripe:
            stripe.stop()


def _local_stripe_unless_configured(args: argparse.Namespace):
    """Without real Stripe keys, `make dev` starts a localstripe and points the handlers at it (its
    events come back signed to our webhook route), so a deposit ticket can be booked and paid."""
    if os.environ.get("STRIPE_SECRET_KEY") or os.environ.get("STRIPE_SECRET_ARN"):
        return None
    from couvert_dev.localstripe import LocalStripe

    stripe = LocalStripe().start()
    secret = "whsec_couvert_local"
    os.environ.update({"STRIPE_SECRET_KEY": "sk_test_couvert_local", "STRIPE_API_BASE": stripe.url,
                       "STRIPE_WEBHOOK_SECRET": secret})
    stripe.send_webhooks_to(f"http://{args.host}:{args.port}/v1/webhooks/stripe", secret)
    print(f"payments: localstripe on {stripe.url} (test card pm_card_visa); set STRIPE_SECRET_KEY for real Stripe")
    return stripe


def cmd_sweep(args: argparse.Namespace) -> None:
    """Run the scheduled function once (all jobs, or the named ones) and print what each touched."""
    from couvert.settings import reload_settings
    from couvert_dev.devserver import LocalContext, load_function

    os.environ["DATABASE_URL"] = _database_url(args)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    reload_settings()
    event = {"jobs": args.jobs or None, "location_id": args.location}
    result = load_function(ROOT / "functions" / "scheduled").lambda_handler(event, LocalContext())
    print(json.dumps(result, indent=2, default=str))


def cmd_risk_calibration(args: argparse.Namespace) -> None:
    """The no-show risk calibration check on a synthetic history, in a throwaway database."""
    import tempfile

    from couvert_dev.logins import migrated_database
    from couvert_dev.pgcluster import LocalCluster
    from couvert_dev.risk_calibration import report, run

    cluster = None
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        cluster = LocalCluster(tempfile.mkdtemp(prefix="couvert-risk-pg-")).start()
        url = cluster.url()
    try:
        result = run(migrated_database(url, "couvert_risk_calibration")[0].owner_url, args.reservations, args.seed)
    finally:
        if cluster:
            cluster.stop()
    print(report(result))
    if result.failures:
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="couvert", description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply pending SQL migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("risk-calibration", help="check the no-show risk score on a synthetic history")
    p.add_argument("--reservations", type=int, default=60_000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_risk_calibration)
    p = sub.add_parser("load-config", help="load a location YAML file; prints the location id")
    p.add_argument("file")
    p.set_defaults(func=cmd_load_config)
    p = sub.add_parser("token", help="add an operator membership and print a development JWT")
    p.add_argument("--location", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--role", required=True, choices=["owner", "manager", "host"])
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("openapi", help="write the OpenAPI document generated from the functions")
    p.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    p.set_defaults(func=cmd_openapi)
    p = sub.add_parser("sweep", help="run the scheduled jobs once (what EventBridge does every minute)")
    p.add_argument("--jobs", nargs="*", help="only these jobs (default: all, in order)")
    p.add_argument("--location", help="only this location id")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("dev", help="run everything locally: PostgreSQL, migrations, demo location, server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--config", default=str(DEMO_CONFIG))
    p.set_defaults(func=cmd_dev)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
