"""A localstripe (a stateful fake Stripe from PyPI) of our own, on a free port: for the tests, and for
`make dev` when no real Stripe keys are configured, so deposit tickets work with no setup."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from couvert_dev.pgcluster import free_port, wait_for_port


class LocalStripe:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkdtemp(prefix="localstripe-")) / "localstripe.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> LocalStripe:
        exe = shutil.which("localstripe") or str(Path(sys.executable).with_name("localstripe"))
        with open(self.log_path, "wb") as log:  # the child keeps its own handle
            self.process = subprocess.Popen([exe, "--port", str(self.port), "--from-scratch"], stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, "localstripe", log=self.log_path)
        return self

    def send_webhooks_to(self, url: str, secret: str) -> None:
        send_webhooks_to(self.url, url, secret)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def send_webhooks_to(localstripe_url: str, url: str, secret: str) -> None:
    """Have the localstripe at `localstripe_url` sign and POST its events to our webhook route at
    `url`, as Stripe would (one endpoint: a later call replaces it)."""
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{localstripe_url}/_config/webhooks/couvert", data=data),
                           timeout=5)


def pay_with_test_card(client, payment_intent_id: str):
    """What the guest's browser does with Stripe Elements: attach Stripe's test card and confirm
    (localstripe takes the card by update).  `client`: a stripe.StripeClient; returns the intent."""
    client.v1.payment_intents.update(payment_intent_id, params={"payment_method": "pm_card_visa"})
    return client.v1.payment_intents.confirm(payment_intent_id)
