"""The local development server: serves the routes declared in template.yaml by calling the
same Lambda handlers with API Gateway HTTP API (2.0) events, plus the guest and operator pages.

Development only: it is not part of any function's cold start.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"


_import_lock = threading.Lock()
# Powertools' resolver keeps the request it is serving on a class attribute (BaseRouter.current_event),
# shared by every thread: two handlers running at once could each read the other's request and
# caller.  Lambda runs one request per environment at a time; so does the dev server, with this lock.
# Pages and the mail sink are still served by many threads.
_handler_lock = threading.Lock()


def invoke(code_dir: Path, event: dict[str, Any]) -> dict[str, Any]:
    """Call a function's handler as Lambda would: one request at a time in this process."""
    handler = load_function(code_dir).lambda_handler
    with _handler_lock:
        return handler(event, LocalContext())


def load_function(code_dir: Path):
    """Import a function's app.py under a unique module name (each function's module is app.py).
    Thread-safe: the server (and concurrent tests) may ask for it from many threads at once."""
    name = f"couvert_function_{code_dir.name}"
    with _import_lock:
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, code_dir / "app.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[name] = module
    return sys.modules[name]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in template.yaml: /v1/locations/{location_id}/availability
    code_dir: Path
    pattern: re.Pattern

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.fullmatch(path)
        return m.groupdict() if m else None


class Intrinsic(str):
    """A scalar CloudFormation computes at deploy (!Ref, !Sub, !GetAtt ...): its expression, not its value."""


def _cfn_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader, suffix, node):  # !Ref, !Sub, !GetAtt ...: keep the expression, drop the tag
        if isinstance(node, yaml.ScalarNode):
            return Intrinsic(loader.construct_scalar(node))
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", any_tag)
    return Loader


