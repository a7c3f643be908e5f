"""Secrets Manager values (database logins, Stripe keys), read through Powertools `parameters` and
cached per execution environment for SECRET_MAX_AGE, so a warm function does not call Secrets
Manager per request and a rotated secret is picked up within minutes."""

from __future__ import annotations

from typing import Any

SECRET_MAX_AGE = 300  # seconds


def secret_json(arn: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters  # imports boto3: only where a secret is used

    return parameters.get_secret(arn, transform="json", max_age=SECRET_MAX_AGE)
