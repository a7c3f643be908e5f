"""Attack: a guest's personal data reaching the logs.  An unexpected database error is logged for
whoever reads the logs (developers, a log store kept for months), and PostgreSQL's message for it
may quote the failing row: the guest's name, e-mail address and phone number.  PostgreSQL leaves the
row out on a table under row-level security (all of ours); the log must not depend on that."""

import io
import json
import logging

import psycopg
import pytest

from couvert import booking
from couvert.observability import logger
from tests.support import call
from tests.support.api import booking_body, ids

GUEST = {"first_name": "Philippa", "last_name": "Quellinus", "email": "philippa.quellinus@example.com",
         "phone": "0612345678"}


@pytest.fixture
def log_lines():
    """What the functions' logger writes, formatted as in Lambda (one JSON object a line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.parametrize("row_level_security", [True, False], ids=["as-deployed", "a-table-without-rls"])
def test_an_unexpected_database_error_logs_what_failed_not_the_guests_row(app_env, demo_location, monkeypatch,
                                                                          log_lines, row_level_security):
    if not row_level_security:  # then PostgreSQL's error quotes the failing row in full
        with psycopg.connect(app_env) as conn:
            conn.execute("alter table reservations no force row level security")
            conn.execute("alter table reservations disable row level security")
    send = booking._send_booking

    def broken_insert(conn, row, **kwargs):  # a bug: a row the schema refuses, quoting it in full
        return send(conn, {**row, "party_size": 0}, **kwargs)

    monkeypatch.setattr(booking, "_send_booking", broken_insert)
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{demo_location}/reservations",
                           body=booking_body(ids(app_env)["Regular Dinner"], guest=GUEST))
    assert (status, body["error"]["code"]) == (500, "internal")
    [record] = [line for line in log_lines() if line["level"] == "ERROR"]
    text = json.dumps(record)
    assert record["constraint"] == "reservations_party_size_positive"  # what failed is there to debug ...
    assert record["sqlstate"] == "23514" and "booking.py" in record["stack"]
    for personal in ("Philippa", "Quellinus", "philippa.quellinus", "612345678"):
        assert personal not in text  # ... the guest's row is not


def test_an_outbox_failure_keeps_what_failed_not_the_guests_row(app_env, demo_location, monkeypatch, log_lines):
    """The outbox keeps an event's last error for operators to read (GET .../outbox); a database
    error's text quoting the guest's row must not land there either."""
    from couvert import outbox
    from couvert.db import get_database
    from couvert.settings import current_time

    assert call("create_reservation", "POST", f"/v1/locations/{demo_location}/reservations",
                body=booking_body(ids(app_env)["Regular Dinner"], guest=GUEST))[0] == 201

    def broken_carry_out(db, event, *args):  # a bug that writes a row the schema refuses, quoting it
        with psycopg.connect(app_env) as conn:
            conn.execute("update reservations set party_size = 0 where id = %s", (event["reservation_id"],))

    monkeypatch.setattr(outbox, "_carry_out", broken_carry_out)
    counts = outbox.dispatch(get_database(worker=True), current_time(), messenger=object(),
                             kinds=["message.confirmation"])
    assert counts["retried"] == 1
    with psycopg.connect(app_env) as conn:
        [stored] = [r[0] for r in conn.execute("select last_error from outbox_events where last_error is not null")]
    assert "reservations_party_size_positive" in stored
    for personal in ("Philippa", "Quellinus", "philippa.quellinus", "612345678"):
        assert personal not in stored and personal not in json.dumps(log_lines())


def test_an_error_psycopg_raises_itself_keeps_its_message(log_lines):
    """It quotes no row (no server answered), and without it there would be nothing to debug."""
    from couvert.observability import log_failure

    log_failure("unhandled error", psycopg.ProgrammingError("query parameter missing: party_size"))
    [record] = log_lines()
    assert (record["error"], record.get("sqlstate"), record["error_message"]) == (
        "ProgrammingError", None, "query parameter missing: party_size")
