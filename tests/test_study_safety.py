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
    for source in _compiled.MODEL_SOURCES:
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, tmp_path / source,
                            ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
        else:
            (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, tmp_path / source)
    before = _compiled.model_digest(tmp_path)
    assert before == _compiled.model_digest(tmp_path, tuple(_compiled.MODEL_SOURCES))
    # the model's Python, its C types, and the runner code that computes a run's outputs
    for rel in ("sim/model/agents.py", "sim/engine/events.pxd", "sim/model/cases.pxd",
                "sim/runner/catalogue.py", "sim/runner/records.py", "sim/runner/totals.py",
                "sim/runner/replications.py"):
        path = tmp_path / rel
        text = path.read_text()
        path.write_text(text + "\n# a change\n")
        assert _compiled.model_digest(tmp_path) != before, rel
        path.write_text(text)
    assert _compiled.model_digest(tmp_path) == before
    # a build's by-products are not sources
    (tmp_path / "sim" / "model" / "agents.c").write_text("/* generated */\n")
    assert _compiled.model_digest(tmp_path) == before
    # the digest of the installed model is the one of its sources here
    assert _compiled.model_digest() == _compiled.model_digest(ROOT)


# ------------------------------------------------------------------ one name per parameter
import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim.scenario import ScenarioError  # noqa: E402
from sim.ui.cli import main  # noqa: E402


def test_two_names_for_one_parameter_are_refused_by_the_api() -> None:
    with pytest.raises(ScenarioError, match="same parameter .barriers.turf"):
        sim.Scenario().with_overrides(turf=0, barriers__turf=1)
    with pytest.raises(ScenarioError, match="same parameter"):
        sim.run(None, turf=0, barriers__turf=1)
    with pytest.raises(ScenarioError, match="same parameter"):
        sim.salib_problem(["turf", "barriers.turf"])
    # the negative twin: distinct parameters, each by any of its names
    sc = sim.Scenario().with_overrides(turf=0.25, **{"offices.dinsos.staff": 3})
    assert sc.barriers.turf == 0.25 and sc.offices.dinsos.staff == 3


@pytest.mark.parametrize("tables", [
    '[factors]\nturf = { values = [0.5] }\n"barriers.turf" = { values = [0.1] }\n',
    '[factors]\nturf = { values = [0.5] }\n[fixed]\nbarriers__turf = 0.1\n',
    '[factors]\nturf = { values = [0.5] }\n[fixed]\npower = 0.1\n"barriers.power" = 0.2\n'])
