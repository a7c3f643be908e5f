"""Attack from inside the restaurant: a host refunds a late cancellation in full.  Only owners and
managers cancel with a full refund outside the policy; a host's cancellation follows the policy a
guest would get."""

import pytest

from tests.support.api import add_member, op, res
from tests.support.clock import at
from tests.support.stripe import deliver, event, pay


@pytest.fixture
def paid_late(deposit, app_env, set_now):
    """The Chef's Table deposit (50.00, no refund inside 48 h) is paid; it is now 30 hours before."""
    body, client = deposit
    pi = body["payment"]["payment_intent_id"]
    pay(client, pi)
    assert deliver(event("payment_intent.succeeded", {"id": pi}))[0] == 200
    add_member(app_env, body["reservation"]["location_id"], "manager-1", "manager")
    set_now(at(8, "13:00"))
    return body["reservation"]["id"]


def test_a_hosts_late_cancellation_follows_the_guest_policy(paid_late):
    status, body, _ = res("POST", paid_late, "/transitions", headers=op("host-1"), body={"to": "cancelled"})
    assert (status, body["refund"]["amount"]) == (200, "0.00")


def test_a_manager_may_refund_in_full(paid_late):
    status, body, _ = res("POST", paid_late, "/transitions", headers=op("manager-1"), body={"to": "cancelled"})
    assert (status, body["refund"]["amount"]) == (200, "50.00")
