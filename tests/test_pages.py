"""The product in a real browser (Debian's Chromium through Playwright), as a guest and a host use it:
a deposit booked and paid through localstripe and its signed webhook, the confirmation in the mail
sink, a cancellation with the refund shown first; the host's moves on the timeline; the widget in
Dutch on a phone; axe-core on the guest's pages.  Screenshots go to build/screenshots/."""

import email
import json
import re
from email import policy
from importlib.resources import files

import psycopg
import pytest

from couvert.db import get_database
from couvert.messaging import MailSink
from couvert.outbox import dispatch
from couvert.payments import get_payments
from couvert.settings import current_time
from couvert_dev.localstripe import send_webhooks_to
from couvert_dev.tokens import issue_dev_token
from tests.support.api import DAY, JWT_SECRET, WEBHOOK_SECRET, book, booking_body, ids
from tests.support.browser import axe_violations, browser, dev_server, screenshot, watch_errors
from tests.support.clock import at, day, later
from tests.support.stripe import refunds_of

pytestmark = pytest.mark.browser


@pytest.fixture
def site(stripe_env, app_env, demo_location):
    """The development server with test payments on, localstripe sending its signed events to it."""
    with dev_server({"location_id": str(demo_location), "test_payments": True}) as base:
        send_webhooks_to(stripe_env, f"{base}/v1/webhooks/stripe", WEBHOOK_SECRET)
        yield base


def test_a_guest_books_pays_and_cancels_a_deposit_in_the_browser(site, stripe_env, app_env, tmp_path):
    import stripe
    from playwright.sync_api import expect

    with browser() as chromium:
        page = chromium.new_page(locale="en-GB")
        errors = watch_errors(page)
        page.goto(f"{site}/?date={DAY}")
        expect(page.locator("#time-title")).to_contain_text("Choose a time")
        chef = page.locator("article", has=page.get_by_role("heading", name="Chef's Table"))
        expect(chef).to_contain_text("Deposit of €25.00 per person")
        expect(chef).to_contain_text("Free cancellation until 48 hours before your visit")
        assert axe_violations(page) == []
        screenshot(page, "widget-times")
        chef.get_by_role("button", name=re.compile(r"^19:00")).click()
        page.fill("#first_name", "Grace")
        page.fill("#last_name", "Hopper")
        page.fill("#email", "grace@example.com")
        page.fill("#phone", "06 12345678")  # a national number, read in the restaurant's country
        assert axe_violations(page) == []  # the form too
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.locator("#pay-amount")).to_contain_text("€50.00")
        expect(page.locator("#test-payment")).to_contain_text("no real money moves")
        screenshot(page, "widget-payment")
        page.get_by_role("button", name="Pay with the test card").click()
        # Confirmed by Stripe's signed webhook (localstripe -> our webhook route), not by the browser.
        expect(page.locator("#done-title")).to_have_text("Your table is booked", timeout=20000)
        reference = page.locator("#done-summary dd").first.inner_text()
        expect(page.locator("#done-summary")).to_contain_text("Paid")
        expect(page.locator("#ics")).to_have_attribute("href", re.compile("^blob:"))
        screenshot(page, "widget-confirmed")

        # The confirmation goes out with the next scheduled run.
        sent = dispatch(get_database(worker=True), current_time(), messenger=MailSink(tmp_path, "noreply@example.com"),
                        public_base_url=site)
        assert sent["done"] >= 1
        mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in tmp_path.glob("*.eml")]
        [confirmation] = [m for m in mails if reference in m.get_body(("plain",)).get_content()]
        assert confirmation["To"] == "grace@example.com"

        page.get_by_role("link", name="Change or cancel your reservation").click()
        expect(page.locator("#summary")).to_contain_text(reference)
        assert axe_violations(page) == []
        page.get_by_role("button", name="Cancel reservation").click()
        expect(page.locator("#refund")).to_have_text("You will get €50.00 back.")  # before confirming
        # 48 hours before 19:00 on the restaurant's clock (Amsterdam), whatever the browser's zone.
        monday = day(7)
        expect(page.locator("#free-until")).to_contain_text(f"Mon, {monday:%b} {monday.day}, 07:00 PM")
        screenshot(page, "manage-cancel")
        page.get_by_role("button", name="Yes, cancel").click()
        expect(page.locator("#status")).to_contain_text("Your reservation is cancelled. €50.00 will be refunded")
        expect(page.locator("#summary")).to_contain_text("cancelled")
        assert errors == []

    # And the money goes back: the refund the page promised, through Stripe.
    dispatch(get_database(worker=True), current_time(), payments=get_payments())
    with psycopg.connect(app_env) as conn:
        pi = conn.execute("select payment_intent_id from reservations where reference = %s", (reference,)).fetchone()[0]
    assert refunds_of(stripe.StripeClient("sk_test_couvert", base_addresses={"api": stripe_env}), pi) == [5000]


