"""The runner layer: replications of the model and what comes out of them.

==========================  ================================================================
:mod:`.replications`        ``run``, ``run_one``: replications in worker processes, as data
:mod:`.records`             one run's tidy tables: cases, journey, timeseries, its summary
:mod:`.catalogue`           the scalar outcomes of one replication (``OUTPUTS``)
:mod:`.totals`              running totals across replications (bands, funnel, quantiles)
:mod:`.funnel`              the funnel and days-to-card tables, from the case table
:mod:`.staging`             crash-safe output folders (stage, then swap into place)
:mod:`.attribution`         the gap to the target by cause: paired runs, one cause removed
==========================  ================================================================

``from sim.runner import run`` works as before this layer was a package.
"""

from __future__ import annotations

_SUBMODULES = {"replications", "records", "catalogue", "totals", "funnel", "staging",
               "attribution"}


def __getattr__(name: str):  # PEP 562: the names of the former ``sim/runner.py``
    if not name.startswith("_") and name not in _SUBMODULES:
        import importlib

        replications = importlib.import_module("sim.runner.replications")
        if hasattr(replications, name):
            return getattr(replications, name)
    raise AttributeError(f"module 'sim.runner' has no attribute {name!r}")
