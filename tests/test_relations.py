"""Coordination that evolves (sim/model/relations.py): each rule moves working trust in its
documented direction, trust moves the barriers, and with the dynamics off nothing changes.

Model-level comparisons are paired (same seed): common random numbers keep the population,
arrivals and every decision's draws identical, so a difference is the policy's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import small

from sim.engine.worktime import Clock
from sim.model import JambiBugarModel
from sim.model.relations import Relations
from sim.scenario.schema import PAIRS

SEED = 7
HIGH = dict.fromkeys(("specialization", "power", "performance_management", "beliefs",
                      "accountability"), 0.8)


def rel(**relations) -> Relations:
    sc = small(relations={"enabled": True, **relations})
    return Relations(sc, Clock(sc.time.start, sc.time.end))


def finished(sc) -> JambiBugarModel:
    m = JambiBugarModel(sc, seed=SEED, trace=True)
    while m.running:
        m.step()
    return m


def evolving(**relations):
    return small(time={"end": "2019-12-31", "pathway_mode": "online"}, barriers=HIGH,
                 coordination={"hierarchy": {"review_interval_days": 30}},
                 relations={"enabled": True, "bite_k": 0.95, **relations})


def mean_state(row) -> float:
    return sum(row[f"coord_{p}"] for p in PAIRS) / len(PAIRS)


# ------------------------------------------------------------------ switched off
def test_off_means_exactly_the_fixed_dial_model() -> None:
    """With relations.enabled = false, dated events and rules do nothing: same trace."""
    plain = finished(small())
    off = finished(small(relations={"enabled": False, "transitions": [dt.date(2018, 6, 1)],
                                    "rotations": {"2018-09-01": "dinsos"},
                                    "tim_meetings_until": None, "bite_k": 0.9}))
    assert off.trace == plain.trace
    assert off.monthly == plain.monthly


# ------------------------------------------------------------------ each rule
def test_factor_is_one_at_the_initial_state_and_falls_with_trust() -> None:
    r = rel(initial_state=0.5, bite_k=0.8)
    assert r.factor("dinsos", "dinkes") == pytest.approx(1.0)
    assert r.factor("lurah", "dinsos") == 1.0  # not a pair of agencies
    r.state["dinsos_dinkes"] = 0.9
    assert r.factor("dinsos", "dinkes") == pytest.approx((1 - 0.72) / 0.6)
    r.state["dinsos_dinkes"] = 0.1
    assert r.factor("dinkes", "dinsos") > 1.0


def test_handoffs_build_and_bounces_erode() -> None:
    r = rel()
    s0 = r.state["dinkes_bpjs"]
    r.handed_off("dinkes", "bpjs", bounced=False)
    assert r.state["dinkes_bpjs"] > s0
    s1 = r.state["dinkes_bpjs"]
    r.handed_off("dinkes", "bpjs", bounced=True)
    assert r.state["dinkes_bpjs"] < s1
    assert r.state["dinsos_dinkes"] == s0  # other pairs untouched


def test_blame_erodes_the_pair_and_bpjs_blame_reaches_dinsos() -> None:
    r = rel()
    r.blamed("dinkes")
    assert r.state["dinsos_dinkes"] < r.r.initial_state
    r.blamed("bpjs")
    assert r.state["dinkes_bpjs"] < r.r.initial_state
    assert r.state["dinsos_bpjs"] < r.r.initial_state


def test_reviews_build_until_the_tim_stops_meeting() -> None:
    r = rel(tim_meetings_until="2018-07-01")
    r.review(30.0)
    after = dict(r.state)
    assert all(after[p] > r.r.initial_state for p in PAIRS)
    r.review(400.0)  # after the Tim's last meeting
    assert r.state == after


def test_transition_and_rotation_erode() -> None:
    r = rel()
    r.rotation(0.0, "bpjs")
    assert r.state["dinsos_dinkes"] == r.r.initial_state
    assert r.state["dinkes_bpjs"] < r.r.initial_state
    assert r.ties["dinkes_bpjs"] < r.ties["dinsos_dinkes"]  # its informal ties broke
    before = dict(r.state)
    r.transition(0.0)
    assert all(r.state[p] < before[p] for p in PAIRS)


def test_broken_ties_and_lapsed_website_slow_the_monthly_gain() -> None:
    idle = {"dinsos": (0, 8), "dinkes": (0, 4), "bpjs": (0, 3)}
    kept = rel()
    lapsed = rel(website_upkeep_until="2018-01-02")
    for r in (kept, lapsed):
        r.collab = 0.7
        r.month(100.0, idle)
    assert kept.state["dinsos_dinkes"] > lapsed.state["dinsos_dinkes"]
    rotated = rel()
    rotated.rotation(0.0, "dinkes")
    rotated.state["dinsos_dinkes"] = kept_state = 0.5
    fresh = rel()
    rotated.month(100.0, idle)
    fresh.month(100.0, idle)
    assert rotated.state["dinsos_dinkes"] < fresh.state["dinsos_dinkes"]
    assert kept_state == 0.5


def test_a_pressed_agency_gains_less_and_holds_more() -> None:
    calm, pressed = rel(), rel()
    calm.month(30.0, {"dinsos": (0, 8), "dinkes": (0, 4), "bpjs": (0, 3)})
    pressed.month(30.0, {"dinsos": (500, 8), "dinkes": (0, 4), "bpjs": (0, 3)})
    assert pressed.pressure["dinsos"] == 1.0 and calm.pressure["dinsos"] == 0.0
    assert pressed.hold_factor("dinsos") > calm.hold_factor("dinsos") == 1.0
    s_calm, s_pressed = calm.state["dinsos_dinkes"], pressed.state["dinsos_dinkes"]
    calm.handed_off("dinsos", "dinkes", False)
    pressed.handed_off("dinsos", "dinkes", False)
    assert pressed.state["dinsos_dinkes"] - s_pressed < calm.state["dinsos_dinkes"] - s_calm


def test_the_dominant_agency_sets_a_slower_pace_on_its_pairs() -> None:
    r = rel(dominant="bpjs", pace_drag=0.5)
    r.review(30.0)
    assert r.state["dinkes_bpjs"] < r.state["dinsos_dinkes"]
    assert r.state["dinsos_bpjs"] == r.state["dinkes_bpjs"]


# ------------------------------------------------------------------ whole model
def test_coordination_rises_under_regular_meetings() -> None:
    m = finished(evolving(initial_state=0.2, transitions=[], rpjmd_end=None))
    first, last = m.monthly[0], m.monthly[-1]
    assert mean_state(last) > mean_state(first) + 0.1
    assert m.relations.reviews > 0


def test_coordination_falls_after_a_transition_without_meetings() -> None:
    m = finished(evolving(transitions=[dt.date(2019, 1, 1)], rpjmd_end=None,
                          tim_meetings_until="2019-01-01"))
    rows = {r["date"]: r for r in m.monthly}
    before = mean_state(rows["2018-12-31"])
    assert mean_state(rows["2019-01-31"]) < before
    assert mean_state(rows["2019-12-31"]) < before


def test_coverage_responds_in_the_same_direction_under_crn() -> None:
    """Same seed: the Tim keeps meeting after a transition, or stops. Trust and members
    both end higher with the meetings."""
    kw = dict(transitions=[dt.date(2018, 10, 1)], rpjmd_end=None)
    meets = finished(evolving(**kw))
    lapses = finished(evolving(tim_meetings_until="2018-10-01", **kw))
    assert mean_state(meets.monthly[-1]) > mean_state(lapses.monthly[-1])
    assert meets.monthly[-1]["enrolled"] > lapses.monthly[-1]["enrolled"]
    assert meets.flow.counts["rejected"] <= lapses.flow.counts["rejected"]


def test_single_agency_route_skips_dinas_kesehatan() -> None:
    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               sustainability={"single_agency_from": "2018-01-01"})
    m = finished(sc)
    assert m.flow.counts["enrolled"] > 0
    assert {c.route for c in m.flow.cases} <= {"single", "referral_single"}
    assert not any("dinkes" in c.steps for c in m.flow.cases)
