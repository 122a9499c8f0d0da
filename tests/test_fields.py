"""The fields of plain classes kept in slots (sim.engine.fields.init_fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.engine.fields import init_fields


def test_init_fields_reads_what_init_sets(tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_text(
        "class Base:\n    pass\n\n\n"
        "class A(Base):\n    \"\"\"doc\"\"\"\n\n    kind = 'a'\n\n"
        "    def __init__(self, x: int,\n                 y: int\n                 ) -> None:\n"
        "        self.x = x\n        self.y: int = y\n        self.a, self.b = 1, 2\n"
        "        self.x += 1\n        if x:\n            self.c = [0]\n"
        "        self.c[0] = 3\n\n"
        "    def later(self) -> None:\n        self.d = 4\n")
    assert init_fields(str(tmp_path / "mod.cpython-311-x86_64-linux-gnu.so"), "A") == \
        ("x", "y", "a", "b", "c")
    with pytest.raises(ValueError, match="no __init__ of class Base"):
        init_fields(str(src), "Base")


def test_the_slotted_model_classes_keep_every_field() -> None:
    from sim.model.agents import Household, Office
    from sim.model.pathways import CaseFlow
    from sim.model.population import Population
    for cls, some in [(Household, {"idx", "status", "case", "filed"}),
                      (Office, {"desk", "calendar", "surges"}),
                      (CaseFlow, {"events", "where", "city", "t_online"}),
                      (Population, {"households", "unsettled", "_exit_event"})]:
        assert some <= set(cls.__slots__), cls.__name__
