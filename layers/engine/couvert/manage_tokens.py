"""Guests' manage tokens: derived from the reservation id with a server secret (HMAC-SHA256), so a
message sent days later can carry the manage link while the database keeps only the token's hash.
Changing the secret invalidates every link sent before."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from couvert.settings import get_settings


def manage_token(reservation_id: UUID | str) -> str:
    mac = hmac.new(_secret(), f"manage:{reservation_id}".encode(), hashlib.sha256).digest()
    # 128 bits are plenty against guessing, and keep the link short enough for an SMS.
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def load_secret() -> None:
    """Read the secret now, before any transaction: a booking derives its link under the day's lock,
    where a call to Secrets Manager (a process's first, or once its cached copy is old) would hold up
    every other booking of that day."""
    _secret()


def _secret() -> bytes:
    """From Secrets Manager when MANAGE_TOKEN_SECRET_ARN names it (cached, as every secret), else
    MANAGE_TOKEN_SECRET (development and tests)."""
    settings = get_settings()
    if settings.manage_token_secret_arn:
        from couvert.secrets import secret_json

        return secret_json(settings.manage_token_secret_arn)["manage_token_secret"].encode()
    return settings.manage_token_secret.encode()


def token_hash(token: str) -> str:
    """What the reservation stores (manage_token_hash) and a guest's token is checked against."""
    return hashlib.sha256(token.encode()).hexdigest()


def manage_link(public_base_url: str, reservation_id: UUID | str) -> str:
    """The guest's manage page for this reservation (short: it goes out by SMS too)."""
    return f"{public_base_url.rstrip('/')}/manage?r={reservation_id}&t={manage_token(reservation_id)}"
