"""The status machine in SQL: the full transition matrix, corrections, stats, tags and money rules."""

import datetime as dt
import itertools
import json
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.clock import at

STATUSES = ["draft", "pending_payment", "option", "confirmed", "seated", "completed", "no_show", "cancelled"]
ACTORS = ["operator", "guest", "system"]
ALLOWED = {  # the lifecycle (docs/decisions.md), written out independently of the SQL table it checks
    # A booking's first move is the booker's: a guest's or an operator's (or the system's).
    ("draft", "pending_payment"): {"system", "guest", "operator"}, ("draft", "option"): {"operator"},
    ("draft", "confirmed"): {"system", "guest", "operator"}, ("draft", "cancelled"): {"system", "guest", "operator"},
    ("pending_payment", "confirmed"): {"system"},
    ("pending_payment", "cancelled"): {"system", "guest", "operator"},
    ("option", "confirmed"): {"guest", "operator"}, ("option", "cancelled"): {"system", "operator", "guest"},
    ("confirmed", "seated"): {"operator"}, ("confirmed", "no_show"): {"system", "operator"},
    ("confirmed", "cancelled"): {"guest", "operator", "system"},
    ("seated", "completed"): {"operator", "system"}, ("seated", "confirmed"): {"operator"},
    ("no_show", "seated"): {"operator"},
}
START = at(9, "19:00")
AFTER_GRACE = START + dt.timedelta(minutes=20)


@pytest.fixture
def world(database_url, demo_location):
    """A confirmed reservation of a known customer, and a connection to drive it."""
    conn = psycopg.connect(database_url, row_factory=dict_row)
    conn.execute("update reservation_settings set options_enabled = true")
    ids = {r["name"]: r["id"] for r in conn.execute("select name, id from tickets")}
    shift = conn.execute("select id from shifts where name = 'Diner'").fetchone()["id"]
    table = conn.execute("select id from tables where name = 'R3'").fetchone()["id"]
    conn.execute("insert into location_members (location_id, user_id, role) values (%s, 'host-sm', 'host')",
                 (demo_location,))
    customer = conn.execute("""insert into customers (location_id, first_name, last_name, email, operator_tags)
                               values (%s, 'Ada', 'L', 'ada@example.com', '["allergy_nuts"]') returning id""",
                            (demo_location,)).fetchone()["id"]
    conn.commit()

    def make(status="confirmed", paid_cents=0, terms=None, start=START, seated_at_table=False, owes=False):
        """A reservation in `status`; `owes`: a deposit is due and its PaymentIntent exists (as the
        booking leaves a draft before its move to pending_payment)."""
        if status == "no_show":  # reached through the machine, so its count is there to take back
            rid = make("confirmed", paid_cents, terms, start)
            move(rid, "no_show", "system", now=start + dt.timedelta(minutes=20))
            conn.execute("delete from audit_log where entity_id = %s", (rid,))
            return rid
        rid = uuid.uuid4()
        policy = {"cancel_free_hours": 24, "cancel_refund_pct": 50, "noshow_mark_after_minutes": 15,
                  "noshow_keep_deposit": True, **({"payment_type": "deposit_pp"} if owes else {}), **(terms or {})}
        conn.execute(
            """insert into reservations (id, location_id, customer_id, ticket_id, shift_id, reservation_date,
                 start_time, end_time, party_size, table_id, status, reference, start_at, end_at, occupied_until,
                 policy_snapshot, payment_status, payment_amount, payment_intent_id, completed_at, seated_at,
                 hold_expires_at, option_expires_at)
               values (%s, %s, %s, %s, %s, %s, '19:00', '21:00', 2, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       %s, %s, %s, %s)""",
            (rid, demo_location, customer, ids["Regular Dinner"], shift, start.date(),
             table if seated_at_table else None, status,
             uuid.uuid4().hex[:8].upper(), start, start + dt.timedelta(hours=2), start + dt.timedelta(hours=2),
             json.dumps(policy), "paid" if paid_cents else "pending" if owes else "none",
             paid_cents / 100 if paid_cents else 50 if owes else None, "pi_test" if paid_cents or owes else None, START if status == "completed" else None,
             START if status == "seated" else None, START + dt.timedelta(days=9) if status in (
                 "draft", "pending_payment") else None,
             START + dt.timedelta(days=9) if status == "option" else None))
        return rid

    def move(rid, to, actor="operator", now=AFTER_GRACE, reason=None, user="host-sm"):
        """Move as `actor` would: the database takes the actor from the request, not from us."""
        role, claims, guest_location = {
            "system": ("couvert_worker", None, None),
            "operator": ("couvert_api", json.dumps({"sub": user}), None),
            "guest": ("couvert_api", None, demo_location)}[actor]
        conn.execute("select begin_request(%s, %s::jsonb, %s)", (role, claims, guest_location))
        conn.execute("select set_config('couvert.guest_subject_id', %s, true)", (str(rid),))
        result = conn.execute("select transition_reservation_status(%s, %s, %s, %s, null) as r",
                              (rid, to, reason, now)).fetchone()["r"]
        conn.execute("reset role")
        conn.execute("""select set_config('request.jwt.claims', '', true), set_config('couvert.guest_location_id', '', true),
                               set_config('couvert.guest_subject_id', '', true)""")
        return result

    def row(rid):
        return conn.execute("select * from reservations where id = %s", (rid,)).fetchone()

    def customer_row():
        return conn.execute("select * from customers where id = %s", (customer,)).fetchone()

    class World:
        pass

    w = World()
    w.conn, w.make, w.move, w.row, w.customer = conn, make, move, row, customer_row
    yield w
    conn.close()


