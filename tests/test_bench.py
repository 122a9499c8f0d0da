"""The benchmark suite's helpers: ``scaled()``, a city with k times the population."""

from __future__ import annotations

import math

import pytest
from conftest import ROOT

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
