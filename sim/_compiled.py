"""The compiled core: which modules ``pip install`` compiles with Cython, and how to run
without them.

The model's hot path (the event queue, the office desks, working time, the keyed random
draws, single numpy draws, the pathways, the agents, the coordination rules, the city, the
population, the programme and the copy of the scenario's numbers) is plain Python.
``pip install`` also compiles those modules with Cython (``setup.py``) when a
C compiler is at hand: the same code, with C types from the ``.pxd`` files beside
thirteen of them (the event queue, the desk, the keyed draws, the single draws, the
working calendar, the case, the case flow, the coordination rules, the offices, the
households' state, the population, the programme's quota and the scenario's numbers), in about a sixth of the time at city scale. One of
them, ``sim.engine.scalars``, differs compiled: it calls numpy's C distributions where
the ``.py`` calls the Generator's methods (the same numbers: ``tests/test_scalars.py``). The Python source stays the reference:

* ``JAMBI_SIM_PURE=1`` in the environment loads every module from its ``.py`` file, so
  the tests run one replication both ways and require identical results
  (``tests/test_compiled.py``);
* an extension is used only if the ``.py`` and ``.pxd`` it was built from are the files
  beside it now: the build records their SHA-256 (:func:`source_digest`) in
  ``sim/_core_digest.json``, installed with the extensions (editable installs and
  wheels alike), and the import compares. A source edited after installing, or an
  extension without a record, sends the whole core to its ``.py`` files, with one
  warning to reinstall. Content, not modification times: a wheel lays its files down in
  any order, so a ``.py`` may well be newer than its extension;
* ``JAMBI_SIM_NO_COMPILE=1`` at install time builds nothing, and where the build fails
  (no compiler) the install still succeeds, pure Python.

This module imports only the standard library: ``setup.py`` reads the list below before
any dependency is installed.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path

# Modules compiled by setup.py. Not sim.model.model: Mesa's DataCollector inspects its reporter
# lambdas, which a compiled function does not pass.
COMPILED_MODULES = (
    "sim.engine.events", "sim.engine.desk", "sim.engine.streams", "sim.engine.worktime",
    "sim.engine.scalars",
    "sim.model.cases", "sim.model.coordination", "sim.model.office_state", "sim.model.agents",
    "sim.model.city", "sim.model.program", "sim.model.scenario_numbers",
    "sim.model.population", "sim.model.pathways",
)

PURE_ENV = "JAMBI_SIM_PURE"
# Written by setup.py's build_ext beside the extensions (never committed): for each
# compiled module, the SHA-256 of the .py and .pxd its extension was built from.
DIGEST_NAME = "_core_digest.json"
_SOURCE_SUFFIXES = (".py", ".pxd")
_ROOT = Path(__file__).resolve().parent.parent


def _sha256(path: Path) -> str | None:
    import hashlib  # here, not at the top: ``import sim`` alone does not need it

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def source_digest(root: Path = _ROOT, modules: tuple[str, ...] = COMPILED_MODULES,
                  ) -> dict[str, dict[str, str]]:
    """For each module, the SHA-256 of its ``.py`` and (where there is one) its ``.pxd``,
    keyed by suffix: what setup.py records before compiling, and what the import checks."""
    out: dict[str, dict[str, str]] = {}
    for name in modules:
        base = Path(root).joinpath(*name.split("."))
        out[name] = {suffix: digest for suffix in _SOURCE_SUFFIXES
                     if (digest := _sha256(base.with_suffix(suffix))) is not None}
    return out


class SourceFirst:  # a meta path finder (importlib.abc would import typing: slower start)
    """Loads the compiled modules of ``modules`` (under ``root``) from their ``.py`` when
    asked to (``pure``) or when any extension's sources changed since it was built (their
    SHA-256 differs from the build's ``record``, or the record is missing); otherwise it
    leaves the import to the normal machinery, which prefers the extension. All or none:
    the extensions share C types (an Event, a desk entry, a case), so one module from
    source beside another compiled against its old types would fail to import. Any name
    not in ``modules`` gets None at once.

    ``record``: the build's JSON record, by default ``DIGEST_NAME`` in the package of the
    modules (``sim/_core_digest.json``)."""

    def __init__(self, pure: bool, modules: tuple[str, ...] = COMPILED_MODULES,
                 root: Path = _ROOT, record: Path | None = None):
        self.pure = pure
        self.modules = frozenset(modules)
        self.root = Path(root)
        package = sorted(self.modules)[0].split(".")[0] if self.modules else ""
        self.record = Path(record) if record is not None else \
            self.root / package / DIGEST_NAME
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

    def _recorded(self) -> dict[str, dict[str, str]] | None:
        """The build's record of its sources, None if missing or unreadable."""
        import json

        try:
            data = json.loads(self.record.read_text(encoding="utf-8"))
            modules = data["modules"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return modules if isinstance(modules, dict) else None

    def _check(self) -> None:
        """Find the extensions whose sources are not those they were built from, once;
        one warning if there are any."""
        if self._checked:
            return
        self._checked = True
        compiled = [n for n in sorted(self.modules)
                    if self.extension(n) is not None and self.source(n).exists()]
        if not compiled:
            return
        recorded = self._recorded()
        current = source_digest(self.root, tuple(compiled))
        for name in compiled:
            if recorded is None or recorded.get(name) != current[name]:
                self.stale.append(name)
        # All or none: a module whose extension did not build (an optional one failed)
        # beside others that did would mix C types compiled against each other.
        missing = [n for n in sorted(self.modules)
                   if n not in compiled and self.source(n).exists()]
        if missing and not self.stale:
            self.stale = list(compiled)
            warnings.warn(f"compiled core incomplete: {missing[0]} has no extension"
                          f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''};"
                          " using the Python source of the whole compiled core. Reinstall "
                          "to recompile.", stacklevel=3)
            return
        if self.stale:
            first = self.stale[0]
            if recorded is None:
                why = f"no record of the sources it was built from ({self.record.name})"
            elif first not in recorded:
                why = f"{self.record.name} has no record of {first}"
            else:
                changed = [s for s in _SOURCE_SUFFIXES
                           if recorded[first].get(s) != current[first].get(s)]
                why = " and ".join(self.source(first).with_suffix(s).name for s in changed) \
                    + " changed since it was built"
            more = f" (and {len(self.stale) - 1} more module(s))" if len(self.stale) > 1 else ""
            warnings.warn(f"compiled {first}{more}: {why}; using the Python source of the "
                          "whole compiled core. Reinstall to recompile (`pip install -e .` "
                          "in a checkout, else `pip install` again).", stacklevel=3)

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