@pytest.mark.parametrize("source", STATUSES)
def test_the_transition_matrix(world, source):
    for target, actor in itertools.product(STATUSES, ACTORS):
        if target == source:
            continue
        with world.conn.transaction(force_rollback=True):
            rid = world.make(source, owes=(source, target) == ("draft", "pending_payment"))
            audits_before = world.conn.execute("select count(*) as n from audit_log").fetchone()["n"]
            allowed = actor in ALLOWED.get((source, target), set())
            if allowed:
                result = world.move(rid, target, actor)
                after = world.row(rid)
                assert result["changed"] and after["status"] == target, (source, target, actor)
                if target == "seated":
                    assert after["seated_at"] == AFTER_GRACE
                if target == "completed":
                    assert after["completed_at"] == AFTER_GRACE
                if target == "cancelled":
                    assert after["cancelled_at"] == AFTER_GRACE
                    assert after["cancelled_by"] == {"guest": "guest", "operator": "operator"}.get(actor, "system")
                audit = world.conn.execute(
                    "select * from audit_log where entity_id = %s and action = 'status_change'", (rid,)).fetchone()
                assert (audit["old_value"], audit["new_value"]["status"], audit["performed_by_type"]) == (
                    {"status": source}, target, actor)
            else:
                with pytest.raises(psycopg.Error) as caught, world.conn.transaction():
                    world.move(rid, target, actor)
                assert caught.value.sqlstate == "CV409" and caught.value.diag.message_detail == source
                assert world.row(rid)["status"] == source
                assert world.conn.execute("select count(*) as n from audit_log").fetchone()["n"] == audits_before


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("unmet", [
    "payment_status = 'none', payment_intent_id = null",  # owes nothing (a waitlist offer)
    "payment_intent_id = null",  # its PaymentIntent was never created
    "payment_status = null",
    "policy_snapshot = policy_snapshot - 'payment_type'",  # terms that take no payment
])
def test_a_draft_waits_for_a_payment_only_with_its_payment_intent(world, actor, unmet):
    """Attack: a draft that owes nothing, or whose PaymentIntent was never created, parked in
    pending_payment would wait for a payment that never comes (until the hold sweep cancels it)."""
    rid = world.make("draft", owes=True)
    world.conn.execute(f"update reservations set {unmet} where id = %s", (rid,))
    with pytest.raises(psycopg.Error) as caught, world.conn.transaction():
        world.move(rid, "pending_payment", actor)
    assert (caught.value.sqlstate, caught.value.diag.message_detail) == ("CV409", "draft")
    assert "waits for a payment only" in caught.value.diag.message_primary
    assert world.row(rid)["status"] == "draft"