def test_a_host_seats_completes_and_marks_a_no_show_on_the_timeline(site, app_env, demo_location, host, set_now):
    from playwright.sync_api import expect

    names = ids(app_env)
    first = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    second = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 4,
                                              guest={"first_name": "Alan", "last_name": "Turing",
                                                     "email": "alan@example.com"}))[1]["reservation"]
    set_now(at(9, "19:30"))  # the evening itself: the no-show grace (15 minutes) has passed
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_errors(page)
        page.goto(f"{site}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        ada = page.locator(f'.block[data-id="{first["id"]}"]')
        alan = page.locator(f'.block[data-id="{second["id"]}"]')
        expect(ada).to_have_class(re.compile("s-confirmed"))
        screenshot(page, "console-timeline")

        ada.click()
        page.locator("#drawer").get_by_role("button", name="Seat", exact=True).click()
        expect(ada).to_have_class(re.compile("s-seated"))
        page.get_by_role("button", name="Undo (u)").click()  # a mis-tap, taken back
        expect(ada).to_have_class(re.compile("s-confirmed"))
        expect(page.locator("#drawer dl")).to_contain_text("confirmed")
        page.locator("#drawer").get_by_role("button", name="Seat", exact=True).click()
        expect(ada).to_have_class(re.compile("s-seated"))
        expect(page.locator("#drawer dl")).to_contain_text("seated")
        page.locator("#drawer-title").focus()
        page.keyboard.press("c")  # the host's shortcut: complete the open reservation
        expect(ada).to_have_class(re.compile("s-completed"))

        alan.click()
        expect(page.locator("#drawer-title")).to_contain_text("Alan Turing")
        page.locator("#drawer").get_by_role("button", name="No-show", exact=True).click()
        expect(alan).to_have_class(re.compile("s-no_show"))
        page.keyboard.press("Escape")
        expect(page.locator("#drawer")).to_be_hidden()

        page.fill("#search", "turing")
        expect(ada).to_have_class(re.compile("hidden-by-search"))
        expect(alan).not_to_have_class(re.compile("hidden-by-search"))
        screenshot(page, "console-after-service")
        assert errors == []


def test_a_drawer_closed_while_its_refresh_is_on_the_way_stays_closed(site, app_env, demo_location, host, set_now):
    """After a move the drawer reloads the reservation; a host who closes it meanwhile (Esc) must not
    have it open again when that answer arrives (the last thing asked for wins)."""
    from playwright.sync_api import expect

    names = ids(app_env)
    guest = book(demo_location, booking_body(names["Regular Dinner"], "19:00", 2))[1]["reservation"]
    set_now(at(9, "19:05"))
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_errors(page)
        page.goto(f"{site}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        block = page.locator(f'.block[data-id="{guest["id"]}"]')
        block.click()
        expect(page.locator("#drawer-title")).to_contain_text("19:00")
        held = []  # the drawer's reload, kept from the page until the host has closed the drawer
        page.route(f"**/v1/reservations/{guest['id']}",
                   lambda route: held.append(route) if route.request.method == "GET" else route.continue_())
        page.locator("#drawer").get_by_role("button", name="Seat", exact=True).click()
        expect(block).to_have_class(re.compile("s-seated"))
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the drawer did not reload after the move"
        page.keyboard.press("Escape")
        expect(page.locator("#drawer")).to_be_hidden()
        with page.expect_response(lambda r: r.request.method == "GET" and r.url.endswith(guest["id"])):
            held[0].continue_()
        page.wait_for_timeout(200)  # the answer's handler has run
        expect(page.locator("#drawer")).to_be_hidden()
        assert errors == []


def test_the_widget_in_dutch_on_a_phone(site):
    from playwright.sync_api import expect

    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 390, "height": 844}, locale="nl-NL", is_mobile=True, has_touch=True)
        errors = watch_errors(page)
        page.goto(f"{site}/?date={DAY}")
        expect(page.locator("h1")).to_have_text("Reserveer een tafel")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        chef = page.locator("article", has=page.get_by_role("heading", name="Chef's Table"))
        expect(chef).to_contain_text("Aanbetaling van € 25,00 per persoon")
        # Mobile first: nothing wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_violations(page) == []
        screenshot(page, "widget-nl-phone")
        page.select_option("#lang", "en")  # switchable
        expect(page.locator("h1")).to_have_text("Reserve a table")
        expect(chef).to_contain_text("Deposit of €25.00 per person")
        assert errors == []


