"""Scenario discovery (issue 22): PRIM finds a planted box, every bad [discover] table is
refused at load with the key and what it allows, and ``jambi-sim discover`` writes its
report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.studies.discover import (
    Discover,
    choose,
    find_boxes,
    in_box,
    point_table,
)
from sim.studies.discover_report import load_discovery
from sim.studies.spec import ExperimentError
from sim.ui.cli import main

pytest.importorskip("ema_workbench")

from conftest import small_toml  # noqa: E402
from test_study_safety import TINY  # noqa: E402 (a scenario of one small half-year)


# ------------------------------------------------------------------ PRIM on a planted box
def planted(n: int = 2000, seed: int = 20240331) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0.0, 1.0, (n, 3)), columns=["x1", "x2", "x3"])
    y = ((x["x1"] > 0.6) & (x["x2"] < 0.3)).to_numpy()
    return x, y


def test_prim_finds_a_planted_box() -> None:
    x, y = planted()
    found = find_boxes(x, y, threshold_density=0.95)
    box = found.box().set_index("factor")
    assert set(box.index) == {"x1", "x2"}  # x3 does not matter and is left free
    assert box.loc["x1", "lower"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["x2", "upper"] == pytest.approx(0.3, abs=0.05)
    assert box.loc["x1", "upper"] == pytest.approx(1.0, abs=0.01)  # not restricted above
    chosen = found.trajectory.iloc[found.chosen]
    assert chosen["coverage"] > 0.95 and chosen["density"] > 0.95
    # the box's own numbers agree with the points it holds
    inside = in_box(x, found)
    assert inside.sum() == chosen["n"] and y[inside].sum() == chosen["k"]
    assert found.n_interest == y.sum() and found.share == pytest.approx(y.mean())


def test_the_chosen_box_follows_the_rule() -> None:
    """The highest coverage among the boxes dense enough; ties go to fewer factors."""
    t = pd.DataFrame({"step": [0, 1, 2, 3, 4], "coverage": [1.0, 0.9, 0.8, 0.8, 0.5],
                      "density": [0.2, 0.7, 0.85, 0.9, 1.0], "restricted": [0, 1, 2, 1, 3]})
    assert choose(t, 0.8) == 3
    assert choose(t, 0.95) == 4
    assert choose(t, 0.6) == 1
    assert choose(t.iloc[:2], 0.8) is None
    x, y = planted()
    loose, strict = find_boxes(x, y), find_boxes(x, y, threshold_density=0.95)
    lo, st = loose.trajectory.iloc[loose.chosen], strict.trajectory.iloc[strict.chosen]
    assert lo["density"] >= 0.8 and lo["coverage"] >= st["coverage"]


def test_nothing_or_everything_meeting_the_threshold_is_a_plain_answer() -> None:
    x, y = planted(200)
    none = find_boxes(x, np.zeros(len(x), bool))
    assert none.chosen is None and none.box().empty and none.summary()["box"] is None
    every = find_boxes(x, np.ones(len(x), bool))
    assert every.chosen == 0 and every.box().empty  # the whole design, nothing restricted


def test_prim_reads_a_nominal_factor() -> None:
    x, _ = planted(1000)
    x["shared_db"] = np.random.default_rng(1).uniform(size=len(x)) < 0.5
    y = ((x["x1"] > 0.5) & x["shared_db"]).to_numpy()
    found = find_boxes(x, y, threshold_density=0.95)
    box = found.box().set_index("factor")
    assert box.loc["shared_db", "values"] == "True"
    assert box.loc["x1", "lower"] == pytest.approx(0.5, abs=0.05)


def test_find_boxes_names_bad_arguments() -> None:
    x, y = planted(100)
    with pytest.raises(TypeError, match="DataFrame"):
        find_boxes(x.to_numpy(), y)
    with pytest.raises(ValueError, match="one value per row"):
        find_boxes(x, y[:-1])
    with pytest.raises(ValueError, match="True/False"):
        find_boxes(x, np.where(y, 2, 0))
    with pytest.raises(ValueError, match="peel_alpha"):
        find_boxes(x, y, peel_alpha=0.9)


def test_one_label_per_point_is_the_mean_over_its_finished_reps() -> None:
    spec = Discover.parse({"outcome": "active_members_end", "threshold": 10})
    table = pd.DataFrame({"point": [0, 0, 1, 1, 2], "turf": [0.1, 0.1, 0.9, 0.9, 0.5],
                          "active_members_end": [8.0, 14.0, 9.0, np.nan, np.nan],
                          "status": ["ok", "ok", "ok", "error", "error"]})
    pts, dropped = point_table(table, ["turf"], spec)
    assert dropped == 1 and list(pts["point"]) == [0, 1]
    assert list(pts["active_members_end"]) == [11.0, 9.0]
    assert list(pts["meets"]) == [True, False] and list(pts["reps_ok"]) == [2, 1]
    at_most = Discover.parse({"outcome": "active_members_end", "threshold": 10,
                              "direction": "at_most"})
    assert list(point_table(table, ["turf"], at_most)[0]["meets"]) == [False, True]


# ------------------------------------------------------------------ the experiment file
EXPERIMENT = """
name = "disc"
scenario = "base.toml"
design = "lhs"
samples = {samples}
reps = 1
seed = 5
outputs = ["active_members_end"]
[factors]
"awareness.initial" = {{}}
"barriers.turf" = {{}}
"behaviour.apply_prob_online" = {{}}
[discover]
{discover}
"""
GOOD = 'outcome = "active_members_end"\nthreshold = 80\ndirection = "at_least"'


def write(tmp_path: Path, discover: str | None = GOOD, samples: int = 20,
          base: str = TINY) -> Path:
    (tmp_path / "base.toml").write_text(base)
    text = EXPERIMENT.format(samples=samples, discover=discover or "")
    if discover is None:
        text = text.replace("[discover]\n", "")
    p = tmp_path / "exp.toml"
    p.write_text(text)
    return p


BAD = [  # the table, the key named, what the message must offer
    (GOOD + "\ncolour = 1", "colour", ["outcome", "threshold", "direction", "peel_alpha",
                                       "threshold_density"]),
    (GOOD.replace("active_members_end", "members_end"), "discover.outcome",
     ["active_members_end", "gap_to_target", "active_members_<year>"]),
    (GOOD.replace("threshold = 80", 'threshold = "30000"'), "discover.threshold",
     ["a number"]),
    (GOOD.replace("threshold = 80", "threshold = true"), "discover.threshold", ["a number"]),
    (GOOD.replace('"at_least"', '"above"'), "discover.direction", ["'at_least'", "'at_most'"]),
    (GOOD + "\npeel_alpha = 0.9", "discover.peel_alpha", ["at most 0.5"]),
    ('threshold = 80\ndirection = "at_least"', "discover.outcome", ["is missing"]),
    (GOOD.replace("active_members_end", "active_members_2031"), "discover.outcome",
     ["2018 to 2018"]),
    (None, "[discover]", ["outcome", "threshold", "direction"]),
]


@pytest.mark.parametrize("discover, key, offers", BAD)
def test_a_bad_discover_table_is_refused_before_any_run(discover: str | None, key: str,
                                                        offers: list[str], tmp_path: Path,
                                                        capsys) -> None:
    exp = write(tmp_path, discover)
    runs, out = tmp_path / "runs", tmp_path / "out"
    code = main(["discover", str(exp), "--workers", "1", "--runs", str(runs), "--out",
                 str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("jambi-sim: error: ") and err.count("\n") == 1
    assert "Traceback" not in err and str(exp) in err and key in err
    for word in offers:
        assert word in err, (word, err)
    assert not runs.exists() and not out.exists()  # refused before any run
    with pytest.raises(ExperimentError) as raised:  # the Python API says the same
        load_discovery(exp)
    assert key in str(raised.value) and all(w in str(raised.value) for w in offers)


def test_a_good_table_loads_with_the_outcome_among_the_outputs(tmp_path: Path) -> None:
    exp, _, spec = load_discovery(write(tmp_path, GOOD.replace(
        "active_members_end", "active_members_2018")))
    assert spec.outcome == "active_members_2018" and spec.threshold == 80.0
    assert exp.outputs == ["active_members_end", "active_members_2018"]
    assert (spec.peel_alpha, spec.mass_min, spec.threshold_density) == (0.05, 0.05, 0.8)


def test_a_sweep_of_a_discover_file_keeps_the_hash_of_the_same_file_without_it(
        tmp_path: Path) -> None:
    from sim.studies.spec import experiment_hash, load_experiment

    with_table = load_experiment(write(tmp_path))[0]
    without = load_experiment(write(tmp_path, None))[0]
    assert with_table.discover is not None and without.discover is None
    assert experiment_hash(with_table) == experiment_hash(without)


# ------------------------------------------------------------------ the command
def _discover(tmp_path: Path, exp: Path, *extra: str) -> int:
    return main(["discover", str(exp), "--workers", "1", "--runs", str(tmp_path / "runs"),
                 "--out", str(tmp_path / "out"), "--quiet", *extra])


def _threshold_at_the_median(tmp_path: Path, exp: Path) -> float:
    """Set the file's threshold to the median of the points' outcomes (so that about half
    the points meet it) and return it."""
    pts = pd.read_csv(tmp_path / "out" / "points.csv")
    mid = float(np.median(pts["active_members_end"]))
    exp.write_text(re.sub(r"(?m)^threshold = .*$", f"threshold = {mid}", exp.read_text()))
    return mid


def test_the_command_writes_its_report(tmp_path: Path) -> None:
    exp = write(tmp_path, samples=20)
    assert _discover(tmp_path, exp, "--no-figures") == 0
    mid = _threshold_at_the_median(tmp_path, exp)
    assert _discover(tmp_path, exp) == 0  # the runs come from the store
    out = tmp_path / "out"
    for name in ("summary.json", "boxes.csv", "trajectory.csv", "points.csv", "README.md",
                 "figures/tradeoff.png", "figures/box.png"):
        assert (out / name).is_file(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["threshold"] == mid and s["outcome"] == "active_members_end"
    assert s["points"] == 20 and 0 < s["points_meeting"] < 20
    pts = pd.read_csv(out / "points.csv")
    assert s["points_meeting"] == int((pts["active_members_end"] >= mid).sum())
    assert str(exp) in s["provenance"]["inputs"]
    readme = (out / "README.md").read_text()
    assert "coverage / cakupan" in readme and "density / kepadatan" in readme
    if s["box"] is not None:
        assert s["box"]["density"] >= 0.8
        assert int(pts["in_box"].sum()) == s["box"]["n"]
        assert len(pd.read_csv(out / "boxes.csv")) == len(s["box"]["restrictions"])
    traj = pd.read_csv(out / "trajectory.csv")
    assert list(traj.columns[:4]) == ["step", "coverage", "density", "mass"]


def test_the_report_may_not_replace_the_run_store(tmp_path: Path, capsys) -> None:
    exp = write(tmp_path)
    assert main(["discover", str(exp), "--runs", str(tmp_path / "r" / "x"), "--out",
                 str(tmp_path / "r"), "--quiet"]) == 2
    assert "--runs" in capsys.readouterr().err and not (tmp_path / "r").exists()


@pytest.mark.integration
def test_discover_end_to_end_on_the_small_city(tmp_path: Path) -> None:
    exp = write(tmp_path, samples=12, base=small_toml())
    assert _discover(tmp_path, exp) == 0
    mid = _threshold_at_the_median(tmp_path, exp)
    assert _discover(tmp_path, exp) == 0
    out = tmp_path / "out"
    s = json.loads((out / "summary.json").read_text())
    assert s["threshold"] == mid and "box" in s and s["points"] == 12
    for name in ("boxes.csv", "trajectory.csv", "points.csv", "README.md",
                 "figures/tradeoff.png", "figures/box.png"):
        assert (out / name).is_file(), name
