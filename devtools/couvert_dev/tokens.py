"""Development operator tokens (`couvert token`, `make dev`, tests); production tokens come from
Cognito or Supabase Auth and are only verified by the layer."""

from __future__ import annotations

from typing import Any

DEV_JWT_SECRET = "couvert-local-development-secret-not-for-production"


def issue_dev_token(user_id: str, secret: str, issuer: str | None = None, audience: str | None = None,
                    hours: int = 12) -> str:
    """A development operator token (couvert token, tests); production tokens come from Cognito/Supabase."""
    import datetime as dt

    import jwt

    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + dt.timedelta(hours=hours),
                              "role": "authenticated"}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