def test_an_option_is_not_placed_on_terms_that_take_a_payment(world):
    """Attack: an option is confirmed without a payment (the lifecycle has no way for it to collect
    one), so an option on a deposit or prepayment ticket would seat a party that never paid."""
    paid_terms = [world.make("draft", terms={"payment_type": kind, "payment_amount": "25.00"})
                  for kind in ("deposit_pp", "full_prepay_pp")]
    owing = world.make("draft", terms={"payment_type": "none"}, owes=True)  # a payment due, whatever the terms
    for rid in (*paid_terms, owing):
        with pytest.raises(psycopg.Error) as caught, world.conn.transaction():
            world.move(rid, "option")
        assert (caught.value.sqlstate, caught.value.diag.message_detail) == ("CV409", "draft")
        assert "an option cannot be placed" in caught.value.diag.message_primary
        assert world.row(rid)["status"] == "draft"
    rid = world.make("draft", terms={"payment_type": "none"})
    assert world.move(rid, "option")["changed"]


def test_repeating_a_transition_is_a_no_op_success(world):
    rid = world.make("confirmed")
    world.move(rid, "seated")
    again = world.move(rid, "seated")
    assert again == {"changed": False, "from": "seated", "to": "seated", "refund_cents": 0}
    assert world.conn.execute("select count(*) as n from audit_log where entity_id = %s",
                              (rid,)).fetchone()["n"] == 1


def test_a_no_show_before_the_grace_period_is_refused(world):
    rid = world.make("confirmed")
    with pytest.raises(psycopg.Error) as caught:
        world.move(rid, "no_show", "system", now=START + dt.timedelta(minutes=14))
    assert caught.value.sqlstate == "CV409"


def test_a_late_guest_takes_back_the_no_show(world):
    rid = world.make("confirmed")
    world.move(rid, "no_show", "system")
    assert world.customer()["no_show_count"] == 1
    world.move(rid, "seated", "operator")
    assert world.customer()["no_show_count"] == 0
    assert world.row(rid)["seated_at"] == AFTER_GRACE


def test_undo_check_in_clears_seated_at(world):
    rid = world.make("confirmed")
    world.move(rid, "seated")
    world.move(rid, "confirmed")
    assert (world.row(rid)["status"], world.row(rid)["seated_at"]) == ("confirmed", None)


def test_visits_and_guest_cancellations_update_stats_and_tags(world):
    assert world.customer()["tags"] == ["allergy_nuts", "new_guest"]
    rid = world.make("seated")
    world.move(rid, "completed")
    c = world.customer()
    assert (c["total_visits"], c["first_visit_at"], c["last_visit_at"]) == (1, AFTER_GRACE, AFTER_GRACE)
    assert c["tags"] == ["allergy_nuts"]
    for _ in range(3):
        world.move(world.make("confirmed", start=START + dt.timedelta(days=5)), "cancelled", "guest",
                   now=START)
    world.move(world.make("confirmed"), "cancelled", "operator")  # not the guest's doing: not counted
    c = world.customer()
    assert c["cancel_count"] == 3 and "frequent_canceller" in c["tags"]


def test_a_move_that_counts_for_nothing_leaves_the_customer_row_unwritten(world):
    """An operator's cancellation moves none of the guest's statistics: the customer row is not
    written again (a scheduled run expiring thousands of holds would otherwise rewrite thousands)."""
    rid = world.make("confirmed")
    version = world.conn.execute("select xmin::text as v from customers where id = %s",
                                 (world.customer()["id"],)).fetchone()["v"]
    world.move(rid, "cancelled", "operator")
    after = world.conn.execute("select xmin::text as v from customers where id = %s",
                               (world.customer()["id"],)).fetchone()["v"]
    assert after == version and world.customer()["cancel_count"] == 0


