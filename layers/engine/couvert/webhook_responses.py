"""Stripe's acknowledgement of a webhook, and the base of bodies that leave their absent parts out.
Apart from the reservation answers (api_responses.py), which the webhook function never builds."""

from __future__ import annotations

from pydantic import BaseModel, model_serializer


class OmitNone(BaseModel):
    """A body whose optional parts are left out when absent ({"received": true}, not "duplicate": null)."""

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class WebhookAck(OmitNone):
    received: bool
    duplicate: bool | None = None
