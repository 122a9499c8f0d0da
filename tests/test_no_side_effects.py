"""``import sim`` changes nothing process-wide: a fresh interpreter imports every module of
the package and touches every public name, and its memory allocator, multiprocessing start
method, signal handlers, warning filters and matplotlib backend are as they were.

The only addition is on ``sys.meta_path``: sim's own finders (the compiled core's and the
former module paths'), which answer for ``sim.*`` names only.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = textwrap.dedent(r'''
    import ctypes, importlib, json, multiprocessing, pkgutil, signal, sys, warnings
    import matplotlib

    class ArenaAllocator(ctypes.Structure):
        _fields_ = [("ctx", ctypes.c_void_p), ("alloc", ctypes.c_void_p),
                    ("free", ctypes.c_void_p)]

    def state():
        arena = ArenaAllocator()
        ctypes.pythonapi.PyObject_GetArenaAllocator(ctypes.byref(arena))
        handlers = {}
        for s in signal.valid_signals():
            try:
                h = signal.getsignal(s)
            except (OSError, ValueError):
                continue
            handlers[int(s)] = h if isinstance(h, int) else repr(h)
        return {"allocator": [arena.ctx, arena.alloc, arena.free],
                "start_method": multiprocessing.get_start_method(allow_none=True),
                "signals": handlers,
                "warning_filters": [repr(f) for f in warnings.filters],
                "backend": repr(dict.__getitem__(matplotlib.rcParams, "backend")),
                "pyplot": "matplotlib.pyplot" in sys.modules}

    # What the project's dependencies do to the process when imported is theirs (SciPy adds
    # warning filters, for one): import them first, all but Mesa, whose change of the start
    # method sim must undo (sim/_mesa.py).
    for dep in sys.argv[3].split():
        importlib.import_module(dep)
    before = state()
    finders = list(sys.meta_path)
    import sim
    exec(sys.argv[2])  # the test's own change, if any
    touched = []
    for name in sim.__all__:
        getattr(sim, name)
    names = sorted({m.name for m in pkgutil.walk_packages(sim.__path__, "sim.")}
                   - {"sim.__main__"}) if sys.argv[1] == "walk" else []
    for name in names:
        mod = importlib.import_module(name)
        for attr in dir(mod):
            if not attr.startswith("_"):
                getattr(mod, attr)
        touched.append(name)
    after = state()
    added = [f for f in sys.meta_path if f not in finders]
    answers = {type(f).__name__: f.find_spec("json", None) is None and
               f.find_spec("numpy.linalg", None) is None for f in added}
    print(json.dumps({"before": before, "after": after, "modules": touched,
                      "finders": answers}))
''')


SIM = Path(__file__).resolve().parents[1] / "sim"


def dependencies() -> str:
    """Every third-party package a module of sim imports, but Mesa (space-separated)."""
    found: set[str] = set()
    for path in SIM.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    # cython: the compiled core's build-time C types (sim/model/pathways.py imports them
    # under try/except ImportError); nothing of it is imported at run time
    return " ".join(sorted(found - set(sys.stdlib_module_names) - {"sim", "mesa", "benchmarks",
                                                                   "__future__", "cython"}))


@pytest.mark.integration
def test_importing_every_module_leaves_the_process_as_it_was() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, "walk", "", dependencies()], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(res["modules"]) > 50  # every layer's modules, the dashboard page included
    assert {"sim.ui.app", "sim.show.plots", "sim.studies.sensitivity"} <= set(res["modules"])
    for key in ("allocator", "start_method", "signals", "warning_filters", "backend",
                "pyplot"):
        assert res["after"][key] == res["before"][key], key
    assert res["finders"] and all(res["finders"].values()), res["finders"]


def test_the_state_probe_can_see_a_change() -> None:
    """The same probe, with a module that changes two of the five things: it sees both."""
    change = ("warnings.simplefilter('ignore'); "
              "signal.signal(signal.SIGUSR1, signal.SIG_IGN)")
    out = subprocess.run([sys.executable, "-c", PROBE, "nowalk", change, ""], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["after"]["warning_filters"] != res["before"]["warning_filters"]
    assert res["after"]["signals"] != res["before"]["signals"]
