"""The coordination outcomes of the catalogue (issue 22): days to card without the quota
wait, refilling after removal batches, people stranded by wrongful rejections and
deactivations, budget absorption by year, and visits and cost by distance and DTKS
listing. Each is checked against a count made another way on a small city."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import small

import sim
from sim.model import JambiBugarModel
from sim.model.cases import REFERRAL_ROUTES
from sim.model.component import Component
from sim.model.sustainability import refill_days
from sim.runner.catalogue import (
    DISTANCE_BANDS,
    EQUITY_GROUPS,
    OUTPUTS,
    check_outputs,
    is_output,
    scalars,
)
from sim.runner.records import outcome_table, rep_stats
from sim.show.equity import GROUP_LABELS, equity_table

# A budget that caps active members at a few hundred people: cases wait at the quota.
CAPPED = {"budget_idr_by_year": {"2018": 1.5e8, "2019": 3e8}}
NO_CAP = {"budget_idr_by_year": {"2018": 1e15}}


class DailyActive(Component):
    """A probe: active members at the end of every day (the quota's own count)."""

    def __init__(self, quota: Any):
        self.quota = quota
        self.days: list[int] = []

    def day_end(self, day: int) -> None:
        self.days.append(self.quota.active)


def finished(sc: sim.Scenario, seed: int = 2, **kw: Any) -> JambiBugarModel:
    model = JambiBugarModel(sc, seed=seed, **kw)
    while model.running:
        model.step()
    return model


def outcomes(model: JambiBugarModel) -> dict[str, float]:
    return scalars(rep_stats(model, 0.0), outcome_table(model), model.scenario)


# ------------------------------------------------------------ days without the quota
def test_days_without_the_quota_are_days_to_card_less_the_wait_at_the_quota() -> None:
    model = finished(small(program=CAPPED))
    table = outcome_table(model)
    s = outcomes(model)
    # the wait at the quota of each case, read from the journey log instead
    j = pd.DataFrame(model.flow.journey.columns())
    quota = j[j["stage"] == "quota"]
    wait = (quota["t_out"] - quota["t_in"]).groupby(quota["case_id"]).sum()
    cases = model.flow.cases
    enrolled = [c for c in cases if c.outcome == "enrolled" and c.route not in REFERRAL_ROUTES]
    waited = [c for c in enrolled if wait.get(c.id, 0.0) > 1.0]
    assert len(waited) > 20, "the cap must bind for this test to mean anything"
    for c in enrolled:
        row = table.iloc[c.id - 1]
        assert row["quota_days"] == pytest.approx(wait.get(c.id, 0.0), abs=0.051)
        assert row["days_to_card_no_quota"] == pytest.approx(
            c.t_outcome - c.t_applied - wait.get(c.id, 0.0), abs=0.051)
    no_quota = [c.t_outcome - c.t_applied - wait.get(c.id, 0.0) for c in enrolled]
    assert s["days_to_card_no_quota_median"] == pytest.approx(np.median(no_quota), abs=0.051)
    assert s["days_to_card_no_quota_median"] < s["days_to_card_median"]
    assert s["quota_wait_days_mean"] == pytest.approx(
        np.mean([wait.get(c.id, 0.0) for c in enrolled]), abs=0.051)
    for p in ("manual", "online"):
        mine = [x for x, c in zip(no_quota, enrolled) if c.pathway == p]
        assert s[f"days_to_card_no_quota_median_{p}"] == pytest.approx(np.median(mine),
                                                                        abs=0.051)


def test_without_a_cap_the_days_without_the_quota_are_the_days_to_card() -> None:
    s = outcomes(finished(small(program=NO_CAP)))
    assert s["quota_wait_days_mean"] == 0.0
    assert s["days_to_card_no_quota_median"] == s["days_to_card_median"]
    assert s["days_to_card_no_quota_median_manual"] == s["days_to_card_median_manual"]


def test_the_case_table_alone_gives_nan_for_the_outcome_table_columns() -> None:
    res = sim.run_one(small(), seed=1)
    s = scalars(res.stats, res.cases, small())
    assert math.isnan(s["days_to_card_no_quota_median"])
    assert math.isnan(s["visits_per_enrolled_household_far"])
    assert s["days_to_card_median"] == res.stats["scalars"]["days_to_card_median"]


# ------------------------------------------------------------------------ refilling
def test_refill_days_of_a_known_series() -> None:
    daily = [10, 10, 7, 8, 9, 10, 11, 6, 6, 6]
    # day 2: level 10 before it, back on day 5; day 7: level 11 before, never back
    first, second = refill_days(daily, [7.0, 2.0])  # in time order
    assert first == 3.0 and math.isnan(second)
    assert refill_days(daily, [2.0, 2.0]) == [3.0]  # two batches on one day: one
    assert refill_days(daily, [1.0]) == [0.0]  # nobody removed: back the same day
    assert refill_days(daily, []) == []


def test_refill_after_each_removal_batch_from_the_daily_active_members() -> None:
    sc = small(program={"target": 2000, "initial_members": 600},
               exits={"reverification_share": 0.2})
    model = finished(sc, components=[lambda m: DailyActive(m.quota)])
    probe = model.components[-1]
    s = outcomes(model)
    clock, ex = model.clock, sc.exits
    batches = sorted({clock.t(d) for d in ex.reverification_dates + ex.central_pbi_dates
                      if clock.start < d <= clock.end})
    assert s["removal_batches"] == len(batches) == 2
    expected = []
    for t in batches:
        d = int(t)
        back = [k - d for k in range(d, len(probe.days)) if probe.days[k] >= probe.days[d - 1]]
        if back:
            expected.append(back[0])
    # the July tranche removes a fifth of the members; the January take-over few, and
    # the cards activated at January's cut-off refill them the same day (0 days)
    assert [probe.days[int(t)] < probe.days[int(t) - 1] for t in batches] == [False, True]
    assert expected[0] == 0 and expected[1] > 30
    assert s["removal_batches_refilled"] == len(expected)
    if expected:
        assert s["refill_days_mean"] == pytest.approx(np.mean(expected))
    else:
        assert math.isnan(s["refill_days_mean"])


def test_no_removal_batch_without_churn() -> None:
    s = outcomes(finished(small(exits={"reverification_share": 0.0,
                                       "central_pbi_scale": 0.0})))
    assert s["removal_batches"] == 0 and s["removal_batches_refilled"] == 0
    assert math.isnan(s["refill_days_mean"])


# ------------------------------------------------------------------------- stranded
def test_stranded_people_are_the_eligible_rejected_and_deactivated() -> None:
    sc = small(program={"target": 2000, "initial_members": 600},
               exits={"reverification_share": 0.2, "reverification_wrongful": 1.0},
               batches={"dtks_mismatch_prob": 0.3})
    model = finished(sc)
    s = outcomes(model)
    acc = model.accounting.scan()
    assert s["stranded_rejected_people"] == acc["rejected"] == s["acct_rejected_end"]
    assert s["stranded_deactivated_people"] == acc["deactivated"]
    # counted another way: living, eligible households with no case and no wait at the
    # front door, not members, whose last case was rejected or who were deactivated
    idle = [h for h in model.households if h.counted and h.status == "uninsured"
            and h.case is None and not h.door_wait]
    assert all(h.eligible for h in idle)
    rejected = sum(h.members for h in idle if h.last_end == "rejected")
    deactivated = sum(h.members for h in idle if h.last_end == "deactivated")
    assert s["stranded_rejected_people"] == rejected > 0
    assert s["stranded_deactivated_people"] == deactivated > 0


# ------------------------------------------------------------------ budget absorption
def test_budget_absorption_is_premiums_over_the_budget_in_force() -> None:
    budgets = {"2018": 2e8, "2019": 5e8}
    sc = small(program={"budget_idr_by_year": budgets, "budget_unsourced_scale": 0.5})
    model = finished(sc)
    s = outcomes(model)
    for year in ("2018", "2019"):
        paid = sum(v for k, v in model.ledger.premium_by_month.items() if k.startswith(year))
        budget = budgets[year] * 0.5  # neither year has a source: both scaled
        assert s[f"budget_absorption_{year}"] == pytest.approx(paid / budget, rel=1e-12)
        assert 0 < s[f"budget_absorption_{year}"] <= 1.0 + 1e-9
    # a year without its own budget carries the last one on; a sourced year is not scaled
    sc = small(program={"budget_idr_by_year": {"2018": 2e8}, "budget_unsourced_scale": 0.5},
               time={"end": "2021-06-30"})
    m = JambiBugarModel(sc, seed=1)
    assert m.program.budgets[2019] == m.program.budgets[2018] == 1e8
    assert is_output("budget_absorption_2019")
    assert check_outputs(["budget_absorption_2019"], small()) == ["budget_absorption_2019"]
    with pytest.raises(ValueError, match="budget_absorption_2030"):
        check_outputs(["budget_absorption_2030"], small())


def test_no_budget_no_absorption() -> None:
    s = outcomes(finished(small(time={"end": "2018-03-31"}, program=NO_CAP)))
    assert s["budget_absorption_2018"] == pytest.approx(s["premium_idr_2018"] / 1e15)
    stats = {"enrolled_end": 0, "applied": 0, "in_process": 0, "handoffs": 0,
             "budget_idr_by_year": {"2018": math.inf}, "premium_idr_by_year": {"2018": 5.0}}
    assert math.isnan(scalars(stats, None, small(time={"end": "2018-03-31"}))[
        "budget_absorption_2018"])


# ---------------------------------------------------------------------------- equity
def test_visits_and_cost_by_distance_and_dtks_listing() -> None:
    model = finished(small(), seed=4)
    s = outcomes(model)
    cases = [c for c in model.flow.cases if c.route not in REFERRAL_ROUTES]
    first: dict[int, Any] = {}
    for c in cases:  # in the order they applied
        first.setdefault(c.hidx, c)
    carded = {c.hidx for c in cases if c.outcome == "enrolled"}
    visits = {h: sum(c.visits for c in cases if c.hidx == h) for h in carded}
    cost = {h: sum(round(c.cost) for c in cases if c.hidx == h) for h in carded}
    groups = {g: [h for h in carded if lo <= model.households[h].cost_factor < hi]
              for g, (lo, hi) in DISTANCE_BANDS.items()}
    # a citizen case is a complex case exactly when its household was not in the DTKS
    groups["dtks"] = [h for h in carded if not first[h].complex_case]
    groups["not_dtks"] = [h for h in carded if first[h].complex_case]
    for g in EQUITY_GROUPS:
        assert groups[g], g
        assert s[f"households_enrolled_{g}"] == len(groups[g])
        assert s[f"visits_per_enrolled_household_{g}"] == pytest.approx(
            np.mean([visits[h] for h in groups[g]]))
        assert s[f"citizen_cost_idr_per_enrolled_household_{g}"] == pytest.approx(
            np.mean([cost[h] for h in groups[g]]))
    assert sum(s[f"households_enrolled_{g}"] for g in DISTANCE_BANDS) == \
        s["households_enrolled"] == s["households_enrolled_dtks"] + \
        s["households_enrolled_not_dtks"]
    # a trip costs the office's fare times the household's distance factor
    assert s["citizen_cost_idr_per_enrolled_household_near"] < \
        s["citizen_cost_idr_per_enrolled_household_mid"] < \
        s["citizen_cost_idr_per_enrolled_household_far"]


def test_the_equity_table_has_both_languages_and_the_catalogue_figures() -> None:
    res = sim.run(small(), reps=2, seed=4, cases=False)
    tab = equity_table(res)
    assert list(tab["group"]) == ["all", *EQUITY_GROUPS]
    assert set(GROUP_LABELS["en"]) == set(GROUP_LABELS["id"]) == set(tab["group"])
    assert tab["label_en"].str.len().gt(0).all() and tab["label_id"].str.len().gt(0).all()
    by_rep = res.scalars_by_rep()
    far = tab.set_index("group").loc["far"]
    assert far["visits_per_household"] == pytest.approx(
        by_rep["visits_per_enrolled_household_far"].mean())
    assert far["cost_ci_low"] <= far["cost_idr_per_household"] <= far["cost_ci_high"]
    every = tab.set_index("group").loc["all"]
    assert every["households_enrolled"] == pytest.approx(by_rep["households_enrolled"].mean())


def test_every_new_output_is_in_the_catalogue_with_unit_and_meaning() -> None:
    names = ["days_to_card_no_quota_median", "refill_days_mean", "removal_batches",
             "stranded_rejected_people", "stranded_deactivated_people",
             "budget_absorption_<year>", "quota_wait_days_mean",
             *[f"visits_per_enrolled_household_{g}" for g in EQUITY_GROUPS],
             *[f"citizen_cost_idr_per_enrolled_household_{g}" for g in EQUITY_GROUPS]]
    for n in names:
        assert OUTPUTS[n].unit and OUTPUTS[n].meaning, n
    assert OUTPUTS["stranded_rejected_people"].unit == "people"
    assert OUTPUTS["budget_absorption_<year>"].unit == "share"
