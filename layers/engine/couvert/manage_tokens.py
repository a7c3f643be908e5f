"""Guests' manage tokens: derived from the reservation id with a server secret (HMAC-SHA256), so a
message sent days later can carry the manage link while the database keeps only the token's hash.
Rotating MANAGE_TOKEN_SECRET invalidates every link sent before."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from couvert.settings import get_settings


def manage_token(reservation_id: UUID | str) -> str:
    secret = get_settings().manage_token_secret.encode()
    mac = hmac.new(secret, f"manage:{reservation_id}".encode(), hashlib.sha256).digest()
    # 128 bits are plenty against guessing, and keep the link short enough for an SMS.
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def token_hash(token: str) -> str:
    """What the reservation stores (manage_token_hash) and a guest's token is checked against."""
    return hashlib.sha256(token.encode()).hexdigest()


def manage_link(public_base_url: str, reservation_id: UUID | str) -> str:
    """The guest's manage page for this reservation (short: it goes out by SMS too)."""
    return f"{public_base_url.rstrip('/')}/manage?r={reservation_id}&t={manage_token(reservation_id)}"
