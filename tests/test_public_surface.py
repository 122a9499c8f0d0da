"""The public surface holds through the move to layers: the names the README and docs use,
and every module path from before it (an alias of the module's new home, CHANGELOG.md)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import sim
from sim._moved import MOVED

# What ``import sim`` offers, and what each is.
PUBLIC = {"run": "function", "run_one": "function", "evaluate": "function",
          "salib_problem": "function", "ema_model": "function", "scalars": "function",
          "Scenario": "class", "ScenarioError": "class", "Result": "class",
          "JambiBugarModel": "class", "OUTPUTS": "dict", "__version__": "str"}
# Documented module paths of each layer, with a name each must hold.
MODULES = {"sim.engine.events": "EventQueue", "sim.engine.desk": "ServiceDesk",
           "sim.scenario": "Scenario", "sim.scenario.schema": "Scenario",
           "sim.model": "JambiBugarModel", "sim.model.component": "Component",
           "sim.model.program": "Quota", "sim.runner": "run",
           "sim.runner.replications": "run_one", "sim.runner.records": "case_table",
           "sim.runner.catalogue": "OUTPUTS", "sim.runner.staging": "StagedOutput",
           "sim.show.i18n": "tr", "sim.show.plots": "subplots",
           "sim.studies": "sweep", "sim.studies.sensitivity": "evaluate",
           "sim.studies.calibrate": "calibrate", "sim.ui.cli": "main"}


def test_the_public_names_are_what_they_say() -> None:
    assert set(PUBLIC) == set(sim.__all__)
    for name, kind in PUBLIC.items():
        value = getattr(sim, name)
        if kind == "function":
            assert callable(value) and not isinstance(value, type), name
        elif kind == "class":
            assert isinstance(value, type), name
        else:
            assert type(value).__name__ == kind, name


@pytest.mark.parametrize("path", sorted(MODULES))
def test_documented_module_paths_hold_their_names(path: str) -> None:
    assert hasattr(importlib.import_module(path), MODULES[path])


@pytest.mark.parametrize("old", sorted(MOVED))
def test_former_module_paths_are_the_modules_new_homes(old: str) -> None:
    new = importlib.import_module(MOVED[old])
    assert importlib.import_module(old) is new
    assert new.__name__ == MOVED[old]  # the module keeps its own name and spec
    assert new.__spec__.name == MOVED[old]



def test_from_a_former_path_import_a_name() -> None:
    from sim.metrics import case_table
    from sim.outcomes import OUTPUTS

    from sim.runner.catalogue import OUTPUTS as NEW
    from sim.runner.records import case_table as new_case_table

    assert OUTPUTS is NEW and case_table is new_case_table
    assert sim.metrics is importlib.import_module("sim.runner.records")


def test_an_unknown_module_is_still_unknown() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sim.no_such_module")
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


def test_the_command_runs_as_a_module() -> None:
    out = subprocess.run([sys.executable, "-m", "sim", "validate",
                          "scenarios/online_2021.toml"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "online_2021.toml: ok" in out.stdout


def test_the_changelog_lists_every_move() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    missing = [old for old, new in MOVED.items() if f"| `{old}` | `{new}` |" not in text]
    assert not missing, missing
