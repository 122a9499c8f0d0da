"""The compiled core (sim/_compiled.py) against its pure-Python reference.

``pip install`` compiles the hot modules with Cython; ``JAMBI_SIM_PURE=1`` runs the same
modules from their ``.py`` files. A replication must come out identical both ways, to the
last bit: the case table, the journey log, the timeseries and every statistic.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from sim import _compiled
from sim.engine.fields import pxd_fields

ROOT = Path(__file__).resolve().parent.parent

_DIGEST = r"""
import hashlib, json, sys
from sim._compiled import core
from sim.runner.replications import run_one
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
HOT, OTHER = "fakecore.hot", "fakecore.other"


def _module(pkg: Path, stem: str) -> tuple[Path, Path]:
    """A module's source and a stand-in for its extension (never loaded by these tests)."""
    src = pkg / f"{stem}.py"
    src.write_text("WHERE = 'source'\n")
    ext = src.with_suffix(_compiled.importlib.machinery.EXTENSION_SUFFIXES[0])
    ext.write_bytes(b"not really a shared library")
    return src, ext


def _package(tmp_path: Path) -> tuple[Path, Path]:
    pkg = tmp_path / "fakecore"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    return _module(pkg, "hot")


def _record(tmp_path: Path, names: tuple[str, ...] = (HOT,)) -> Path:
    """What setup.py writes after building ``names``: their sources' SHA-256, now."""
    path = tmp_path / "fakecore" / _compiled.DIGEST_NAME
    path.write_text(json.dumps({"version": 1,
                                "modules": _compiled.source_digest(tmp_path, names)}))
    return path


def _finder(tmp_path: Path, names: tuple[str, ...] = (HOT,), pure: bool = False):
    return _compiled.SourceFirst(pure, names, tmp_path)


def _newer(path: Path, than: Path) -> None:
    """Give ``path`` a modification time ten seconds after ``than``'s."""
    now = time.time()
    os.utime(than, (now - 10, now - 10))
    os.utime(path, (now, now))


def _spec_quietly(finder: _compiled.SourceFirst, name: str = HOT):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when the extensions are current
        return finder.find_spec(name)


def test_finder_defers_to_an_extension_built_from_the_current_source(tmp_path: Path) -> None:
    _package(tmp_path)
    assert _compiled.DIGEST_NAME == "_core_digest.json"
    _record(tmp_path)
    finder = _finder(tmp_path)
    assert _spec_quietly(finder) is None and finder.stale == []


def test_finder_ignores_modification_times(tmp_path: Path) -> None:
    """A wheel lays its files down in any order: a .py (or .pxd) newer than its extension,
    but with the recorded content, is no reason to leave the extension."""
    src, ext = _package(tmp_path)
    pxd = src.with_suffix(".pxd")
    pxd.write_text("cdef class Hot: pass\n")
    _record(tmp_path)
    _newer(src, than=ext)
    _newer(pxd, than=ext)
    finder = _finder(tmp_path)
    assert _spec_quietly(finder) is None and finder.stale == []


def test_an_edited_source_sends_every_module_to_its_source_with_one_warning(
        tmp_path: Path) -> None:
    """The compiled modules share C types: one module from source beside another compiled
    against its old types fails to import, so one changed source sends all of them to
    their .py, with one warning naming the module."""
    src, ext = _package(tmp_path)
    other, _ = _module(src.parent, "other")
    _record(tmp_path, (HOT, OTHER))
    _newer(ext, than=src)  # the edit keeps the extension the newer file: mtimes say nothing
    src.write_text("WHERE = 'edited source'\n")
    finder = _finder(tmp_path, (HOT, OTHER))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        spec = finder.find_spec(OTHER)
        assert Path(finder.find_spec(HOT).origin) == src
    assert Path(spec.origin) == other and finder.stale == [HOT]
    assert len(seen) == 1
    message = str(seen[0].message)
    assert "fakecore.hot" in message and "hot.py changed" in message
    assert "whole compiled core" in message and "Reinstall" in message


