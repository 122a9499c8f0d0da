"""The negative twins of issue 19's refusals and warnings, end to end: every shipped
study file (experiments/*.toml) runs through its ``jambi-sim`` command, on a tiny budget,
without a warning, and the memory check accepts the file as shipped.

The budget: the file's own factors, fixed values, outputs, design and base scenarios,
with the fewest samples its design supports without the too-few-samples warning
(``MIN_*`` of sim.studies.sensitivity), few replications, and every run's city scaled to
2% (sim.scenario.scaled, applied to each run's scenario: a factor that sets the population
is scaled with it). A study's own reading of its result (intervals too wide to rank the
factors, replication noise) is part of its report, not a warning about its input: those
are left to the report, as in results/."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest

from sim.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p.name for p in (ROOT / "experiments").glob("*.toml"))
SCALE = 0.02
# what a study warns about its input (never expected from a shipped file)
INPUT_WARNINGS = ("too few", "failed", "have no value", "constant over the design")


def tiny(text: str, name: str) -> str:
    """The shipped file with the smallest budget that is still warning-free."""
    from sim.studies.sensitivity import MIN_MORRIS_R, MIN_SOBOL_N

    if name == "calibration.toml":  # two waves kept; fewer points and replications
        text = re.sub(r"(?m)^samples = \d+", "samples = 12", text, count=1)
        text = re.sub(r"(?m)^samples = \d+ ", "samples = 4 ", text, count=1)
        text = re.sub(r"(?m)^reps = \d+", "reps = 2", text)
        text = re.sub(r"(?m)^final_reps = \d+", "final_reps = 2", text)
        return re.sub(r"(?m)^candidates = \d+", "candidates = 2000", text)
    if "\n[discover]" in text:  # a few points, and the threshold scaled with the city
        text = re.sub(r"(?m)^samples = \d+", "samples = 12", text)
        text = re.sub(r"(?m)^threshold = ([\d.e+]+)",
                      lambda m: f"threshold = {float(m.group(1)) * SCALE:g}", text)
    least = {"sobol": MIN_SOBOL_N, "morris": MIN_MORRIS_R}
    design = re.search(r'(?m)^design = "(\w+)"', text)
    if design and design.group(1) in least:
        text = re.sub(r"(?m)^samples = \d+", f"samples = {least[design.group(1)]}", text)
    return re.sub(r"(?m)^reps = \d+", "reps = 2" if "heldout" in name else "reps = 1", text)


@pytest.fixture
def small_runs(monkeypatch):
    """Every run's city scaled to SCALE (runs stay in this process: one worker)."""
    import sim.runner.replications as reps
    from sim.scenario import scaled

    real = reps.run_one

    def run_one(scenario, *a, **kw):
        return real(scaled(scenario, SCALE), *a, **kw)

    monkeypatch.setattr(reps, "run_one", run_one)


def command_of(name: str) -> str:
    text = (ROOT / "experiments" / name).read_text()
    if name.startswith("heldout"):
        return "heldout"
    if name == "calibration.toml":
        return "calibrate"
    if "\n[discover]" in text:
        return "discover"
    return "sensitivity" if re.search(r'(?m)^design = "(sobol|morris)"', text) else "sweep"


@pytest.mark.integration  # about 800 small runs of the model: 2-3 minutes
@pytest.mark.parametrize("name", FILES)
def test_a_shipped_study_runs_without_a_warning(name: str, tmp_path: Path, capsys,
                                                small_runs) -> None:
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    # the calibrated scenarios name the ensemble (../results/calibration/ensemble.csv),
    # which a study with the factor 'set' reads
    (tmp_path / "results" / "calibration").mkdir(parents=True)
    shutil.copy(ROOT / "results" / "calibration" / "ensemble.csv",
                tmp_path / "results" / "calibration" / "ensemble.csv")
    (tmp_path / "experiments").mkdir()
    spec = tmp_path / "experiments" / name
    spec.write_text(tiny((ROOT / "experiments" / name).read_text(), name))
    command = command_of(name)
    extra = ["--runs", str(tmp_path / "runs")] if command in ("calibrate", "discover") \
        else ["--sets", "none"] if command == "heldout" else []  # 90 city runs otherwise
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main([command, str(spec), "--out", str(tmp_path / "out"), "--workers", "1",
                     "--no-figures", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == "", err  # no warning, no error, no traceback
    assert [str(w.message) for w in caught] == []
    said = [line for line in out.splitlines() if line.startswith("warning:")]
    # "total indices outside [0, 1]" reads the estimates (noise at this tiny budget),
    # not the file: a reading of the result, like "too wide to rank"
    about_input = [w for w in said if any(k in w for k in INPUT_WARNINGS)
                   and "outside [0, 1]" not in w]
    assert not about_input, said
    if command in ("sweep", "sensitivity", "discover"):  # the size estimate was stated
        assert "MiB of memory in this process" in out


@pytest.mark.parametrize("name", FILES)
def test_the_memory_check_accepts_each_shipped_file_as_shipped(name: str) -> None:
    from sim.runner.replications import available_memory, check_memory
    from sim.studies.calibrate import load_calibration
    from sim.studies.design import check_size
    from sim.studies.heldout import load_heldout
    from sim.studies.spec import load_experiment

    path = ROOT / "experiments" / name
    command = command_of(name)
    if command == "heldout":
        from sim.scenario import Scenario

        spec, scenario = load_heldout(path)
        assert check_memory(Scenario.from_toml(scenario), 2) is None
        return
    if command == "calibrate":
        cal, _ = load_calibration(path)  # sizes every wave
        exps = [cal.experiment(w) for w in range(len(cal.waves))]
    else:
        exps = [load_experiment(path)[0]]
    for exp in exps:
        points, runs, need = check_size(exp)
        have = available_memory()
        assert runs >= points >= 1 and need < 2**30 and (have is None or need < have)
