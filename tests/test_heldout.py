"""Held-out validation (``jambi-sim heldout``), on a tiny budget."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import small_toml

import sim
from sim.studies.heldout import load_heldout
from sim.studies.spec import ExperimentError
from sim.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = small_toml("tiny", population={"uninsured_people_start": 1500, "n_rt": 80},
                      program={"target": 2000})
HELDOUT = """
name = "tiny_heldout"
scenario = "tiny.toml"
reps = 3
seed = 11
[[patterns]]
name = "grows"
what = "active members end of 2019 over end of 2018"
observed = "higher"
source = "test"
kind = "ratio"
a = ["active_members_2019"]
b = ["active_members_2018"]
lo = 1.0
hi = 1e9
[[patterns]]
name = "impossible"
what = "online visits"
observed = "none"
source = "test"
kind = "value"
a = ["visits_per_enrolled_case_online"]
lo = -2.0
hi = -1.0
[[patterns]]
name = "saved"
what = "manual minus online visits"
observed = "some"
source = "test"
kind = "difference"
a = ["visits_per_enrolled_case_manual"]
b = ["visits_per_enrolled_case_online"]
lo = 0.0
hi = 100.0
"""


def test_tiny_heldout_table_matches_the_runs_and_says_pass_or_fail(tmp_path) -> None:
    (tmp_path / "tiny.toml").write_text(SCENARIO)
    (tmp_path / "h.toml").write_text(HELDOUT)
    out = tmp_path / "validation"
    assert main(["heldout", str(tmp_path / "h.toml"), "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "table.csv").set_index("pattern")
    for name in ("table.md", "summary.json", "patterns.png", "curve.png"):
        assert (out / name).exists(), name
    s = sim.run(tmp_path / "tiny.toml", reps=3, seed=11, cases=False).scalars_by_rep()
    ratio = (s["active_members_2019"] / s["active_members_2018"]).mean()
    diff = (s["visits_per_enrolled_case_manual"] - s["visits_per_enrolled_case_online"]).mean()
    assert table.loc["grows", "simulated_mean"] == pytest.approx(ratio, rel=1e-6)
    assert table.loc["saved", "simulated_mean"] == pytest.approx(diff, rel=1e-6)
    assert table.loc["grows", "result"] == ("pass" if ratio >= 1 else "fail")
    assert table.loc["impossible", "result"] == "fail"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] == int((table["result"] == "pass").sum())
    assert "**fail**" in (out / "table.md").read_text()


def test_a_bad_heldout_file_names_the_output_and_exits_2(tmp_path, capsys) -> None:
    (tmp_path / "tiny.toml").write_text(SCENARIO)
    (tmp_path / "h.toml").write_text(HELDOUT.replace('a = ["active_members_2019"]',
                                                     'a = ["active_members_2O19"]'))
    with pytest.raises(ExperimentError, match="active_members_2O19"):
        load_heldout(tmp_path / "h.toml")
    assert main(["heldout", str(tmp_path / "h.toml"), "--out", str(tmp_path / "v"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "active_members_2O19" in err and "Traceback" not in err
    assert not (tmp_path / "v").exists()


def test_shipped_heldout_file_loads() -> None:
    spec, scenario = load_heldout(ROOT / "experiments" / "heldout.toml")
    assert scenario.name == "online_2021.toml" and len(spec.patterns) >= 4


def test_heldout_judges_each_pattern_under_each_ensemble_set(tmp_path) -> None:
    sets = ("set,interactive,behaviour.apply_prob_online\n0,True,0.3\n1,True,0.9\n"
            "2,False,0.6\n")
    (tmp_path / "ens.csv").write_text(sets)
    (tmp_path / "tiny.toml").write_text(
        small_toml("tiny", population={"uninsured_people_start": 1500, "n_rt": 80},
                   program={"target": 2000}, ensemble="ens.csv"))
    (tmp_path / "h.toml").write_text(HELDOUT)
    out = tmp_path / "validation"
    assert main(["heldout", str(tmp_path / "h.toml"), "--out", str(out), "--quiet",
                 "--no-figures", "--sets", "all", "--ensemble-reps", "2"]) == 0
    table = pd.read_csv(out / "table.csv").set_index("pattern")
    assert (table["sets"] == 3).all()
    assert table.loc["impossible", "sets_pass"] == 0  # fails under every set
    from sim.runner.ensemble import read_ensemble
    from sim.scenario import Scenario
    from sim.studies.heldout import evaluate

    spec, _ = load_heldout(tmp_path / "h.toml")
    base = Scenario.from_bytes((tmp_path / "tiny.toml").read_bytes())
    ens = read_ensemble(sets.encode(), "ens.csv", base)
    n = 0
    for i in range(3):  # counted again, set by set, from runs of that set alone
        s = sim.run(ens.scenario(base, i), reps=2, seed=11, cases=False).scalars_by_rep()
        n += evaluate(spec, s).set_index("pattern").loc["grows", "result"] == "pass"
    assert table.loc["grows", "sets_pass"] == n
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ensemble"]["n_sets"] == 3 and summary["ensemble"]["reps"] == 2
    assert "sets that pass" in (out / "table.md").read_text()


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ""])
def test_a_heldout_name_that_cannot_be_a_folder_is_refused_in_plain_words(
        tmp_path, capsys, name: str) -> None:
    (tmp_path / "tiny.toml").write_text(SCENARIO)
    (tmp_path / "h.toml").write_text(HELDOUT.replace('name = "tiny_heldout"',
                                                     f'name = "{name}"'))
    out = tmp_path / "validation"
    assert main(["heldout", str(tmp_path / "h.toml"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"key 'name' = '{name}'" in err and "letters, digits, '_', '-' and '.'" in err
    assert "pattern" not in err and "^[" not in err and "Traceback" not in err
    assert not out.exists()
    # the negative twin: a name with every allowed kind of character loads
    (tmp_path / "h.toml").write_text(HELDOUT.replace('name = "tiny_heldout"',
                                                     'name = "Tiny-heldout_2.0"'))
    assert load_heldout(tmp_path / "h.toml")[0].name == "Tiny-heldout_2.0"