def test_frequent_no_show_and_vip_tags(world):
    for _ in range(2):
        world.move(world.make("confirmed"), "no_show", "system")
    assert "frequent_no_show" in world.customer()["tags"]
    world.conn.execute("update customers set total_visits = 10")
    assert "vip" in world.customer()["tags"] and "allergy_nuts" in world.customer()["tags"]


def _refund_event(world, rid):
    return world.conn.execute("select payload from outbox_events where reservation_id = %s and kind = 'stripe.refund'",
                              (rid,)).fetchone()


@pytest.mark.parametrize("pct", [0, 50, 100])
@pytest.mark.parametrize("minutes_before_deadline, free", [(1, True), (-1, False)])
def test_refunds_at_the_edge_of_the_free_cancellation_window(world, pct, minutes_before_deadline, free):
    rid = world.make("confirmed", paid_cents=5000, terms={"cancel_refund_pct": pct, "cancel_free_hours": 48})
    now = START - dt.timedelta(hours=48) - dt.timedelta(minutes=minutes_before_deadline)
    result = world.move(rid, "cancelled", "guest", now=now)
    expected = 5000 if free else 5000 * pct // 100
    assert result["refund_cents"] == expected
    event = _refund_event(world, rid)
    assert (event["payload"]["amount_cents"] if event else 0) == expected


def test_cancelling_exactly_at_the_deadline_is_still_free(world):
    rid = world.make("confirmed", paid_cents=5000, terms={"cancel_refund_pct": 0, "cancel_free_hours": 24})
    assert world.move(rid, "cancelled", "guest", now=START - dt.timedelta(hours=24))["refund_cents"] == 5000


def test_a_managers_cancellation_refunds_in_full(world):
    rid = world.make("confirmed", paid_cents=7500, terms={"cancel_refund_pct": 0})
    location = world.conn.execute("select location_id from reservations where id = %s", (rid,)).fetchone()
    world.conn.execute("insert into location_members (location_id, user_id, role) values (%s, 'm-1', 'manager')",
                       (location["location_id"],))
    assert world.move(rid, "cancelled", "operator", now=START, user="m-1")["refund_cents"] == 7500
    assert _refund_event(world, rid)["payload"] == {"payment_intent_id": "pi_test", "amount_cents": 7500,
                                                    "currency": "EUR", "reason": "cancelled"}


@pytest.mark.parametrize("keep, refunded", [(True, 0), (False, 5000)])
def test_no_show_keeps_or_refunds_the_deposit(world, keep, refunded):
    rid = world.make("confirmed", paid_cents=5000, terms={"noshow_keep_deposit": keep})
    assert world.move(rid, "no_show", "system")["refund_cents"] == refunded


def test_editing_the_policy_after_booking_changes_nothing_about_the_refund(world):
    rid = world.make("confirmed", paid_cents=5000, terms={"cancel_refund_pct": 100, "cancel_free_hours": 1})
    world.conn.execute("update policy_sets set cancel_refund_pct = 0, cancel_free_hours = 500")
    assert world.move(rid, "cancelled", "guest", now=START - dt.timedelta(hours=2))["refund_cents"] == 5000


def test_cancelling_a_payment_hold_cancels_its_payment_intent(world):
    rid = world.make("pending_payment")
    world.conn.execute("update reservations set payment_intent_id = 'pi_hold' where id = %s", (rid,))
    world.move(rid, "cancelled", "guest", now=START - dt.timedelta(days=3))
    kinds = [r["kind"] for r in world.conn.execute(
        "select kind from outbox_events where reservation_id = %s order by kind", (rid,))]
    assert kinds == ["message.cancellation", "stripe.cancel_payment_intent"]


def test_cancelling_frees_the_table(world):
    rid = world.make("confirmed", seated_at_table=True)
    assert world.conn.execute("select count(*) as n from table_occupancies where reservation_id = %s",
                              (rid,)).fetchone()["n"] == 1
    world.move(rid, "cancelled", "operator")
    assert world.conn.execute("select count(*) as n from table_occupancies where reservation_id = %s",
                              (rid,)).fetchone()["n"] == 0
