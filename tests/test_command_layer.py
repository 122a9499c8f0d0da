"""Every ``jambi-sim`` command goes through one layer (sim.ui.command, issue 19): its
inputs are read once and hashed, its outputs staged, its workers owned, and a user's
mistake is one paragraph with exit code 2. These tests hold that in place."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest

from sim.ui import cli
from sim.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "sim" / "ui"
# What only the layer does: read inputs, size runs, stage outputs, start workers.
LAYER_ONLY = {"read_bytes", "StagedOutput", "WorkerPool", "check_out_dir", "check_memory",
              "stale_attempts", "from_toml", "load_scenario"}


def bypasses(source: str) -> list[str]:
    """The ``cmd_*`` functions of a module that do not go through the layer (no ``@entry``),
    and their calls (and their private helpers') to what only the layer may do."""
    tree = ast.parse(source)
    out = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith(("cmd_", "_")):
            continue
        if fn.name.startswith("cmd_") and not any(
                isinstance(d, ast.Name) and d.id == "entry" for d in fn.decorator_list):
            out.append(f"{fn.name} has no @entry")
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else ""
            through_cmd = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id == "cmd"  # the layer's own method
            if name in LAYER_ONLY and not through_cmd:
                out.append(f"line {node.lineno} calls {name}")
    return out


COMMAND_MODULES = sorted({f"{m}.py" for m in cli.COMMANDS.values()})


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_every_command_goes_through_the_layer(module: str) -> None:
    assert bypasses((UI / module).read_text(encoding="utf-8")) == []


def test_every_command_of_the_parser_is_a_layered_function() -> None:
    names = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert names == set(cli.COMMANDS)
    for name in names:
        assert getattr(cli.command(name), "through_layer", False), name


def test_the_layer_check_can_fail() -> None:
    bad = ("def cmd_x(args):\n    return StagedOutput(args.out)\n"
           "@entry\ndef cmd_y(cmd):\n    cmd.pool(2)\n    return WorkerPool(2)\n")
    assert bypasses(bad) == ["cmd_x has no @entry", "line 2 calls StagedOutput",
                             "line 6 calls WorkerPool"]


# ------------------------------------------------------------------ one paragraph, exit 2
def test_a_user_error_leaves_no_staging_folder_and_no_traceback(tmp_path: Path,
                                                                capsys) -> None:
    ev = tmp_path / "ev.toml"
    ev.write_text('[study]\nid = "../x"\nscale = "low-medium-high"\n')
    out = tmp_path / "out"
    assert main(["evidence", str(ev), "--mapping", str(ROOT / "evidence" / "mapping.toml"),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jambi-sim: error: ") and "study.id" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev.toml"]  # no out.partial-*


def test_a_missing_input_names_the_file(tmp_path: Path, capsys) -> None:
    for argv in (["sweep", str(tmp_path / "nope.toml")],
                 ["calibrate", str(tmp_path / "nope.toml")],
                 ["heldout", str(tmp_path / "nope.toml")],
                 ["run", str(tmp_path / "nope.toml")]):
        assert main([*argv, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "nope.toml" in err and "no such" in err and "Traceback" not in err


# ------------------------------------------------------------------ inputs read once
from test_study_safety import TINY  # noqa: E402 (a scenario of one small half-year)

EXPERIMENT = """
name = "once"
scenario = "base.toml"
design = "grid"
reps = 1
outputs = ["active_members_end"]
[factors]
turf = { values = [0.2, 0.8] }
"""

CALIBRATION = """
name = "once_cal"
scenario = "base.toml"
candidates = 200
final_reps = 2
[[waves]]
samples = 12
reps = 2
[factors]
"awareness.initial" = {}
"barriers.turf" = {}
[[targets]]
name = "stock"
output = "active_members_end"
observed = 300
obs_sd = 30
"""

HELDOUT = """
name = "once_heldout"
scenario = "base.toml"
reps = 2
[[patterns]]
name = "some_members"
what = "members at the end"
observed = "some"
source = "a test"
why_held_out = "a test"
kind = "value"
a = ["active_members_end"]
lo = 0.0
hi = 1e9
"""


def _count_reads(monkeypatch, path: Path) -> list[int]:
    """Count every read of ``path`` from disk: by the scenario reader or by pathlib."""
    import sim.scenario.schema as schema
    import sim.scenario.source as source

    seen: list[int] = []

    def counted(real):
        def read(p, *a, **kw):
            if Path(p).resolve() == path.resolve():
                seen.append(1)
            return real(p, *a, **kw)
        return read

    monkeypatch.setattr(source, "read_bytes", counted(source.read_bytes))
    monkeypatch.setattr(schema, "read_bytes", counted(schema.read_bytes))
    monkeypatch.setattr(Path, "read_bytes", counted(Path.read_bytes))
    monkeypatch.setattr(Path, "read_text", counted(Path.read_text))
    return seen


DISCOVER = EXPERIMENT + """[discover]
outcome = "active_members_end"
threshold = 100
direction = "at_least"
"""


@pytest.mark.parametrize("command, text", [("sweep", EXPERIMENT), ("sensitivity", None),
                                           ("calibrate", CALIBRATION),
                                           ("heldout", HELDOUT), ("discover", DISCOVER)])
def test_a_study_reads_its_base_scenario_once(command: str, text: str | None,
                                              tmp_path: Path, monkeypatch) -> None:
    base = tmp_path / "base.toml"
    base.write_text(TINY)
    if command == "sensitivity":
        text = EXPERIMENT.replace('design = "grid"', 'design = "morris"\nsamples = 4') \
            .replace("turf = { values = [0.2, 0.8] }", 'turf = {}\npower = {}')
    spec = tmp_path / "study.toml"
    spec.write_text(text)
    seen = _count_reads(monkeypatch, base)
    out = ["--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "out")] \
        if command in ("calibrate", "discover") else ["--out", str(tmp_path / "out")]
    assert main([command, str(spec), *out, "--quiet", "--no-figures"]) in (0, 1)
    assert len(seen) == 1, f"{command} read its base scenario {len(seen)} times"


def test_a_sweep_runs_and_records_the_bytes_it_read(tmp_path: Path, monkeypatch) -> None:
    """The base scenario is removed after the experiment is loaded: the sweep still runs
    what it read, and records the hash of those bytes."""
    import sim.studies.design as design

    base = tmp_path / "base.toml"
    base.write_text(TINY)
    want = hashlib.sha256(base.read_bytes()).hexdigest()
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    real = design.build_design

    def build_design(exp, bases=None):  # after the load, before the jobs are made
        base.unlink(missing_ok=True)
        return real(exp, bases)

    monkeypatch.setattr(design, "build_design", build_design)
    out = tmp_path / "out"
    assert main(["sweep", str(tmp_path / "exp.toml"), "--out", str(out), "--quiet",
                 "--no-figures", "--format", "csv"]) == 0
    assert not base.exists()
    inputs = json.loads((out / "experiment.json").read_text())["inputs"]
    assert inputs[str(tmp_path / "base.toml")] == want
    assert str(tmp_path / "exp.toml") in inputs


def test_every_summary_records_its_inputs(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text(TINY)
    out = tmp_path / "out"
    assert main(["run", str(base), "--reps", "1", "--out", str(out), "--quiet",
                 "--no-figures", "--no-cases"]) == 0
    prov = json.loads((out / "summary.json").read_text())["provenance"]
    assert prov["inputs"] == {str(base): hashlib.sha256(TINY.encode()).hexdigest()}
    assert prov["scenario_sha256"] == prov["inputs"][str(base)]


# ------------------------------------------------------------------ workers owned
def test_the_command_owns_one_pool_for_all_its_runs(tmp_path: Path, monkeypatch) -> None:
    """whatif runs its values on one pool that the command closes at its end."""
    import sim.runner.replications as reps

    made: list[reps.WorkerPool] = []
    real = reps.WorkerPool

    class Pool(real):
        def __init__(self, workers: int):
            super().__init__(workers)
            made.append(self)

    monkeypatch.setattr(reps, "WorkerPool", Pool)
    base = tmp_path / "base.toml"
    base.write_text(TINY)
    assert main(["whatif", str(base), "--param", "turf", "--values", "0,1", "--reps", "2",
                 "--workers", "2", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert len(made) == 1 and made[0]._executor is None  # one pool, closed at the end
