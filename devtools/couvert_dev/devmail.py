"""`make dev`'s mail sink as pages: /dev/mail lists what would have been sent (newest first), and
/dev/mail/<file> shows one message (its HTML, or the SMS text).  Development only."""

from __future__ import annotations

import email
import html
from email import policy
from pathlib import Path


def _messages(folder: Path) -> list[Path]:
    return sorted((p for p in folder.glob("*") if p.suffix in (".eml", ".txt")), reverse=True) \
        if folder.is_dir() else []


def index_page(folder: Path) -> bytes:
    rows = []
    for path in _messages(folder):
        if path.suffix == ".eml":
            mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            to, subject, kind = mail["To"], mail["Subject"], "email"
        else:
            to, subject, kind = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("To: "), "SMS", "sms"
        rows.append(f'<tr><td>{kind}</td><td>{html.escape(str(to))}</td>'
                    f'<td><a href="/dev/mail/{html.escape(path.name)}">{html.escape(str(subject))}</a></td></tr>')
    body = "".join(rows) or '<tr><td colspan="3">No messages yet: book a table, or wait for the next sweep.</td></tr>'
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mail sink</title></head>'
            f'<body style="font-family:system-ui,sans-serif"><h1>Messages sent by this dev server</h1>'
            f'<p>Newest first, from {html.escape(str(folder))}.</p><table cellpadding="6">'
            f'<tr><th>kind</th><th>to</th><th>subject</th></tr>{body}</table></body></html>').encode()


def message_page(folder: Path, name: str) -> tuple[bytes, str] | None:
    path = folder / name
    if "/" in name or path not in _messages(folder):
        return None
    if path.suffix == ".txt":
        return path.read_bytes(), "text/plain; charset=utf-8"
    mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    part = mail.get_body(("html", "plain"))
    return part.get_content().encode(), f"{part.get_content_type()}; charset=utf-8"
