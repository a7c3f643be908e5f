"""Domain errors.  Each carries its docs/api.md error code and HTTP status; the HTTP layer maps them
once (couvert.http), so no route decides a status from a message's text."""

from __future__ import annotations

from typing import Any


class CouvertError(Exception):
    code = "internal"
    status = 500
    retry_after_seconds: int | None = None  # set on retryable errors: answered as Retry-After

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(CouvertError):
    code, status = "bad_request", 400


class Unauthorized(CouvertError):
    code, status = "unauthorized", 401


class Forbidden(CouvertError):
    code, status = "forbidden", 403


class NotFound(CouvertError):
    code, status = "not_found", 404


class ValidationFailed(CouvertError):
    """422 validation_error; details name the offending fields."""

    code, status = "validation_error", 422


class SlotUnavailable(CouvertError):
    code, status = "slot_unavailable", 409


class InvalidTransition(CouvertError):
    code, status = "invalid_transition", 409


class IdempotencyConflict(CouvertError):
    code, status = "idempotency_conflict", 409


class Busy(CouvertError):
    """A lock could not be had in time: retry shortly (503 with Retry-After)."""

    code, status = "busy", 503
    retry_after_seconds = 1


class Unavailable(CouvertError):
    """The database cannot be reached: nothing was done; retry in a few seconds (503 + Retry-After)."""

    code, status = "unavailable", 503
    retry_after_seconds = 5


class ConfigError(CouvertError):
    """A location configuration file was refused; the message names the entry."""

    code, status = "validation_error", 422



class RateLimited(CouvertError):
    """Too many creations from one client or e-mail address: nothing was written (429 + Retry-After)."""

    code, status = "rate_limited", 429

    def __init__(self, message: str, retry_after_seconds: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after_seconds = retry_after_seconds