# What a stored run's outputs depend on: the model (its Python and the C types of its
# compiled modules) and the runner code that turns a finished model into those outputs
# (run_one, the catalogue's scalars, the records and totals it reads). A folder counts
# with every .py and .pxd under it.
MODEL_SOURCES = ("sim/engine", "sim/scenario", "sim/model", "sim/runner/catalogue.py",
                 "sim/runner/records.py", "sim/runner/totals.py", "sim/runner/replications.py")
_model_digest: dict[Path, str] = {}


def _model_files(root: Path, sources: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for source in sources:
        where = root.joinpath(source)
        if where.is_dir():
            files += sorted(p for suffix in _SOURCE_SUFFIXES for p in where.rglob(f"*{suffix}")
                            if "__pycache__" not in p.parts)
        else:
            files.append(where)  # a listed module: missing is an error, not a silent pass
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def model_digest(root: Path = _ROOT, sources: tuple[str, ...] = MODEL_SOURCES) -> str:
    """SHA-256 (hex, 16 characters) of the model's sources (:data:`MODEL_SOURCES`: every
    ``.py`` and ``.pxd`` of the engine, the scenario and the model packages, and the runner
    modules that compute a run's outputs), by relative path and content: what a stored
    run's key depends on, so a study resumed after the model changed runs again instead of
    mixing runs of the old model into the new table (the package version alone never
    changed). The installed model's digest is computed once per process."""
    import hashlib

    root = Path(root)
    cached = root == _ROOT and tuple(sources) == MODEL_SOURCES  # the installed model's code
    if cached and root in _model_digest:
        return _model_digest[root]
    h = hashlib.sha256()
    for path in _model_files(root, tuple(sources)):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    digest = h.hexdigest()[:16]
    if cached:
        _model_digest[root] = digest
    return digest
