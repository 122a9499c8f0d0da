"""Module paths from before the package had layers, kept working as aliases.

``import sim.metrics`` (and ``from sim.metrics import case_table``) gives the module that
now lives at ``sim.runner.records``: the same module object, not a copy, so a name patched
on one is patched on the other. ``CHANGELOG.md`` lists the moves. The finder answers only
for the names below, none of which is a module any more; it goes first on
``sys.meta_path``, because ``sim.experiments`` is ``sim.studies`` and the path finder
would otherwise load ``sim.experiments.spec`` a second time from ``sim/studies/spec.py``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys

MOVED = {
    # the model layer
    "sim.agents": "sim.model.agents", "sim.cases": "sim.model.cases",
    "sim.city": "sim.model.city", "sim.coordination": "sim.model.coordination",
    "sim.pathways": "sim.model.pathways", "sim.population": "sim.model.population",
    "sim.program": "sim.model.program", "sim.relations": "sim.model.relations",
    "sim.sustainability": "sim.model.sustainability",
    # the runner layer: five near-synonyms, now named for what each holds
    "sim.outcomes": "sim.runner.catalogue", "sim.metrics": "sim.runner.records",
    "sim.tally": "sim.runner.totals", "sim.tables": "sim.runner.funnel",
    "sim.output": "sim.runner.staging",
    # the show layer
    "sim.plots": "sim.show.plots", "sim.i18n": "sim.show.i18n", "sim.odd": "sim.show.odd",
    # the studies layer (the sweep "engine" is not the event engine)
    "sim.experiments": "sim.studies", "sim.experiments.engine": "sim.studies.sweeps",
    "sim.experiments.spec": "sim.studies.spec", "sim.experiments.design": "sim.studies.design",
    "sim.experiments.sensitivity": "sim.studies.sensitivity",
    "sim.experiments.calibrate": "sim.studies.calibrate",
    "sim.experiments.heldout": "sim.studies.heldout",
    "sim.experiments.surrogate": "sim.studies.surrogate",
    "sim.experiments.ema": "sim.studies.ema", "sim.experiments.plots": "sim.studies.plots",
    "sim.workshop": "sim.studies.workshop", "sim.evidence": "sim.studies.evidence",
    "sim.sustainability_plots": "sim.studies.sustainability",
    # the interfaces
    "sim.cli": "sim.ui.cli", "sim.experiments.cli": "sim.ui.study_commands",
    "sim.dashboard": "sim.ui.dashboard", "sim.app": "sim.ui.app",
}


class _Alias:  # a loader (importlib.abc would import typing: a slower start)
    """Puts the module at its new path in ``sys.modules`` under the old name (the import
    system returns what ``sys.modules`` holds after ``exec_module``), leaving the real
    module's ``__spec__`` and ``__name__`` alone."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):  # noqa: ANN001 (importlib protocol)
        return None  # a placeholder, replaced in exec_module

    def exec_module(self, module) -> None:  # noqa: ANN001
        sys.modules[module.__name__] = importlib.import_module(self.target)

    def get_code(self, name: str):  # noqa: ANN201 (``python -m`` of a former path)
        spec = importlib.util.find_spec(self.target)
        if spec is None or not hasattr(spec.loader, "get_code"):
            raise ImportError(f"{name} is now {self.target}, which cannot be run with -m")
        return spec.loader.get_code(self.target)


def new_home(name: str) -> str | None:
    """Where a former module path now lives: listed, or under a listed package
    (``sim.experiments.calibration_report`` -> ``sim.studies.calibration_report``); None
    for any other name."""
    if name in MOVED:
        return MOVED[name]
    head, _, rest = name.rpartition(".")
    while head:
        if head in MOVED:
            return f"{MOVED[head]}.{name[len(head) + 1:]}"
        head, _, rest = head.rpartition(".")
    return None


class MovedFinder:  # a meta path finder
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 (importlib protocol)
        new = new_home(name) if name.startswith("sim.") else None
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(name, _Alias(new))


FINDER = MovedFinder()


def install() -> None:
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, FINDER)
