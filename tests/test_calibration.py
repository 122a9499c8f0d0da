"""History matching on the sweep engine (``jambi-sim calibrate``), on a tiny budget."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import small_toml

from sim.studies.calibrate import Target, implausibility, load_calibration
from sim.studies.spec import ExperimentError
from sim.ui.cli import main

SCENARIO = small_toml("tiny", population={"uninsured_people_start": 2000, "n_rt": 100},
                      program={"target": 2000})

CALIBRATION = """
name = "tiny_calibration"
scenario = "tiny.toml"
seed = 7
cutoff = 3.0
candidates = 400
final_reps = 3
report_outputs = ["people_ever_enrolled"]
[[waves]]
samples = 8
reps = 1
[[waves]]
samples = 4
reps = 2
[factors]
"program.initial_members" = { range = [0.0, 1500.0] }
"awareness.initial" = {}
"barriers.turf" = {}
[[targets]]
name = "stock"
output = "active_members_end"
observed = 1200
obs_sd = 20
definition_sd = 20
discrepancy_sd = 60
[[targets]]
name = "below_target"
output = "active_members_end"
observed = 1999
kind = "at_most"
obs_sd = 0
discrepancy_sd = 50
[alternative]
target = "stock"
output = "people_ever_enrolled"
"""


def test_implausibility_is_distance_over_total_sd_and_one_sided_for_bounds() -> None:
    t = Target(name="x", output="active_members_end", observed=100.0, obs_sd=3.0,
               definition_sd=0.0, discrepancy_sd=4.0)  # total sd 5
    assert implausibility(np.array([110.0, 90.0]), np.array([0.0, 0.0]), t) == \
        pytest.approx([2.0, 2.0])
    # the emulator's (or the replications') variance widens the denominator
    assert implausibility(np.array([110.0]), np.array([11.0]), t) == pytest.approx([10 / 6])
    most = t.model_copy(update={"kind": "at_most"})
    least = t.model_copy(update={"kind": "at_least"})
    assert implausibility(np.array([90.0, 110.0]), np.zeros(2), most) == pytest.approx([0, 2])
    assert implausibility(np.array([90.0, 110.0]), np.zeros(2), least) == pytest.approx([2, 0])


def _files(tmp_path, calibration: str = CALIBRATION):
    (tmp_path / "tiny.toml").write_text(SCENARIO)
    cal = tmp_path / "cal.toml"
    cal.write_text(calibration)
    return cal


def test_tiny_calibration_writes_accepted_sets_and_resumes(tmp_path) -> None:
    cal = _files(tmp_path)
    out, runs = tmp_path / "report", tmp_path / "runs"
    args = ["calibrate", str(cal), "--out", str(out), "--runs", str(runs), "--quiet"]
    assert main(args) == 0
    rep = json.loads((out / "summary.json").read_text())
    for name in ("accepted.csv", "points.csv", "README.md", "prior_posterior.png",
                 "targets.png", "tradeoff.png"):
        assert (out / name).exists(), name
    pts = pd.read_csv(out / "points.csv")
    acc = pd.read_csv(out / "accepted.csv")
    assert len(pts) == 8 + 4 and rep["points_run"] == 12
    assert len(acc) == rep["accepted"] == int((pts["I_max"] < 3.0).sum())
    # the largest implausibility is the largest of the targets'
    assert np.allclose(pts["I_max"], pts[["I_stock", "I_below_target"]].max(axis=1), atol=2e-3)
    # the stock target: |mean - 1200| / sqrt(var of the mean + 20^2 + 20^2 + 60^2)
    wave1 = pts[pts["wave"] == 1]  # one rep: no replication variance
    want = (wave1["active_members_end"] - 1200).abs() / np.sqrt(20**2 + 20**2 + 60**2)
    assert np.allclose(wave1["I_stock"], want, atol=2e-3)
    # the calibrated set: the least implausible accepted point among those with the most reps
    pool = (acc if len(acc) else pts).sort_values("I_max")
    assert set(pts["reps"]) == {1, 2} and pts.groupby("wave")["reps"].max().to_dict() == {1: 1, 2: 2}
    best = pool[pool["reps"] == pool["reps"].max()].iloc[0]
    assert rep["chosen"]["program.initial_members"] == int(round(best["program.initial_members"]))
    assert set(rep["final_check"]) == {"stock", "below_target"}
    assert rep["accepted_reading_b"] == int((pts["I_max_reading_b"] < 3.0).sum())
    # the same command again: every run is found on disk, the report is the same
    again = tmp_path / "report2"
    assert main(["calibrate", str(cal), "--out", str(again), "--runs", str(runs),
                 "--quiet"]) == 0
    rep2 = json.loads((again / "summary.json").read_text())
    assert all(w["ran_now"] == 0 for w in rep2["waves"])
    # ... and says how long the runs took when they ran, not the resumed moment
    assert [w["wall_s"] for w in rep2["waves"]] == [w["wall_s"] for w in rep["waves"]]
    assert rep2["wall_s"] >= sum(w["wall_s"] for w in rep["waves"]) > 0
    assert rep2["chosen"] == rep["chosen"] and rep2["final_check"] == rep["final_check"]
    # --redraw: no run; the tables kept byte for byte, the figures drawn again
    tables = {n: (out / n).read_bytes() for n in ("points.csv", "accepted.csv", "ensemble.csv")}
    (out / "targets.png").write_bytes(b"stale")  # an edited file: the redraw may replace it
    (out / "targets.png").unlink()
    assert main(["calibrate", str(cal), "--out", str(out), "--redraw", "--quiet"]) == 0
    assert {n: (out / n).read_bytes() for n in tables} == tables
    assert (out / "targets.png").stat().st_size > 10_000
    red = json.loads((out / "summary.json").read_text())
    assert red["chosen"] == rep["chosen"] and "--redraw" in red["redrawn_by"]
    assert "redrawn from these tables" in (out / "README.md").read_text()


def test_redraw_refuses_a_folder_that_is_not_a_calibration_report(tmp_path, capsys) -> None:
    cal = _files(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["calibrate", str(cal), "--out", str(tmp_path / "empty"), "--redraw"]) == 2
    err = capsys.readouterr().err
    assert "not a finished calibration report" in err and "summary.json" in err


def test_a_bad_calibration_file_names_the_key_and_exits_2(tmp_path, capsys) -> None:
    cal = _files(tmp_path, CALIBRATION.replace('output = "active_members_end"\nobserved = 1200',
                                               'output = "active_members"\nobserved = 1200'))
    with pytest.raises(ExperimentError, match="active_members"):
        load_calibration(cal)
    out = tmp_path / "report"
    assert main(["calibrate", str(cal), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "active_members" in err and "Traceback" not in err
    assert not out.exists()


def test_shipped_calibration_loads() -> None:
    from pathlib import Path

    cal, _ = load_calibration(Path(__file__).resolve().parents[1] / "experiments" /
                              "calibration.toml")
    assert {t.output for t in cal.targets} >= {"active_members_end", "premium_idr_2023",
                                               "premium_idr_2021"}
    assert cal.alternative is not None and cal.alternative.output == "people_ever_enrolled"


CALIBRATED = ("online_2021", "premium_shared", "manual_only", "online_from_2018",
              "shared_database", "no_tim_koordinasi", "awareness_campaign", "policy_2025")


@pytest.mark.parametrize("name", CALIBRATED)
def test_historical_scenarios_carry_the_calibrated_set(name) -> None:
    """The baseline and its what-ifs hold exactly the set the committed calibration chose,
    so a what-if differs from the calibrated baseline only by what it names."""
    from pathlib import Path

    from sim.scenario import Scenario

    root = Path(__file__).resolve().parents[1]
    chosen = json.loads((root / "results" / "calibration" / "summary.json").read_text())["chosen"]
    sc = Scenario.from_toml(root / "scenarios" / f"{name}.toml").model_dump()
    for path, value in chosen.items():
        node = sc
        for part in path.split("."):
            node = node[part]
        assert node == value, (name, path)
    assert sc["calibrated_by"].startswith("results/calibration")



def test_apply_writes_the_calibrated_set_into_marked_scenarios(tmp_path, capsys) -> None:
    cal = _files(tmp_path)
    target = tmp_path / "what_if.toml"
    # top-level dotted keys: the file may not also open a [program] (or other set) table
    rest = SCENARIO.split('name = "tiny"', 1)[1].replace("[program]\ntarget = 2000\n", "")
    target.write_text('name = "what_if"\nprogram.target = 2000\n# BEGIN CALIBRATED SET\n'
                      '# END CALIBRATED SET\n' + rest)
    bare = tmp_path / "bare.toml"
    bare.write_text(SCENARIO)
    out, runs = tmp_path / "report", tmp_path / "runs"
    # a file without the block is refused before any run
    assert main(["calibrate", str(cal), "--out", str(out), "--runs", str(runs), "--quiet",
                 "--apply", str(bare)]) == 2
    assert "CALIBRATED SET" in capsys.readouterr().err and not runs.exists()
    assert main(["calibrate", str(cal), "--out", str(out), "--runs", str(runs), "--quiet",
                 "--apply", str(target)]) == 0
    chosen = json.loads((out / "summary.json").read_text())["chosen"]
    from sim.scenario import Scenario

    sc = Scenario.from_toml(target)
    assert sc.program.initial_members == chosen["program.initial_members"]
    assert sc.awareness.initial == chosen["awareness.initial"]
    assert sc.barriers.turf == chosen["barriers.turf"]
    assert sc.calibrated_by.startswith(str(out))
    assert sc.population.uninsured_people_start == 2000  # the rest of the file is kept


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ""])
def test_a_calibration_name_that_cannot_be_a_folder_is_refused_in_plain_words(
        tmp_path, capsys, name: str) -> None:
    cal = _files(tmp_path, CALIBRATION.replace('name = "tiny_calibration"', f'name = "{name}"'))
    runs = tmp_path / "runs"
    assert main(["calibrate", str(cal), "--out", str(tmp_path / "report"), "--runs",
                 str(runs), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"key 'name' = '{name}'" in err and "letters, digits, '_', '-' and '.'" in err
    assert "pattern" not in err and "^[" not in err and "Traceback" not in err
    assert not runs.exists() and not (tmp_path / "report").exists()
    # the negative twin: a name with every allowed kind of character loads
    cal = _files(tmp_path, CALIBRATION.replace('name = "tiny_calibration"',
                                               'name = "Tiny-cal_2.0"'))
    assert load_calibration(cal)[0].name == "Tiny-cal_2.0"
