"""Who is calling (docs/api.md "Who is calling").

API Gateway's JWT authorizer puts verified claims in requestContext.authorizer.jwt.claims; on
routes shared with guests the function verifies a Bearer token itself (HS256 secret or JWKS,
issuer and audience from configuration).  A bad token is 401, never silently anonymous; no token
means a guest.  Operator rights come from location_members (row-level security), not the token.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from couvert.db import RequestContext
from couvert.errors import Unauthorized
from couvert.settings import get_settings


def caller_from_event(event: dict[str, Any], location_id: UUID | None = None) -> RequestContext:
    claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims")
    if claims and claims.get("sub"):
        return RequestContext.operator(claims)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    authorization = headers.get("authorization")
    if authorization:
        return RequestContext.operator(verify_bearer(authorization))
    http = (event.get("requestContext") or {}).get("http") or {}
    client = hashlib.sha256(f"{http.get('sourceIp', '')}|{http.get('userAgent', '')}".encode()).hexdigest()
    return RequestContext.guest(location_id, client, http.get("sourceIp") or None)


def verify_bearer(authorization: str) -> dict[str, Any]:
    import jwt  # only requests that carry a token pay for the import

    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    settings = get_settings()
    options = {"require": ["sub", "exp"], "verify_aud": False}  # the audience: _for_audience, below
    try:
        if settings.jwt_jwks_url:
            key = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256"]
        elif settings.jwt_secret:
            key, algorithms = settings.jwt_secret, ["HS256"]
        else:
            raise Unauthorized("operator tokens are not accepted: no JWT_SECRET or JWT_JWKS_URL is configured")
        claims = jwt.decode(token.strip(), key, algorithms=algorithms, issuer=settings.jwt_issuer, options=options)
    except jwt.PyJWTError as error:
        raise Unauthorized(f"invalid token: {error}") from None
    if settings.jwt_audience is not None and not _for_audience(claims, settings.jwt_audience):
        raise Unauthorized("invalid token: it was not made for this API's audience")
    return claims


def _for_audience(claims: dict[str, Any], audience: str) -> bool:
    """API Gateway's JWT authorizer's rule, so the routes it guards and the ones shared with guests
    accept the same tokens: `aud` names the audience; a token without `aud` (a Cognito access token)
    names it in `client_id`."""
    if "aud" in claims:
        named = claims["aud"]
        return audience in (named if isinstance(named, list) else [named])
    return claims.get("client_id") == audience


_jwks_clients: dict[str, Any] = {}


def _jwks_client(url: str):
    import jwt

    if url not in _jwks_clients:
        _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True, timeout=3)  # not PyJWT's 30 s
    return _jwks_clients[url]


def require_operator(caller: RequestContext) -> RequestContext:
    """Operator-only use cases: a caller without an operator token is 401 (rights within a location
    are row-level security's to decide: another location's operator sees 404)."""
    if not caller.is_operator:
        raise Unauthorized("an operator token is required")
    return caller
