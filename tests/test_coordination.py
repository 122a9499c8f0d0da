"""Each Peters barrier and mechanism moves its outputs in the documented direction.

Comparisons are paired: the same seed and scenario, one parameter changed, so the named
random streams (common random numbers) leave the population and arrivals identical.
The online pathway is used so that few cases abandon and days to card are not biased
by who gives up.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import small

import sim

ZERO = dict.fromkeys(("specialization", "power", "performance_management", "turf", "beliefs",
                      "politics", "accountability"), 0.0)
SEED = 31


def base(**coordination):
    return small(time={"end": "2019-06-30", "pathway_mode": "online"}, barriers=ZERO,
                 coordination=coordination)


def cases(scenario, **overrides) -> pd.DataFrame:
    return sim.run(scenario, reps=2, seed=SEED, **overrides).cases


def days(df: pd.DataFrame, q: float | None = None) -> float:
    d = df.loc[df["outcome"] == "enrolled", "days_to_card"]
    return float(d.mean() if q is None else d.quantile(q))


@pytest.mark.parametrize("barrier", ["specialization", "power", "performance_management", "turf",
                                     "politics", "accountability"])
def test_barrier_raises_days_to_card(barrier) -> None:
    sc = base(hierarchy={"enabled": False}, network={"enabled": False})
    low, high = cases(sc, **{barrier: 0.0}), cases(sc, **{barrier: 1.0})
    assert days(high) > days(low) + 1.0, barrier
    assert (low["applied"].iloc[:50] == high["applied"].iloc[:50]).all()  # paired draws


def test_specialization_bounces_cases_between_agencies() -> None:
    sc = base(network={"enabled": False})
    assert cases(sc, specialization=0.0)["bounces"].sum() == 0
    assert cases(sc, specialization=1.0)["bounces"].sum() > 20


def test_accountability_adds_verification_rounds() -> None:
    sc = base()
    assert cases(sc, accountability=0.0)["verifications"].sum() == 0
    assert cases(sc, accountability=1.0)["verifications"].sum() > 20


def test_beliefs_cause_divergent_rejections() -> None:
    sc = base()
    low, high = cases(sc, beliefs=0.0), cases(sc, beliefs=1.0)
    assert (low["reason"] == "divergent_judgement").sum() == 0
    assert (high["reason"] == "divergent_judgement").sum() > 10
    assert (high["outcome"] == "enrolled").sum() < (low["outcome"] == "enrolled").sum()


def stage_days(df: pd.DataFrame, stage: str) -> pd.Series:
    done = df[(df[f"{stage}_in"] != "") & (df[f"{stage}_out"] != "")]
    return (pd.to_datetime(done[f"{stage}_out"]) - pd.to_datetime(done[f"{stage}_in"])).dt.days


def test_performance_management_makes_complex_cases_wait_longer() -> None:
    """With a queue at Dinas Sosial, referred (complex) cases wait longer than simple ones
    once the agency cherry-picks."""
    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"}, barriers=ZERO,
               population={"in_dtks_share": 1.0, "share_homeless_neglected": 0.15,
                           "share_mental_disorder": 0.15},
               offices={"dinsos": {"staff": 1, "service_days": 1.0}},
               coordination={"hierarchy": {"enabled": False}})

    def gap(df: pd.DataFrame) -> float:
        d = stage_days(df, "dinsos")
        referred = df.loc[d.index, "route"] == "referral"
        return float(d[referred].mean() - d[~referred].mean())

    assert gap(cases(sc, performance_management=1.0)) > gap(
        cases(sc, performance_management=0.0)) + 5.0


def test_hierarchy_unblocks_power_and_politics() -> None:
    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               barriers={**ZERO, "power": 1.0, "politics": 1.0})
    without = cases(sc, coordination__hierarchy__enabled=False)
    with_tim = cases(sc, coordination__hierarchy__enabled=True,
                     coordination__hierarchy__strength=1.0)
    assert days(with_tim, 0.9) < days(without, 0.9)


def test_tim_is_not_a_case_gate_unless_the_what_if_says_so() -> None:
    """The seed's Tim sets policy and holds review meetings; no case waits for it. Only the
    what-if approval_sittings adds a sitting before BPJS, which then costs days."""
    sc = base()
    without = sim.run(sc, reps=2, seed=SEED, coordination__hierarchy__enabled=False)
    with_tim = sim.run(sc, reps=2, seed=SEED, coordination__hierarchy__enabled=True)
    gate = sim.run(sc, reps=2, seed=SEED, coordination__hierarchy__enabled=True,
                   coordination__hierarchy__approval_sittings=True)
    assert "tim" not in set(with_tim.journey["stage"])
    assert "tim" in set(gate.journey["stage"])
    assert days(with_tim.cases, 0.5) <= days(without.cases, 0.5)
    assert days(gate.cases, 0.5) > days(with_tim.cases, 0.5)


def test_network_speeds_hand_offs_and_settles_bounces() -> None:
    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               barriers={**ZERO, "specialization": 1.0})
    weak = cases(sc, coordination__network__enabled=True, coordination__network__strength=0.0)
    strong = cases(sc, coordination__network__enabled=True, coordination__network__strength=1.0)
    assert days(strong) < days(weak)
    assert strong["bounces"].sum() < weak["bounces"].sum()


def test_collaboration_removes_mismatches_and_divergence() -> None:
    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               barriers={**ZERO, "specialization": 1.0, "beliefs": 1.0})
    off = cases(sc, coordination__collaboration__enabled=False)
    on = cases(sc, coordination__collaboration__enabled=True,
               coordination__collaboration__strength=1.0)
    assert on["bounces"].sum() == 0 < off["bounces"].sum()
    assert (on["outcome"] == "rejected").sum() < (off["outcome"] == "rejected").sum()
