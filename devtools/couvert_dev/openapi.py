"""The OpenAPI document, generated from the functions' routes (development tool).

Each function's resolver describes its own routes; this merges them into one document, written
into the layer (couvert/openapi.json) so the check_availability function can serve it at
/openapi.json without importing the other functions or this tooling.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FUNCTIONS = ("check_availability", "create_reservation", "transition_status", "stripe_webhook")
DOCUMENT = Path(__file__).resolve().parents[2] / "layers" / "engine" / "couvert" / "openapi.json"


def build_openapi() -> dict[str, Any]:
    from couvert_dev.devserver import ROOT, load_function

    # The functions check their configuration at import; describing routes connects to nothing.
    os.environ.setdefault("DATABASE_URL", "postgresql:///openapi-generation-connects-to-nothing")

    merged: dict[str, Any] | None = None
    for name in FUNCTIONS:
        app = load_function(ROOT / "functions" / name).app
        doc = json.loads(app.get_openapi_json_schema(title="Couvert API", version="1.0.0"))
        if merged is None:
            merged = doc
            merged.setdefault("components", {}).setdefault("schemas", {})
            continue
        for path, operations in doc.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(doc.get("components", {}).get("schemas", {}))
    assert merged is not None
    merged["info"]["description"] = "Restaurant reservation core (see docs/api.md)."
    _describe_errors(merged)
    _describe_callers(merged)
    return merged


# What each status means, for the document's readers (the codes come from couvert.errors).
_MEANING = {400: "the request cannot be read", 401: "a token that does not verify",
            403: "not allowed for this caller", 404: "not found, or not visible to this caller",
            409: "refused in the current state", 422: "a field is not valid", 429: "too many creations; retry later",
            500: "internal error (nothing internal is told)", 503: "nothing was written; retry later"}
_RETRYABLE = (429, 503)  # answered with Retry-After


def _error_codes() -> dict[int, set[str]]:
    """Every status our answers carry, with its error codes, from the domain errors (couvert.errors)."""
    from couvert.errors import CouvertError
    from couvert.payments import PaymentUnavailable  # noqa: F401  (an error class of its own)

    codes: dict[int, set[str]] = {CouvertError.status: {CouvertError.code}}
    pending = [CouvertError]
    while pending:
        for error in pending.pop().__subclasses__():
            codes.setdefault(error.status, set()).add(error.code)
            pending.append(error)
    return codes


def _statuses(method: str, path: str) -> list[int]:
    """The error statuses a route may answer."""
    if path == "/v1/webhooks/stripe":  # a bad signature is 400; no caller, no fields
        return [400, 500, 503]
    statuses = [400, 401, 403, 404, 422, 500, 503]
    if method in ("post", "put", "patch"):
        statuses.append(409)
    if method == "post" and path.endswith(("/reservations", "/waitlist")):  # guests' creations are limited
        statuses.append(429)
    return sorted(statuses)


def _describe_errors(doc: dict[str, Any]) -> None:
    """Our error envelope (couvert.http.error_response) in place of the resolver's validation
    schemas, and every status each route may answer."""
    codes = _error_codes()
    schemas = doc["components"]["schemas"]
    for generated in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(generated, None)
    schemas["Error"] = {
        "type": "object", "required": ["error"], "title": "Error",
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "enum": sorted(set().union(*codes.values()))},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True,
                            "description": "validation_error: fields; slot_unavailable: reason_code; "
                                           "invalid_transition: current_status"}}}}}
    retry = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
    doc["components"]["responses"] = {
        f"Error{status}": {
            "description": f"{_MEANING[status]}: {', '.join(sorted(codes[status]))}",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            **({"headers": retry} if status in _RETRYABLE else {})}
        for status in sorted(codes)}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            answers = {status: answer for status, answer in operation["responses"].items() if status < "400"}
            answers.update({str(status): {"$ref": f"#/components/responses/Error{status}"}
                            for status in _statuses(method, path)})
            operation["responses"] = answers


def _describe_callers(doc: dict[str, Any]) -> None:
    """Who may call each route, from template.yaml: an operator's Bearer token where API Gateway's
    authorizer guards the route, optional where guests call it too, none for Stripe's webhook."""
    from couvert_dev.devserver import read_template

    doc["components"]["securitySchemes"] = {"operatorJwt": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An operator's token (Cognito or Supabase Auth).  On the routes that require it, "
                       "API Gateway refuses a missing or bad token itself, with 401 and its own body "
                       "{\"message\": \"Unauthorized\"} (docs/api.md, \"Who is calling\")."}}
    for resource in read_template()["Resources"].values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi" or event["Properties"]["Path"] not in doc["paths"]:
                continue
            route = event["Properties"]
            operation = doc["paths"][route["Path"]][route["Method"].lower()]
            if route.get("Auth", {}).get("Authorizer") == "OperatorJwt":
                operation["security"] = [{"operatorJwt": []}]
            elif route["Path"] == "/v1/webhooks/stripe":
                operation["security"] = []  # Stripe signs the body (Stripe-Signature)
            else:
                operation["security"] = [{}, {"operatorJwt": []}]


def write_openapi() -> Path:
    DOCUMENT.write_text(json.dumps(build_openapi(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return DOCUMENT
