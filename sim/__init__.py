"""jambi-sim: an agent-based model of Jambi Bugar health-insurance enrollment in Kota Jambi.

Public API::

    import sim
    sc = sim.Scenario.from_toml("scenarios/online_2021.toml")
    model = sim.JambiBugarModel(scenario=sc, seed=1, turf=0.5)   # a mesa.Model, step() = 1 day
    result = sim.run(sc, reps=10, seed=1)                          # .timeseries .cases .summary
"""

from __future__ import annotations

from sim._version import __version__  # noqa: E402

from sim.model import JambiBugarModel  # noqa: E402
from sim.runner import Result, run, run_one  # noqa: E402
from sim.scenario import Scenario, ScenarioError  # noqa: E402

__all__ = ["JambiBugarModel", "Result", "Scenario", "ScenarioError", "run", "run_one",
           "__version__"]
