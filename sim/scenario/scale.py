"""``scaled(scenario, factor)``: the same city with ``factor`` times the population.

Everything that grows with the number of people grows together, so a scaled city has the
same load per desk, the same budget per member and the same target per eligible resident:

- population: ``uninsured_people_start``, ``arrivals_per_year``, ``lapas_residents`` and the
  residents per old-age home and per orphanage (the number of institutions stays);
- ``n_rt`` (one RT head per RT, so RT staff per desk stays 1);
- staff of every other desk (Lurah, Camat, Dinas Sosial, Dinas Kesehatan, BPJS, Tim
  Koordinasi): rounded, at least 1; a closed desk (0 staff) stays closed;
- ``program.target``, ``program.observed_enrolled``, ``program.initial_members`` and every year's
  ``program.budget_idr_by_year``.

Counts are rounded half up. Kecamatan and kelurahan counts, rates, shares, delays and
every coordination parameter stay as they are. The benchmark suite uses this for its
1x, 2x, 4x and 10x runs; the result is validated against the schema like any file.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.offices import OFFICES
from sim.scenario.schema import Scenario

POPULATION_COUNTS = ("uninsured_people_start", "lapas_residents", "panti_jompo_residents",
                     "panti_asuhan_residents")
SCALED_DESKS = OFFICES[1:]  # every office kind but the RT head


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


def check_factor(factor: Any) -> float:
    """``factor`` as a float, or a ScenarioError naming it if it is not a positive number."""
    if isinstance(factor, bool) or not isinstance(factor, Real):
        raise ScenarioError(f"scale factor must be a number greater than 0, got "
                            f"{type(factor).__name__} {factor!r}")
    value = float(factor)
    if not (math.isfinite(value) and value > 0):
        raise ScenarioError(f"scale factor must be a finite number greater than 0, got {factor!r}")
    return value


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """A copy of ``scenario`` with population, RTs, staff, target and budget times ``factor``.

    Raises ScenarioError if ``factor`` is not a finite number above 0, or if a scaled value
    leaves its parameter's range (the message names the key and the range).
    """
    f = check_factor(factor)
    data = scenario.model_dump()
    pop = data["population"]
    for key in POPULATION_COUNTS:
        pop[key] = _round(pop[key] * f)
    pop["arrivals_per_year"] = pop["arrivals_per_year"] * f
    pop["n_rt"] = max(1, _round(pop["n_rt"] * f))
    for desk in SCALED_DESKS:
        staff = data["offices"][desk]["staff"]
        data["offices"][desk]["staff"] = 0 if staff == 0 else max(1, _round(staff * f))
    prog = data["program"]
    prog["target"] = _round(prog["target"] * f)
    prog["initial_members"] = _round(prog["initial_members"] * f)  # people, like the target
    prog["observed_enrolled"] = _round(prog["observed_enrolled"] * f)
    prog["budget_idr_by_year"] = {y: v * f for y, v in prog["budget_idr_by_year"].items()}
    data["name"] = f"{scenario.name}_x{f:g}"
    return Scenario.from_dict(data, origin=f"scaled({scenario.name!r}, factor={f:g})")
