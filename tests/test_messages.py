"""Guest messages end to end under moto (SES v2, SNS): the outbox dispatcher renders each event in the
guest's language, attaches the calendar file, texts reminders, and survives crashes and failures."""

import datetime as dt
import email
from email import policy

import boto3
import psycopg
import pytest
from icalendar import Calendar
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from couvert import sweeps
from couvert.db import get_database
from couvert.messaging import AwsMessenger, MessageFailed
from couvert.outbox import MAX_ATTEMPTS, dispatch
from tests.support import call
from tests.support.api import add_member, book, booking_body, ids, op
from tests.support.clock import at, later

SENDER = "reservations@bistro.example"
REGION = "eu-west-1"
BASE_URL = "https://book.bistro.example"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
        yield AwsMessenger(SENDER)


def sent_emails():
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]


def sent_sms():
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def deliver_all(messenger, now=None, **kw):
    return dispatch(get_database(worker=True), now or later(), messenger=messenger, public_base_url=BASE_URL, **kw)


@pytest.fixture
def guest_booking(app_env, demo_location):
    """A Dutch guest whose name is markup books dinner for two at 19:00; the restaurant has an address."""
    with psycopg.connect(app_env) as conn:
        conn.execute("update locations set address = 'Prinsengracht 1, Amsterdam', phone = '+31 20 123 4567'")
    guest = {"first_name": "<script>alert(1)</script>", "last_name": "Lovelace", "email": "ada@example.com",
             "phone": "06 12345678", "locale": "nl"}
    status, body, _ = book(demo_location, booking_body(ids(app_env)["Regular Dinner"], "19:00", 2, guest=guest))
    assert status == 201
    return body["reservation"]


def test_the_confirmation_is_dutch_escaped_and_carries_the_calendar_entry(aws, guest_booking, app_env):
    assert deliver_all(aws) == {"done": 1, "retried": 0, "failed": 0}
    [mail] = sent_emails()
    with psycopg.connect(app_env) as conn:
        event_id = conn.execute("select id::text from outbox_events where kind = 'message.confirmation'").fetchone()[0]
    assert (mail["To"], mail["X-Couvert-Event"]) == ("ada@example.com", event_id)
    assert mail["Subject"].startswith("Uw tafel bij Bistro Nesto op ")
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
    for part in (html, text):
        assert "Prinsengracht 1, Amsterdam" in part and "+31 20 123 4567" in part
        assert guest_booking["reference"] in part and f"{BASE_URL}/manage?r={guest_booking['id']}&" in part
    [attachment] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and calendar.walk("VTIMEZONE")
    assert event.decoded("dtstart") == at(9, "19:00") and event.decoded("dtend") == at(9, "21:00")
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Amsterdam"
    assert (str(event["uid"]), event.decoded("sequence")) == (f"{guest_booking['id']}@couvert", 0)
    assert sent_sms() == []  # confirmations go by email only


