"""Issue 19: the protections of ``jambi-sim run`` for every command and the Python API.

Each refusal or warning has its negative twin (the shipped experiments pass)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim import _compiled
from sim.studies import load_experiment, sweep

ROOT = Path(__file__).resolve().parents[1]

ONE_RUN = """
name = "one_run"
design = "grid"
reps = 1
seed = 11
outputs = ["active_members_end"]
[factors]
turf = { values = [0.5] }
[fixed]
uninsured_people_start = 600
n_rt = 30
"population.arrivals_per_year" = 20.0
"time.end" = 2018-06-30
"time.online_from" = 2018-03-01
target = 600
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ run keys
def test_a_changed_model_invalidates_its_stored_runs(tmp_path: Path, monkeypatch) -> None:
    exp, folder = load_experiment(write(tmp_path, ONE_RUN))
    first = sweep(exp, folder, tmp_path / "out")
    assert (first.ran, first.reused) == (1, 0)
    again = sweep(exp, folder, tmp_path / "out")  # the same model: reused
    assert (again.ran, again.reused) == (0, 1)
    # the model's code changes (same package version, same schema): the run is not reused
    monkeypatch.setattr(_compiled, "_model_digest",
                        {k: "0" * 16 for k in _compiled._model_digest})
    changed = sweep(exp, folder, tmp_path / "out")
    assert (changed.ran, changed.reused) == (1, 0)


def test_the_model_digest_follows_the_model_sources(tmp_path: Path) -> None:
    for package in _compiled.MODEL_PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    before = _compiled.model_digest(tmp_path, _compiled.MODEL_PACKAGES[:])
    assert before == _compiled.model_digest(tmp_path, tuple(_compiled.MODEL_PACKAGES))
    path = tmp_path / "sim" / "model" / "agents.py"
    path.write_text(path.read_text() + "\n# a change\n")
    assert _compiled.model_digest(tmp_path, tuple(_compiled.MODEL_PACKAGES)) != before
    # the digest of the installed model is the one of its sources here
    assert _compiled.model_digest() == _compiled.model_digest(ROOT, ("sim/engine",
                                                                     "sim/scenario",
                                                                     "sim/model"))
