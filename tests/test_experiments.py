"""Experiments: the outcome catalogue, experiment files, sweeps (local pool, Dask, resume
after SIGINT and SIGKILL, failures) and sensitivity analysis through SALib and EMA."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import sim
from sim.runner.catalogue import OUTPUTS, output_names, scalars
from sim.studies import load_experiment, sweep
from sim.ui.cli import main

TINY_FIXED = """
[fixed]
uninsured_people_start = 1200
n_rt = 60
"population.arrivals_per_year" = 40.0
"time.end" = 2018-12-31
"time.online_from" = 2018-07-01
target = 1200
"""

TINY_GRID = """
name = "tiny_grid"
design = "grid"
reps = 2
seed = 11
outputs = ["active_members_end", "gap_to_target", "days_to_card_median", "households_lost"]
[factors]
turf = { values = [0.0, 1.0] }
"offices.dinsos.staff" = { range = [2, 8], levels = 2 }
""" + TINY_FIXED

ISHIGAMI = """
name = "ishigami"
model = "ishigami"
design = "sobol"
samples = 512
reps = 2
noise_sd = 0.3
seed = 3
outputs = ["y"]
[factors]
x1 = { range = [-3.141592653589793, 3.141592653589793] }
x2 = { range = [-3.141592653589793, 3.141592653589793] }
x3 = { range = [-3.141592653589793, 3.141592653589793] }
"""

# Ishigami (a = 7, b = 0.1): analytic first-order and total indices.
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def tiny_scenario() -> sim.Scenario:
    return sim.Scenario().with_overrides(
        uninsured_people_start=1200, n_rt=60, arrivals_per_year=40.0,
        **{"time.end": "2018-12-31", "time.online_from": "2018-07-01"}, target=1200)


def compare_tables(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=["wall_s"]).reset_index(drop=True),
                                  b.drop(columns=["wall_s"]).reset_index(drop=True))


# ------------------------------------------------------------------ outcomes
def test_scalars_of_one_replication_are_consistent() -> None:
    sc = tiny_scenario()
    res = sim.run_one(sc, seed=3, rep=0)
    s = scalars(res.stats, res.cases, sc)
    assert set(output_names()) <= set(s) and "premium_idr_2018" in s
    assert all(isinstance(v, float) for v in s.values())
    assert s["gap_to_target"] == sc.program.target - res.stats["enrolled_end"]
    assert s["cases_applied"] == s["cases_enrolled"] + s["cases_rejected"] + \
        s["cases_abandoned"] + s["cases_in_process"]
    assert s["households_never_carded"] == s["households_applied"] - s["households_enrolled"]
    assert 0 <= s["households_lost"] <= s["households_never_carded"]
    assert s["share_households_lost"] == s["households_lost"] / s["households_applied"]
    assert s["days_to_card_median"] <= s["days_to_card_p90"]
    assert s["premium_idr_total"] == sum(res.stats["premium_idr_by_year"].values())
    citizen = res.cases[res.cases["route"] != "referral"]
    assert s["households_applied"] == citizen["household_id"].nunique()
    # Without the case table, the outputs that need it are NaN and the others unchanged.
    no_cases = scalars(res.stats, None, sc)
    for name, out in OUTPUTS.items():
        if "<" in name:
            continue
        if name == "refill_days_mean":  # no removal batch in 2018: undefined either way
            assert math.isnan(no_cases[name]) and math.isnan(s[name])
            continue
        assert math.isnan(no_cases[name]) == out.needs_cases, name
        if not out.needs_cases:
            assert no_cases[name] == s[name]


def test_every_output_names_what_it_counts() -> None:
    for o in OUTPUTS.values():
        assert o.unit and o.meaning
    for name in ("active_members_end", "gap_to_target", "people_ever_enrolled"):
        assert OUTPUTS[name].unit == "people"
    assert OUTPUTS["households_lost"].unit == "households"
    assert OUTPUTS["cases_applied"].unit == "cases"


# ------------------------------------------------------------------ sweeps
def test_sweep_runs_every_point_with_common_random_numbers(tmp_path: Path) -> None:
    exp, folder = load_experiment(write(tmp_path, TINY_GRID))
    res = sweep(exp, folder, tmp_path / "out", workers=1)
    t = res.table
    assert len(t) == 8 and res.failed == 0 and res.ran == 8
    assert list(t["turf"]) == [0.0] * 4 + [1.0] * 4
    assert list(t["offices.dinsos.staff"]) == [2, 2, 8, 8, 2, 2, 8, 8]
    assert (t["seed"] == 11).all() and list(t["rep"]) == [0, 1] * 4
    # Rep r of a point is run_one(scenario, root seed, r): check one against a direct run.
    sc = tiny_scenario().with_overrides(turf=1.0, offices__dinsos__staff=8)
    direct = sim.run_one(sc, seed=11, rep=1)
    assert t.loc[7, "active_members_end"] == direct.stats["enrolled_end"]
    # Running again computes nothing and returns the same table.
    again = sweep(exp, folder, tmp_path / "out", workers=1)
    assert again.ran == 0 and again.reused == 8
    compare_tables(t, again.table)


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path: Path,
                                                              monkeypatch) -> None:
    import sim.runner.replications

    real = sim.runner.replications.run_one

    def flaky(scenario, seed=0, rep=0, tables=True):
        if scenario.barriers.turf == 1.0 and rep == 1:
            raise RuntimeError("deliberate failure")
        return real(scenario, seed, rep, tables)

    monkeypatch.setattr(sim.runner.replications, "run_one", flaky)
    exp, folder = load_experiment(write(tmp_path, TINY_GRID))
    res = sweep(exp, folder, tmp_path / "out", workers=1)
    bad = res.table[res.table["status"] != "ok"]
    assert res.failed == 2 and list(bad.index) == [5, 7]
    assert bad["error"].str.contains("deliberate failure").all()
    assert bad["active_members_end"].isna().all()
    monkeypatch.setattr(sim.runner.replications, "run_one", real)
    assert sweep(exp, folder, tmp_path / "out", workers=1).ran == 0  # failures are kept
    retried = sweep(exp, folder, tmp_path / "out", workers=1, retry_failed=True)
    assert retried.ran == 2 and retried.failed == 0


@pytest.mark.slow
def test_process_pool_gives_the_same_table_as_one_process(tmp_path: Path) -> None:
    exp, folder = load_experiment(write(tmp_path, TINY_GRID))
    one = sweep(exp, folder, tmp_path / "one", workers=1).table
    two = sweep(exp, folder, tmp_path / "two", workers=2, chunk_size=3).table
    compare_tables(one, two)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_table_as_the_local_pool(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    exp_file = write(tmp_path, TINY_GRID)
    assert main(["sweep", str(exp_file), "--workers", "1", "--out", str(tmp_path / "local"),
                 "--quiet"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert main(["sweep", str(exp_file), "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "dask"), "--quiet"]) == 0
    local = pd.read_parquet(tmp_path / "local" / "results.parquet")
    dask = pd.read_parquet(tmp_path / "dask" / "results.parquet")
    compare_tables(local, dask)


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def _start(exp_file: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(exp_file), "--workers",
                             "2", "--out", str(out), "--quiet"], cwd=ROOT,
                            start_new_session=True, stderr=subprocess.PIPE, text=True)


def _interrupt_after(proc: subprocess.Popen, runs: Path, n: int, sig: int) -> None:
    deadline = time.monotonic() + 120
    while _lines(runs) < n and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep finished before it could be interrupted"
    os.killpg(proc.pid, sig)  # the whole process group, as Ctrl-C or kill -9 of a job
    proc.wait(timeout=60)


@pytest.mark.slow
def test_sweep_interrupted_by_sigint_and_sigkill_resumes_to_the_same_table(
        tmp_path: Path) -> None:
    text = TINY_GRID.replace("reps = 2", "reps = 8")  # 32 runs
    exp_file = write(tmp_path, text)
    out = tmp_path / "out"
    runs = out / "runs.jsonl"
    proc = _start(exp_file, out)
    _interrupt_after(proc, runs, 4, signal.SIGINT)
    assert proc.returncode == 130, proc.stderr.read()
    after_int = _lines(runs)
    assert 4 <= after_int < 32
    proc = _start(exp_file, out)
    _interrupt_after(proc, runs, after_int + 4, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    after_kill = _lines(runs)
    assert after_int < after_kill < 32
    with open(runs, "a") as fh:  # a line torn by the kill must not spoil the resume
        fh.write('{"key": "torn')
    assert main(["sweep", str(exp_file), "--workers", "2", "--out", str(out), "--quiet"]) == 0
    exp, folder = load_experiment(exp_file)
    resumed = pd.read_parquet(out / "results.parquet")
    assert (resumed["status"] == "ok").all()
    keys = [json.loads(line)["key"] for line in runs.read_text().splitlines()
            if line.startswith('{"key": "') and line.endswith("}")]
    assert len(keys) == len(set(keys)) == 32  # no run was computed twice
    whole = sweep(exp, folder, tmp_path / "whole", workers=1).table
    compare_tables(resumed, whole)


# ------------------------------------------------------------------ sensitivity
def test_sensitivity_recovers_the_ishigami_indices(tmp_path: Path, capsys) -> None:
    exp_file = write(tmp_path, ISHIGAMI)
    out = tmp_path / "out"
    assert main(["sensitivity", str(exp_file), "--workers", "1", "--out", str(out)]) == 0
    report = json.loads((out / "sensitivity.json").read_text())
    y = report["outputs"]["y"]
    np.testing.assert_allclose(y["S1"], ISHIGAMI_S1, atol=0.08)
    np.testing.assert_allclose(y["ST"], ISHIGAMI_ST, atol=0.08)
    assert abs(y["S2"][0][2] - (ISHIGAMI_ST[0] - ISHIGAMI_S1[0])) < 0.15  # x1 x x3
    # Noise: var(N(0, 0.3)) over var(Ishigami) = 0.09 / 13.84.
    assert 0.002 < y["noise_share"] < 0.02
    assert [c["n"] for c in y["convergence"]] == [4, 8, 16, 32, 64, 128, 256, 512]
    assert (out / "figures" / "indices_y.png").stat().st_size > 1000
    assert (out / "figures" / "convergence_y.png").stat().st_size > 1000
    idx = pd.read_csv(out / "indices.csv")
    assert set(idx["index"]) == {"S1", "ST", "S2"}
    assert "ST" in capsys.readouterr().out


@pytest.mark.slow
def test_emulator_on_an_lhs_design_recovers_the_ishigami_indices(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the surrogate path needs scikit-learn")
    text = ISHIGAMI.replace('design = "sobol"', 'design = "lhs"').replace("samples = 512",
                                                                          "samples = 200")
    out = tmp_path / "out"
    assert main(["sensitivity", str(write(tmp_path, text)), "--workers", "1", "--out",
                 str(out), "--quiet"]) == 0
    y = json.loads((out / "sensitivity.json").read_text())["outputs"]["y"]
    assert y["holdout_r2"] > 0.9 and y["holdout_rmse"] < 0.3 * y["output_sd"]
    np.testing.assert_allclose(y["S1"], ISHIGAMI_S1, atol=0.1)
    np.testing.assert_allclose(y["ST"], ISHIGAMI_ST, atol=0.1)


def test_sensitivity_warns_when_intervals_are_too_wide(tmp_path: Path, capsys) -> None:
    text = ISHIGAMI.replace("samples = 512", "samples = 8").replace("noise_sd = 0.3",
                                                                    "noise_sd = 3.0")
    assert main(["sensitivity", str(write(tmp_path, text)), "--workers", "1", "--out",
                 str(tmp_path / "out"), "--no-figures"]) == 0
    report = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert any("too wide" in w for w in report["warnings"])
    assert "warning:" in capsys.readouterr().out


def test_salib_drives_the_model_through_the_public_api() -> None:
    sp = sim.salib_problem(["turf", "offices__dinsos__staff"], outputs=["gap_to_target",
                                                                       "case_handoffs"])
    assert sp["bounds"] == [[0.0, 1.0], [4.0, 16.0]]
    sp.sample_morris(2, num_levels=4, seed=1)
    sp.evaluate(sim.evaluate, sp["names"], sp["outputs"], reps=1, seed=5,
                scenario=tiny_scenario())
    sp.analyze_morris(num_levels=4, seed=1)
    assert sp.results.shape == (6, 2) and np.isfinite(sp.results).all()
    assert set(sp.analysis) == {"gap_to_target", "case_handoffs"}
    # Row 0 is run_one at that point (integer staff rounded), seed 5, rep 0.
    x = sp.samples[0]
    sc = tiny_scenario().with_overrides(turf=x[0], offices__dinsos__staff=round(x[1]))
    one = sim.run_one(sc, seed=5, rep=0)
    assert sp.results[0, 0] == sc.program.target - one.stats["enrolled_end"]


def test_ema_workbench_drives_the_model(tmp_path: Path) -> None:
    ema = pytest.importorskip("ema_workbench", reason="ema_workbench is optional")
    scenario = write(tmp_path, "name = 'tiny'\n[time]\nend = 2018-12-31\n"
                               "online_from = 2018-07-01\n[population]\n"
                               "uninsured_people_start = 1200\nn_rt = 60\n"
                               "[program]\ntarget = 1200\n", "tiny.toml")
    model = sim.ema_model("jambi", ["turf", "offices__dinsos__staff"], ["gap_to_target"],
                          reps=1, seed=2, scenario=str(scenario))
    assert model.function.__module__ == "sim.studies.ema"  # importable under spawn
    experiments, outcomes = ema.perform_experiments(
        model, scenarios=2, evaluator=ema.SequentialEvaluator(model))
    assert len(experiments) == 2 and np.isfinite(outcomes["gap_to_target"]).all()
    assert experiments["offices__dinsos__staff"].between(4, 16).all()


# ------------------------------------------------------------------ bad files
@pytest.mark.parametrize("text, words", [
    ("name = 'x'\ndesign = 'factorial'\noutputs = ['gap_to_target']\n[factors]\nturf = {}\n",
     "design"),
    ("name = 'x'\ndesign = 'lhs'\noutputs = ['gap']\n[factors]\nturf = {}\n",
     "outputs: unknown 'gap'; allowed: active_members_end"),
    ("name = 'x'\ndesign = 'lhs'\noutputs = ['gap_to_target']\n[factors]\nturff = {}\n",
     "Did you mean turf"),
    ("name = 'x'\ndesign = 'lhs'\noutputs = ['gap_to_target']\n[factors]\n"
     "turf = { range = [0.0, 2.0] }\n", "outside the allowed range 0.0 to 1.0"),
    ("name = 'x'\ndesign = 'sobol'\noutputs = ['gap_to_target']\n[factors]\n"
     "turf = { values = [0.1] }\npower = {}\n", "samples a range"),
    ("name = 'x'\ndesign = 'lhs'\noutputs = ['gap_to_target']\n[factors]\nn_kecamatan = {}\n",
     "kept fixed"),
    ("name = 'x'\ndesign = 'grid'\noutputs = ['gap_to_target']\nrepz = 2\n[factors]\n"
     "turf = { values = [0.1] }\n", "unknown key 'repz'"),
    ("name = 'x'\ndesign = 'grid\n", "not valid TOML"),
])
def test_bad_experiment_files_exit_2_with_one_clear_paragraph(tmp_path, capsys, text,
                                                              words) -> None:
    p = write(tmp_path, text)
    assert main(["sweep", str(p), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jambi-sim: error: ") and err.count("\n") == 1
    assert str(p) in err and words in err, err
    assert not (tmp_path / "out").exists()


def test_missing_file_and_a_folder_of_another_experiment_exit_2(tmp_path, capsys) -> None:
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "no such experiment file" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["sweep", str(write(tmp_path, TINY_GRID)), "--out", str(out), "--quiet",
                 "--workers", "1"]) == 0
    for name in ("gap_to_target_by_factor.png", "gap_to_target_heatmap.png"):  # sweep plots
        assert (out / "figures" / name).stat().st_size > 1000
    other = TINY_GRID.replace('name = "tiny_grid"', 'name = "other"')
    assert main(["sweep", str(write(tmp_path, other, "other.toml")), "--out", str(out)]) == 2
    assert "another experiment ('tiny_grid')" in capsys.readouterr().err
    # The same experiment with more reps reuses the runs it has (keys are content hashes).
    more = write(tmp_path, TINY_GRID.replace("reps = 2", "reps = 3"), "more.toml")
    exp, folder = load_experiment(more)
    res = sweep(exp, folder, out, workers=1)
    assert (res.reused, res.ran, len(res.table)) == (8, 4, 12)


def test_shipped_experiments_load_and_name_real_parameters() -> None:
    files = sorted((ROOT / "experiments").glob("*.toml"))
    assert {f.stem for f in files} >= {"pathways", "barriers_morris", "barriers_sobol",
                                       "interventions"}
    from sim.studies import build_design
    from sim.studies.sweeps import make_jobs

    for f in files:
        if f.stem in ("heldout", "calibration"):  # their own loaders, tested with them
            continue
        exp, folder = load_experiment(f)
        design = build_design(exp, folder)
        jobs = make_jobs(exp, folder, design)
        # one key per run; two jobs share one only when they are the same run (a discrete
        # factor such as 'set' can give a Sobol' point equal to its base point)
        same: dict[str, tuple] = {}
        for j in jobs:
            run = (tuple(sorted(design.points[j.point].items())), j.rep)
            assert same.setdefault(j.key, run) == run, f
        assert len(same) >= 0.99 * len(jobs), f


def test_index_figures_show_the_largest_factors_first() -> None:
    """A screening of many factors draws its leaders, largest first, and says so."""
    import numpy as np

    from sim.studies.sensitivity import TOP_FACTORS, figures

    n = TOP_FACTORS + 10
    mu = np.random.default_rng(3).permutation(np.arange(1.0, n + 1)).tolist()
    names = [f"f{i}" for i in range(n)]
    e = {"mu_star": mu, "mu_star_conf": [0.1] * n, "sigma": mu, "noise_share": float("nan")}
    figs = figures({"factors": names, "design": "morris", "outputs": {"gap_to_target": e}})
    ax = figs["indices_gap_to_target.png"].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == TOP_FACTORS
    want = [names[i] for i in np.argsort(mu)[::-1][:TOP_FACTORS]]
    assert labels == want
    assert f"the {TOP_FACTORS} largest of {n} factors" in ax.get_title()
    assert "people" in ax.get_xlabel()
