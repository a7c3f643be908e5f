"""Stripe's acknowledgement of a webhook.  Apart from the reservation answers (api_responses.py),
which the webhook function never builds."""

from couvert.shapes import OmitNone


class WebhookAck(OmitNone):
    received: bool
    duplicate: bool | None = None