def test_the_api_docs_render_offline(site):
    from playwright.sync_api import expect

    with browser() as chromium:
        page = chromium.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{site}/docs")
        document = json.loads(files("couvert").joinpath("openapi.json").read_text())
        operations = sum(len(methods) for methods in document["paths"].values())
        expect(page.locator(".opblock")).to_have_count(operations)  # every route, from /openapi.json
    assert all(url.startswith(site) for url in requested)  # no CDN: every asset from this server


def _booked_then(app_env, location_id, change: str, *values) -> tuple[str, str]:
    """A guest's Regular Dinner at 19:30 and its manage token, then `change` (columns to set) made to
    it as a scheduled job would."""
    created = book(location_id, booking_body(ids(app_env)["Regular Dinner"], "19:30", 2))[1]
    rid = created["reservation"]["id"]
    with psycopg.connect(app_env) as conn:
        conn.execute(f"update reservations set {change} where id = %s", (*values, rid))
    return rid, created["manage_token"]


def test_the_manage_page_asks_for_a_reconfirmation_and_takes_it(site, app_env, demo_location):
    from playwright.sync_api import expect

    rid, token = _booked_then(app_env, demo_location, "reconfirm_sent_at = %s", current_time())  # asked to reconfirm
    with browser() as chromium:
        page = chromium.new_page(locale="nl-NL")
        errors = watch_errors(page)
        page.goto(f"{site}/manage?r={rid}&t={token}")
        expect(page.locator("#reconfirm-box")).to_contain_text("Het restaurant vraagt je te bevestigen")
        page.get_by_role("button", name="Ja, ik kom").click()
        expect(page.locator("#status")).to_have_text("Dank je, je bezoek is bevestigd.")
        expect(page.locator("#reconfirm-box")).to_be_hidden()
        page.goto(f"{site}/manage?r={rid}&t=not-the-token")
        expect(page.locator("#status")).to_contain_text("We kunnen deze reservering niet vinden")
        assert errors == []
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select reconfirmed_at is not null from reservations where id = %s", (rid,)).fetchone()[0]


def test_a_guest_takes_a_table_offered_from_the_waitlist_on_the_manage_page(site, app_env, demo_location):
    """An offer is a draft held for the guest (migration 0017 lets the guest confirm it); its link is
    the manage page, which must offer to take it."""
    from playwright.sync_api import expect

    rid, token = _booked_then(app_env, demo_location, "status = 'draft', hold_expires_at = %s",
                              later(minutes=15))  # as the waitlist job leaves an offer: held 15 minutes
    with browser() as chromium:
        page = chromium.new_page(locale="en-GB")
        errors = watch_errors(page)
        page.goto(f"{site}/manage?r={rid}&t={token}")
        expect(page.locator("#summary")).to_contain_text("held for you")
        page.get_by_role("button", name="Take this table").click()
        expect(page.locator("#status")).to_have_text("Your table is booked")
        expect(page.get_by_role("button", name="Take this table")).to_be_hidden()
        expect(page.locator("#cancel")).to_be_visible()  # read again: what the guest may do now
        assert errors == []
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status from reservations where id = %s", (rid,)).fetchone()[0] == "confirmed"


def test_an_offer_taken_too_late_says_so_and_is_not_offered_again(site, app_env, demo_location):
    from playwright.sync_api import expect

    rid, token = _booked_then(app_env, demo_location, "status = 'draft', hold_expires_at = %s",
                              later(minutes=-1))  # an offer held until a minute ago; the sweep has not run yet
    with browser() as chromium:
        page = chromium.new_page(locale="en-GB")
        page.goto(f"{site}/manage?r={rid}&t={token}")
        page.get_by_role("button", name="Take this table").click()
        expect(page.locator("#status")).to_have_text(
            "This table was held for you until a moment ago; it is no longer yours.")
        expect(page.get_by_role("button", name="Take this table")).to_be_hidden()
        expect(page.locator("#summary")).to_contain_text("no longer held")