def test_an_edited_or_added_pxd_makes_the_extension_stale(tmp_path: Path) -> None:
    src, _ = _package(tmp_path)
    _record(tmp_path)
    pxd = src.with_suffix(".pxd")
    pxd.write_text("cdef class Hot: pass\n")  # not there at build time
    with pytest.warns(UserWarning, match="hot.pxd changed"):
        assert Path(_finder(tmp_path).find_spec(HOT).origin) == src
    _record(tmp_path)
    assert _spec_quietly(_finder(tmp_path)) is None
    pxd.write_text("cdef class Hot:\n    cdef public double x\n")
    with pytest.warns(UserWarning, match="hot.pxd changed"):
        assert Path(_finder(tmp_path).find_spec(HOT).origin) == src


@pytest.mark.parametrize("record", ["missing", "unreadable", "without the module"])
def test_an_extension_without_a_record_is_not_used(tmp_path: Path, record: str) -> None:
    """An extension the build did not record (no record at all, a damaged one, or one
    from a build where this module failed) may be from any older source."""
    src, ext = _package(tmp_path)
    other, _ = _module(src.parent, "other")
    if record == "unreadable":
        (src.parent / _compiled.DIGEST_NAME).write_text("{not json")
    elif record == "without the module":
        _record(tmp_path, (OTHER,))
    finder = _finder(tmp_path, (HOT, OTHER))
    with pytest.warns(UserWarning, match="fakecore.hot.*whole compiled core") as seen:
        assert Path(finder.find_spec(OTHER).origin) == other
    assert len(seen) == 1
    assert finder.stale == ([HOT] if record == "without the module" else [HOT, OTHER])


def test_finder_loads_the_source_when_asked_for_pure_python(tmp_path: Path) -> None:
    src, _ = _package(tmp_path)
    _record(tmp_path)
    finder = _finder(tmp_path, pure=True)
    assert Path(finder.find_spec(HOT).origin) == src


def test_finder_answers_only_for_the_compiled_modules(tmp_path: Path) -> None:
    """Every other name gets None at once, and costs no hashing."""
    _package(tmp_path)
    (tmp_path / "fakecore" / "hot.py").write_text("edited, unrecorded")
    for pure in (False, True):
        finder = _finder(tmp_path, pure=pure)
        for name in ("fakecore.other", "fakecore", "json", "sim.model", "hot"):
            assert finder.find_spec(name) is None
        assert not finder._checked and finder.stale == []
    sim_finder = _compiled.SourceFirst(True)  # the real one, forced to source
    assert sim_finder.find_spec("numpy") is None and sim_finder.find_spec("sim") is None
    assert sim_finder.find_spec("sim.model") is None


def test_finder_leaves_a_module_without_an_extension_alone(tmp_path: Path) -> None:
    src, ext = _package(tmp_path)
    ext.unlink()
    assert _finder(tmp_path, pure=True).find_spec(HOT) is None
    assert _spec_quietly(_finder(tmp_path)) is None  # nothing compiled: nothing to check


def test_the_installed_record_matches_the_sources() -> None:
    """Where the core is compiled, the build's record is the sources' digest now."""
    _require_compiled()
    record = json.loads((Path(_compiled.__file__).parent / _compiled.DIGEST_NAME).read_text())
    assert record["modules"] == _compiled.source_digest()


def test_every_listed_module_exists_and_the_model_wiring_is_not_compiled() -> None:
    for name in _compiled.COMPILED_MODULES:
        assert (ROOT / Path(*name.split("."))).with_suffix(".py").exists(), name
    assert "sim.model" not in _compiled.COMPILED_MODULES  # Mesa's DataCollector lambdas


