"""jambi-sim: an agent-based model of Jambi Bugar health-insurance enrollment in Kota Jambi.

Public API::

    import sim
    sc = sim.Scenario.from_toml("scenarios/online_2021.toml")
    model = sim.JambiBugarModel(scenario=sc, seed=1, turf=0.5)   # a mesa.Model, step() = 1 day
    result = sim.run(sc, reps=10, seed=1)                          # .timeseries .cases .summary
"""

from __future__ import annotations

from sim import _compiled, _moved
from sim._version import __version__  # noqa: E402

# The compiled core is used only where it is current and not switched off (JAMBI_SIM_PURE=1).
_compiled.install()
# Module paths from before the layers (``sim.metrics``, ``sim.experiments``...) stay aliases
# of the modules' new homes (sim/_moved.py; CHANGELOG.md).
_moved.install()

# The layers, bottom to top. A module imports from its own layer and the layers below it,
# never from one above (tests/test_structure.py checks every import):
#   engine    a discrete-event engine that knows nothing of Jambi Bugar
#   scenario  the parameters: schema, validation, sources, study ranges
#   model     the city, its households and offices, the programme, coordination
#   runner    replications and what comes out of them: tables, outcomes, output folders
#   show      labels in two languages and figures
#   studies   sweeps, sensitivity, calibration, validation, evidence, what-ifs
#   ui        the jambi-sim command and the workshop dashboard
# Under all of them: sim._version, sim._mesa, sim._compiled, sim._moved and sim.checks.
LAYERS = ("engine", "scenario", "model", "runner", "show", "studies", "ui")
FOUNDATION = ("sim", "sim._version", "sim._mesa", "sim._compiled", "sim._moved", "sim.checks")

# The public names are imported on first use (PEP 562), so ``jambi-sim`` starts, and
# installs its signal handlers, before the heavy imports (numpy, pandas, Mesa).
# Importing Mesa never changes the caller's multiprocessing start method (sim/_mesa.py).
_EXPORTS = {"JambiBugarModel": "sim.model", "Result": "sim.runner", "run": "sim.runner",
            "run_one": "sim.runner", "Scenario": "sim.scenario",
            "ScenarioError": "sim.scenario",
            # experiment helpers (SALib and the EMA Workbench are not needed to run the model)
            "OUTPUTS": "sim.runner.catalogue", "scalars": "sim.runner.catalogue",
            "salib_problem": "sim.studies.design",
            "evaluate": "sim.studies.sensitivity",
            "ema_model": "sim.studies.ema"}

# ``sim.<layer>`` and the former module paths (sim/_moved.py) as attributes, as before
_SUBMODULES = {*LAYERS, "checks"} | {
    m.removeprefix("sim.") for m in _moved.MOVED if m.count(".") == 1}

__all__ = ["JambiBugarModel", "OUTPUTS", "Result", "Scenario", "ScenarioError", "ema_model",
           "evaluate", "run", "run_one", "salib_problem", "scalars", "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:  # ``import sim; sim.scenario.bounds()`` as before
        import importlib

        return importlib.import_module(f"sim.{name}")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
