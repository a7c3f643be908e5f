"""The host's page in a real browser (Debian's Chromium through Playwright): the evening with risk
badges and alerts, who may not come, the waitlist, and a guest's card with a note added."""

import re
import shutil
import threading
from http.server import ThreadingHTTPServer

import pytest

from couvert_dev.devserver import make_handler, read_routes
from couvert_dev.tokens import issue_dev_token
from tests.support import call
from tests.support.api import DAY, JWT_SECRET, book, booking_body, op

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def evening(app_env, demo_location, host):
    booked = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]
    customer = call("transition_status", "GET", f"/v1/reservations/{booked['id']}", headers=op("host-1"))[1]
    call("transition_status", "POST", f"/v1/locations/{demo_location}/customers/{customer['customer']['id']}/notes",
         headers=op("host-1"), body={"note": "severe shellfish allergy", "note_type": "allergy", "is_alert": True})
    call("create_reservation", "POST", f"/v1/locations/{demo_location}/waitlist", source_ip="198.51.100.7",
         body={"date": DAY, "time_from": "18:00", "time_to": "20:00", "party_size": 4,
               "guest": {"first_name": "Wait", "last_name": "Ing", "email": "wait@example.com"}})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(read_routes(), {"location_id": str(demo_location)}))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", booked
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.browser
def test_the_hosts_evening_in_a_browser(evening):
    from playwright.sync_api import expect, sync_playwright

    base, booked = evening
    assert CHROMIUM, "Chromium is installed by `make test` (Debian package chromium)"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/operator#token={issue_dev_token('host-1', JWT_SECRET)}")
        assert "#token" not in page.url  # the token left the address bar
        page.fill("#date", DAY)
        page.click("#load")
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
        browser.close()
    assert errors == []
