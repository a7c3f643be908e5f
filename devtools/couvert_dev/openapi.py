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

DOCUMENT = Path(__file__).resolve().parents[2] / "layers" / "engine" / "couvert" / "openapi.json"


def build_openapi() -> dict[str, Any]:
    from couvert_dev.devserver import ROOT, function_names, load_function

    # The functions check their configuration at import; describing routes connects to nothing.
    os.environ.setdefault("DATABASE_URL", "postgresql:///openapi-generation-connects-to-nothing")

    merged: dict[str, Any] | None = None
    for name in function_names(http_only=True):
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
    guarded = _guarded_routes()
    _describe_errors(merged, guarded)
    _describe_callers(merged, guarded)
    return merged


# What each status means, for the document's readers (the codes come from couvert.errors).
_MEANING = {400: "the request cannot be read", 401: "a token that does not verify",
            403: "not allowed for this caller", 404: "not found, or not visible to this caller",
            409: "refused in the current state", 422: "a field is not valid", 429: "too many creations; retry later",
            500: "internal error (nothing internal is told)", 503: "nothing was written; retry later"}
_RETRYABLE = (429, 503)  # answered with Retry-After

# Every route may answer 400 (an unreadable body or query), 404, 422 (a path or query value), 500 and
# 503; every route but Stripe's 401 (a token that does not verify).  Beyond those, what each route's
# use case raises (couvert/*.py; 409 also from the status machine and the exclusion constraint).
_COMMON = (400, 404, 422, 500, 503)
_OWN = {
    ("get", "/v1/locations/{location_id}/availability"): (403,),  # an operator's channel asked by a guest
    ("get", "/v1/locations/{location_id}/availability/calendar"): (403,),
    ("post", "/v1/locations/{location_id}/reservations"): (403, 409, 429),
    ("patch", "/v1/reservations/{reservation_id}"): (409,),
    ("post", "/v1/reservations/{reservation_id}/transitions"): (403, 409),  # a guest choosing a table
    ("post", "/v1/reservations/{reservation_id}/reconfirm"): (409,),
    ("put", "/v1/locations/{location_id}/shifts/{shift_id}/tickets/{ticket_id}/overbooking"): (403,),
    ("get", "/v1/locations/{location_id}/customers/{customer_id}/export"): (403,),
    ("post", "/v1/locations/{location_id}/customers/{customer_id}/erase"): (403,),
    ("post", "/v1/locations/{location_id}/waitlist"): (429,),
    ("post", "/v1/locations/{location_id}/outbox/{event_id}/retry"): (409,),
}
_WEBHOOK = ("post", "/v1/webhooks/stripe")
# API Gateway answers some requests itself, in its own body: a missing or bad token on the routes its
# JWT authorizer guards (401), and its throttling (429, every route; template.yaml's route settings).
_GATEWAY = {"type": "object", "title": "GatewayError", "required": ["message"],
            "properties": {"message": {"type": "string", "examples": ["Unauthorized", "Too Many Requests"]}},
            "description": "API Gateway's own answer, before any function runs"}


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
    """The error statuses a route may answer, ours and API Gateway's."""
    if (method, path) == _WEBHOOK:  # a bad signature is 400; no caller, no fields
        return [400, 429, 500, 503]
    return sorted({*_COMMON, 401, 429, *_OWN.get((method, path), ())})


def _guarded_routes() -> set[tuple[str, str]]:
    """The routes API Gateway's JWT authorizer guards (template.yaml): an operator's token required."""
    from couvert_dev.devserver import read_template

    return {(event["Properties"]["Method"].lower(), event["Properties"]["Path"])
            for resource in read_template()["Resources"].values()
            for event in (resource.get("Properties", {}).get("Events") or {}).values()
            if event.get("Type") == "HttpApi"
            and event["Properties"].get("Auth", {}).get("Authorizer") == "OperatorJwt"}


def _answer(description: str, *schemas: str, retry: bool = False) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in schemas]
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {
        "schema": refs[0] if len(refs) == 1 else {"oneOf": refs}}}}
    if retry:
        answer["headers"] = {"Retry-After": {"description": "seconds to wait before retrying (our answers)",
                                             "schema": {"type": "integer"}}}
    return answer


def _describe_errors(doc: dict[str, Any], guarded: set[tuple[str, str]]) -> None:
    """Our error envelope (couvert.http.error_response) in place of the resolver's validation
    schemas, API Gateway's own answers beside it, and every status each route may answer."""
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
    schemas["GatewayError"] = _GATEWAY
    responses = {f"Error{status}": _answer(f"{_MEANING[status]}: {', '.join(sorted(codes[status]))}", "Error",
                                           retry=status in _RETRYABLE)
                 for status in sorted(codes)}
    responses["Unauthorized"] = _answer(
        "a missing or bad token: API Gateway's answer on the routes its authorizer guards, else ours "
        "(unauthorized)", "Error", "GatewayError")
    responses["Throttled"] = _answer("API Gateway's throttling: retry later", "GatewayError")
    responses["RateLimited"] = _answer(
        "too many creations from this client or e-mail address (ours: rate_limited), or API Gateway's "
        "throttling", "Error", "GatewayError", retry=True)
    doc["components"]["responses"] = responses
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            answers = {status: answer for status, answer in operation["responses"].items() if status < "400"}
            for status in _statuses(method, path):
                name = f"Error{status}"
                if status == 401 and (method, path) in guarded:
                    name = "Unauthorized"
                elif status == 429:
                    name = "RateLimited" if 429 in _OWN.get((method, path), ()) else "Throttled"
                answers[str(status)] = {"$ref": f"#/components/responses/{name}"}
            operation["responses"] = answers


def _describe_callers(doc: dict[str, Any], guarded: set[tuple[str, str]]) -> None:
    """Who may call each route: an operator's Bearer token where API Gateway's authorizer guards
    the route, optional where guests call it too, none for Stripe's webhook."""
    doc["components"]["securitySchemes"] = {"operatorJwt": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An operator's token (Cognito or Supabase Auth).  On the routes that require it, "
                       "API Gateway refuses a missing or bad token itself, with 401 and its own body "
                       "{\"message\": \"Unauthorized\"} (docs/api.md, \"Who is calling\")."}}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if (method, path) in guarded:
                operation["security"] = [{"operatorJwt": []}]
            elif (method, path) == _WEBHOOK:
                operation["security"] = []  # Stripe signs the body (Stripe-Signature)
            else:
                operation["security"] = [{}, {"operatorJwt": []}]


def write_openapi() -> Path:
    DOCUMENT.write_text(json.dumps(build_openapi(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return DOCUMENT
