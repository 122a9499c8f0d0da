"""The benchmark suite: ``scaled()`` (a city with k times the population) and the SimPy peer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROOT

from benchmarks.simpy_peer import OFFICES, _lognormal, run_peer
from sim.scenario import Scenario, ScenarioError, scaled

BASE = Scenario.from_toml(ROOT / "scenarios" / "online_2021.toml")
DESKS = ("lurah", "camat", "dinsos", "dinkes", "bpjs", "tim")
POP_COUNTS = ("uninsured_people_start", "lapas_residents", "panti_jompo_residents",
              "panti_asuhan_residents")


def half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


# ----------------------------------------------------------------------- scaled()
@pytest.mark.parametrize("f", [0.1, 0.5, 1, 2, 2.5, 4, 10])
def test_scaled_scales_what_it_documents(f: float) -> None:
    s = scaled(BASE, f)
    for key in POP_COUNTS:
        assert getattr(s.population, key) == half_up(getattr(BASE.population, key) * f), key
    assert s.population.arrivals_per_year == pytest.approx(BASE.population.arrivals_per_year * f)
    assert s.population.n_rt == max(1, half_up(BASE.population.n_rt * f))
    for desk in DESKS:
        assert getattr(s.offices, desk).staff == max(1, half_up(getattr(BASE.offices,
                                                                        desk).staff * f)), desk
    assert s.offices.rt.staff == BASE.offices.rt.staff  # one head per RT; the RTs scale
    assert s.program.target == half_up(BASE.program.target * f)
    assert s.program.observed_enrolled == half_up(BASE.program.observed_enrolled * f)
    assert s.program.budget_idr_by_year.keys() == BASE.program.budget_idr_by_year.keys()
    for year, idr in BASE.program.budget_idr_by_year.items():
        assert s.program.budget_idr_by_year[year] == pytest.approx(idr * f)


def test_scaled_ten_times_the_baseline() -> None:
    s = scaled(BASE, 10)
    assert (s.population.uninsured_people_start, s.population.n_rt) == (323440, 16520)
    assert s.population.arrivals_per_year == 5000.0
    assert (s.population.lapas_residents, s.population.panti_jompo_residents,
            s.population.panti_asuhan_residents) == (8000, 500, 400)
    assert [getattr(s.offices, d).staff for d in DESKS] == [20, 20, 80, 40, 30, 10]
    assert s.program.target == 300000
    assert s.program.budget_idr_by_year["2021"] == pytest.approx(136e9)
    assert s.name == "online_2021_x10"


def _without_scaled_keys(sc: Scenario) -> dict:
    d = sc.model_dump()
    for key in (*POP_COUNTS, "arrivals_per_year", "n_rt"):
        del d["population"][key]
    for desk in DESKS:
        del d["offices"][desk]["staff"]
    for key in ("target", "observed_enrolled", "budget_idr_by_year"):
        del d["program"][key]
    del d["name"]
    return d


@pytest.mark.parametrize("f", [0.5, 2, 4, 10])
def test_scaled_changes_nothing_else_and_validates(f: float) -> None:
    s = scaled(BASE, f)
    assert _without_scaled_keys(s) == _without_scaled_keys(BASE)
    assert Scenario.model_validate(s.model_dump()) == s
    assert BASE.population.n_rt == 1652  # the input is left as it was


def test_scaled_by_one_is_the_same_city() -> None:
    assert scaled(BASE, 1).model_dump() | {"name": BASE.name} == BASE.model_dump()


def test_scaled_keeps_a_closed_desk_closed_and_an_open_one_open() -> None:
    sc = BASE.with_overrides(offices__tim__staff=0)
    s = scaled(sc, 0.1)
    assert s.offices.tim.staff == 0
    assert s.offices.lurah.staff == 1  # 2 x 0.1 rounds to 0, but an open desk keeps one


@pytest.mark.parametrize("bad", [0, -1, -0.5, float("nan"), float("inf"), "2", None, True,
                                 [2]])
def test_scaled_refuses_a_bad_factor_by_name(bad: object) -> None:
    with pytest.raises(ScenarioError, match="factor"):
        scaled(BASE, bad)  # type: ignore[arg-type]


def test_scaled_beyond_a_range_names_the_key() -> None:
    with pytest.raises(ScenarioError, match=r"population\.n_rt.*20000"):
        scaled(BASE, 100)


# ------------------------------------------------------------------- SimPy peer
def test_lognormal_service_times_have_the_asked_mean_and_cv() -> None:
    x = _lognormal(np.random.default_rng(3), 0.5, 1.0)(400_000)
    assert x.mean() == pytest.approx(0.5, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(1.0, rel=0.03)
    assert np.all(_lognormal(np.random.default_rng(3), 0.25, 0.0)(10) == 0.25)


def _counts(seed: int, **kw) -> dict:
    d = run_peer(BASE, seed=seed, cases=kw.pop("cases", 3000), **kw).as_dict()
    del d["runtime_s"], d["handoffs_per_s"]
    return d


def test_simpy_peer_is_deterministic_for_a_seed() -> None:
    a, b = _counts(7), _counts(7)
    assert a == b
    assert _counts(8) != a


def test_simpy_peer_counts_every_hand_off_once() -> None:
    r = run_peer(BASE, seed=11, cases=5000)
    n = len(OFFICES)
    assert r.reached[0] == r.cases == 5000
    for k in range(n - 1):  # a case that reached office k and did not drop reached k + 1
        assert r.reached[k + 1] == r.reached[k] - r.dropped_after[k]
    assert r.completed == r.reached[-1]
    assert r.completed + sum(r.dropped_after) == r.cases
    # hand-offs = offices reached by all cases - one first office per case
    assert r.handoffs == sum(r.reached) - r.cases
    assert r.handoffs == (n - 1) * r.completed + sum(k * d for k, d in enumerate(r.dropped_after))
    assert all(v >= m for v, m in zip(r.visits, r.reached))
    assert r.end_time > 0


def test_simpy_peer_draws_rework_and_dropout_at_their_rates() -> None:
    r = run_peer(BASE, seed=12, cases=20000)
    for k, office in enumerate(OFFICES):  # visits = first visits + reworks (geometric)
        p = getattr(BASE.offices, office).rework_prob
        share, v = 1 - r.reached[k] / r.visits[k], r.visits[k]
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / v), office
    left = sum(r.reached[:-1])
    share = sum(r.dropped_after) / left
    assert abs(share - 0.10) < 4 * math.sqrt(0.09 / left)


def test_simpy_peer_without_loss_hands_every_case_through_every_office() -> None:
    sc = BASE.with_overrides(**{f"offices__{o}__rework_prob": 0.0 for o in OFFICES})
    r = run_peer(sc, seed=2, cases=2000, dropout=0.0)
    assert r.handoffs == (len(OFFICES) - 1) * 2000
    assert r.visits == r.reached == [2000] * len(OFFICES)
