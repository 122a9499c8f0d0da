"""The compiled core: which modules ``pip install`` compiles with Cython, and how to run
without them.

The model's hot path (the event queue, the office desks, working time, the keyed random
draws, the pathways, the agents, the coordination rules, the city, the population and the
programme) is plain Python. ``pip install`` also compiles those modules, unchanged, with
Cython (``setup.py``) when a C compiler is at hand: the same code, with C types from the
``.pxd`` files beside the event queue, the desk and the case, in about a third less time
per event. The Python source stays the reference:

* ``JAMBI_SIM_PURE=1`` in the environment loads every module from its ``.py`` file, so
  the tests run one replication both ways and require identical results
  (``tests/test_compiled.py``);
* a compiled module older than its ``.py`` (the source was edited after installing) is
  never used: the ``.py`` is loaded, with a warning to re-run ``pip install -e .``;
* ``JAMBI_SIM_NO_COMPILE=1`` at install time builds nothing, and where the build fails
  (no compiler) the install still succeeds, pure Python.

This module imports only the standard library: ``setup.py`` reads the list below before
any dependency is installed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path

# Modules compiled by setup.py. Not sim.model: Mesa's DataCollector inspects its reporter
# lambdas, which a compiled function does not pass.
COMPILED_MODULES = (
    "sim.engine.events", "sim.engine.desk", "sim.engine.streams", "sim.engine.worktime",
    "sim.cases", "sim.coordination", "sim.agents", "sim.city", "sim.program",
    "sim.population", "sim.pathways",
)

PURE_ENV = "JAMBI_SIM_PURE"
_ROOT = Path(__file__).resolve().parent.parent


class SourceFirst(importlib.abc.MetaPathFinder):
    """Loads the compiled modules of ``modules`` (under ``root``) from their ``.py`` when
    asked to (``pure``) or when any of their extensions is older than its ``.py`` or
    ``.pxd``; otherwise it leaves the import to the normal machinery, which prefers the
    extension. All or none: the extensions share C types (an Event, a desk entry, a case),
    so one module from source beside another compiled against its old types would fail
    to import."""

    def __init__(self, pure: bool, modules: tuple[str, ...] = COMPILED_MODULES,
                 root: Path = _ROOT):
        self.pure = pure
        self.modules = frozenset(modules)
        self.root = Path(root)
        self.stale: list[str] = []
        self._checked = False

    def source(self, name: str) -> Path:
        return self.root.joinpath(*name.split(".")).with_suffix(".py")

    def extension(self, name: str) -> Path | None:
        src = self.source(name)
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            cand = src.with_suffix(suffix)
            if cand.exists():
                return cand
        return None

    def _newer_source(self, name: str) -> Path | None:
        """The module's ``.py`` or ``.pxd`` if it is newer than its extension."""
        src, ext = self.source(name), self.extension(name)
        if ext is None or not src.exists():
            return None
        built = ext.stat().st_mtime
        for path in (src, src.with_suffix(".pxd")):
            if path.exists() and path.stat().st_mtime > built:
                return path
        return None

    def _check(self) -> None:
        """Find the stale extensions, once; warn if there are any."""
        if self._checked:
            return
        self._checked = True
        for name in sorted(self.modules):
            newer = self._newer_source(name)
            if newer is not None:
                self.stale.append(name)
                warnings.warn(f"{self.extension(name).name} is older than {newer.name}: "
                              "using the Python source of the whole compiled core; re-run "
                              "`pip install -e .` to recompile", stacklevel=3)

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 (importlib protocol)
        if name not in self.modules:
            return None
        src, ext = self.source(name), self.extension(name)
        if ext is None or not src.exists():
            return None  # nothing compiled: the normal import finds the .py
        if not self.pure:
            self._check()
            if not self.stale:
                return None  # the normal import finds the (current) extension
        return importlib.util.spec_from_file_location(name, src)


_FINDER = SourceFirst(pure=os.environ.get(PURE_ENV, "") not in ("", "0"))


def install() -> None:
    """Put the finder first on the import path (sim/__init__.py calls this)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def core() -> str:
    """``"compiled"`` when every module of the core was loaded from its extension,
    ``"pure Python"`` when none was, ``"mixed"`` otherwise (imports them if needed)."""
    import importlib

    kinds = set()
    for name in COMPILED_MODULES:
        mod = importlib.import_module(name)
        kinds.add(not str(getattr(mod, "__file__", "")).endswith(".py"))
    if kinds == {True}:
        return "compiled"
    return "pure Python" if kinds == {False} else "mixed"
