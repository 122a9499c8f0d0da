"""The layout holds: the layers that ``sim/__init__.py`` declares are the folders of the
tree; imports inside ``sim/`` run from a layer to itself or to a layer below it, never up and
never in a circle (type-only imports included); the model core imports no I/O, plotting, CLI
or dashboard code; and no module grows past 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sim

SIM = Path(__file__).resolve().parents[1] / "sim"
# The model core: what a Mesa user, a sweep worker or the dashboard builds on.
CORE = ("sim.engine", "sim.scenario", "sim.model")
NOT_IN_CORE = ("sim.runner", "sim.show", "sim.studies", "sim.ui",
               "matplotlib", "solara", "tqdm", "argparse")
MAX_LINES = 500


def layer_of(module: str) -> int:
    """The index of a module's layer in ``sim.LAYERS``; -1 for the foundation under all of
    them; ``sim.__main__`` belongs with the command line."""
    if module == "sim.__main__":
        return sim.LAYERS.index("ui")
    if module in sim.FOUNDATION:
        return -1
    top = module.split(".")[1]
    if top not in sim.LAYERS:
        raise AssertionError(f"{module} is in no layer: add it to sim.LAYERS or sim.FOUNDATION")
    return sim.LAYERS.index(top)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import that runs from a layer to one above it."""
    return sorted(f"{a} ({sim.LAYERS[layer_of(a)] if layer_of(a) >= 0 else 'foundation'}) "
                  f"imports {b} ({sim.LAYERS[layer_of(b)]})"
                  for a, deps in graph.items() for b in deps if layer_of(b) > layer_of(a))