# ------------------------------------------------------------------ declarations
# A compiled class's fields are declared once, in its .pxd (with their C types); the .py
# takes its __slots__ from there (sim/engine/fields.py). These tests check that every
# class of a .pxd does so, and that its __init__ sets exactly those fields.
def self_attributes(node) -> list[str]:  # noqa: ANN001 (an ast node)
    """The attributes of ``self`` that the code under ``node`` (an ``__init__``'s syntax
    tree) assigns, in order of first assignment."""
    names: list[str] = []
    for sub in ast.walk(node):
        targets = sub.targets if isinstance(sub, ast.Assign) else \
            [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                        and t.value.id == "self" and t.attr not in names:
                    names.append(t.attr)
    return names


def py_declarations(text: str) -> dict[str, tuple[str | None, set[str] | None]]:
    """For each class of a .py: the source of its ``__slots__`` value (None without) and
    the attributes its ``__init__`` sets on ``self`` (None without an ``__init__``)."""
    out = {}
    for node in ast.parse(text).body:
        if not isinstance(node, ast.ClassDef):
            continue
        slots_src, init = None, None
        for item in node.body:
            if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in item.targets):
                slots_src = ast.unparse(item.value)
            elif isinstance(item, ast.FunctionDef) and item.name == "__init__":
                init = set(self_attributes(item))
        out[node.name] = (slots_src, init)
    return out


def declaration_errors(py_text: str, pxd_text: str) -> list[str]:
    """Where a .py does not take a .pxd class's fields from it, or its ``__init__`` does
    not set exactly those fields (empty: all is well)."""
    errors = []
    classes = py_declarations(py_text)
    for name, fields in pxd_fields(pxd_text).items():
        if name not in classes:
            errors.append(f"{name}: in the .pxd, not in the .py")
            continue
        slots_src, init = classes[name]
        if slots_src != f"slots(__file__, '{name}')":
            errors.append(f"{name}: __slots__ = {slots_src}, not the .pxd's fields")
        if init is not None and init != set(fields):
            errors.append(f"{name}: __init__ sets {sorted(init - set(fields))} beyond the "
                          f"fields and leaves {sorted(set(fields) - init)} unset")
    return errors


@pytest.mark.parametrize("module", [m for m in _compiled.COMPILED_MODULES
                                    if (ROOT / Path(*m.split("."))).with_suffix(".pxd").exists()])
def test_each_compiled_class_takes_its_fields_from_its_pxd(module: str) -> None:
    base = ROOT / Path(*module.split("."))
    pxd = base.with_suffix(".pxd").read_text(encoding="utf-8")
    assert pxd_fields(pxd), f"{module}: no cdef class in its .pxd"
    assert declaration_errors(base.with_suffix(".py").read_text(encoding="utf-8"), pxd) == []
    mod = importlib.import_module(module)
    for name, fields in pxd_fields(pxd).items():
        assert tuple(getattr(mod, name).__slots__) == tuple(fields), name


def test_the_declaration_check_can_fail() -> None:
    pxd = ("cimport cython\n@cython.final\ncdef class A:\n    cdef public long long x, y\n"
           "    cdef public object z  # note\n    cpdef fire(self)\n"
           "cdef class B:\n    cdef double *p\n")
    assert pxd_fields(pxd) == {"A": ["x", "y", "z"], "B": ["p"]}
    good = ("class A:\n    __slots__ = slots(__file__, 'A')\n    def __init__(self):\n"
            "        self.x, self.y = 1, 2\n        self.z: int = 0\n"
            "class B:\n    __slots__ = slots(__file__, 'B')\n")
    assert declaration_errors(good, pxd) == []
    assert declaration_errors(good.replace("slots(__file__, 'A')", "('x', 'y', 'z')"), pxd)
    assert declaration_errors(good.replace("        self.z: int = 0\n", ""), pxd)  # unset
    assert declaration_errors(good.replace("self.x, self.y", "self.x, self.w"), pxd)  # extra
    assert declaration_errors(good.replace("class B:\n    __slots__ = slots(__file__, 'B')\n",
                                           ""), pxd)


