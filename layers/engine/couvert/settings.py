"""Configuration: one validated model, read from the environment once per cold start."""

import datetime as dt
import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# What `make dev` and the tests derive manage links from; refused in Lambda (anyone can read it here).
DEVELOPMENT_MANAGE_TOKEN_SECRET = "development-manage-token-secret"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    database_url: str | None = Field(None, alias="DATABASE_URL")
    db_secret_arn: str | None = Field(None, alias="DB_SECRET_ARN")
    worker_database_url: str | None = Field(None, alias="WORKER_DATABASE_URL")
    worker_db_secret_arn: str | None = Field(None, alias="WORKER_DB_SECRET_ARN")
    # With a DB secret: connect to this host instead of the secret's (an RDS Proxy endpoint), and
    # verify the server's certificate against this CA bundle (sslmode verify-full).
    db_host: str | None = Field(None, alias="DB_HOST")
    db_ssl_root_cert: str | None = Field(None, alias="DB_SSL_ROOT_CERT")
    # The role every API transaction runs as (set local role); RLS is enforced on it.
    api_db_role: str = Field("couvert_api", alias="COUVERT_API_DB_ROLE")
    worker_db_role: str = Field("couvert_worker", alias="COUVERT_WORKER_DB_ROLE")

    jwt_secret: str | None = Field(None, alias="JWT_SECRET")
    jwt_jwks_url: str | None = Field(None, alias="JWT_JWKS_URL")
    jwt_issuer: str | None = Field(None, alias="JWT_ISSUER")
    jwt_audience: str | None = Field(None, alias="JWT_AUDIENCE")

    stripe_secret_key: str | None = Field(None, alias="STRIPE_SECRET_KEY")
    stripe_secret_arn: str | None = Field(None, alias="STRIPE_SECRET_ARN")
    stripe_api_base: str | None = Field(None, alias="STRIPE_API_BASE")
    stripe_webhook_secret: str | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")

    # Derives guests' manage tokens (couvert.manage_tokens).  In AWS it is the `manage_token_secret`
    # key of a Secrets Manager secret (an environment value is readable with the function's configuration).
    manage_token_secret_arn: str | None = Field(None, alias="MANAGE_TOKEN_SECRET_ARN")
    manage_token_secret: str = Field(DEVELOPMENT_MANAGE_TOKEN_SECRET, alias="MANAGE_TOKEN_SECRET", min_length=16)
    # How guest messages leave: "aws" (SES v2 + SNS), "sink" (files under MAIL_SINK_DIR, for make dev),
    # or "none" (message events wait in the outbox until a transport is configured).
    messages_transport: str = Field("none", alias="MESSAGES_TRANSPORT", pattern="^(aws|sink|none)$")
    mail_sink_dir: str = Field(".local/mail", alias="MAIL_SINK_DIR")
    sender_email: str = Field("reservations@example.com", alias="SENDER_EMAIL")
    public_base_url: str = Field("http://localhost:8000", alias="PUBLIC_BASE_URL")
    booking_lock_timeout_ms: int = Field(2000, alias="BOOKING_LOCK_TIMEOUT_MS")
    # What one anonymous client (address) and one e-mail address may create per location in a
    # sliding window: reservations and waitlist entries together (couvert.rate_limits).
    guest_creations_per_address: int = Field(10, alias="RATE_LIMIT_PER_ADDRESS", ge=1)
    guest_creations_per_email: int = Field(5, alias="RATE_LIMIT_PER_EMAIL", ge=1)
    rate_limit_window_seconds: int = Field(3600, alias="RATE_LIMIT_WINDOW_SECONDS", ge=60, le=3600)
    # Tests only: skip the per-(location, date) booking lock, to prove the exclusion constraint
    # still refuses double bookings when the code is wrong.
    unsafe_skip_booking_lock: bool = Field(False, alias="COUVERT_UNSAFE_SKIP_BOOKING_LOCK")
    # Development and tests only: pin the clock the handlers pass to the engine as `now`.
    frozen_now: dt.datetime | None = Field(None, alias="COUVERT_FROZEN_NOW")

    aws_lambda_function_name: str | None = Field(None, alias="AWS_LAMBDA_FUNCTION_NAME")

    @model_validator(mode="after")
    def _no_test_switches_in_lambda(self) -> "Settings":
        if self.aws_lambda_function_name and (self.frozen_now or self.unsafe_skip_booking_lock):
            raise ValueError("COUVERT_FROZEN_NOW and COUVERT_UNSAFE_SKIP_BOOKING_LOCK are for tests and demos; "
                             "they are refused in Lambda")
        return self

    def require(self, *needs: str) -> "Settings":
        """What a function cannot run without, checked at its cold start so a deployment missing it
        fails at once instead of on the first request."""
        if "operator_tokens" in needs and self.aws_lambda_function_name and not (
                self.jwt_issuer and self.jwt_audience and (self.jwt_jwks_url or self.jwt_secret)):
            # In Lambda a token is only trusted for the issuer and audience it was made for.
            raise RuntimeError("missing configuration: JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL (or JWT_SECRET)")
        if "manage_tokens" in needs and self.aws_lambda_function_name and not (
                self.manage_token_secret_arn or self.manage_token_secret != DEVELOPMENT_MANAGE_TOKEN_SECRET):
            # The development default is in this repository: links derived from it can be forged.
            raise RuntimeError("missing configuration: MANAGE_TOKEN_SECRET_ARN (the secret manage links are "
                               "derived from)")
        checks = {
            "database": ("DATABASE_URL or DB_SECRET_ARN", self.database_url or self.db_secret_arn),
            "worker_database": ("WORKER_DATABASE_URL, WORKER_DB_SECRET_ARN, DATABASE_URL or DB_SECRET_ARN",
                                self.worker_database_url or self.worker_db_secret_arn or self.database_url
                                or self.db_secret_arn),
        }
        missing = [name for need in needs if need in checks for name, value in [checks[need]] if not value]
        if missing:
            raise RuntimeError(f"missing configuration: {'; '.join(missing)}")
        return self

    @field_validator("frozen_now")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("COUVERT_FROZEN_NOW needs a UTC offset")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.model_validate(dict(os.environ))


def reload_settings() -> Settings:
    """Forget the cached settings (tests and the dev server change the environment)."""
    get_settings.cache_clear()
    return get_settings()


def current_time() -> dt.datetime:
    """The handlers' `now` (the engine itself never reads the clock)."""
    return get_settings().frozen_now or dt.datetime.now(dt.UTC)
