"""Operator tokens on the routes shared with guests, which the functions verify themselves: the same
audience rule as API Gateway's JWT authorizer on the operator-only routes, so a token the one accepts
the other accepts too, and a token made for another application of the same identity provider
passes neither.  The rule: the `aud` claim names our audience; a token without `aud` (a Cognito
access token) names it in `client_id` instead."""

import datetime as dt

import jwt
import pytest

from couvert.settings import reload_settings
from tests.conftest import JWT_SECRET
from tests.support.api import add_member, availability

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
AUDIENCE = "couvert-console"


@pytest.fixture
def configured(app_env, demo_location, monkeypatch):
    """As deployed: tokens are trusted for one issuer and one audience."""
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", AUDIENCE)
    reload_settings()
    add_member(app_env, demo_location, "host-1")
    return demo_location


def _token(**claims) -> str:
    now = dt.datetime.now(dt.UTC)
    return jwt.encode({"sub": "host-1", "iss": ISSUER, "iat": now, "exp": now + dt.timedelta(hours=1), **claims},
                      JWT_SECRET, algorithm="HS256")


def _as_host(location, token) -> int:
    """Phone availability: operators only, so 200 says the token made the caller an operator."""
    return availability(location, channel="phone", headers={"authorization": f"Bearer {token}"})[0]


def test_an_id_token_for_our_audience_is_an_operator(configured):
    assert _as_host(configured, _token(aud=AUDIENCE, token_use="id")) == 200
    assert _as_host(configured, _token(aud=["another-app", AUDIENCE])) == 200


def test_an_access_token_names_our_audience_in_client_id(configured):
    """Cognito's access tokens carry no `aud`; API Gateway's authorizer reads `client_id` then."""
    assert _as_host(configured, _token(client_id=AUDIENCE, token_use="access", scope="openid")) == 200


@pytest.mark.parametrize("claims", [
    {"client_id": "another-app", "token_use": "access"},  # an access token of another application
    {"aud": "another-app", "client_id": AUDIENCE},  # `aud` decides when present, as in API Gateway
    {"aud": "another-app"},
    {},  # no audience at all
    {"aud": None, "client_id": AUDIENCE},  # an `aud` that is there decides, whatever its value
    {"aud": [], "client_id": AUDIENCE},
    {"aud": 123},
    {"aud": [123, "another-app"]},
    {"aud": f"{AUDIENCE}-staging"},  # a name that merely starts with ours
    {"aud": AUDIENCE[:-1]},
], ids=["access-token-of-another-app", "aud-of-another-app-beside-our-client-id", "aud-of-another-app",
        "no-audience", "null-aud", "empty-aud", "numeric-aud", "aud-list-of-others", "aud-extending-ours",
        "aud-prefix-of-ours"])
def test_attack_a_token_made_for_another_application_is_401(configured, claims):
    status, body, _ = availability(configured, channel="phone",
                                   headers={"authorization": f"Bearer {_token(**claims)}"})
    assert (status, body["error"]["code"]) == (401, "unauthorized")


def test_attack_a_token_of_another_issuer_is_401(configured):
    assert _as_host(configured, _token(aud=AUDIENCE, iss="https://issuer.example")) == 401
    assert _as_host(configured, _token(client_id=AUDIENCE, iss="https://issuer.example")) == 401
