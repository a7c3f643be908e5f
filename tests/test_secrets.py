"""Secrets come from Secrets Manager (moto) through Powertools parameters, cached per environment."""

import json

import boto3
import pytest
from moto import mock_aws
from psycopg.conninfo import conninfo_to_dict

from couvert.db import conninfo_from_settings
from couvert.payments import stripe_secrets
from couvert.settings import reload_settings


@pytest.fixture
def secrets_manager(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("DATABASE_URL", "WORKER_DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager")
    parameters.clear_caches()
    reload_settings()


def test_the_database_login_comes_from_its_secret_and_is_read_once(secrets_manager, monkeypatch):
    arn = secrets_manager.create_secret(Name="db", SecretString=json.dumps({
        "host": "db.internal", "port": 5432, "username": "couvert_api", "password": "s3cret",
        "dbname": "couvert"}))["ARN"]
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    reload_settings()
    first = conninfo_from_settings()
    assert "host=db.internal" in first and "user=couvert_api" in first and "password=s3cret" in first
    secrets_manager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    assert conninfo_from_settings() == first  # cached: no Secrets Manager call per request


def test_stripe_keys_come_from_their_secret(secrets_manager, monkeypatch):
    arn = secrets_manager.create_secret(Name="stripe", SecretString=json.dumps({
        "secret_key": "sk_test_from_secret", "webhook_secret": "whsec_from_secret"}))["ARN"]
    monkeypatch.setenv("STRIPE_SECRET_ARN", arn)
    reload_settings()
    assert stripe_secrets() == {"secret_key": "sk_test_from_secret", "webhook_secret": "whsec_from_secret"}


def test_the_database_connection_verifies_the_certificate_and_can_go_through_a_proxy(secrets_manager, monkeypatch):
    arn = secrets_manager.create_secret(Name="db-tls", SecretString=json.dumps({
        "host": "db.internal", "port": 5432, "username": "couvert_app", "password": "s3cret"}))["ARN"]
    monkeypatch.setenv("DB_SECRET_ARN", arn)
    reload_settings()
    direct = conninfo_to_dict(conninfo_from_settings())
    assert (direct["host"], direct["sslmode"]) == ("db.internal", "verify-full")
    monkeypatch.setenv("DB_HOST", "couvert-db.proxy-abc.eu-west-1.rds.amazonaws.com")
    monkeypatch.setenv("DB_SSL_ROOT_CERT", "/opt/python/couvert/certs/rds-global-bundle.pem")
    reload_settings()
    proxied = conninfo_to_dict(conninfo_from_settings())
    assert proxied["host"] == "couvert-db.proxy-abc.eu-west-1.rds.amazonaws.com"
    assert (proxied["sslmode"], proxied["sslrootcert"]) == ("verify-full", "/opt/python/couvert/certs/rds-global-bundle.pem")


def test_manage_links_are_derived_from_their_secret_in_secrets_manager(secrets_manager, monkeypatch):
    """Attack: a secret in the functions' environment is readable by anyone who may read their
    configuration (lambda:GetFunctionConfiguration), and with it any guest's manage link is forged."""
    from couvert.manage_tokens import manage_token

    reservation = "7d0bd8a0-5f4e-4e0e-9d8c-3d4a7f0a1b2c"
    made = {}
    for name in ("first", "second"):
        arn = secrets_manager.create_secret(Name=f"manage-{name}", SecretString=json.dumps(
            {"manage_token_secret": f"{name}-secret-of-forty-characters-or-so-xx"}))["ARN"]
        monkeypatch.setenv("MANAGE_TOKEN_SECRET_ARN", arn)
        monkeypatch.setenv("MANAGE_TOKEN_SECRET", "an-environment-value-that-is-not-used")
        reload_settings()
        made[name] = manage_token(reservation)
    monkeypatch.delenv("MANAGE_TOKEN_SECRET_ARN")
    reload_settings()
    assert len({made["first"], made["second"], manage_token(reservation)}) == 3


def test_a_booking_reads_the_manage_link_secret_before_it_takes_the_days_lock(app_env, demo_location, host,
                                                                              monkeypatch):
    """A call to Secrets Manager under the day's lock would hold up every other booking of the day."""
    from couvert import booking, secrets
    from tests.support.api import book, booking_body

    order, cache = [], {}

    def secret_json(arn):  # Secrets Manager, behind the cache every secret is read through
        if arn not in cache:
            order.append("Secrets Manager")
            cache[arn] = {"manage_token_secret": "from-secrets-manager-xx"}
        return cache[arn]

    monkeypatch.setenv("MANAGE_TOKEN_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:links")
    reload_settings()
    monkeypatch.setattr(secrets, "secret_json", secret_json)
    opening = booking.open_under_lock  # open_booking takes the day's lock
    monkeypatch.setattr(booking, "open_under_lock", lambda *a, **k: order.append("lock") or opening(*a, **k))
    assert book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[0] == 201
    assert order == ["Secrets Manager", "lock"]
