"""No-show risk: calculate_no_show_risk in SQL, its factors, its triggers, and its calibration."""

import datetime as dt
import json
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from couvert_dev.risk_calibration import run
from tests.support import ROOT, as_role
from tests.support.api import book, booking_body, op, res
from tests.support.clock import at

START = at(9, "19:00")


@pytest.fixture
def scored(database_url, demo_location):
    """Writes a reservation as given and returns its score and factors (scored by the insert trigger)."""
    conn = psycopg.connect(database_url, row_factory=dict_row, autocommit=True)
    ticket, shift = conn.execute("select ticket_id, shift_id from shift_tickets limit 1").fetchone().values()

    def customer(no_shows=0, visits=0, cancels=0):
        return conn.execute(
            """insert into customers (location_id, first_name, last_name, email, no_show_count, total_visits,
                                      cancel_count)
               values (%s, 'G', 'H', %s, %s, %s, %s) returning id""",
            (demo_location, f"{uuid.uuid4().hex}@example.com", no_shows, visits, cancels)).fetchone()["id"]

    def score(customer_id=None, party=2, channel="widget", paid=False, lead_days=7, asked=False,
              reconfirmed=False, start=START):
        customer_id = customer_id or customer(visits=3)
        rid = conn.execute(
            """insert into reservations (location_id, customer_id, ticket_id, shift_id, reservation_date, start_time,
                 end_time, party_size, channel, status, reference, start_at, end_at, occupied_until, booked_at,
                 payment_status, payment_amount, reconfirm_sent_at, reconfirmed_at)
               values (%s, %s, %s, %s, %s, '19:00', '21:00', %s, %s, 'confirmed', %s, %s, %s, %s, %s, %s, %s, %s, %s)
               returning id""",
            (demo_location, customer_id, ticket, shift, start.date(), party, channel, uuid.uuid4().hex[:8].upper(), start,
             start + dt.timedelta(hours=2), start + dt.timedelta(hours=2), start - dt.timedelta(days=lead_days),
             "paid" if paid else "none", 50 if paid else None,
             start - dt.timedelta(hours=24) if asked else None,
             start - dt.timedelta(hours=20) if reconfirmed else None)).fetchone()["id"]
        row = conn.execute("select no_show_risk_score, risk_factors from reservations where id = %s", (rid,)).fetchone()
        return row["no_show_risk_score"]

    score.customer = customer
    score.conn = conn
    yield score
    conn.close()


def test_each_factor_moves_the_score_the_right_way(scored):
    regular = scored.customer(visits=6)
    assert scored(scored.customer(no_shows=3, visits=3)) > scored(regular)          # a history of no-shows
    assert scored(scored.customer(visits=2, cancels=4)) > scored(scored.customer(visits=2))  # late cancellations
    assert scored(scored.customer()) > scored(regular)                              # first visit
    assert scored(regular, lead_days=60) > scored(regular, lead_days=1)            # booked long ahead
    assert scored(regular, party=8) < scored(regular, party=2)                      # a large party
    assert scored(regular, channel="google") > scored(regular, channel="phone") > scored(regular, channel="walk_in")
    assert scored(regular, paid=True) < scored(regular)                             # a deposit taken
    assert scored(regular, asked=True, reconfirmed=True) < scored(regular) < scored(regular, asked=True)
    friday, sunday = START + dt.timedelta(days=(4 - START.weekday()) % 7), START + dt.timedelta(days=(6 - START.weekday()) % 7)
    assert scored(regular, start=friday) < scored(regular, start=sunday)
    assert scored(regular, start=START.replace(hour=11)) > scored(regular)          # lunch


def test_a_guest_with_one_booking_and_one_no_show_is_not_certain(scored):
    once = scored(scored.customer(no_shows=1))
    assert scored(scored.customer()) < once < 0.5
    assert once < scored(scored.customer(no_shows=5))


def test_the_score_is_deterministic_and_explained(scored):
    regular = scored.customer(visits=2, no_shows=1)
    first, second = scored(regular, lead_days=3), scored(regular, lead_days=3)
    assert first == second and 0 < first < 1
    factors = scored.conn.execute("select risk_factors from reservations order by created_at desc limit 1").fetchone()
    names = [f["factor"] for f in factors["risk_factors"]["factors"]]
    assert names[:2] == ["guest_no_show_rate", "guest_cancellation_rate"] and "lead_time_days" in names
    assert all({"factor", "value", "contribution"} <= set(f) for f in factors["risk_factors"]["factors"])


def test_the_score_follows_every_change_of_its_inputs(app_env, demo_location, host):
    status, booked, _ = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))
    rid, token = booked["reservation"]["id"], booked["manage_token"]

    def score():
        with psycopg.connect(app_env) as conn:
            return conn.execute("select no_show_risk_score from reservations where id = %s", (rid,)).fetchone()[0]

    created = score()
    assert created is not None                                                       # on create
    assert res("PATCH", rid, headers=op("host-1"), body={"party_size": 6})[0] == 200
    bigger = score()
    assert bigger < created                                                          # on PATCH
    assert res("POST", rid, "/reconfirm", query={"token": token})[0] == 200
    reconfirmed = score()
    assert reconfirmed < bigger                                                      # on reconfirmation
    with psycopg.connect(app_env) as conn:                                           # on payment
        conn.execute("update reservations set payment_status = 'paid', payment_amount = 50 where id = %s", (rid,))
    paid = score()
    assert paid < reconfirmed
    with psycopg.connect(app_env) as conn:                                           # on the guest's history
        conn.execute("update customers set no_show_count = no_show_count + 3")
    assert score() > paid


