"""Stripe's acknowledgement of a webhook.  Apart from the reservation answers (api_responses.py),
which the webhook function never builds."""

from couvert.shapes import Shape, omitted_when_none


class WebhookAck(Shape):
    received: bool
    duplicate: bool | None = omitted_when_none()
