"""The model's parts: one owner per stock, and components added without editing the model.

- The quota's counts (``active``, ``pending``, ``waiting``) are assigned only inside
  :class:`sim.model.program.Quota`: every other part changes them through its methods.
- A component given to the model is started, run at each day's and month's end, writes its
  columns in the timeseries and has its invariants audited: a new mechanism is a component,
  not an edit of ``sim/model/model.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import small

from sim.engine.events import EventQueue
from sim.model import JambiBugarModel
from sim.model.component import Component
from sim.model.program import Quota

SIM = Path(__file__).resolve().parents[1] / "sim"
QUOTA_COUNTS = {"active", "pending", "waiting"}


def writes_outside_quota(source: str, filename: str) -> list[str]:
    """Assignments to an attribute named like a quota count, outside ``class Quota``."""
    tree = ast.parse(source)
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Quota":
            inside |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in inside:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        hit = any(isinstance(t, ast.Attribute) and t.attr in QUOTA_COUNTS
                  for target in targets for t in ast.walk(target))
        if isinstance(node, ast.Call):
            f = node.func
            # x.waiting.append(...), .popleft(), .clear(): the waiting list changed in place
            hit = hit or (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute)
                          and f.value.attr == "waiting")
            # setattr(x, "active", ...)
            hit = hit or (isinstance(f, ast.Name) and f.id == "setattr" and len(node.args) > 1
                          and isinstance(node.args[1], ast.Constant)
                          and node.args[1].value in QUOTA_COUNTS)
        if hit:
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_quota_assigns_its_counts() -> None:
    found = []
    for path in sorted(SIM.rglob("*.py")):
        found += writes_outside_quota(path.read_text(encoding="utf-8"),
                                      str(path.relative_to(SIM.parent)))
    assert not found, "\n".join(found)


def test_the_ownership_check_can_fail() -> None:
    src = ("class Quota:\n    def f(self):\n        self.active += 1\n"
           "class Population:\n    def g(self):\n        self.quota.active += 2\n"
           "        self.quota.waiting = []\n")
    assert writes_outside_quota(src, "x.py") == [
        "x.py:6: self.quota.active += 2", "x.py:7: self.quota.waiting = []"]
    src = ("class Quota:\n    def f(self):\n        self.waiting.popleft()\n"
           "def g(flow):\n    flow.quota.waiting.append(1)\n"
           "    setattr(flow.quota, 'pending', 0)\n    flow.queue.append(2)\n")
    assert writes_outside_quota(src, "y.py") == [
        "y.py:5: flow.quota.waiting.append(1)", "y.py:6: setattr(flow.quota, 'pending', 0)"]


class Probe(Component):
    """A toy mechanism: an event on the first of each month, a column, an invariant."""

    def __init__(self, model_days: int, quota: Quota | None = None):
        self.model_days = model_days
        self.quota = quota  # a part of the model it reads, given when it is built
        self.fired: list[float] = []
        self.days = 0
        self.months = 0

    def start(self, events: EventQueue) -> None:
        for t in range(0, self.model_days, 30):
            events.schedule(float(t), self.fire)

    def fire(self, t: float) -> None:  # an event's callback gets the time first
        self.fired.append(t)

    def day_end(self, day: int) -> None:
        self.days += 1

    def month_end(self, t: float) -> None:
        self.months += 1

    def row(self, t: float) -> dict[str, int]:
        row = {"probe_events": len(self.fired), "probe_months": self.months}
        if self.quota is not None:
            row["probe_active"] = self.quota.active
        return row

    def audit(self) -> list[str]:
        return [] if self.days >= self.months else ["probe: more months than days"]


def test_a_component_runs_without_editing_the_model() -> None:
    sc = small()
    plain = JambiBugarModel(sc, seed=3)
    horizon = plain.clock.horizon
    probe = Probe(horizon)
    model = JambiBugarModel(sc, seed=3, components=[probe])
    assert model.components[-1] is probe
    for _ in range(horizon):
        plain.step()
        model.step()
        assert model.audit() == []
    assert probe.days == horizon
    assert probe.months == len(model.monthly) == 24
    assert probe.fired == [float(t) for t in range(0, horizon, 30)]
    last = model.monthly[-1]
    assert last["probe_events"] == len(probe.fired) and last["probe_months"] == 24
    # the probe draws nothing and touches nothing: the model's own columns are unchanged
    assert [{k: v for k, v in r.items() if not k.startswith("probe_")}
            for r in model.monthly] == plain.monthly


def test_a_component_made_from_the_built_model_gets_its_parts() -> None:
    """A factory given instead of a component is called with the built model, so the
    component holds the part it reads from the start (no attaching afterwards)."""
    made: list[Probe] = []

    def factory(model: JambiBugarModel) -> Probe:
        made.append(Probe(model.clock.horizon, model.quota))
        return made[0]

    model = JambiBugarModel(small(), seed=2, components=[factory])
    assert model.components[-1] is made[0] and made[0].quota is model.quota
    for _ in range(model.clock.horizon):
        model.step()
    assert all(r["probe_active"] == r["enrolled"] for r in model.monthly)


def test_the_components_order_keeps_the_timeseries_columns() -> None:
    """With coordination evolving, the trust columns come before the sustainability ones,
    as they did before the model ran its parts as components."""
    model = JambiBugarModel(small(relations={"enabled": True}), seed=1)
    while model.running:
        model.step()
    cols = list(model.monthly[0])
    assert cols.index("coord_dinsos_dinkes") < cols.index("pressure_dinsos") < \
        cols.index("coverage_city") < cols.index("budget_idr")


def test_a_components_audit_is_the_models() -> None:
    probe = Probe(10)
    model = JambiBugarModel(small(), seed=1, components=[probe])
    model.step()
    probe.months = 5
    assert "probe: more months than days" in model.audit()