# ------------------------------------------------------------------ a wheel install
_CHECK_INSTALLED = r"""
import json, sim, sim._compiled as c
print(json.dumps({"core": c.core(), "file": sim.__file__}))
"""


def _copy_project(dest: Path) -> Path:
    """The files a wheel is built from, as a fresh checkout has them (no .venv, no
    extensions, no record, no build/ from this tree)."""
    import shutil

    skip = shutil.ignore_patterns("__pycache__", "*.so", "*.c", "*.pyc", _compiled.DIGEST_NAME)
    for folder in ("sim", "benchmarks"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=skip)
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.mark.integration
def test_a_wheel_install_uses_the_compiled_core_without_a_warning(tmp_path: Path) -> None:
    """pip wheel, then pip install of that wheel into a fresh venv: the files are laid
    down in the wheel's order (a .py may be newer than its extension), and the compiled
    core must still be used, silently."""
    import shutil
    import sysconfig

    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the wheel would be pure Python")
    project = _copy_project(tmp_path / "project")
    wheels = tmp_path / "wheels"
    env = {k: v for k, v in os.environ.items()
           if k not in (_compiled.PURE_ENV, "JAMBI_SIM_NO_COMPILE", "PYTHONPATH")}
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q",
                          "-w", str(wheels)], cwd=project, env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = wheels.glob("jambi_sim-*.whl")
    assert "-cp311-" in wheel.name, wheel.name  # a platform wheel: the extensions are in it
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert f"sim/{_compiled.DIGEST_NAME}" in names and "sim/model/cases.py" in names

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=300)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies (numpy, Mesa, ...) from this test's environment, after fresh's own
    # site-packages; a plain path, so this environment's .pth files (its editable sim)
    # are not run there
    (site / "zz_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    out = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                          str(wheel)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    # run outside the checkout, so its sim/ is not on the path
    run = subprocess.run([str(python), "-W", "error", "-c", _CHECK_INSTALLED], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stderr == ""  # no warning of any kind (and -W error would have failed it)
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(seen["file"]).resolve().is_relative_to(site.resolve()), seen["file"]
    assert seen["core"] == "compiled"


def test_a_core_with_a_missing_extension_loads_all_from_source(tmp_path: Path) -> None:
    """All or none: when one optional extension did not build, the others (compiled
    against its C types) are not used either; a complete core is used as before."""
    src, _ = _package(tmp_path)
    cold = src.parent / "cold.py"
    cold.write_text("WHERE = 'source'\n")  # its extension failed to build
    names = (HOT, "fakecore.cold")
    _record(tmp_path, (HOT,))
    finder = _finder(tmp_path, names)
    with pytest.warns(UserWarning, match="fakecore.cold has no extension"):
        spec = finder.find_spec(HOT)
    assert spec is not None and spec.origin == str(src)
    cold.with_suffix(_compiled.importlib.machinery.EXTENSION_SUFFIXES[0]).write_bytes(b"x")
    _record(tmp_path, names)
    assert _spec_quietly(_finder(tmp_path, names)) is None


def _office_overrides(module: object) -> list[str]:
    """Methods of OfficeState that a subclass in ``module`` defines again."""
    from sim.model.office_state import OfficeState

    methods = {"receive", "start", "decide", "judge", "adapt"}
    return [f"{cls.__name__}.{name}" for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, OfficeState) and cls is not OfficeState
            for name in methods & set(vars(cls))]


def test_no_office_overrides_what_the_compiled_base_calls_in_c() -> None:
    """The compiled OfficeState calls its decisions as C methods, which do not see a Python
    subclass's override; the pure build would. An override would make the two builds differ,
    so each stage's decision lives in OfficeState.judge."""
    import types

    from sim.model import agents

    assert _office_overrides(agents) == []
    probe = types.ModuleType("probe")
    probe.Office = type("Probe", (agents.Office,), {"judge": lambda self, *a: None})
    assert _office_overrides(probe) == ["Probe.judge"]  # the check can fail
