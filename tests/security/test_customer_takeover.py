"""Attack: a guest who knows a customer's e-mail books with it, hoping to read the phone on file or
rewrite the customer's name.  A guest request never updates an existing customer nor reveals what
is stored: each reservation keeps the contact details its booking gave."""

import psycopg

from tests.support.api import book, booking_body, ids, op, res


def _customer(database_url):
    with psycopg.connect(database_url) as conn:
        return conn.execute("select first_name, last_name, email, phone_number from customers").fetchall()


def test_a_guest_cannot_read_or_overwrite_a_customer_by_email(app_env, demo_location, host):
    victim = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+31612345678"}
    assert book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2, guest=victim))[0] == 201

    attacker = {"first_name": "Mallory", "last_name": "Evil", "email": "ADA@Example.com"}
    status, body, _ = book(demo_location, booking_body(host["Regular Dinner"], "20:00", 2, guest=attacker))
    assert status == 201
    shown = body["reservation"]["customer"]
    assert (shown["first_name"], shown["last_name"], shown["phone_number"]) == ("Mallory", "Evil", None)
    assert _customer(app_env) == [("Ada", "Lovelace", "ada@example.com", "+31612345678")]

    # The guest's manage link shows what that booking gave, never the customer on file.
    status, read, _ = res("GET", body["reservation"]["id"], query={"token": body["manage_token"]})
    assert status == 200 and read["customer"]["phone_number"] is None and read["customer"]["first_name"] == "Mallory"
    # The host sees the customer the booking was matched to, and what the booking said.
    status, read, _ = res("GET", body["reservation"]["id"], headers=op("host-1"))
    assert status == 200 and read["customer"]["first_name"] == "Ada" and read["contact"]["first_name"] == "Mallory"


def test_a_returning_guest_is_still_recognised(app_env, demo_location, host):
    guest = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    first = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2, guest=guest))[1]
    second = book(demo_location, booking_body(host["Regular Dinner"], "21:00", 2, guest=guest))[1]
    assert first["reservation"]["customer"]["id"] == second["reservation"]["customer"]["id"]
    assert ids(app_env) and len(_customer(app_env)) == 1