def test_an_experiment_naming_one_parameter_twice_exits_2(tmp_path: Path, capsys,
                                                           tables: str) -> None:
    exp = write(tmp_path, 'name = "x"\ndesign = "grid"\noutputs = ["gap_to_target"]\n'
                + tables)
    assert main(["sweep", str(exp), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "name the same parameter" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_sets_file_with_two_columns_for_one_parameter_is_refused(tmp_path: Path) -> None:
    from sim.studies.sustainability import read_sets

    (tmp_path / "sets.csv").write_text("turf,barriers.turf\n0.1,0.9\n")
    with pytest.raises(ScenarioError, match="same parameter"):
        read_sets(tmp_path / "sets.csv", 5)
    (tmp_path / "ok.csv").write_text("turf,power,I_max\n0.1,0.9,1.0\n")
    sets, ignored = read_sets(tmp_path / "ok.csv", 5)
    assert sets == [{"turf": 0.1, "power": 0.9}] and ignored == ["I_max"]


# ------------------------------------------------------------------ outputs and arguments
@pytest.mark.parametrize("kw, match", [
    ({"outputs": ["gap_to_targt"]}, "unknown 'gap_to_targt'"),
    ({"outputs": "gap_to_target"}, "outputs must be a list"),
    ({"outputs": ["active_members_2050"]}, "active_members_2050"),
    ({"reps": 0}, "reps must be"), ({"seed": -1}, "seed must be"),
    ({"seed": 2**64}, "seed must be"), ({"seed": 1.5}, "seed must be"),
    ({"names": "turf"}, "names must be"), ({"X": [[np.nan]]}, "NaN"),
])
def test_evaluate_refuses_input_mistakes_naming_the_argument(kw, match) -> None:
    args = {"X": np.array([[0.5]]), "names": ["turf"], "outputs": ["gap_to_target"]} | kw
    with pytest.raises((TypeError, ValueError), match=match):
        sim.evaluate(**args)


def test_salib_problem_refuses_an_unknown_output() -> None:
    with pytest.raises(ScenarioError, match="unknown 'nope'"):
        sim.salib_problem(["turf", "power"], ["nope"])
    assert sim.salib_problem(["turf", "power"], ["gap_to_target"])["outputs"] == \
        ["gap_to_target"]


def test_an_output_outside_the_simulated_years_is_refused_at_load(tmp_path: Path,
                                                                  capsys) -> None:
    text = ONE_RUN.replace('["active_members_end"]', '["active_members_2050"]')
    assert main(["sweep", str(write(tmp_path, text)), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "active_members_2050" in err and "2018 to 2018" in err
    assert not (tmp_path / "o").exists()


def test_heldout_refuses_an_output_outside_the_simulated_years(tmp_path: Path) -> None:
    from sim.studies.heldout import load_heldout
    from sim.studies.spec import ExperimentError

    text = (ROOT / "experiments" / "heldout.toml").read_text()
    text = text.replace('scenario = "../scenarios/', f'scenario = "{ROOT}/scenarios/')
    load_heldout(write(tmp_path, text, "h.toml"))  # the negative twin: the shipped file
    bad = text.replace('a = ["', 'a = ["active_members_2050", "', 1)
    with pytest.raises(ExperimentError, match="active_members_2050"):
        load_heldout(write(tmp_path, bad, "bad.toml"))


# ------------------------------------------------------------------ inputs read once
TINY = """name = "tiny"
[time]
start = 2018-01-01
end = 2018-06-30
online_from = 2018-03-01
[population]
uninsured_people_start = 600
n_rt = 30
n_kelurahan = 6
n_kelurahan_new = 0
n_kecamatan = 3
arrivals_per_year = 20
lapas_residents = 0
panti_asuhan = 0
panti_jompo = 0
[program]
target = 600
"""


def _edit_during_the_run(monkeypatch, paths: list[Path]) -> None:
    """Replace every scenario file with other content once the first run starts."""
    import sim.runner.replications as reps
    import sim.studies.workshop as workshop

    real = reps.run

    def run(*a, **kw):
        for p in paths:
            if p.exists():
                p.write_text(TINY.replace('"tiny"', '"edited"'))
        return real(*a, **kw)

    monkeypatch.setattr(reps, "run", run)
    monkeypatch.setattr(workshop, "run", run)


@pytest.mark.parametrize("command", ["whatif", "compare"])
def test_whatif_and_compare_hash_the_bytes_they_ran(command: str, tmp_path: Path,
                                                    monkeypatch) -> None:
    import hashlib
    import json

    files = [write(tmp_path, TINY, "a.toml"), write(tmp_path, TINY.replace('"tiny"', '"b"'),
                                                    "b.toml")]
    want = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    _edit_during_the_run(monkeypatch, files)
    out = tmp_path / "out"
    args = (["whatif", str(files[0]), "--param", "turf", "--values", "0,1"]
            if command == "whatif" else ["compare", *map(str, files)])
    assert main([*args, "--reps", "1", "--out", str(out), "--quiet"]) == 0
    got = json.loads((out / "summary.json").read_text())["provenance"]["scenario_files"]
    assert got == ({str(files[0]): want[str(files[0])]} if command == "whatif" else want)


def test_dashboard_passes_the_scenario_it_read_to_the_server(tmp_path: Path,
                                                             monkeypatch) -> None:
    """/dev/stdin (here a named pipe) is read once: the server gets the text."""
    import os
    import threading

    from sim.ui import serve

    fifo = tmp_path / "stdin"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(TINY), daemon=True)
    writer.start()
    seen: dict[str, str] = {}

    class Started(Exception):
        pass

    def execve(exe, cmd, env):  # the server is not started: its environment is kept
        seen.update(env)
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setattr(os, "name", "posix")
    with pytest.raises(Started):
        main(["dashboard", "--scenario", str(fifo)])
    writer.join(5)
    assert seen["JAMBI_SIM_SCENARIO_TOML"] == TINY
    # the server builds its scenario from that text, without opening the pipe again
    sc = serve.scenario_from_env(seen)
    assert sc.name == "tiny" and sc.population.uninsured_people_start == 600


# ------------------------------------------------------------------ output folders
def test_sweep_never_replaces_a_users_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "results.csv").write_text("my own table\n")
    exp = write(tmp_path, ONE_RUN)
    assert main(["sweep", str(exp), "--format", "csv", "--out", str(out), "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "results.csv").read_text() == "my own table\n"
    # the negative twin: a new folder, then the same command again over its own results
    fresh = tmp_path / "fresh"
    for _ in range(2):
        assert main(["sweep", str(exp), "--format", "csv", "--out", str(fresh), "--quiet",
                     "--no-figures"]) == 0
    assert (fresh / "results.csv").exists()


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ""])
def test_an_experiment_name_cannot_leave_the_output_folder(tmp_path: Path, capsys,
                                                          name: str) -> None:
    exp = write(tmp_path, ONE_RUN.replace('name = "one_run"', f'name = "{name}"'))
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    import os

    cwd = os.getcwd()
    os.chdir(work)
    try:
        assert main(["sweep", str(exp), "--quiet"]) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert f"key 'name' = '{name}'" in err and "letters, digits, '_', '-' and '.'" in err
    assert "should match pattern" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "exp.toml"]
    assert [p.name for p in work.iterdir()] == []


def test_a_corrupt_run_store_gives_no_traceback(tmp_path: Path, capsys) -> None:
    exp_path = write(tmp_path, ONE_RUN)
    out = tmp_path / "out"
    assert main(["sweep", str(exp_path), "--out", str(out), "--quiet", "--no-figures"]) == 0
    with open(out / "runs.jsonl", "ab") as fh:  # a non-UTF-8 byte and junk records
        fh.write(b'{"key": "\xff\xfe"}\n[1, 2]\n{"key": "k", "outputs": [1]}\n')
    assert main(["sweep", str(exp_path), "--out", str(out), "--quiet", "--no-figures"]) == 0
    (out / "experiment.json").write_text("[1, 2, 3]")
    assert main(["sweep", str(exp_path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not a jambi-sim experiment record" in err and "Traceback" not in err


# ------------------------------------------------------------------ evidence
EVIDENCE = """
[study]
id = "t"
scale = "low-medium-high"
[[sources]]
id = "A"
kind = "interview"
text = "..."
[[sources]]
id = "B"
kind = "observation"
text = "..."
[barriers.turf]
rating = "medium"
confidence = "medium"
sources = ["A", "B"]
"""
MAPPING = ROOT / "evidence" / "mapping.toml"


def _evidence(tmp_path: Path, text: str, out: Path) -> int:
    return main(["evidence", str(write(tmp_path, text, "ev.toml")), "--mapping", str(MAPPING),
                 "--out", str(out)])


def test_evidence_never_replaces_a_users_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "t_scenario.toml").write_text("# my notes\n")
    assert _evidence(tmp_path, EVIDENCE, out) == 2
    assert "jambi-sim" in capsys.readouterr().err
    assert (out / "t_scenario.toml").read_text() == "# my notes\n"
    # the negative twin: a new folder, written twice (the second time over its own files)
    fresh = tmp_path / "fresh"
    assert _evidence(tmp_path, EVIDENCE, fresh) == 0
    assert _evidence(tmp_path, EVIDENCE, fresh) == 0
    assert (fresh / "t_scenario.toml").exists() and (fresh / "t_triangulation.md").exists()


@pytest.mark.parametrize("text, words", [
    (EVIDENCE.replace('id = "t"', 'id = "../../x"'), "study.id"),
    (EVIDENCE.replace('id = "B"', 'id = "A"'), "given twice"),
    (EVIDENCE.replace('sources = ["A", "B"]', 'sources = ["A", "A"]'), "more than once"),
    (EVIDENCE.replace('sources = ["A", "B"]', 'sources = "A"'), "list of source ids"),
    (EVIDENCE.replace("[barriers.turf]\n", "[barriers]\nturf = 3\n[x]\n"), "must be a table"),
    ('sources = 3\n[study]\nid = "t"\nscale = "low-medium-high"\n', "sources must be a list"),
    (EVIDENCE.replace('[study]\nid = "t"', '[study]\nid = 5'), "study.id"),
])
def test_malformed_evidence_exits_2_without_a_traceback(tmp_path: Path, capsys, text: str,
                                                       words: str) -> None:
    out = tmp_path / "out"
    assert _evidence(tmp_path, text, out) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path.parent / "x_scenario.toml").exists()


def test_a_mapping_whose_range_runs_backwards_is_refused(tmp_path: Path, capsys) -> None:
    import re

    text = MAPPING.read_text()
    bad, n = re.subn(r"lo = ([0-9.]+), hi = ([0-9.]+)", r"lo = 0.9, hi = 0.1", text, count=1)
    if not n:
        pytest.skip("the shipped mapping gives no explicit lo/hi")
    mapping = write(tmp_path, bad, "mapping.toml")
    ev = write(tmp_path, EVIDENCE, "ev.toml")
    assert main(["evidence", str(ev), "--mapping", str(mapping), "--out",
                 str(tmp_path / "out")]) == 2
    assert "lo < hi" in capsys.readouterr().err


# ------------------------------------------------------------------ size of a study
HUGE_SOBOL = """
name = "huge"
design = "sobol"
samples = 1000000
reps = 10000
outputs = ["gap_to_target"]
[factors]
turf = {}
power = {}
"""
HUGE_GRID = """
name = "huge_grid"
design = "grid"
outputs = ["gap_to_target"]
[factors]
turf = { range = [0, 1], levels = 1000 }
power = { range = [0, 1], levels = 1000 }
beliefs = { range = [0, 1], levels = 1000 }
politics = { range = [0, 1], levels = 1000 }
"""


@pytest.mark.parametrize("text", [HUGE_SOBOL, HUGE_GRID])
def test_an_oversized_design_is_refused_before_it_is_drawn(tmp_path: Path, capsys,
                                                            text: str) -> None:
    out = tmp_path / "out"
    assert main(["sweep", str(write(tmp_path, text)), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "GiB of memory" in err and "runs fit" in err and "Traceback" not in err
    assert not out.exists()


def test_the_shipped_experiments_fit_in_memory() -> None:
    from sim.studies.design import check_size
    from sim.studies.spec import load_experiment

    for path in sorted((ROOT / "experiments").glob("*.toml")):
        if path.stem in ("calibration", "heldout"):
            continue
        exp, _ = load_experiment(path)
        points, runs, need = check_size(exp)
        assert runs >= points >= 1 and need < 2**30, path.name


# ------------------------------------------------------------------ studies that cannot mean anything
ISHIGAMI = """
name = "ishigami"
model = "ishigami"
design = "{design}"
samples = {samples}
reps = 1
seed = 3
second_order = false
outputs = ["y"]
[factors]
x1 = {{ range = [-3.141592653589793, 3.141592653589793] }}
x2 = {{ range = [-3.141592653589793, 3.141592653589793] }}
x3 = {{ range = [-3.141592653589793, 3.141592653589793] }}
"""


def _sensitivity(tmp_path: Path, design: str, samples: int) -> int:
    exp = write(tmp_path, ISHIGAMI.format(design=design, samples=samples))
    return main(["sensitivity", str(exp), "--out", str(tmp_path / "out"), "--quiet",
                 "--workers", "1", "--no-figures"])


def test_a_sobol_study_with_one_sample_warns(tmp_path: Path, capsys) -> None:
    assert _sensitivity(tmp_path, "sobol", 1) == 0
    err = capsys.readouterr().err
    assert "samples = 1 is too few for a sobol study" in err


def test_a_sobol_study_with_enough_samples_does_not_warn(tmp_path: Path, capsys) -> None:
    assert _sensitivity(tmp_path, "sobol", 2048) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_sensitivity_study_whose_runs_failed_exits_nonzero(tmp_path: Path, capsys,
                                                            monkeypatch) -> None:
    import importlib

    sweep_module = importlib.import_module("sim.studies.sweeps")

    def broken(*a, **kw):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(sweep_module, "_ishigami", broken)
    assert _sensitivity(tmp_path, "sobol", 16) == 1
    err = capsys.readouterr().err
    assert "run(s) failed" in err and "result is empty" in err


def test_an_lhs_study_of_two_points_is_refused_before_running(tmp_path: Path,
                                                             capsys) -> None:
    assert _sensitivity(tmp_path, "lhs", 2) == 2
    err = capsys.readouterr().err
    assert "at least 10 points" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ labels
def test_whatif_refuses_switch_values_other_than_0_and_1(tmp_path: Path, capsys) -> None:
    param = "coordination__network__enabled"
    assert main(["whatif", str(write(tmp_path, TINY, "a.toml")), "--param", param,
                 "--values", "2,3", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "give 0 (off) and 1 (on)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_labels_come_from_the_canonical_value() -> None:
    from sim.studies.workshop import WorkshopError, canonical_values, value_labels

    assert canonical_values("coordination__network__enabled", [0, 1]) == [False, True]
    assert value_labels([False, True]) == ["off", "on"]
    assert value_labels([0.001, 0.004]) == ["0.001", "0.004"]
    assert value_labels([0.0, 0.25, 1.0]) == ["0.00", "0.25", "1.00"]
    assert value_labels([2, 8]) == ["2", "8"]
    with pytest.raises(WorkshopError, match="twice"):
        canonical_values("offices__dinsos__staff", [2, 2.0])


# ------------------------------------------------------------------ calibrate --apply
def _marked(tmp_path: Path, name: str = "what_if.toml", inside_table: bool = False) -> Path:
    from sim.studies.calibration_report import BEGIN_SET, END_SET

    block = f"{BEGIN_SET}\n{END_SET}\n"
    text = ('name = "what_if"\n' + ("" if inside_table else block) + "[program]\n"
            "target = 2000\n" + (block if inside_table else ""))
    return write(tmp_path, text, name)


def test_apply_keeps_a_link_a_link_and_escapes_the_source(tmp_path: Path) -> None:
    from sim.scenario import Scenario
    from sim.studies.calibration_report import apply_calibration

    real = _marked(tmp_path, "real.toml")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert apply_calibration(link, {"barriers.turf": 0.25}, 'runs/a"b\nc (jambi-sim)')
    assert link.is_symlink() and link.resolve() == real.resolve()
    sc = Scenario.from_toml(real)  # still valid TOML with a quote and a newline in --out
    assert sc.barriers.turf == 0.25 and sc.calibrated_by == 'runs/a"b\nc (jambi-sim)'


def test_apply_refuses_a_read_only_file(tmp_path: Path) -> None:
    from sim.studies.calibration_report import apply_calibration
    from sim.studies.spec import ExperimentError

    path = _marked(tmp_path)
    before = path.read_text()
    path.chmod(0o444)
    with pytest.raises(ExperimentError, match="read-only"):
        apply_calibration(path, {"barriers.turf": 0.25}, "runs/x")
    assert path.read_text() == before


def test_apply_block_inside_a_table_is_refused_before_any_run(tmp_path: Path,
                                                            capsys) -> None:
    from test_calibration import _files

    cal = _files(tmp_path)
    bad = _marked(tmp_path, "bad.toml", inside_table=True)
    runs = tmp_path / "runs"
    assert main(["calibrate", str(cal), "--out", str(tmp_path / "report"), "--runs",
                 str(runs), "--apply", str(bad), "--quiet"]) == 2
    assert "after the table header" in capsys.readouterr().err
    assert not runs.exists()
    from sim.studies.calibration_report import check_apply

    check_apply([_marked(tmp_path, "good.toml")])  # the negative twin


# ------------------------------------------------------------------ sustainability inputs
def test_sustainability_refuses_a_scenario_without_relations(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["sustainability", str(write(tmp_path, TINY, "norel.toml")), "--reps", "1",
                 "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "relations.enabled = true" in err and "Traceback" not in err
    assert not out.exists()
    # the negative twin: the shipped scenario made for the study passes the check
    from sim.studies.sustainability import check_inputs

    check_inputs([ROOT / "scenarios" / "sustainability_transition.toml"], 1, 1, None, 1)


def test_the_shipped_studies_have_enough_samples_for_their_design() -> None:
    """The negative twin of the too-few-samples warnings and refusals."""
    from sim.studies.sensitivity import MIN_LHS_POINTS, MIN_MORRIS_R, MIN_SOBOL_N
    from sim.studies.spec import load_experiment

    need = {"sobol": MIN_SOBOL_N, "morris": MIN_MORRIS_R, "lhs": MIN_LHS_POINTS, "grid": 1}
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        if path.stem in ("calibration", "heldout"):
            continue
        exp, _ = load_experiment(path)
        assert exp.samples >= need[exp.design], path.name


# ------------------------------------------------------------------ names that make files
def _relations_toml(name: str) -> str:
    from conftest import small_toml

    return small_toml(name, relations={"enabled": True, "transitions": ["2019-01-01"]})


def test_a_staged_file_name_cannot_leave_the_staging_folder(tmp_path: Path) -> None:
    from sim.runner.staging import OutputError, StagedOutput

    staged = StagedOutput(tmp_path / "out")
    for name in ("../escaped.png", "../../escaped.png", "/tmp/escaped.png", "a/../../x", ""):
        with pytest.raises(OutputError, match="outside the output folder"):
            staged.path(name)
    # the negative twin: plain names and sub-folders stay inside
    assert staged.path("figures/a.png").parent == staged.staging / "figures"
    staged.write_text("a.txt", "x")
    assert staged.finish() == tmp_path / "out" and (tmp_path / "out" / "a.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_scenario_name_cannot_write_outside_the_output_folder(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    scenario = write(work, _relations_toml("../../escaped"), "esc.toml")
    out = work / "out"
    assert main(["sustainability", str(scenario), "--reps", "1", "--out", str(out),
                 "--quiet"]) == 0
    assert all(out in p.parents for p in tmp_path.rglob("*escaped*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    assert sorted(p.name for p in work.iterdir()) == ["esc.toml", "out"]
    figures = sorted(p.name for p in out.glob("*.png"))
    assert len(figures) == 1 and "/" not in figures[0] and not figures[0].startswith(".")


def test_figure_names_are_plain_and_distinct() -> None:
    from sim.studies.sustainability import figure_name

    taken: set[str] = set()
    assert [figure_name(n, taken) for n in ("../../x", "a b/c", "..", "x", "tim lapses")] == \
        ["x.png", "a_b_c.png", "scenario.png", "x_2.png", "tim_lapses.png"]


# ------------------------------------------------------------------ size of a command's study
EIGHT_GIB = 8 * 2**30


@pytest.fixture
def eight_gib(monkeypatch):
    """The memory available, fixed, so a refusal does not depend on the machine."""
    import sim.runner.replications as reps

    monkeypatch.setattr(reps, "available_memory", lambda: EIGHT_GIB)


def _no_runs(monkeypatch) -> None:
    """Any run fails the test: the refusal must come first."""
    import sim.runner.replications as reps
    import sim.studies.sustainability as sustainability
    import sim.studies.workshop as workshop

    def run(*a, **kw):
        raise AssertionError("a run started before the size check refused the study")

    for module in (reps, sustainability, workshop):
        monkeypatch.setattr(module, "run", run)


CITY = ROOT / "scenarios"


@pytest.mark.parametrize("args, count, reduce", [
    (["sustainability", str(CITY / "sustainability_transition.toml"), "--reps", "10000",
      "--max-sets", "100000"], "20,000 run(s)", "fewer --reps (now 10,000)"),
    (["whatif", str(CITY / "online_2021.toml"), "--param", "turf", "--values", "0,0.5,1",
      "--reps", "10000", "--sets", "none"], "30,000 run(s)", "fewer --values (now 3)"),
    (["compare", str(CITY / "online_2021.toml"), str(CITY / "manual_only.toml"), "--reps",
      "10000", "--sets", "none"], "20,000 run(s)", "fewer scenario files"),
])
def test_an_oversized_command_study_is_refused_before_any_run(
        tmp_path: Path, capsys, monkeypatch, eight_gib, args, count, reduce) -> None:
    _no_runs(monkeypatch)
    out = tmp_path / "out"
    assert main([*args, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert count in err and "GiB of memory" in err and "runs fit" in err and reduce in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_many_parameter_sets_are_refused_with_max_sets_named(tmp_path: Path, capsys,
                                                               monkeypatch, eight_gib) -> None:
    _no_runs(monkeypatch)
    rows = "\n".join(f"{0.001 * (i % 1000):.3f}" for i in range(4000))
    sets = write(tmp_path, "barriers.turf\n" + rows + "\n", "sets.csv")
    out = tmp_path / "out"
    assert main(["sustainability", str(CITY / "sustainability_transition.toml"), "--reps",
                 "10", "--sets", str(sets), "--max-sets", "100000", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "4,000 parameter set(s)" in err and "80,000 run(s)" in err
    assert "a smaller --max-sets (now 100,000)" in err and not out.exists()


def test_a_normal_command_study_fits(tmp_path: Path, eight_gib) -> None:
    """The negative twin: the default sizes of the commands on the city fit in 8 GiB."""
    from argparse import Namespace

    from sim.scenario import load_scenario
    from sim.studies.sustainability import study_size
    from sim.ui.command import Command
    from sim.ui.commands import _check_kept

    city = [load_scenario(CITY / f) for f in ("sustainability_transition.toml",
                                               "coordination_shock.toml", "tim_lapses.toml",
                                               "single_agency.toml")]
    runs, need = study_size(city, 5, 10)  # the documented call: 4 files, --max-sets 10
    assert runs == 4 * 2 * 10 * 5 and need < EIGHT_GIB
    cmd = Command(Namespace(command="whatif", reps=20, quiet=True))
    cmd.check_study("sustainability", "400 runs", runs, need, "fewer --reps")
    _check_kept(cmd, "whatif", city[:3], "value(s)", 3 * 20 * 3, ["fewer --reps"])
    _check_kept(cmd, "compare", city[:2], "scenario(s)", 0, ["fewer --reps"])
    # and a tiny study runs end to end under the same limit
    files = [write(tmp_path, TINY, "a.toml"), write(tmp_path, TINY.replace('"tiny"', '"b"'),
                                                    "b.toml")]
    assert main(["compare", *map(str, files), "--reps", "1", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0


def test_an_oversized_calibration_is_refused_before_any_run(tmp_path: Path, capsys,
                                                           eight_gib) -> None:
    from test_calibration import CALIBRATION, _files

    big = CALIBRATION.replace("samples = 8\nreps = 1", "samples = 100000\nreps = 1000")
    cal, runs = _files(tmp_path, big), tmp_path / "runs"
    assert main(["calibrate", str(cal), "--out", str(tmp_path / "report"), "--runs",
                 str(runs), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "100,000 point(s) x 1,000 rep(s) = 100,000,000 run(s)" in err
    assert "GiB of memory" in err and "fewer 'reps'" in err and "Traceback" not in err
    assert not runs.exists() and not (tmp_path / "report").exists()
    _files(tmp_path)  # the negative twin: the tiny calibration loads
    from sim.studies.calibrate import load_calibration

    load_calibration(tmp_path / "cal.toml")


# ------------------------------------------------------------------ the EMA model
@pytest.mark.parametrize("kw, match", [
    ({"outputs": ["gap_to_targt"]}, "unknown 'gap_to_targt'"),
    ({"outputs": "gap_to_target"}, "outputs must be a list"),
    ({"outputs": ["active_members_2050"]}, "active_members_2050"),
    ({"names": ["turf", "barriers.turf"]}, "same parameter"),
    ({"names": ["turff"]}, "turff"), ({"names": "turf"}, "names must be"),
    ({"reps": 0}, "reps must be"), ({"seed": -1}, "seed must be"),
    ({"seed": 1.5}, "seed must be"), ({"scenario": "no/such/file.toml"}, "no/such/file.toml"),
])
def test_ema_model_refuses_what_evaluate_refuses(kw, match) -> None:
    args = {"names": ["turf"], "outputs": ["gap_to_target"]} | kw
    with pytest.raises((TypeError, ValueError), match=match):
        sim.ema_model("jambi", **args)
    with pytest.raises((TypeError, ValueError), match=match):  # the same as evaluate's
        sim.evaluate(np.array([[0.5] * len(args["names"])]) if isinstance(args["names"], list)
                     else np.array([[0.5]]), **args)


def test_ema_model_takes_what_evaluate_takes() -> None:
    """The negative twin: names by any of their spellings, yearly outputs in range."""
    pytest.importorskip("ema_workbench", reason="ema_workbench is optional")
    model = sim.ema_model("jambi", ["turf", "offices__dinsos__staff"],
                          ["gap_to_target", "active_members_2019"], reps=2, seed=0)
    assert [u.name for u in model.uncertainties] == ["turf", "offices__dinsos__staff"]
    assert [o.name for o in model.outcomes] == ["gap_to_target", "active_members_2019"]


# ------------------------------------------------------------------ replication noise
def _noisy(tmp_path: Path, design: str, samples: int, noise: float) -> int:
    text = ISHIGAMI.format(design=design, samples=samples).replace(
        "reps = 1", "reps = 3").replace("seed = 3\n", f"seed = 3\nnoise_sd = {noise}\n")
    return main(["sensitivity", str(write(tmp_path, text)), "--out", str(tmp_path / "out"),
                 "--quiet", "--workers", "1", "--no-figures"])


@pytest.mark.parametrize("design, samples", [("sobol", 64), ("lhs", 30)])
def test_replication_noise_above_the_signal_is_warned(tmp_path: Path, capsys, design: str,
                                                     samples: int) -> None:
    import json

    if design == "lhs":
        pytest.importorskip("sklearn", reason="the surrogate path needs scikit-learn")
    assert _noisy(tmp_path, design, samples, 100.0) == 0  # var 10,000 against Ishigami's 14
    err = capsys.readouterr().err
    assert "of the variance of single runs is noise between replications" in err
    assert "capped at 100%" in err and "more 'reps'" in err
    report = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert 0.5 < report["outputs"]["y"]["noise_share"] <= 1.0
    assert any("noise between replications" in w for w in report["warnings"])
    # the negative twin: no noise, no warning (and a share of 0)
    shutil.rmtree(tmp_path / "out")
    assert _noisy(tmp_path, design, samples, 0.0) == 0
    assert "noise between replications" not in capsys.readouterr().err
    report = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert report["outputs"]["y"]["noise_share"] == 0.0


def test_the_noise_share_is_at_most_one() -> None:
    """Within-point and total variance are two estimates; under common random numbers (the
    same noise at every point) their ratio exceeds 1 when the signal is small."""
    import pandas as pd

    from sim.studies.sensitivity import point_means
    from sim.studies.spec import Experiment

    exp = Experiment(name="t", model="ishigami", design="lhs", samples=2, reps=3,
                     outputs=["y"], factors={"x1": {"range": (0.0, 1.0)}})
    noise = [1.0, -2.0, 4.0]
    table = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "y": noise + [v + 0.01 for v in noise]})
    means, share = point_means(exp, table, "y")
    assert share == 1.0 and means.tolist() == pytest.approx([1.0, 1.01])
    table["y"] = [0.0, 0.1, 0.0, 5.0, 5.1, 5.0]  # the negative twin: signal above the noise
    assert 0 < point_means(exp, table, "y")[1] < 0.01


# ------------------------------------------------------------------ former module paths
@pytest.mark.parametrize("module", ["sim.sustainability_plots", "sim.studies.sustainability"])
def test_the_former_sustainability_script_says_what_to_run_and_exits_2(module: str) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("jambi-sim: error: ") and out.stderr.count("\n") == 1
    assert "jambi-sim sustainability SCENARIO.toml" in out.stderr
    assert "Traceback" not in out.stderr
