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
    insert = booking._insert_with_unique_reference

    def broken_insert(conn, row, **kwargs):  # a bug: a row the schema refuses, quoting it in full
        return insert(conn, {**row, "party_size": 0}, **kwargs)

    monkeypatch.setattr(booking, "_insert_with_unique_reference", broken_insert)
    status, body, _ = call("create_reservation", "POST", f"/v1/locations/{demo_location}/reservations",
                           body=booking_body(ids(app_env)["Regular Dinner"], guest=GUEST))
    assert (status, body["error"]["code"]) == (500, "internal")
    [record] = [line for line in log_lines() if line["level"] == "ERROR"]
    text = json.dumps(record)
    assert record["constraint"] == "reservations_party_size_positive"  # what failed is there to debug ...
    assert record["sqlstate"] == "23514" and "booking.py" in record["stack"]
    for personal in ("Philippa", "Quellinus", "philippa.quellinus", "612345678"):
        assert personal not in text  # ... the guest's row is not
