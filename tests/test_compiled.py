"""The compiled core (sim/_compiled.py) against its pure-Python reference.

``pip install`` compiles the hot modules with Cython; ``JAMBI_SIM_PURE=1`` runs the same
modules from their ``.py`` files. A replication must come out identical both ways, to the
last bit: the case table, the journey log, the timeseries and every statistic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import _compiled

ROOT = Path(__file__).resolve().parent.parent

_DIGEST = r"""
import hashlib, json, sys
from sim._compiled import core
from sim.runner import run_one
from sim.scenario import Scenario, scaled
sc = scaled(Scenario.from_toml(sys.argv[1]), float(sys.argv[2]))
r = run_one(sc, seed=7, rep=1, tables=True)
h = hashlib.sha256()
for frame in (r.cases, r.journey, r.timeseries):
    h.update(frame.to_csv(index=False, float_format="%.17g").encode())
stats = {k: v for k, v in r.stats.items() if not k.endswith("_s")}
h.update(json.dumps(stats, sort_keys=True, default=repr).encode())
print(json.dumps({"core": core(), "digest": h.hexdigest(), "cases": len(r.cases),
                  "visits": len(r.journey)}))
"""


def _digest(scenario: str, factor: float, pure: bool) -> dict:
    env = {**os.environ, _compiled.PURE_ENV: "1" if pure else "0"}
    out = subprocess.run([sys.executable, "-c", _DIGEST, str(ROOT / scenario), str(factor)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _require_compiled() -> None:
    kind = _compiled.core()
    if kind != "compiled":
        if os.environ.get("CI"):  # CI installs with a compiler: the core must be built
            pytest.fail(f"the compiled core is not in use under CI (core: {kind})")
        pytest.skip(f"the compiled core is not built here (core: {kind})")


@pytest.mark.parametrize(("scenario", "factor"), [
    # the calibrated city, both pathways (city scale: the integration tier)
    pytest.param("scenarios/online_2021.toml", 1.0, marks=pytest.mark.integration),
    pytest.param("scenarios/online_2021.toml", 0.2),
    pytest.param("scenarios/manual_only.toml", 0.3)])
def test_compiled_core_gives_the_reference_results(scenario: str, factor: float) -> None:
    _require_compiled()
    compiled = _digest(scenario, factor, pure=False)
    pure = _digest(scenario, factor, pure=True)
    assert (compiled["core"], pure["core"]) == ("compiled", "pure Python")
    assert compiled["cases"] > 1000 and compiled["visits"] > compiled["cases"]
    assert compiled["digest"] == pure["digest"]


# ------------------------------------------------------------------ the finder
def _package(tmp_path: Path) -> tuple[Path, Path]:
    pkg = tmp_path / "fakecore"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    src = pkg / "hot.py"
    src.write_text("WHERE = 'source'\n")
    ext = src.with_suffix(_compiled.importlib.machinery.EXTENSION_SUFFIXES[0])
    ext.write_bytes(b"not really a shared library")
    return src, ext


def _spec(finder: _compiled.SourceFirst):
    return finder.find_spec("fakecore.hot")


def _newer(path: Path, than: Path) -> None:
    """Give ``path`` a modification time ten seconds after ``than``'s."""
    now = time.time()
    os.utime(than, (now - 10, now - 10))
    os.utime(path, (now, now))


def test_finder_defers_to_a_current_extension(tmp_path: Path) -> None:
    src, ext = _package(tmp_path)
    _newer(ext, than=src)
    finder = _compiled.SourceFirst(False, ("fakecore.hot",), tmp_path)
    assert _spec(finder) is None and finder.stale == []


def test_finder_loads_the_source_of_a_stale_extension_with_a_warning(tmp_path: Path) -> None:
    src, ext = _package(tmp_path)
    _newer(src, than=ext)
    finder = _compiled.SourceFirst(False, ("fakecore.hot",), tmp_path)
    with pytest.warns(UserWarning, match="older than hot.py"):
        spec = _spec(finder)
    assert Path(spec.origin) == src and finder.stale == ["fakecore.hot"]


def test_one_stale_extension_sends_every_module_to_its_source(tmp_path: Path) -> None:
    """The compiled modules share C types: one module from source beside another compiled
    against its old types fails to import, so a stale extension makes all load from
    source. An edited .pxd makes its extension stale too."""
    src, ext = _package(tmp_path)
    other = src.with_name("other.py")
    other.write_text("WHERE = 'source'\n")
    other_ext = other.with_suffix(ext.suffix)
    other_ext.write_bytes(b"not really a shared library")
    _newer(ext, than=src)
    _newer(other_ext, than=other)
    names = ("fakecore.hot", "fakecore.other")
    finder = _compiled.SourceFirst(False, names, tmp_path)
    assert finder.find_spec("fakecore.other") is None and finder.stale == []
    pxd = src.with_suffix(".pxd")
    pxd.write_text("cdef class Hot: pass\n")
    _newer(pxd, than=ext)
    finder = _compiled.SourceFirst(False, names, tmp_path)
    with pytest.warns(UserWarning, match="older than hot.pxd"):
        spec = finder.find_spec("fakecore.other")
    assert Path(spec.origin) == other and finder.stale == ["fakecore.hot"]
    assert Path(finder.find_spec("fakecore.hot").origin) == src


def test_finder_loads_the_source_when_asked_for_pure_python(tmp_path: Path) -> None:
    src, ext = _package(tmp_path)
    _newer(ext, than=src)
    finder = _compiled.SourceFirst(True, ("fakecore.hot",), tmp_path)
    spec = _spec(finder)
    assert Path(spec.origin) == src
    assert finder.find_spec("fakecore.other") is None  # only the listed modules


def test_finder_leaves_a_module_without_an_extension_alone(tmp_path: Path) -> None:
    src, ext = _package(tmp_path)
    ext.unlink()
    assert _spec(_compiled.SourceFirst(True, ("fakecore.hot",), tmp_path)) is None


def test_every_listed_module_exists_and_the_model_wiring_is_not_compiled() -> None:
    for name in _compiled.COMPILED_MODULES:
        assert (ROOT / Path(*name.split("."))).with_suffix(".py").exists(), name
    assert "sim.model" not in _compiled.COMPILED_MODULES  # Mesa's DataCollector lambdas
