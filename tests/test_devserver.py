"""The development server: routes read from template.yaml, served through the real handlers."""

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError

import pytest

from couvert_dev.devserver import read_routes
from tests.support.api import op
from tests.support.browser import dev_server
from tests.support.clock import iso


def test_every_http_route_of_the_template_is_served():
    routes = {(r.method, r.path) for r in read_routes()}
    assert ("GET", "/v1/locations/{location_id}/availability") in routes
    assert ("POST", "/v1/webhooks/stripe") in routes
    assert len(routes) == 22
    calendar = next(r for r in read_routes() if r.path.endswith("/availability/calendar"))
    assert calendar.match("GET", "/v1/locations/abc/availability/calendar") == {"location_id": "abc"}
    assert calendar.match("POST", "/v1/locations/abc/availability/calendar") is None


@pytest.fixture
def server(app_env, demo_location):
    with dev_server({"location_id": str(demo_location)}) as base:
        yield base, demo_location


def _get(url, method="GET", data=None, headers=None):
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def test_health_and_availability_over_http(server):
    base, location = server
    status, body = _get(f"{base}/health")
    assert status == 200 and json.loads(body)["location_id"] == str(location)
    status, body = _get(f"{base}/v1/locations/{location}/availability?date={iso(9)}&party_size=2")
    assert status == 200 and json.loads(body)["tickets"][0]["shifts"]


def test_odd_requests_get_clear_errors_not_crashes(server):
    base, location = server
    assert _get(f"{base}/v1/nowhere")[0] == 404
    assert _get(f"{base}/v1/locations/{location}/availability", method="TRACE")[0] == 404
    assert _get(f"{base}/v1/locations/{location}/availability", method="QUERY")[0] == 404
    status, body = _get(f"{base}/v1/locations/{location}/reservations", method="POST", data=b"\xff\xfe",
                        headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)["error"]["code"]) == (400, "bad_request")


def test_parallel_requests_never_run_as_each_others_caller(server, host):
    """Powertools keeps the current request on a class attribute; the dev server serves one handler
    at a time, so an anonymous request never passes as the operator running beside it."""
    base, location = server
    url = f"{base}/v1/locations/{location}/reservations?date={iso(9)}"
    token = {"Authorization": op("host-1")["authorization"]}
    start = threading.Barrier(24)

    def request(n):
        start.wait()
        return n % 2, _get(url, headers=token if n % 2 else {})[0]

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(request, range(24)))
    assert [status for _, status in results] == [200 if is_operator else 401 for is_operator, _ in results]


@pytest.mark.slow
@pytest.mark.fuzz
def test_fuzzing_the_openapi_document_finds_no_server_errors(server, tmp_path):
    """schemathesis generates valid and invalid requests from /openapi.json: none may get a 5xx."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    base, _ = server
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    # One worker: under two, hypothesis describes strategies with ast.parse from two threads, which
    # CPython 3.11 does not survive ("AST constructor recursion depth mismatch").
    result = subprocess.run([st, "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
                             "--max-examples", "15", "--workers", "1", "--seed", "7"],
                            capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)  # its cache (.schemathesis/) stays out of the repository
    assert result.returncode == 0, result.stdout[-6000:]


def test_the_mail_sink_is_listed_and_shown(server, monkeypatch, tmp_path):
    from couvert.settings import reload_settings

    monkeypatch.setenv("MAIL_SINK_DIR", str(tmp_path))
    reload_settings()
    base, _ = server
    status, body = _get(f"{base}/dev/mail")
    assert status == 200 and b"No messages yet" in body
    (tmp_path / "20990101T000000-e1.eml").write_bytes(
        b"To: ada@example.com\r\nSubject: <Your table>\r\nContent-Type: text/html\r\n\r\n<p>Dear Ada</p>\r\n")
    status, body = _get(f"{base}/dev/mail")
    assert status == 200 and b"ada@example.com" in body and b"&lt;Your table&gt;" in body
    status, body = _get(f"{base}/dev/mail/20990101T000000-e1.eml")
    assert status == 200 and b"<p>Dear Ada</p>" in body
    assert _get(f"{base}/dev/mail/..%2Fsecret.eml")[0] == 404


def test_pages_docs_and_their_assets_are_served_and_nothing_beside_them(server):
    base, _ = server
    for path, kind in {"/": "text/html", "/manage": "text/html", "/operator": "text/html", "/docs": "text/html",
                       "/embed.js": "text/javascript", "/web/widget.js": "text/javascript",
                       "/web/guest.css": "text/css", "/docs/assets/swagger-ui-bundle.js": "text/javascript"}.items():
        request = urllib.request.Request(f"{base}{path}")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith(kind), path
    # No way out of web/ or the Swagger UI folder, however the path is spelled.
    for path in ("/web/../pyproject.toml", "/web/%2e%2e/Makefile", "/web/../../etc/passwd",
                 "/web/../docs/screenshots/manage-cancel.png",  # a servable kind of file, outside web/
                 "/docs/assets/../__init__.py", "/docs/assets/../core.py", "/web/", "/web/nothing.js"):
        assert _get(f"{base}{path}")[0] == 404, path


def test_test_payments_exist_only_when_make_dev_runs_localstripe(server):
    base, _ = server  # this server was started without test payments
    status, body = _get(f"{base}/dev/test-payment", method="POST", data=b'{"payment_intent_id": "pi_x"}')
    assert status == 404


def test_a_browser_may_read_every_header_our_answers_add(app_env, demo_location, host, monkeypatch):
    """The widget runs on the restaurant's site: of a cross-origin answer a browser shows the page only
    the headers the API's CORS configuration exposes (Content-Type always)."""
    from couvert.settings import reload_settings
    from couvert_dev.devserver import read_template
    from tests.support.api import book, booking_body

    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS", "1")
    reload_settings()
    body = booking_body(host["Regular Dinner"], "19:00", 2)
    first = book(demo_location, body, key="k-1", source_ip="203.0.113.9")
    replay = book(demo_location, body, key="k-1", source_ip="203.0.113.9")
    limited = book(demo_location, booking_body(host["Regular Dinner"], "20:00", 2), source_ip="203.0.113.9")
    assert [first[0], replay[0], limited[0]] == [201, 201, 429]
    added = {name.lower() for _, _, headers in (first, replay, limited) for name in headers} - {"content-type"}
    assert added == {"idempotent-replayed", "retry-after"}
    cors = read_template()["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]
    assert added <= {name.lower() for name in cors.get("ExposeHeaders", [])}
