"""The runner layer: replications of the model and what comes out of them.

==========================  ================================================================
:mod:`.replications`        ``run``, ``run_one``: replications in worker processes, as data
:mod:`.records`             one run's tidy tables: cases, journey, timeseries, its summary
:mod:`.catalogue`           the scalar outcomes of one replication (``OUTPUTS``)
:mod:`.totals`              running totals across replications (bands, funnel, quantiles)
:mod:`.funnel`              the funnel and days-to-card tables, from the case table
:mod:`.staging`             crash-safe output folders (stage, then swap into place)
==========================  ================================================================

``from sim.runner import run`` works as before this layer was a package.
"""

from __future__ import annotations

_REPLICATIONS = {"run", "run_one", "Result", "RepResult", "ResourceError", "check_memory",
                 "available_memory", "collector_paused", "die_with_parent", "WorkerPool"}


def __getattr__(name: str):  # PEP 562: the names of the former ``sim/runner.py``
    if name in _REPLICATIONS:
        from sim.runner import replications

        return getattr(replications, name)
    raise AttributeError(f"module 'sim.runner' has no attribute {name!r}")