def test_a_cancellation_cancels_the_calendar_entry_with_a_higher_sequence(aws, guest_booking, app_env):
    add_member(app_env, guest_booking["location_id"], "host-1")
    status, _, _ = call("transition_status", "POST", f"/v1/reservations/{guest_booking['id']}/transitions",
                        body={"to": "cancelled"}, headers=op("host-1"))
    assert status == 200
    assert deliver_all(aws)["done"] == 2
    cancellation = next(m for m in sent_emails() if "geannuleerd" in m["Subject"])
    [attachment] = [p for p in cancellation.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert (str(calendar["METHOD"]), str(event["status"]), event.decoded("sequence")) == ("CANCEL", "CANCELLED", 1)
    assert str(event["uid"]) == f"{guest_booking['id']}@couvert"


def test_a_reminder_goes_by_email_and_a_short_sms(aws, guest_booking, app_env):
    due = at(8, "19:00")
    assert sweeps.run(get_database(worker=True), due, jobs=("reminders",)).counts() == {"reminders": 1}
    assert deliver_all(aws, due)["done"] == 2  # the confirmation and the reminder
    [(phone, text)] = sent_sms()
    assert phone == "+31612345678" and len(text) <= 160 and "Bistro Nesto" in text
    assert f"{BASE_URL}/manage?r={guest_booking['id']}&" in text
    reminder = next(m for m in sent_emails() if m["Subject"].startswith("Tot "))
    assert not [p for p in reminder.iter_attachments() if p.get_content_type() == "text/calendar"]


def test_a_guest_who_opted_out_of_sms_gets_the_email_only(aws, guest_booking, app_env):
    with psycopg.connect(app_env) as conn:
        conn.execute("update customers set sms_opt_out = true")
    sweeps.run(get_database(worker=True), at(8, "19:00"), jobs=("reminders",))
    assert deliver_all(aws, at(8, "19:00"))["done"] == 2 and sent_sms() == []


def test_an_unknown_locale_falls_back_to_english(aws, app_env, demo_location):
    guest = {"first_name": "Jean", "last_name": "Dupont", "email": "jean@example.com", "locale": "fr"}
    assert book(demo_location, booking_body(ids(app_env)["Regular Dinner"], guest=guest))[0] == 201
    deliver_all(aws)
    [mail] = sent_emails()
    assert mail["Subject"].startswith("Your table at Bistro Nesto on ")


def test_messages_wait_in_the_outbox_while_no_transport_is_configured(guest_booking, app_env):
    assert deliver_all(None) == {"done": 0, "retried": 0, "failed": 0}
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status, attempts from outbox_events").fetchone() == ("pending", 0)


class Crash(BaseException):
    """The Lambda dies: not an error the dispatcher could catch and record."""


def test_a_crash_between_sending_and_marking_resends_with_the_same_event_id(aws, guest_booking, app_env):
    class SendThenDie:
        def send(self, message, event_id):
            aws.send(message, event_id)
            raise Crash

    with pytest.raises(Crash):
        deliver_all(SendThenDie())
    assert deliver_all(aws, later(minutes=1))["done"] == 0  # leased: nobody else sends it meanwhile
    assert deliver_all(aws, later(minutes=6))["done"] == 1  # the lease ran out: sent again
    first, second = sent_emails()
    assert first["X-Couvert-Event"] == second["X-Couvert-Event"]
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status, attempts from outbox_events").fetchone() == ("done", 2)


def test_a_permanently_failing_message_is_parked_as_failed_while_others_flow(aws, app_env, demo_location):
    tickets = ids(app_env)
    for who in ("ok", "bounce"):
        guest = {"first_name": who, "last_name": "X", "email": f"{who}@example.com"}
        assert book(demo_location, booking_body(tickets["Regular Dinner"], "19:00", 2, guest=guest))[0] == 201

    class Bouncing:
        def send(self, message, event_id):
            if message.to_email.startswith("bounce"):
                raise MessageFailed("mailbox does not exist")
            aws.send(message, event_id)

    now, results = later(), []
    for _ in range(MAX_ATTEMPTS):
        results.append(deliver_all(Bouncing(), now))
        now += dt.timedelta(hours=7)  # past the longest backoff
    assert results[0] == {"done": 1, "retried": 1, "failed": 0}
    assert results[-1] == {"done": 0, "retried": 0, "failed": 1}
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status, attempts, last_error from outbox_events where status <> 'done'"
                            ).fetchone() == ("failed", MAX_ATTEMPTS, "mailbox does not exist")
    assert [m["To"] for m in sent_emails()] == ["ok@example.com"]


def test_operators_see_failed_events_and_requeue_one(aws, app_env, demo_location):
    add_member(app_env, demo_location, "host-1")
    assert book(demo_location, booking_body(ids(app_env)["Regular Dinner"]))[0] == 201
    with psycopg.connect(app_env) as conn:
        event_id = conn.execute("update outbox_events set status = 'failed', attempts = 10, last_error = 'bounced' "
                                "returning id::text").fetchone()[0]
    path = f"/v1/locations/{demo_location}/outbox"
    status, body, _ = call("back_office", "GET", path, query={"status": "failed"}, headers=op("host-1"))
    assert status == 200 and [(e["id"], e["last_error"]) for e in body["events"]] == [(event_id, "bounced")]
    assert call("back_office", "GET", path, query={"status": "failed"})[0] == 401
    status, body, _ = call("back_office", "POST", f"{path}/{event_id}/retry", headers=op("host-1"))
    assert (status, body["event"]["status"], body["event"]["attempts"]) == (200, "pending", 0)
    assert deliver_all(aws)["done"] == 1 and len(sent_emails()) == 1
    status, body, _ = call("back_office", "POST", f"{path}/{event_id}/retry", headers=op("host-1"))
    assert (status, body["error"]["code"]) == (409, "invalid_transition")  # only failed events are requeued


def test_the_mail_sink_writes_what_would_be_sent(tmp_path, guest_booking):
    from couvert.messaging import MailSink

    assert deliver_all(MailSink(tmp_path, SENDER))["done"] == 1
    [eml] = list(tmp_path.glob("*.eml"))
    mail = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["Subject"].startswith("Uw tafel bij Bistro Nesto") and mail["X-Couvert-Event"] in eml.name
    assert [p.get_content_type() for p in mail.iter_attachments()] == ["text/calendar"]