def module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str], me: str | None = None) -> set[str]:
    """Every module this file imports, anywhere in it (functions and ``if TYPE_CHECKING``
    blocks too); ``from a import b`` counts as importing ``a.b`` where that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = me or module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in modules else base)
    return out


# Extension modules written in C (not generated from a .py): leaves of the graph. There are
# none: every extension is compiled from its .py (sim/_compiled.py).
C_MODULES: set[str] = set()


def resolve(name: str, modules: set[str]) -> str | None:
    """The module an imported name is: itself, or the new home of a former path
    (``sim.metrics`` is ``sim.runner.records``); None outside sim."""
    if name in modules:
        return name
    from sim._moved import new_home

    home = new_home(name) if name.startswith("sim.") else None
    while home is not None and home not in modules and "." in home:
        home = home.rpartition(".")[0]  # ``sim.metrics.case_table``: the module part
    return home if home in modules else None


def import_graph() -> dict[str, set[str]]:
    files = sorted(SIM.rglob("*.py"))
    modules = {module_name(p) for p in files} | C_MODULES
    graph = {module_name(p): {r for m in imports_of(p, modules)
                              if (r := resolve(m, modules)) is not None}
             for p in files}
    return graph | {m: set() for m in C_MODULES}


def test_an_import_through_a_former_path_is_an_arrow_to_its_new_home() -> None:
    modules = {"sim.runner.records", "sim.engine.desk", "sim.runner"}
    assert resolve("sim.metrics", modules) == "sim.runner.records"
    assert resolve("sim.engine.desk", modules) == "sim.engine.desk"
    assert resolve("numpy", modules) is None
    graph = {"sim.engine.desk": {resolve("sim.metrics", modules)}}
    assert upward_imports(graph) == [
        "sim.engine.desk (engine) imports sim.runner.records (runner)"]


def test_c_modules_are_known() -> None:
    """Every hand-written C source in sim/ is listed in C_MODULES, a leaf of the graph
    (generated .c files sit beside their .py, and are not hand-written)."""
    sources = {module_name(p) for p in SIM.rglob("*.c") if not p.with_suffix(".py").exists()}
    assert sources == C_MODULES


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports, as a path that ends where it starts; None if there is none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_circle_inside_sim() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_circle_check_can_fail() -> None:
    graph = {"sim.a": {"sim.b"}, "sim.b": {"sim.c"}, "sim.c": {"sim.a"}, "sim.d": set()}
    assert find_cycle(graph) == ["sim.a", "sim.b", "sim.c", "sim.a"]
    assert find_cycle({"sim.a": {"sim.b"}, "sim.b": set()}) is None


def test_type_only_and_relative_imports_are_seen(tmp_path: Path) -> None:
    """An import under ``if TYPE_CHECKING`` or inside a function is an arrow too."""
    src = tmp_path / "x.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from sim.model import JambiBugarModel\n"
                   "def f():\n    from .engine import events\n", encoding="utf-8")
    found = imports_of(src, {"sim.model", "sim.engine", "sim.engine.events"}, me="sim.x")
    assert {"sim.model", "sim.engine.events"} <= found


@pytest.mark.parametrize("core", CORE)
def test_model_core_imports_no_io_plotting_or_cli(core: str) -> None:
    graph = import_graph()
    files = sorted(SIM.rglob("*.py"))
    modules = {module_name(p) for p in files}
    mine = [p for p in files if module_name(p) == core or module_name(p).startswith(core + ".")]
    assert mine, core
    for p in mine:
        external = imports_of(p, modules)
        bad = sorted(m for m in external | graph[module_name(p)]
                     if any(m == b or m.startswith(b + ".") for b in NOT_IN_CORE))
        assert not bad, f"{module_name(p)} imports {bad}"


def test_no_module_shadows_the_standard_library() -> None:
    import sys

    names = {p.stem for p in SIM.rglob("*.py")} | {p.name for p in SIM.rglob("*") if p.is_dir()}
    clash = sorted(n for n in names if n in sys.stdlib_module_names)
    assert not clash, f"sim modules named like standard-library modules: {clash}"


def test_calendar_serve_equals_its_two_conversions() -> None:
    """The one-call service span used on the hot path agrees with to_work/from_work."""
    import datetime as dt

    import numpy as np

    from sim.engine.worktime import Clock, WorkCalendar

    clock = Clock(dt.date(2020, 12, 1), dt.date(2021, 2, 28), margin_days=10)
    cal = WorkCalendar(clock, weekends=True, holidays=True, year_end_closing_days=5)
    rng = np.random.default_rng(0)
    for t, s in zip(rng.uniform(0, clock.span + 5, 2000), rng.exponential(2.0, 2000)):
        w0 = cal.to_work(t)
        assert cal.serve(t, s) == (cal.from_work(w0), cal.from_work(w0 + s))



@pytest.mark.parametrize("margin", [0, 10])  # 0: the span ends on a closed day (a Sunday)
def test_calendar_from_work_is_its_bisect_definition(margin: int) -> None:
    """from_work reads the day from a table (``last_day``); it must be the day that
    bisecting the cumulative working time gives, for any working time, whole or not."""
    import datetime as dt
    from bisect import bisect_right

    import numpy as np

    from sim.engine.worktime import Clock, WorkCalendar

    clock = Clock(dt.date(2020, 12, 1), dt.date(2021, 2, 28), margin_days=margin)
    cal = WorkCalendar(clock, weekends=True, holidays=True, year_end_closing_days=5)
    last = cal.cum[-1]
    ws = np.concatenate([np.arange(-2.0, last + 2, 0.5), np.random.default_rng(1).uniform(
        -1, last + 1, 2000), [np.nextafter(last, 0)]])
    for w in ws:
        w = float(w)
        if w >= last:
            expected = len(cal.open) + (w - last)
        else:
            d = bisect_right(cal.cum, w) - 1
            expected = d + (w - cal.cum[d])
        assert cal.from_work(w) == expected, w

def test_the_declared_layers_are_the_tree() -> None:
    """Every package directly under sim/ is a declared layer, and every layer is a package;
    the only modules directly under sim/ are the foundation's."""
    packages = {p.name for p in SIM.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(sim.LAYERS)
    loose = {f"sim.{p.stem}" for p in SIM.glob("*.py")} - {"sim.__init__", "sim.__main__"}
    assert loose == set(sim.FOUNDATION) - {"sim"} - C_MODULES


def test_imports_never_run_up_the_layers() -> None:
    bad = upward_imports(import_graph())
    assert not bad, "\n".join(bad)


def test_the_layer_check_can_fail() -> None:
    graph = {"sim.model.city": {"sim.engine.events"}, "sim.engine.desk": {"sim.runner.staging"},
             "sim.checks": {"sim.model.cases"}}
    assert upward_imports(graph) == [
        "sim.checks (foundation) imports sim.model.cases (model)",
        "sim.engine.desk (engine) imports sim.runner.staging (runner)"]


def too_long(root: Path, limit: int = MAX_LINES) -> list[str]:
    return sorted(f"{p.relative_to(root.parent)}: {n} lines" for p in root.rglob("*.py")
                  if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit)


def test_no_module_is_over_500_lines() -> None:
    assert not too_long(SIM), too_long(SIM)


def test_the_size_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "pkg" / "small.py").write_text("x = 1\n" * MAX_LINES)
    assert too_long(tmp_path / "pkg") == [f"pkg/big.py: {MAX_LINES + 1} lines"]
