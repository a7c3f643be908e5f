"""The location config loader: loads the demo, reloads without duplicates, refuses bad files whole."""

import copy

import psycopg
import pytest
import yaml

from couvert.errors import ConfigError
from couvert_dev.config_loader import load_config, parse_config
from tests.support import DEMO_CONFIG

COUNTED = ["locations", "areas", "tables", "table_groups", "table_group_members", "table_availability_rules",
           "shifts", "shift_exceptions", "policy_sets", "tickets", "shift_tickets", "reservation_settings"]


def _counts(conn):
    return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in COUNTED}


def _demo():
    return yaml.safe_load(DEMO_CONFIG.read_text())


def test_the_demo_file_loads(database_url, demo_location):
    with psycopg.connect(database_url) as conn:
        counts = _counts(conn)
        r7 = conn.execute("select online_bookable from tables where name = 'R7'").fetchone()[0]
        st = conn.execute("""select array_length(area_ids, 1), pacing_covers_limit, max_covers_total
                             from shift_tickets st join tickets t on t.id = st.ticket_id
                             where t.name = 'Chef''s Table'""").fetchone()
    assert counts == {"locations": 1, "areas": 3, "tables": 12, "table_groups": 1, "table_group_members": 2,
                      "table_availability_rules": 1, "shifts": 2, "shift_exceptions": 2, "policy_sets": 2,
                      "tickets": 3, "shift_tickets": 3, "reservation_settings": 1}
    assert r7 is False
    assert st == (1, 4, 12)


def test_loading_twice_changes_nothing(database_url):
    with psycopg.connect(database_url) as conn:
        first = load_config(conn, parse_config(_demo()))
        snapshot = {t: conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in COUNTED
                    if t not in ("locations", "reservation_settings")}
        second = load_config(conn, parse_config(_demo()))
        again = {t: conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in snapshot}
    assert first == second
    strip = lambda rows: [tuple(v for v in r if not hasattr(v, "tzinfo")) for r in rows]  # noqa: E731
    assert {t: strip(rows) for t, rows in again.items()} == {t: strip(rows) for t, rows in snapshot.items()}


def test_reloading_an_edited_file_updates_in_place(database_url):
    raw = _demo()
    with psycopg.connect(database_url) as conn:
        load_config(conn, parse_config(raw))
        raw["tables"][0]["max_capacity"] = 3
        load_config(conn, parse_config(raw))
        assert conn.execute("select count(*), max(max_capacity) from tables where name = 'R1'").fetchone() == (1, 3)


def _broken(mutate):
    raw = copy.deepcopy(_demo())
    mutate(raw)
    return raw


BAD_FILES = {
    "unknown area": (lambda r: r["tables"][2].update(area="Kelder"), "tables[2] (R3): unknown area 'Kelder'"),
    "min above max": (lambda r: r["tables"][0].update(min_capacity=5), "tables[0] (R1)"),
    "unknown weekday": (lambda r: r["shifts"][0].update(days_of_week=[1, 8]), "shifts[0] (Lunch)"),
    "weekday twice": (lambda r: r["shifts"][1].update(days_of_week=[1, 1, 2]), "a weekday is listed twice"),
    "unknown policy": (lambda r: r["tickets"][1].update(policy_set="Luxe"),
                       "tickets[1] (Chef's Table): unknown policy set 'Luxe'"),
    "unknown table in group": (lambda r: r["table_groups"][0].update(tables=["R3", "R9"]), "unknown table 'R9'"),
    "unknown shift in exception": (lambda r: r["shift_exceptions"][0].update(shift="Ontbijt"),
                                   "unknown shift 'Ontbijt'"),
    "unknown field": (lambda r: r["tickets"][0].update(duration="2h"), "tickets[0] (Regular Dinner).duration"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_naming_the_entry_and_nothing_is_written(database_url, case):
    mutate, expected = BAD_FILES[case]
    with pytest.raises(ConfigError) as caught:
        cfg = parse_config(_broken(mutate))
        with psycopg.connect(database_url) as conn:
            load_config(conn, cfg)
    assert expected in caught.value.message
    with psycopg.connect(database_url) as conn:
        assert all(n == 0 for n in _counts(conn).values())


def test_a_database_error_midway_writes_nothing(database_url):
    cfg = parse_config(_demo())
    with psycopg.connect(database_url) as conn:
        conn.execute("alter table tickets add constraint test_no_regular check (name <> 'Regular Dinner')")
        conn.commit()
        with pytest.raises(psycopg.errors.CheckViolation):
            load_config(conn, cfg)
        conn.rollback()
        assert all(n == 0 for n in _counts(conn).values())
