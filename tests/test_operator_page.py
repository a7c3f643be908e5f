"""The host's page in a real browser (Debian's Chromium through Playwright): the evening with risk
badges and alerts, who may not come, the waitlist, a guest's card with a note added, and a phone
booking made from the console at the table the host chose."""

import re

import psycopg
import pytest

from couvert_dev.tokens import issue_dev_token
from tests.support import call
from tests.support.api import DAY, JWT_SECRET, book, booking_body, ids, op
from tests.support.browser import browser, dev_server, screenshot, watch_errors


@pytest.fixture
def evening(app_env, demo_location, host):
    booked = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]
    customer = call("transition_status", "GET", f"/v1/reservations/{booked['id']}", headers=op("host-1"))[1]
    call("back_office", "POST", f"/v1/locations/{demo_location}/customers/{customer['customer']['id']}/notes",
         headers=op("host-1"), body={"note": "severe shellfish allergy", "note_type": "allergy", "is_alert": True})
    call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist", source_ip="198.51.100.7",
         body={"date": DAY, "time_from": "18:00", "time_to": "20:00", "party_size": 4,
               "guest": {"first_name": "Wait", "last_name": "Ing", "email": "wait@example.com"}})
    with dev_server({"location_id": str(demo_location)}) as base:
        yield base, booked


@pytest.mark.browser
def test_the_hosts_evening_in_a_browser(evening):
    from playwright.sync_api import expect

    base, booked = evening
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_errors(page)
        page.goto(f"{base}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        assert "#token" not in page.url  # the token left the address bar
        page.get_by_role("button", name="List", exact=True).click()
        row = page.locator("#rows tr", has_text=booked["reference"])
        expect(row).to_contain_text("severe shellfish allergy")
        expect(row.locator(".risk")).to_have_text(re.compile(r"^\d+%$"))
        assert "guest no show rate" in row.locator(".risk").get_attribute("title")
        expect(page.locator("#risk")).to_contain_text("Diner")
        expect(page.locator("#waitlist")).to_contain_text("18:00–20:00")
        row.get_by_role("button", name="Ada Lovelace").click()
        card = page.locator("#customer")
        expect(card).to_contain_text("allergy: severe shellfish allergy")
        card.locator("#note").fill("prefers the window")
        card.get_by_role("button", name="Add note").click()
        expect(card).to_contain_text("prefers the window")
        assert errors == []


@pytest.mark.browser
def test_a_phone_booking_from_the_console_takes_the_hosts_table(evening, app_env):
    from playwright.sync_api import expect

    base, _ = evening
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_errors(page)
        page.goto(f"{base}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        expect(page.locator(".block").first).to_be_visible()
        page.keyboard.press("n")  # the shortcut for a new booking
        dialog = page.locator("#booking-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Channel", exact=True).select_option("phone")
        dialog.get_by_label("Ticket", exact=True).select_option(label="Regular Dinner")
        expect(dialog.get_by_label("Time", exact=True).locator("option[value='20:00']")).to_have_count(1)
        dialog.get_by_label("Time", exact=True).select_option("20:00")
        dialog.get_by_label("Table", exact=True).select_option(ids(app_env)["table:R3"])
        for label, value in {"First name": "Tel", "Last name": "Efoon", "E-mail": "tel@example.com",
                             "Phone": "020 123 4567"}.items():
            dialog.get_by_label(label, exact=True).fill(value)
        dialog.get_by_role("button", name="Book", exact=True).click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#drawer-title")).to_contain_text("20:00 Tel Efoon")
        screenshot(page, "console-phone-booking")
        assert errors == []
    with psycopg.connect(app_env) as conn:
        channel, table = conn.execute("select r.channel, t.name from reservations r join tables t on t.id = r.table_id "
                                      "where r.contact_last_name = 'Efoon'").fetchone()
    assert (channel, table) == ("phone", "R3")


@pytest.mark.browser
def test_a_double_clicked_book_button_makes_one_booking(evening, app_env):
    """A host in a hurry: the second click repeats the first request (its Idempotency-Key), it does
    not book the party twice."""
    from playwright.sync_api import expect

    base, _ = evening
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        expect(page.locator(".block").first).to_be_visible()
        page.keyboard.press("n")
        dialog = page.locator("#booking-dialog")
        dialog.get_by_label("Ticket", exact=True).select_option(label="Regular Dinner")
        expect(dialog.get_by_label("Time", exact=True).locator("option[value='20:00']")).to_have_count(1)
        dialog.get_by_label("Time", exact=True).select_option("20:00")
        for label, value in {"First name": "Dub", "Last name": "Bel", "E-mail": "dub@example.com"}.items():
            dialog.get_by_label(label, exact=True).fill(value)
        dialog.get_by_role("button", name="Book", exact=True).dblclick()
        expect(dialog).to_be_hidden()
        expect(page.locator("#drawer-title")).to_contain_text("20:00 Dub Bel")
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select count(*) from reservations where contact_last_name = 'Bel'").fetchone()[0] == 1

