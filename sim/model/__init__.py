"""The model layer: Kota Jambi's households, offices, programme and coordination, wired into
one Mesa model (:class:`sim.model.model.JambiBugarModel`).

Each module holds one part and owns its state (see :mod:`sim.model.model` for the list and
the order in which the model runs them). This layer builds on :mod:`sim.engine` and
:mod:`sim.scenario` only: no I/O, plotting, CLI or dashboard code.
"""

from __future__ import annotations


def __getattr__(name: str):  # PEP 562: ``from sim.model import JambiBugarModel``
    if name == "JambiBugarModel":
        from sim.model.model import JambiBugarModel

        return JambiBugarModel
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