def test_the_rpc_answers_only_for_a_reservation_the_caller_may_reach(app_env, demo_location, host):
    mine = book(demo_location, booking_body(host["Regular Dinner"], "19:00", 2))[1]["reservation"]["id"]
    theirs = book(demo_location, booking_body(host["Regular Dinner"], "20:00", 2,
                                              guest={"first_name": "O", "last_name": "T", "email": "o@example.com"}),
                  source_ip="192.0.2.9")[1]["reservation"]["id"]
    with as_role(app_env, "couvert_api", guest_location_id=demo_location) as conn:
        conn.execute("select set_config('couvert.guest_subject_id', %s, true)", (mine,))
        assert 0 < conn.execute("select calculate_no_show_risk(%s) as s", (mine,)).fetchone()["s"] < 1
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("select calculate_no_show_risk(%s)", (theirs,))
        assert caught.value.sqlstate == "CV404"
    with as_role(app_env, "couvert_api", claims={"sub": "host-1"}) as conn:
        assert conn.execute("select calculate_no_show_risk(%s) as s", (theirs,)).fetchone()["s"] > 0


@pytest.mark.calibration
def test_the_calibration_check_meets_its_targets_on_a_small_sample(logins):
    """The full check is `couvert risk-calibration` (60,000 reservations); here 15,000 with a fixed
    seed, so the result is the same on every run."""
    result = run(logins.owner_url, reservations=15_000, seed=7)
    assert result.failures == [], result.table()
    assert result.auc >= 0.70 and result.auc >= result.baseline_auc + 0.05
    assert json.loads(json.dumps(result.deciles))[0]["n"] >= 100


def test_a_new_reservation_is_scored_at_insert_by_the_formula_of_0019(scored):
    """Migration 0023 scores a new row in a BEFORE INSERT trigger instead of updating it after: the
    score and factors must be those of 0019's score_no_show_risk, run here as it was written."""
    text = (ROOT / "sql/migrations/0019_no_show_risk.sql").read_text(encoding="utf-8")
    start = text.index("create function public.score_no_show_risk")
    original = text[start:text.index("$$;", start) + 3].replace("public.score_no_show_risk", "pg_temp.score_0019")
    regular, flaky = scored.customer(visits=6), scored.customer(no_shows=2, visits=1, cancels=3)
    cases = [dict(customer_id=regular), dict(customer_id=flaky, party=7, channel="google", lead_days=40),
             dict(customer_id=regular, paid=True, asked=True), dict(customer_id=flaky, asked=True, reconfirmed=True,
                                                                    start=START.replace(hour=12))]
    with scored.conn.transaction():
        scored.conn.execute("insert into risk_calibration (location_id, outcomes, no_shows, sum_raw_scores) "
                            "select id, 40, 7, 5.5 from locations")
        for case in cases:
            scored(**case)
        rows = scored.conn.execute("select id, no_show_risk_score, risk_factors from reservations").fetchall()
        scored.conn.execute(original)
        for row in rows:
            assert scored.conn.execute("select pg_temp.score_0019(%s) as s", (row["id"],)).fetchone()["s"] \
                == row["no_show_risk_score"]
            assert scored.conn.execute("select risk_factors from reservations where id = %s",
                                       (row["id"],)).fetchone()["risk_factors"] == row["risk_factors"]
        assert len(rows) == len(cases)


def test_a_change_in_the_guests_history_rescores_their_next_five_reservations_only(scored):
    """Each of the next five is rescored by the formula (no_show_risk), the later ones keep their score."""
    guest = scored.customer(visits=3)
    for days in range(7):
        scored(customer_id=guest, start=START + dt.timedelta(days=days))
    conn = scored.conn

    def scores():
        return [r["no_show_risk_score"] for r in conn.execute(
            "select no_show_risk_score from reservations where customer_id = %s order by start_at", (guest,))]

    before = scores()
    conn.execute("update customers set no_show_count = 2 where id = %s", (guest,))
    after = scores()
    expected = [r["score"] for r in conn.execute(
        """select (public.no_show_risk(location_id, customer_id, party_size, channel, payment_status, start_at,
                                        booked_at, reconfirm_sent_at, reconfirmed_at)).score
           from reservations where customer_id = %s order by start_at""", (guest,))]
    assert after[:5] == pytest.approx(expected[:5]) and all(a > b for a, b in zip(after[:5], before[:5], strict=True))
    assert after[5:] == before[5:]


def test_several_changes_of_a_guests_counts_in_one_transaction_rescore_once_at_commit(scored):
    """A scheduled run marking a guest's missed reservations rescored the same next five at every
    no-show (migration 0038): now the rescoring waits for the commit and runs once, for the final
    counts, so each of the five is written once."""
    guest = scored.customer(visits=3)
    for days in range(6):
        scored(customer_id=guest, start=START + dt.timedelta(days=days))
    conn = scored.conn

    def updated():
        return conn.execute("select n_tup_upd from pg_stat_xact_user_tables where relid = 'reservations'::regclass"
                            ).fetchone()["n_tup_upd"]

    with conn.transaction():
        for count in (1, 2, 3):
            conn.execute("update customers set no_show_count = %s where id = %s", (count, guest))
        assert updated() == 0  # nothing rescored yet: the old trigger had rewritten the five three times
        conn.execute("set constraints public.customers_rescore_upcoming immediate")  # what the commit runs
        assert updated() == 5
    factors = conn.execute("select risk_factors from reservations where customer_id = %s order by start_at limit 5",
                           (guest,)).fetchall()
    assert {f["risk_factors"]["factors"][0]["value"]["no_shows"] for f in factors} == {3}
