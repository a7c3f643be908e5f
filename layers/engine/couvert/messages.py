"""Guest messages: what an outbox event says, in the guest's language, as email (text + HTML, with a
calendar file where the booking's time matters) and, for reminders and reconfirmation requests, SMS.

Every word a guest reads lives in a Jinja2 template under couvert/templates/messages/<locale>/;
HTML is autoescaped, so a guest named `<script>` is shown, never run.  Dates, times and money are
formatted for the locale by Babel; the calendar file is built with icalendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import psycopg
from psycopg.rows import dict_row

from couvert.engine.clock import zone
from couvert.manage_tokens import manage_link
from couvert.queries import query

LOCALES = ("en", "nl")
FALLBACK_LOCALE = "en"
# Messages that go by SMS too when the guest has a phone and has not opted out.
SMS_KINDS = frozenset({"message.reminder", "message.reconfirm_request", "message.waitlist_offer"})
# Messages that carry the booking as a calendar entry (a cancellation carries METHOD:CANCEL).
CALENDAR_KINDS = frozenset({"message.confirmation", "message.modification", "message.cancellation"})


@dataclass(frozen=True)
class Message:
    """One rendered message: the email, its calendar file, and the SMS when one goes out."""

    to_email: str
    from_name: str  # the restaurant's name, shown as the sender
    subject: str
    text: str
    html: str
    ics: bytes | None = None
    ics_method: str | None = None
    to_phone: str | None = None
    sms: str | None = None


@cache
def _templates():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("couvert", "templates/messages"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=False)


def locale_of(value: str | None) -> str:
    """`nl-NL` and `nl` are Dutch; anything we have no templates for falls back to English."""
    language = (value or "").split("-")[0].lower()
    return language if language in LOCALES else FALLBACK_LOCALE


def template_name(kind: str, row: dict[str, Any]) -> str | None:
    """Which message an event is; None when it sends nothing (a draft nobody finished)."""
    name = kind.removeprefix("message.")
    if name == "cancellation":
        if row["cancelled_from"] == "draft":
            return None
        if row["cancelled_from"] == "pending_payment" and row["cancellation_reason"] == "payment hold expired":
            return "hold_expired"
    return name


def load(conn: psycopg.Connection, event: dict[str, Any]) -> dict[str, Any] | None:
    """The facts a message needs, read fresh at sending time (the guest may have changed things)."""
    return conn.cursor(row_factory=dict_row).execute(query("message_facts"), {
        "reservation_id": event["reservation_id"], "event_id": event["id"],
        "cancelled_from": (event["payload"] or {}).get("from")}).fetchone()


def render(event: dict[str, Any], row: dict[str, Any], public_base_url: str) -> Message | None:
    """The message of one outbox event, or None when this event sends nothing."""
    name = template_name(event["kind"], row)
    if name is None or not row["email"]:
        return None
    from babel.dates import format_date
    from babel.numbers import format_currency

    locale = locale_of(row["locale"])
    tz = zone(row["timezone"])
    context = {
        "guest": {"first_name": row["first_name"], "last_name": row["last_name"]},
        "location": {"name": row["location_name"], "address": row["location_address"],
                     "phone": row["location_phone"]},
        "reference": row["reference"], "party_size": row["party_size"], "ticket": row["ticket_name"],
        "date": format_date(row["reservation_date"], format="full", locale=locale),
        "short_date": format_date(row["reservation_date"], format="EEE d MMM", locale=locale),
        "time": row["start_time"].strftime("%H:%M"), "end_time": row["end_time"].strftime("%H:%M"),
        "manage_link": manage_link(public_base_url, row["id"]),
        "refund": _money(row["refund_cents"], row["currency"], locale, format_currency),
        "deposit": _money(int((row["payment_amount"] or Decimal(0)) * 100), row["currency"], locale,
                          format_currency),
        "kept_deposit": row["payment_status"] == "paid" and row["policy_keeps_deposit"],
        # A waitlist offer holds its table until then.
        "offer_until": row["hold_expires_at"].astimezone(tz).strftime("%H:%M") if row["hold_expires_at"] else None,
    }
    env = _templates()

    def part(suffix: str) -> str:
        return env.get_template(f"{locale}/{name}.{suffix}").render(context).strip()

    ics = method = None
    if event["kind"] in CALENDAR_KINDS:
        method = "CANCEL" if event["kind"] == "message.cancellation" else "REQUEST"
        ics = calendar_entry(row, tz, method, context)
    sms = phone = None
    if event["kind"] in SMS_KINDS and row["phone_number"] and not row["sms_opt_out"]:
        sms, phone = part("sms.txt"), row["phone_number"]
    return Message(row["email"], row["location_name"], part("subject.txt"), part("txt"), part("html"), ics, method,
                   phone, sms)


def _money(cents: int | None, currency: str, locale: str, format_currency) -> str | None:
    return format_currency(Decimal(cents) / 100, currency, locale=locale) if cents else None


def calendar_file_for(row: dict[str, Any], now: dt.datetime, public_base_url: str) -> bytes:
    """One reservation's calendar file outside a message (calendar_facts): cancelled ones cancel."""
    method = "CANCEL" if row["status"] == "cancelled" else "REQUEST"
    context = {"location": {"name": row["location_name"], "address": row["location_address"]},
               "manage_link": manage_link(public_base_url, row["id"])}
    return calendar_entry({**row, "event_created_at": now}, zone(row["timezone"]), method, context)


def calendar_entry(row: dict[str, Any], tz: dt.tzinfo, method: str, context: dict[str, Any]) -> bytes:
    """An iCalendar file: one event whose UID is stable per reservation, in the location's time zone
    (with its VTIMEZONE), SEQUENCE counting the changes, and METHOD:CANCEL when cancelled."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Couvert//reservations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{row['id']}@couvert")
    event.add("sequence", row["sequence"])
    event.add("dtstamp", row["event_created_at"])
    event.add("dtstart", row["start_at"].astimezone(tz))
    event.add("dtend", row["end_at"].astimezone(tz))
    event.add("summary", f"{context['location']['name']} ({row['party_size']})")
    if context["location"]["address"]:
        event.add("location", context["location"]["address"])
    event.add("description", f"{row['reference']} - {context['manage_link']}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
