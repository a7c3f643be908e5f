"""The one translator from database errors to domain errors, keyed on SQLSTATEs and constraint
names (never on message text).  Database.transaction applies it to every request transaction.

SQLSTATEs of our own (raised by the status machine, sql/migrations):
  CV404  not found (or hidden by row-level security); DETAIL names what, when not a reservation
  CV409  transition not allowed; DETAIL is the current status
  CV410  an option past its expiry cannot be confirmed
  CV422  not possible in the current state; DETAIL names the field to blame
  CV429  a guest over a rate limit (book_reservation); DETAIL is the seconds to wait
"""

from __future__ import annotations

import psycopg
from psycopg import errors as pg

from couvert.errors import (
    Busy,
    CouvertError,
    InvalidTransition,
    NotFound,
    RateLimited,
    SlotUnavailable,
    Unavailable,
    ValidationFailed,
)

# Foreign keys whose violation means "the thing you named does not exist (for you)".
_MISSING = {
    "idempotency_keys_location_id_fkey": "location not found",
    "rate_limit_counters_location_id_fkey": "location not found",
    "customers_location_id_fkey": "location not found",
    "waitlist_entries_location_id_fkey": "location not found",
    "waitlist_entries_ticket_fkey": "ticket not found",
}


def translate(error: psycopg.Error) -> CouvertError | None:
    """The domain error a database error means, or None when it is a bug to let through (500)."""
    diag = error.diag
    if error.sqlstate == "CV404":
        return NotFound(f"{diag.message_detail or 'reservation'} not found")
    if error.sqlstate == "CV422":
        return ValidationFailed(diag.message_primary or "not possible now",
                                fields={diag.message_detail or "body": diag.message_primary or "not possible now"})
    if error.sqlstate == "CV409":
        return InvalidTransition(diag.message_primary or "transition not allowed", current_status=diag.message_detail)
    if error.sqlstate == "CV410":
        # DETAIL: what lapsed ('option', or 'hold_expired' for a draft's hold, e.g. a waitlist offer).
        reason = "hold_expired" if diag.message_detail == "hold_expired" else "option_expired"
        return SlotUnavailable(diag.message_primary or "the option expired", reason_code=reason)
    if error.sqlstate == "CV429":
        return RateLimited("too many bookings from this client or e-mail address; try again later",
                           retry_after_seconds=int(diag.message_detail or 60))
    if isinstance(error, pg.ExclusionViolation):
        # The last line of defence against double booking held (a lock bypassed, a correction racing).
        return SlotUnavailable("the table is taken for that stay", reason_code="tables_full",
                               conflict=diag.constraint_name)
    if isinstance(error, (pg.LockNotAvailable, pg.DeadlockDetected, pg.SerializationFailure)):
        return Busy("busy with another change to the same data; retry in a moment")
    if isinstance(error, psycopg.OperationalError):
        # The connection broke mid-request, or a statement ran past its timeout: nothing was committed.
        return Unavailable("the database did not answer in time; retry in a few seconds")
    if isinstance(error, psycopg.DataError):
        # A value PostgreSQL cannot store (a NUL character, a number out of range) that got past the edge.
        return ValidationFailed("a value in the request cannot be stored", fields={"body": "a value is not valid"})
    if isinstance(error, pg.InsufficientPrivilege):
        # Row-level security refused a write: for this caller the location does not exist.
        return NotFound("not found")
    if isinstance(error, pg.ForeignKeyViolation) and diag.constraint_name in _MISSING:
        return NotFound(_MISSING[diag.constraint_name])
    return None


def loggable(error: psycopg.Error) -> dict[str, str | None]:
    """What may be logged or stored of a database error no rule above translates: what failed and
    where, never the server's message or detail, which can quote the values of a row (a guest's name,
    e-mail, phone).  An error psycopg raises itself (no SQLSTATE) keeps its message: it quotes no row."""
    diag = error.diag
    return {"error": type(error).__name__, "sqlstate": error.sqlstate, "constraint": diag.constraint_name,
            "table": diag.table_name, "column": diag.column_name,
            "error_message": str(error) if error.sqlstate is None else None}


def described(error: BaseException) -> str:
    """An error as text that may be stored where operators read it (the outbox's last error)."""
    if isinstance(error, psycopg.Error):
        return " ".join(f"{key}={value}" for key, value in loggable(error).items() if value is not None)
    return str(error)