def test_a_time_taken_while_the_guest_typed_sends_them_back_with_a_reason(site, app_env, demo_location,
                                                                           restaurant):
    from playwright.sync_api import expect

    restaurant.only_tables("R1")
    restaurant.without_pacing()
    with browser() as chromium:
        page = chromium.new_page(locale="en-GB")
        errors = watch_errors(page)
        page.goto(f"{site}/?date={DAY}")
        regular = page.locator("article", has=page.get_by_role("heading", name="Regular Dinner"))
        regular.get_by_role("button", name=re.compile(r"^19:00")).click()
        page.fill("#first_name", "Late")
        page.fill("#last_name", "Comer")
        page.fill("#email", "late@example.com")
        assert book(demo_location, booking_body(ids(app_env)["Regular Dinner"], "19:00", 2))[0] == 201  # meanwhile
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.locator("#time-title")).to_be_visible()
        expect(page.locator("#status")).to_have_text("That time has just been taken. Please choose another.")
        assert errors == []


def test_attack_a_link_cannot_point_the_widget_at_another_api_or_stripe_account(site):
    """The widget on the restaurant's own address, told by its URL to send the guest's details and
    payment elsewhere: it takes its API and Stripe key from the site's settings (web/site.js) only."""
    from playwright.sync_api import expect

    with browser() as chromium:
        page = chromium.new_page(locale="en-GB")
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{site}/?date={DAY}&api=http://127.0.0.1:9/&stripe_key=pk_live_attacker")
        expect(page.locator("#time-title")).to_contain_text("Choose a time")
        assert page.evaluate("state.stripeKey") in (None, "")
    assert requested and not [url for url in requested if url.startswith("http://127.0.0.1:9/")]


def test_the_host_sees_what_a_cancellation_refunds_before_making_it(site, deposit, app_env):
    from playwright.sync_api import expect

    from tests.support.stripe import deliver, event, pay

    body, client = deposit
    pay(client, body["payment"]["payment_intent_id"])
    deliver(event("payment_intent.succeeded", {"id": body["payment"]["payment_intent_id"]}))
    rid = body["reservation"]["id"]
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        errors = watch_errors(page)
        page.goto(f"{site}/operator?date={DAY}#token={issue_dev_token('host-1', JWT_SECRET)}")
        page.locator(f'.block[data-id="{rid}"]').click()
        page.locator("#drawer").get_by_role("button", name="Cancel", exact=True).click()
        expect(page.locator("#refund-preview")).to_have_text("The guest gets €50.00 back.")
        page.locator("#cancel-confirm").get_by_role("button", name="Cancel reservation").click()
        expect(page.locator("#message")).to_contain_text("cancelled · refund €50.00")
        expect(page.locator(f'.block[data-id="{rid}"]')).to_have_count(0)  # gone from the floor
        assert errors == []


def test_the_embed_snippet_puts_the_widget_on_another_site(site):
    import http.server
    import threading

    from playwright.sync_api import expect

    page_html = (f'<!doctype html><html lang="en"><title>Bistro</title><h1>Bistro</h1><div id="booking"></div>'
                 f'<script src="{site}/embed.js" data-target="#booking" data-lang="nl" data-date="{DAY}" async></script>')

    class RestaurantSite(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server interface
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page_html.encode())

        def log_message(self, *args):
            pass

    restaurant = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RestaurantSite)
    threading.Thread(target=restaurant.serve_forever, daemon=True).start()
    try:
        with browser() as chromium:
            page = chromium.new_page()
            page.goto(f"http://127.0.0.1:{restaurant.server_address[1]}/")  # another origin than the widget's
            frame = page.frame_locator("#booking iframe")
            expect(frame.locator("h1")).to_have_text("Reserveer een tafel")
            expect(frame.locator("#time-title")).to_be_visible()
            # The iframe grows to the widget's height (reported by postMessage), no inner scrollbar.
            page.wait_for_function("document.querySelector('#booking iframe').getBoundingClientRect().height > 1000")
    finally:
        restaurant.shutdown()
        restaurant.server_close()
