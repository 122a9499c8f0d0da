"""jambi-sim: an agent-based model of Jambi Bugar health-insurance enrollment in Kota Jambi.

Public API::

    import sim
    sc = sim.Scenario.from_toml("scenarios/online_2021.toml")
    model = sim.JambiBugarModel(scenario=sc, seed=1, turf=0.5)   # a mesa.Model, step() = 1 day
    result = sim.run(sc, reps=10, seed=1)                          # .timeseries .cases .summary
"""

from __future__ import annotations

import multiprocessing as _mp
import multiprocessing.context as _mp_context

__version__ = "0.1.0"

# Importing Mesa (any part of it: mesa/__init__.py imports mesa.batchrunner) calls
# multiprocessing.set_start_method("spawn", force=True) for the whole process. A library must
# not change its caller's start method (a pool whose function is defined in a notebook or on
# standard input then hangs), so the method in force before Mesa's import is put back. The
# project's own pools ask for the context they need (sim.experiments uses get_context()).
_start_method = _mp.get_start_method(allow_none=True)

from sim.model import JambiBugarModel  # noqa: E402
from sim.runner import Result, run, run_one  # noqa: E402
from sim.scenario import Scenario, ScenarioError  # noqa: E402

if _mp.get_start_method(allow_none=True) != _start_method:
    if _start_method is None:  # not chosen yet: let the platform default apply again
        _mp_context._default_context._actual_context = None
    else:
        _mp.set_start_method(_start_method, force=True)
del _start_method

__all__ = ["JambiBugarModel", "OUTPUTS", "Result", "Scenario", "ScenarioError", "ema_model",
           "evaluate", "run", "run_one", "salib_problem", "scalars", "__version__"]

# Experiment helpers, imported on first use (SALib and the EMA Workbench are not needed to
# run the model).
_LAZY = {"OUTPUTS": "sim.outcomes", "scalars": "sim.outcomes",
         "salib_problem": "sim.experiments.design", "evaluate": "sim.experiments.sensitivity",
         "ema_model": "sim.experiments.sensitivity"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
