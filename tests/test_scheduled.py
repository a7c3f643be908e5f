"""The scheduled function: an EventBridge invocation cancels lapsed holds and dispatches refunds."""

import psycopg

from tests.support import SCHEDULE_EVENT, FakeContext, load_handler
from tests.support.clock import later
from tests.support.stripe import paid_then_cancelled_by_the_host, refunds_of


def test_a_scheduled_run_cancels_lapsed_holds_and_refunds(deposit, app_env, set_now):

    _, client = deposit
    pi = paid_then_cancelled_by_the_host(deposit)
    with psycopg.connect(app_env) as conn:  # and a second, unpaid hold that has lapsed
        conn.execute("""insert into reservations (location_id, ticket_id, shift_id, reservation_date, start_time,
                          end_time, party_size, table_id, status, reference, start_at, end_at, occupied_until,
                          hold_expires_at)
                        select location_id, ticket_id, shift_id, reservation_date, '21:00', '23:00', 2,
                               (select id from tables where name = 'P2'), 'pending_payment', 'LAPSED1',
                               start_at + interval '2 hours', end_at + interval '2 hours',
                               occupied_until + interval '2 hours', %s
                        from reservations limit 1""", (later(hours=-1),))
    handler = load_handler("scheduled").lambda_handler
    first = handler(SCHEDULE_EVENT, FakeContext())["counts"]
    second = handler(SCHEDULE_EVENT, FakeContext())["counts"]  # delivered twice: nothing more happens
    idle = {job: 0 for job in ("no_shows", "option_expiry", "payment_hold_expiry", "abandoned_drafts",
                                "reconfirm_requests", "reconfirm_cancellations", "reminders", "waitlist_expiry",
                                "expired_keys")} | {"waitlist_offers": {"expired_offers": 0, "offers": 0}}
    assert first == {**idle, "payment_hold_expiry": 1, "outbox": {"done": 1, "retried": 0, "failed": 0}}
    assert second == {**idle, "outbox": {"done": 0, "retried": 0, "failed": 0}}
    with psycopg.connect(app_env) as conn:
        assert conn.execute("select status from reservations where reference = 'LAPSED1'").fetchone() == (
            "cancelled",)
    assert refunds_of(client, pi) == [5000]