def read_template(template: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """template.yaml as data; values CloudFormation computes at deploy are `Intrinsic` expressions."""
    import yaml

    return yaml.load(template.read_text(encoding="utf-8"), Loader=_cfn_loader())


def function_environment(template: Path = ROOT / "template.yaml") -> dict[str, str]:
    """The environment template.yaml's Globals give every function, where a value is written out
    (values CloudFormation computes at deploy from parameters or resources are left out)."""
    variables = read_template(template)["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if type(value) is str}


def _functions(template: Path) -> list[dict[str, Any]]:
    """The properties of each function template.yaml deploys, in its order."""
    return [resource["Properties"] for resource in read_template(template)["Resources"].values()
            if resource.get("Type") == "AWS::Serverless::Function"]


def _http_events(function: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of a function's HTTP routes."""
    return [event["Properties"] for event in (function.get("Events") or {}).values() if event.get("Type") == "HttpApi"]


def function_names(template: Path = ROOT / "template.yaml", http_only: bool = False) -> tuple[str, ...]:
    """The functions template.yaml deploys, by their code directories' names, in its order; with
    `http_only`, those that serve HTTP routes.  The one list the bench, the OpenAPI generator and the
    tests read."""
    return tuple(Path(function["CodeUri"]).name for function in _functions(template)
                 if not http_only or _http_events(function))


def read_routes(template: Path = ROOT / "template.yaml") -> list[Route]:
    routes = []
    for function in _functions(template):
        for event in _http_events(function):
            path = event["Path"]
            regex = "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
                            for part in re.split(r"(\{[^}]+\})", path))
            routes.append(Route(event["Method"].upper(), path, ROOT / function["CodeUri"].rstrip("/"),
                                re.compile(regex)))
    # Literal segments beat parameters (/availability/calendar before /{id}).
    return sorted(routes, key=lambda r: (-r.path.count("/"), r.path.count("{")))


def build_event(method: str, route: Route, path: str, query: str, headers: dict[str, str], body: bytes,
                path_params: dict[str, str]) -> dict[str, Any]:
    try:  # API Gateway passes text bodies as they are and anything else base64-encoded
        text = body.decode("utf-8") if body else None
    except UnicodeDecodeError:
        text = None
    is_text = not body or text is not None
    return {
        "version": "2.0",
        "routeKey": f"{method} {route.path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": dict(parse_qsl(query)) or None,
        "pathParameters": path_params or None,
        "requestContext": {
            "accountId": "local", "apiId": "local", "domainName": "localhost", "requestId": f"local-{time.time_ns()}",
            "routeKey": f"{method} {route.path}", "stage": "$default", "time": "", "timeEpoch": int(time.time() * 1000),
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": headers.get("user-agent", "")},
        },
        "body": (text if is_text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": not is_text,
    }


class LocalContext:
    function_name = "local"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:local"
    aws_request_id = "local"


def make_handler(routes: list[Route], info: dict[str, Any]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quieter than the default
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                if k.lower() not in ("content-type", "content-length"):
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self):
            url = urlsplit(self.path)
            if self.command == "GET" and url.path in ("/health", "/dev/info"):
                return self._send(200, json.dumps({"status": "ok", **info}).encode(), "application/json")
            if self.command == "GET" and url.path.startswith("/dev/mail"):
                from couvert.settings import get_settings
                from couvert_dev.devmail import index_page, message_page

                folder = Path(get_settings().mail_sink_dir)
                if url.path in ("/dev/mail", "/dev/mail/"):
                    return self._send(200, index_page(folder), "text/html; charset=utf-8")
                found = message_page(folder, url.path.removeprefix("/dev/mail/"))
                if found is not None:
                    return self._send(200, found[0], found[1])
            if self.command == "GET" and (found := static_file(url.path)) is not None:
                return self._send(200, found[0], found[1])
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.command == "POST" and url.path == "/dev/test-payment" and info.get("test_payments"):
                status, answer = test_payment(body)
                return self._send(status, json.dumps(answer).encode(), "application/json")
            headers = {k.lower(): v for k, v in self.headers.items()}
            for route in routes:
                params = route.match(self.command, url.path)
                if params is not None:
                    event = build_event(self.command, route, url.path, url.query, headers, body, params)
                    result = invoke(route.code_dir, event)
                    out = result.get("body") or ""
                    raw = base64.b64decode(out) if result.get("isBase64Encoded") else out.encode()
                    hdrs = dict(result.get("headers") or {})
                    return self._send(result.get("statusCode", 200), raw,
                                      hdrs.get("Content-Type", "application/json"), hdrs)
            error = {"error": {"code": "not_found", "message": "no such route", "details": {}}}
            return self._send(404, json.dumps(error).encode(), "application/json")

        def __getattr__(self, name):  # any method (TRACE, QUERY, ...) is routed; unknown ones get 404
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler


PAGES = {"/": "widget.html", "/widget": "widget.html", "/manage": "manage.html", "/operator": "operator.html",
         "/docs": "docs.html", "/embed.js": "embed.js"}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}


def static_file(path: str) -> tuple[bytes, str] | None:
    """The pages (web/), their scripts and styles (/web/...), and the API docs' assets, which come from
    the swagger-ui-py package so /docs works offline; None when `path` is none of them."""
    if path in PAGES:
        base, name = WEB_DIR, PAGES[path]
    elif path.startswith("/web/"):
        base, name = WEB_DIR, path.removeprefix("/web/")
    elif path.startswith("/docs/assets/"):
        import swagger_ui  # swagger-ui-py: Swagger UI 5 (OpenAPI 3.1), served from the package

        base, name = Path(swagger_ui.__file__).parent / "static", path.removeprefix("/docs/assets/")
    else:
        return None
    file = (base / name).resolve()
    if not file.is_relative_to(base.resolve()) or file.suffix not in CONTENT_TYPES or not file.is_file():
        return None  # nothing outside those folders, whatever `..` the path carries
    return file.read_bytes(), CONTENT_TYPES[file.suffix]


def test_payment(body: bytes) -> tuple[int, dict[str, Any]]:
    """The widget's marked test-payment step when `make dev` runs localstripe: pay a PaymentIntent with
    Stripe's test card, as Stripe Elements would in the guest's browser.  localstripe then sends the
    signed `payment_intent.succeeded` to our webhook route, which confirms the reservation."""
    import stripe

    from couvert.settings import get_settings
    from couvert_dev.localstripe import pay_with_test_card

    try:
        intent_id = json.loads(body or b"{}")["payment_intent_id"]
    except (ValueError, KeyError, TypeError):
        return 422, {"error": {"code": "validation_failed", "message": "payment_intent_id is required",
                               "details": {"fields": {"payment_intent_id": "required"}}}}
    settings = get_settings()
    client = stripe.StripeClient(settings.stripe_secret_key, base_addresses={"api": settings.stripe_api_base})
    try:
        intent = pay_with_test_card(client, intent_id)
    except stripe.StripeError as error:
        return 422, {"error": {"code": "payment_failed", "message": str(error.user_message or error), "details": {}}}
    return 200, {"status": intent.status}


def run_schedule_every_minute(stop: threading.Event) -> threading.Thread:
    """What EventBridge does in AWS: invoke the scheduled function every minute, until `stop`."""
    def loop() -> None:
        while not stop.wait(60):
            try:
                invoke(ROOT / "functions" / "scheduled", {"source": "couvert.dev"})
            except Exception as error:  # noqa: BLE001 - the dev server keeps serving; the log says why
                sys.stderr.write(f"scheduled run failed: {error}\n")

    thread = threading.Thread(target=loop, name="schedule", daemon=True)
    thread.start()
    return thread


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve(host: str, port: int, info: dict[str, Any]) -> None:
    routes = read_routes()
    stop = threading.Event()
    run_schedule_every_minute(stop)
    server = ThreadingHTTPServer((host, port), make_handler(routes, info))
    # Stopped by SIGTERM (a terminal closing, a container stopping) as by Ctrl-C, so that what the
    # command started (its localstripe) stops with it instead of keeping its port.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Couvert dev server on http://{host}:{port}  ({len(routes)} routes from template.yaml)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
