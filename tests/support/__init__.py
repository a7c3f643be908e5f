"""Helpers shared by the tests: API Gateway v2 events, handler loading, SQL as a given role."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import yaml
from psycopg.rows import dict_row

from couvert_dev.devserver import load_function
from tests.support.clock import PINNED_NOW, day

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "demo_location.yaml"
# The demo file's shift exceptions (Christmas Eve re-timed, Christmas Day closed) are re-dated onto
# the pinned calendar, keeping their order and gap: the first falls on day(31), a Thursday as in the file.
DEMO_EVE = day(31)
DEMO_CLOSED_DAY = day(32)


def demo_config() -> dict[str, Any]:
    """The demo location's configuration as parsed YAML, its exception dates moved onto the test calendar."""
    raw = yaml.safe_load(DEMO_CONFIG.read_text())
    dates = [dt.date.fromisoformat(str(e["date"])) for e in raw["shift_exceptions"]]
    for exception, date in zip(raw["shift_exceptions"], dates, strict=True):
        exception["date"] = (DEMO_EVE + (date - min(dates))).isoformat()
    return raw


def load_demo_copy(conn: psycopg.Connection, slug: str = "bistro-b", name: str = "Bistro B"):
    """Another location configured as the demo one (the tenant next door); returns its id."""
    from couvert_dev.config_loader import load_config, parse_config

    raw = demo_config()
    raw["location"] = {**raw["location"], "slug": slug, "name": name}
    return load_config(conn, parse_config(raw))


def load_handler(function: str):
    """The module of functions/<function>/app.py (the dev server's loader, shared)."""
    return load_function(ROOT / "functions" / function)


# What EventBridge Scheduler sends the scheduled function every minute.
SCHEDULE_EVENT = {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.scheduler",
                  "account": "123456789012", "time": PINNED_NOW.isoformat(), "region": "eu-west-1",
                  "resources": [], "detail": {}}


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test"
    aws_request_id = "test-request"


def http_event(method: str, path: str, query: dict[str, Any] | None = None, body: Any = None,
               headers: dict[str, str] | None = None, claims: dict[str, Any] | None = None,
               base64_body: bool = False, source_ip: str = "127.0.0.1") -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event."""
    query = {k: str(v) for k, v in (query or {}).items() if v is not None}
    raw_body = body if isinstance(body, str | None) else json.dumps(body)
    if base64_body and raw_body is not None:
        raw_body = base64.b64encode(raw_body.encode()).decode()
    request_context: dict[str, Any] = {
        "accountId": "123456789012", "apiId": "api", "domainName": "localhost", "requestId": "req",
        "routeKey": "$default", "stage": "$default", "time": "23/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                 "userAgent": "pytest"},
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": urlencode(query),
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query or None, "requestContext": request_context,
        "body": raw_body, "isBase64Encoded": base64_body,
    }


def call(function: str, method: str, path: str, **kwargs) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Invoke a function's lambda_handler with an HTTP event; returns (status, json body, headers)."""
    response = load_handler(function).lambda_handler(http_event(method, path, **kwargs), FakeContext())
    body = response.get("body") or "null"
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return response["statusCode"], json.loads(body), response.get("headers") or {}


@contextmanager
def as_role(database_url: str, role: str = "couvert_api", claims: dict[str, Any] | None = None,
            guest_location_id: Any = None) -> Iterator[psycopg.Connection]:
    """A transaction as the API (or worker) role with the given identity; rolled back at the end."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        conn.execute("select public.begin_request(%s, %s::jsonb, %s::uuid)",
                     (role, json.dumps(claims) if claims else None, guest_location_id))
        try:
            yield conn
        finally:
            conn.rollback()
