"""How guest messages leave: SES v2 for email and SNS for SMS in AWS, or files on disk for `make dev`.

Both carry the outbox event's id (an `X-Couvert-Event` header, an SNS message attribute), so a
message sent twice after a crash between sending and marking it done can be recognised.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from couvert.messages import Message


class MessageFailed(Exception):
    """The transport refused or could not be reached: the dispatcher retries with backoff."""


class Messenger(Protocol):
    def send(self, message: Message, event_id: str) -> None: ...


def mime(message: Message, sender: str, event_id: str) -> EmailMessage:
    """The email as MIME: text and HTML alternatives, the calendar file attached when there is one."""
    email = EmailMessage()
    email["From"] = formataddr((message.from_name, sender))
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=event_id, domain=sender.split("@")[-1])
    email["X-Couvert-Event"] = event_id
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    if message.ics is not None:
        email.add_attachment(message.ics, maintype="text", subtype="calendar", filename="reservation.ics",
                             params={"method": message.ics_method})
    return email


class AwsMessenger:
    """SES v2 (raw MIME, so the calendar file travels) and SNS direct-to-phone SMS."""

    def __init__(self, sender: str, ses=None, sns=None) -> None:
        import boto3  # only the scheduled function sends messages

        self.sender = sender
        self._ses = ses or boto3.client("sesv2")
        self._sns = sns or boto3.client("sns")

    def send(self, message: Message, event_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ses.send_email(
                FromEmailAddress=formataddr((message.from_name, self.sender)),
                Destination={"ToAddresses": [message.to_email]},
                Content={"Raw": {"Data": mime(message, self.sender, event_id).as_bytes()}},
                EmailTags=[{"Name": "couvert-event", "Value": re.sub(r"[^A-Za-z0-9_-]", "-", event_id)}])
            if message.sms and message.to_phone:
                self._sns.publish(PhoneNumber=message.to_phone, Message=message.sms, MessageAttributes={
                    "couvert.event_id": {"DataType": "String", "StringValue": event_id},
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})
        except (BotoCoreError, ClientError) as error:
            raise MessageFailed(f"AWS refused the message: {error}") from error


class MailSink:
    """Development: every email is an .eml file and every SMS a .txt file in one folder, newest last
    by name, so `make dev` shows an evaluator the confirmation of the booking they just made."""

    def __init__(self, folder: str | Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, message: Message, event_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")  # a file name, not a decision
        (self.folder / f"{stamp}-{event_id}.eml").write_bytes(
            mime(message, self.sender, event_id).as_bytes())
        if message.sms and message.to_phone:
            (self.folder / f"{stamp}-{event_id}.sms.txt").write_text(
                f"To: {message.to_phone}\nX-Couvert-Event: {event_id}\n\n{message.sms}\n", encoding="utf-8")


_messenger: Messenger | None = None


def get_messenger() -> Messenger | None:
    """The execution environment's transport, wired once from configuration (MESSAGES_TRANSPORT);
    None when messages are off: their events then wait in the outbox."""
    global _messenger
    if _messenger is None:
        from couvert.settings import get_settings

        settings = get_settings()
        if settings.messages_transport == "aws":
            _messenger = AwsMessenger(settings.sender_email)
        elif settings.messages_transport == "sink":
            _messenger = MailSink(settings.mail_sink_dir, settings.sender_email)
    return _messenger


def reset_messenger() -> None:
    """Forget the wired transport (tests and the dev server change the configuration)."""
    global _messenger
    _messenger = None
