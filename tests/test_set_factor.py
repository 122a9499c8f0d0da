"""The calibrated set as a study factor (issue 22): ``set = {}`` in an experiment's factors
runs each point on one accepted set of the base scenario's ensemble, for sweeps, Sobol'
studies and scenario discovery. A point's run is the single run of its set (with the
point's other factors on top); the ensemble file is read once and hashed; bad set factors
are refused with the valid set numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import small_toml

import sim
from sim.runner.ensemble import read_ensemble
from sim.studies.design import build_design
from sim.studies.discover import with_set_values
from sim.studies.sensitivity import rank_stability, report_markdown
from sim.studies.spec import load_experiment
from sim.studies.sweeps import make_jobs
from sim.ui.cli import main

SHORT = {"end": "2018-06-30"}
CSV = ("set,interactive,wave,point,reps,I_max,barriers.turf,awareness.initial\n"
       "0,True,2,4,10,1.2,0.1,0.3\n"
       "1,True,2,9,10,0.8,0.9,0.5\n"
       "2,False,2,1,10,2.1,0.5,0.4\n")


def _experiment(tmp_path: Path, factors: str, design: str = "grid", extra: str = "",
                ensemble: bool = True) -> Path:
    (tmp_path / "ens.csv").write_text(CSV)
    kw = {"ensemble": "ens.csv"} if ensemble else {}
    (tmp_path / "cal.toml").write_text(small_toml("cal", time=SHORT, **kw))
    f = tmp_path / "exp.toml"
    f.write_text(f'name = "t"\nscenario = "cal.toml"\ndesign = "{design}"\nsamples = 16\n'
                 f'second_order = false\nreps = 1\nseed = 7\n'
                 f'outputs = ["active_members_end", "cases_applied"]\n{extra}\n'
                 f'[factors]\n{factors}\n')
    return f


def test_a_point_runs_its_sets_values_then_its_own_factors(tmp_path: Path) -> None:
    f = _experiment(tmp_path, '"set" = { values = [0, 2] }\n'
                              '"barriers.power" = { values = [0.2, 0.7] }',
                    extra='[fixed]\n"awareness.initial" = 0.45')
    exp, bases = load_experiment(f)
    design = build_design(exp, bases)
    assert [(p["set"], p["barriers.power"]) for p in design.points] == \
        [(0, 0.2), (0, 0.7), (2, 0.2), (2, 0.7)]
    jobs = make_jobs(exp, bases, design)
    ens = bases.ensemble("cal.toml")
    for job, p in zip(jobs, design.points):
        sc = job.scenario
        assert sc.barriers.turf == ens.params(p["set"])["barriers.turf"]  # the set's value
        assert sc.barriers.power == p["barriers.power"]  # the point's factor on top
        assert sc.awareness.initial == 0.45  # [fixed] wins over the set's value
    # two sets give two different run keys even at the same factor values
    assert jobs[0].key != jobs[2].key


def test_a_sweep_over_sets_gives_each_sets_single_run(tmp_path: Path) -> None:
    f = _experiment(tmp_path, '"set" = { values = [0, 1] }\n'
                              '"barriers.power" = { values = [0.3] }')
    out = tmp_path / "runs"
    assert main(["sweep", str(f), "--workers", "1", "--out", str(out), "--format", "csv",
                 "--quiet"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert list(table["set"]) == [0, 1]
    ens = read_ensemble(CSV.encode(), "ens.csv")
    base = sim.Scenario.from_bytes((tmp_path / "cal.toml").read_bytes(), origin="cal")
    for i in (0, 1):
        alone = sim.run(ens.scenario(base, i).with_overrides(**{"barriers.power": 0.3}),
                        reps=1, seed=7, cases=False)
        assert table.loc[table["set"] == i, "active_members_end"].item() == \
            alone.scalars_by_rep()["active_members_end"][0]
    meta = json.loads((out / "experiment.json").read_text())
    import hashlib

    ens_file = [k for k in meta["inputs"] if k.endswith("ens.csv")]
    assert len(ens_file) == 1  # the ensemble's hash is recorded with the other inputs
    assert meta["inputs"][ens_file[0]] == hashlib.sha256(CSV.encode()).hexdigest()


def test_a_sampled_design_draws_the_interactive_sets_evenly(tmp_path: Path) -> None:
    f = _experiment(tmp_path, '"set" = {}\n"barriers.power" = {}', design="sobol")
    exp, bases = load_experiment(f)
    design = build_design(exp, bases)
    drawn = pd.Series([p["set"] for p in design.points]).value_counts()
    assert set(drawn.index) == {0, 1}  # set 2 is not interactive
    assert abs(drawn[0] - drawn[1]) <= 0.25 * len(design.points)
    f = _experiment(tmp_path, '"set" = { range = [0, 2] }\n"barriers.power" = {}',
                    design="lhs")
    exp, bases = load_experiment(f)
    assert {p["set"] for p in build_design(exp, bases).points} == {0, 1, 2}


@pytest.mark.parametrize("factor, design, ensemble, words", [
    ('"set" = { values = [0, 5] }', "grid", True, ["no set 5", "0 to 2"]),
    ('"set" = { range = [1, 3] }', "lhs", True, ["no set 3", "0 to 2"]),
    ('"set" = {}', "lhs", False, ["factors.set", "names no calibrated ensemble"]),
    ('"set" = { values = [0, 1] }', "lhs", True, ["factors.set", "not 'values'"]),
    ('"set" = { values = [-1] }', "grid", True, ["factors.set", "set numbers"]),
    ('"set" = { values = [1, 1] }', "grid", True, ["factors.set", "twice"]),
    ('"set" = { range = [0.5, 2] }', "lhs", True, ["factors.set", "whole numbers"]),
    ('"set" = { range = [0, 2], levels = 3 }', "grid", True, ["factors.set", "'levels'"]),
])
def test_a_bad_set_factor_is_refused_before_any_run(tmp_path: Path, capsys, factor: str,
                                                    design: str, ensemble: bool,
                                                    words: list[str]) -> None:
    other = '"barriers.power" = { values = [0.3] }' if design == "grid" else \
        '"barriers.power" = {}'
    f = _experiment(tmp_path, f"{factor}\n{other}", design=design, ensemble=ensemble)
    out = tmp_path / "runs"
    assert main(["sweep", str(f), "--workers", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not (out / "runs.jsonl").exists()


def test_discovery_sees_the_sets_values_not_their_numbers() -> None:
    ens = read_ensemble(CSV.encode(), "ens.csv")
    pts = pd.DataFrame({"set": [0, 1, 2, 1], "barriers.power": [0.1, 0.2, 0.3, 0.4],
                        "active_members_end": [1.0, 2.0, 3.0, 4.0]})
    out, seen = with_set_values(pts, lambda file: ens, ["barriers.power", "set"], "cal.toml")
    assert seen == ["barriers.power", "set: barriers.turf", "set: awareness.initial"]
    assert list(out["set: barriers.turf"]) == [0.1, 0.9, 0.5, 0.9]
    assert list(out["set"]) == [0, 1, 2, 1]  # the number is kept for the points table
    # a parameter that is itself a factor is not duplicated
    _, seen = with_set_values(pts.rename(columns={"barriers.power": "barriers.turf"}),
                              lambda file: ens, ["barriers.turf", "set"])
    assert seen == ["barriers.turf", "set: awareness.initial"]


def test_rank_stability_compares_the_top_total_indices_at_n_half_and_n() -> None:
    names = ["a", "b", "c", "d"]
    conv = [{"n": 16, "ST": [0.5, 0.3, 0.1, 0.05]}, {"n": 32, "ST": [0.45, 0.32, 0.12, 0.0]}]
    r = rank_stability(conv, names)
    assert r == {"n": [16, 32], "before": ["a", "b", "c"], "top": ["a", "b", "c"],
                 "stable": True}
    conv[-1]["ST"] = [0.3, 0.45, 0.12, 0.0]
    r = rank_stability(conv, names)
    assert not r["stable"] and r["top"] == ["b", "a", "c"]
    assert rank_stability(conv[:1], names) is None


def test_the_study_report_names_what_was_fixed_and_whether_ranks_held() -> None:
    rep = {"experiment": "x", "description": "", "scenario": "s.toml", "design": "sobol",
           "samples": 32, "reps": 2, "seed": 1, "points": 128, "factors": ["a", "b"],
           "fixed": {"coordination.collaboration.enabled": True}, "warnings": [],
           "outputs": {"y": {"noise_share": 0.2, "ST": [0.6, 0.1], "ST_conf": [0.05, 0.02],
                             "S1": [0.5, 0.05], "S1_conf": [0.04, 0.02],
                             "ranks": {"n": [16, 32], "before": ["b", "a"], "top": ["a", "b"],
                                       "stable": False}}}}
    md = report_markdown(rep)
    assert "`coordination.collaboration.enabled` = True" in md
    assert "not stable" in md and "20%" in md
    rep["fixed"] = {}
    rep["outputs"]["y"]["ranks"]["stable"] = True
    md = report_markdown(rep)
    assert "Fixed by the experiment file: nothing" in md and "(stable)" in md


def test_discover_over_sets_shows_prim_the_sets_values(tmp_path: Path) -> None:
    pytest.importorskip("ema_workbench")
    f = _experiment(tmp_path, '"set" = { range = [0, 2] }\n"barriers.power" = {}',
                    design="lhs", extra='[discover]\noutcome = "active_members_end"\n'
                                        'threshold = 1\ndirection = "at_least"\n')
    f.write_text(f.read_text().replace("samples = 16", "samples = 12"))
    assert main(["discover", str(f), "--workers", "1", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "out"), "--quiet", "--no-figures"]) == 0
    pts = pd.read_csv(tmp_path / "out" / "points.csv")
    ens = read_ensemble(CSV.encode(), "ens.csv")
    for row in pts.to_dict("records"):  # each point's set values, beside its number
        assert row["set: barriers.turf"] == ens.params(int(row["set"]))["barriers.turf"]
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "set" not in s["factors"] and "set: awareness.initial" in s["factors"]
    assert "`set`: each point runs one calibrated set" in \
        (tmp_path / "out" / "README.md").read_text()
