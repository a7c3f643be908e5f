"""Stripe, behind a small adapter wired once per execution environment.

Idempotency keys are deterministic (deposit:{reservation_id}), so a retried booking never creates
a second PaymentIntent at Stripe.
"""

from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from couvert.errors import CouvertError


class PaymentUnavailable(CouvertError):
    """Stripe could not be reached or refused the request: nothing was booked; try again."""

    code, status = "payment_unavailable", 503
    retry_after_seconds = 5


class PaymentIntent(NamedTuple):
    id: str
    client_secret: str
    amount_cents: int
    currency: str
    status: str


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


STRIPE_TIMEOUT_S = 3


class StripePayments:
    def __init__(self, api_key: str, api_base: str | None = None, http_client=None) -> None:
        import stripe  # only the functions that take money import the SDK

        self._stripe = stripe
        # A short timeout: a hanging Stripe must not hold a booking (and its day's lock) for 80 s.
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base} if api_base else None, max_network_retries=1,
            http_client=http_client or stripe.new_default_http_client(timeout=STRIPE_TIMEOUT_S))

    def create_deposit(self, reservation_id: UUID, location_id: UUID, amount_cents: int,
                       currency: str) -> PaymentIntent:
        try:
            intent = self._client.v1.payment_intents.create(
                params={"amount": amount_cents, "currency": currency.lower(),
                        "metadata": {"reservation_id": str(reservation_id), "location_id": str(location_id)}},
                options={"idempotency_key": f"deposit:{reservation_id}"})
        except self._stripe.StripeError as error:
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None
        return PaymentIntent(intent.id, intent.client_secret, intent.amount, intent.currency, intent.status)

    def retrieve_payment_intent(self, payment_intent_id: str):
        try:
            return self._client.v1.payment_intents.retrieve(payment_intent_id)
        except self._stripe.StripeError as error:
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None

    def find_payment_intent(self, payment_intent_id: str):
        """The intent, or None when Stripe has no such intent (a retry would never find it either)."""
        try:
            return self._client.v1.payment_intents.retrieve(payment_intent_id)
        except self._stripe.InvalidRequestError as error:
            if error.http_status == 404:
                return None
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None
        except self._stripe.StripeError as error:
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None

    def refund(self, payment_intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        """Refund part or all of a payment; returns the refund's status."""
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount_cents},
                options={"idempotency_key": idempotency_key})
        except self._stripe.StripeError as error:
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None
        return refund.status

    def cancel_payment_intent(self, payment_intent_id: str, idempotency_key: str) -> None:
        """Cancel an unpaid PaymentIntent; one Stripe already reports cancelled counts as done."""
        try:
            self._client.v1.payment_intents.cancel(payment_intent_id, options={"idempotency_key": idempotency_key})
        except self._stripe.InvalidRequestError as error:
            if self.retrieve_payment_intent(payment_intent_id).status != "canceled":
                raise PaymentUnavailable(f"the payment provider refused: {error.user_message or error}") from None
        except self._stripe.StripeError as error:
            raise PaymentUnavailable(f"the payment provider failed: {error.user_message or error}") from None


_payments: StripePayments | None = None


def stripe_secrets() -> dict[str, str | None]:
    """{"secret_key", "webhook_secret"} from the environment, or from the STRIPE_SECRET_ARN secret in AWS."""
    from couvert.settings import get_settings

    settings = get_settings()
    found = {"secret_key": settings.stripe_secret_key, "webhook_secret": settings.stripe_webhook_secret}
    if settings.stripe_secret_arn and not all(found.values()):
        from couvert.secrets import secret_json

        secret = secret_json(settings.stripe_secret_arn)
        found = {k: found[k] or secret.get(k) for k in found}
    return found


def get_payments() -> StripePayments:
    """The environment's Stripe adapter, wired once."""
    global _payments
    if _payments is None:
        from couvert.settings import get_settings

        key = stripe_secrets()["secret_key"]
        if not key:
            raise PaymentUnavailable("payments are not configured (STRIPE_SECRET_KEY)")
        _payments = StripePayments(key, get_settings().stripe_api_base)
    return _payments


def reset_payments() -> None:
    global _payments
    _payments = None
