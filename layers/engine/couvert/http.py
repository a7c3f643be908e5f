"""The HTTP edge shared by every function: the resolver, error mapping (docs/api.md format).
Domain errors are mapped here once; routes never build error responses."""

from __future__ import annotations

import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from couvert import snapstart
from couvert.errors import CouvertError
from couvert.observability import log_failure, logger


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps({"error": {"code": code, "message": message, "details": details or {}}},
                                    default=str),
                    headers=headers)


def _field_name(loc: tuple) -> str:
    # Powertools prefixes the source ("query", "path", "body"); keep the field path.
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "body"


def _has_nul(event: dict) -> bool:
    """A NUL character (raw, or JSON-escaped as \\u0000) anywhere in the body or query: PostgreSQL
    text cannot hold one, and no name, note or parameter of ours needs one."""
    body = event.get("body") or ""
    query = event.get("rawQueryString") or ""
    params = "".join(f"{k}{v}" for k, v in (event.get("queryStringParameters") or {}).items())
    return "\x00" in body or "\\u0000" in body or "%00" in query or "\x00" in params


class JsonApiResolver(APIGatewayHttpResolver):
    """Every body this API takes is JSON: anything else is refused before parsing (a form or
    multipart body would otherwise reach the body parsers and fail as a server error)."""

    def resolve(self, event, context):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if _has_nul(event):
            body = {"error": {"code": "bad_request", "message": "NUL characters are not accepted", "details": {}}}
            return {"statusCode": 400, "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(body), "isBase64Encoded": False}
        if event.get("body") and content_type not in ("application/json", ""):
            body = {"error": {"code": "bad_request", "message": "send the body as application/json",
                              "details": {"content_type": content_type}}}
            return {"statusCode": 400, "headers": {"Content-Type": "application/json"},
                    "body": json.dumps(body), "isBase64Encoded": False}
        return super().resolve(event, context)


def create_app() -> APIGatewayHttpResolver:
    app = JsonApiResolver(enable_validation=True, response_validation_error_http_code=500)
    # Powertools works out each route's parameters and body and answer validators on the route's
    # first request; the OpenAPI document works them all out, so a SnapStart snapshot holds them.
    snapstart.prime_before_snapshot(app.get_openapi_schema)

    @app.exception_handler(CouvertError)
    def _domain_error(error: CouvertError) -> Response:
        headers = {"Retry-After": str(error.retry_after_seconds)} if error.retry_after_seconds else None
        if error.status >= 500:
            logger.error("request failed", extra={"code": error.code})
        return error_response(error.status, error.code, error.message, error.details, headers)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response:
        if any(e.get("type") == "json_invalid" for e in error.errors()):  # no fields to blame: the form
            return error_response(400, "bad_request", "the body is not valid JSON")
        fields: dict[str, str] = {}
        for e in error.errors():
            fields.setdefault(_field_name(tuple(e.get("loc", ()))), e.get("msg", "invalid"))
        return error_response(422, "validation_error", "the request is not valid", {"fields": fields})

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_error: Exception) -> Response:  # a base64 body that is not UTF-8 text
        return error_response(400, "bad_request", "the body is not UTF-8 JSON")

    @app.exception_handler(binascii.Error)
    def _not_base64(_error: Exception) -> Response:  # isBase64Encoded with a body that is not base64
        return error_response(400, "bad_request", "the body is not valid base64")

    @app.exception_handler(RecursionError)
    def _too_deep(_error: Exception) -> Response:  # JSON nested deeper than any request of ours
        return error_response(400, "bad_request", "the body is nested too deeply")

    @app.not_found
    def _not_found(_error: Exception) -> Response:
        return error_response(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        log_failure("unhandled error", error)
        return error_response(500, "internal", "internal error")

    return app
