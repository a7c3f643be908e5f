"""Does the no-show risk score tell the truth?  A calibration check on a synthetic history.

A world with a known ground truth: every guest has a hidden no-show propensity, and deposits,
reconfirmations, lead time, party size and channel change it by known amounts.  Its reservations are
written in rounds into a real database, where the triggers score each one (calculate_no_show_risk)
*before* its outcome is drawn; then the outcomes are written, which updates the guests' histories for
the next round.  Reported, on the scored reservations:

- AUC of the score, and of the naive baseline (the guest's raw past no-show rate, 0 for first-timers);
- Brier score of both;
- a calibration table: mean predicted vs observed no-show rate per decile of the score;
- the reliability diagram, as a PNG under build/.

Targets (docs/decisions.md, "No-show risk"): AUC >= 0.70 and >= baseline + 0.05; Brier below the
baseline's; in every decile with at least 100 reservations, mean predicted within 20 % of observed.

    couvert risk-calibration [--reservations 60000] [--seed 7]
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from couvert_dev.config_loader import load_config, read_config

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
CHANNELS = [("widget", 0.6, 0.25), ("phone", 0.3, -0.2), ("google", 0.1, 0.35)]  # name, share, true effect


@dataclass
class Calibration:
    reservations: int
    auc: float
    baseline_auc: float
    brier: float
    baseline_brier: float
    deciles: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        found = []
        if self.auc < 0.70:
            found.append(f"AUC {self.auc:.3f} < 0.70")
        if self.auc < self.baseline_auc + 0.05:
            found.append(f"AUC {self.auc:.3f} is not 0.05 above the baseline's {self.baseline_auc:.3f}")
        if self.brier >= self.baseline_brier:
            found.append(f"Brier {self.brier:.4f} is not below the baseline's {self.baseline_brier:.4f}")
        for d in self.deciles:
            if d["n"] >= 100 and abs(d["predicted"] - d["observed"]) > 0.2 * d["observed"]:
                found.append(f"decile {d['decile']}: predicted {d['predicted']:.3f} vs observed {d['observed']:.3f}")
        return found

    def table(self) -> str:
        lines = [f"reservations scored: {self.reservations}",
                 f"AUC    {self.auc:.3f}   (baseline {self.baseline_auc:.3f})",
                 f"Brier  {self.brier:.4f}  (baseline {self.baseline_brier:.4f})",
                 "decile      n  predicted  observed"]
        lines += [f"{d['decile']:>6} {d['n']:>6}  {d['predicted']:>9.3f}  {d['observed']:>8.3f}" for d in self.deciles]
        return "\n".join(lines)


def auc(scores: list[float], outcomes: list[int]) -> float:
    """Mann-Whitney: the chance a random no-show is scored above a random guest who came (ties half)."""
    ranked = sorted(zip(scores, outcomes, strict=True), key=lambda p: p[0])
    rank_sum, i, positives = 0.0, 0, sum(outcomes)
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2
        rank_sum += average_rank * sum(o for _, o in ranked[i:j])
        i = j
    negatives = len(outcomes) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(scores: list[float], outcomes: list[int]) -> float:
    return sum((s - o) ** 2 for s, o in zip(scores, outcomes, strict=True)) / len(outcomes)


def deciles(scores: list[float], outcomes: list[int]) -> list[dict]:
    pairs = sorted(zip(scores, outcomes, strict=True))
    size = len(pairs) / 10
    rows = []
    for d in range(10):
        chunk = pairs[round(d * size):round((d + 1) * size)]
        rows.append({"decile": d + 1, "n": len(chunk), "predicted": sum(s for s, _ in chunk) / len(chunk),
                     "observed": sum(o for _, o in chunk) / len(chunk)})
    return rows


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def simulate(conn: psycopg.Connection, reservations: int = 60_000, seed: int = 7) -> Calibration:
    """Write the synthetic history into `conn`'s database (a fresh, migrated one; superuser or owner)."""
    rng = random.Random(seed)
    location_id = load_config(conn, read_config(ROOT / "config" / "demo_location.yaml"))
    conn.execute("select begin_request('couvert_worker', null, null)")  # the rest as the worker role
    ticket_id, shift_id = conn.execute(
        """select st.ticket_id, st.shift_id from shift_tickets st join shifts s on s.id = st.shift_id
           where st.location_id = %s order by s.start_time desc limit 1""", (location_id,)).fetchone()
    guests = max(200, reservations // 8)
    # The hidden truth: each guest's own propensity (log-odds), around an 11 % no-show rate.
    propensity = [rng.gauss(math.log(0.11 / 0.89), 0.9) for _ in range(guests)]
    customer_ids = [uuid.uuid4() for _ in range(guests)]
    with conn.cursor() as cur:
        cur.executemany("insert into customers (id, location_id, first_name, last_name, email) values (%s, %s, %s, %s, %s)",
                        [(c, location_id, "Guest", str(n), f"guest{n}@example.com") for n, c in enumerate(customer_ids)])
    # Regulars book more often than others.
    weights = [rng.paretovariate(1.6) for _ in range(guests)]
    # Any Monday will do: the score reads no clock, so the history can lie anywhere in time.
    start = dt.datetime(2030, 1, 7, 19, tzinfo=dt.UTC)
    scores: list[float] = []
    baseline: list[float] = []
    outcomes: list[int] = []
    rounds = max(1, reservations // (guests // 4))
    per_round = reservations // rounds
    for round_no in range(rounds):
        day = start + dt.timedelta(days=round_no)
        chosen = set()
        while len(chosen) < min(per_round, guests):
            chosen.add(rng.choices(range(guests), weights)[0])
        rows, truth = [], {}
        for g in chosen:
            rid = uuid.uuid4()
            lead = rng.expovariate(1 / 10)
            party = rng.choice([1, 2, 2, 2, 2, 3, 4, 4, 5, 6, 8])
            channel, effect = _pick_channel(rng)
            deposit = rng.random() < 0.25
            asked = rng.random() < 0.5
            reconfirmed = asked and rng.random() < 0.85 - 1.5 * _sigmoid(propensity[g])
            logit = (propensity[g] + 0.3 * (math.log(1 + lead) - math.log(8)) - 0.05 * (party - 2) + effect
                     - (1.2 if deposit else 0) - (1.0 if reconfirmed else 0) + (0.45 if asked and not reconfirmed else 0))
            truth[rid] = rng.random() < _sigmoid(logit)
            start_at = day + dt.timedelta(minutes=rng.choice([0, 30, 60, 90]))
            rows.append((rid, location_id, customer_ids[g], ticket_id, shift_id, start_at.date(), start_at.time(),
                         party, channel, "confirmed", f"C{len(scores) + len(rows):08X}", start_at,  # unique
                         start_at + dt.timedelta(hours=2),
                         start_at + dt.timedelta(hours=2),
                         start_at - dt.timedelta(days=lead), "paid" if deposit else "none",
                         50 if deposit else None,
                         start_at - dt.timedelta(hours=24) if asked else None,
                         start_at - dt.timedelta(hours=20) if reconfirmed else None))
        with conn.cursor() as cur:  # each insert is scored by the trigger, from the history so far
            cur.executemany(
                """insert into reservations (id, location_id, customer_id, ticket_id, shift_id, reservation_date,
                     start_time, end_time, party_size, channel, status, reference, start_at, end_at, occupied_until,
                     booked_at, payment_status, payment_amount, reconfirm_sent_at, reconfirmed_at)
                   values (%s, %s, %s, %s, %s, %s, %s, '23:00', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                rows)
            scored = cur.execute("select id, no_show_risk_score, risk_factors from reservations where id = any(%s)",
                                 (list(truth),)).fetchall()
        for rid, score, factors in scored:
            history = next(f["value"] for f in factors["factors"] if f["factor"] == "guest_no_show_rate")
            seen = history["no_shows"] + history["visits"]
            scores.append(score)
            baseline.append(history["no_shows"] / seen if seen else 0.0)
            outcomes.append(int(truth[rid]))
        with conn.cursor() as cur:  # the evening happens: the guests' histories grow
            cur.execute("""update reservations set status = case when id = any(%s) then 'no_show' else 'completed' end,
                             completed_at = case when id = any(%s) then null else end_at end
                           where id = any(%s)""",
                        ([r for r, ns in truth.items() if ns], [r for r, ns in truth.items() if ns], list(truth)))
    return Calibration(len(scores), auc(scores, outcomes), auc(baseline, outcomes), brier(scores, outcomes),
                       brier(baseline, outcomes), deciles(scores, outcomes))


def _pick_channel(rng: random.Random) -> tuple[str, float]:
    roll, total = rng.random(), 0.0
    for name, share, effect in CHANNELS:
        total += share
        if roll < total:
            return name, effect
    return CHANNELS[-1][0], CHANNELS[-1][2]


def reliability_diagram(result: Calibration, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5))
    top = max(max(d["predicted"] for d in result.deciles), max(d["observed"] for d in result.deciles)) * 1.1
    ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    ax.plot([d["predicted"] for d in result.deciles], [d["observed"] for d in result.deciles], marker="o",
            label="deciles of the score")
    ax.set_xlabel("mean predicted no-show rate")
    ax.set_ylabel("observed no-show rate")
    ax.set_title(f"No-show risk: AUC {result.auc:.3f} (baseline {result.baseline_auc:.3f})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run(database_url: str, reservations: int, seed: int) -> Calibration:
    with psycopg.connect(database_url) as conn:
        result = simulate(conn, reservations, seed)
        conn.rollback()  # the synthetic world is not kept
    return result


def report(result: Calibration) -> str:
    png = reliability_diagram(result, BUILD / "risk_reliability.png")
    (BUILD / "risk_calibration.json").write_text(json.dumps(result.__dict__, indent=2))
    verdict = "targets met" if not result.failures else "targets NOT met:\n  " + "\n  ".join(result.failures)
    return f"{result.table()}\nreliability diagram: {png}\n{verdict}"
