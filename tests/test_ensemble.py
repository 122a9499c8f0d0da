"""The calibrated ensemble (issue 22): the file, read once and checked; runs paired within
each set under common random numbers; the agreement share and its interval; unknown sets,
columns and subsets refused with the valid ones listed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import small, small_toml

import sim
from sim.runner.ensemble import (
    agreement,
    paired,
    read_ensemble,
    run_ensemble,
    values,
)
from sim.scenario import ScenarioError
from sim.ui.cli import main

SHORT = {"end": "2018-09-30"}
CSV = ("set,interactive,wave,point,reps,I_max,barriers.turf,awareness.initial\n"
       "0,True,2,4,10,1.2,0.1,0.3\n"
       "1,True,2,9,10,0.8,0.9,0.5\n"
       "2,False,2,1,10,2.1,0.5,0.4\n")


def _files(tmp_path: Path, csv: str = CSV) -> Path:
    (tmp_path / "ens.csv").write_text(csv)
    f = tmp_path / "cal.toml"
    f.write_text(small_toml("cal", time=SHORT, ensemble="ens.csv"))
    return f


def test_reading_an_ensemble_and_its_sets() -> None:
    ens = read_ensemble(CSV.encode(), "ens.csv", base=small(time=SHORT))
    assert len(ens) == 3 and ens.columns == ("barriers.turf", "awareness.initial")
    assert ens.interactive == (0, 1) and ens.pick("interactive") == [0, 1]
    assert ens.pick("all") == [0, 1, 2] and ens.pick(2) == [2]
    sc = ens.scenario(small(time=SHORT), 1)
    assert sc.barriers.turf == 0.9 and sc.awareness.initial == 0.5


@pytest.mark.parametrize("csv, words", [
    (CSV.replace("barriers.turf", "barriers.turff"), ["'barriers.turff' (unknown)", "Did you mean barriers.turf"]),
    (CSV.replace("\n1,True", "\n5,True"), ["numbered 0, 1, 2", "line 3"]),
    (CSV.replace("0.9,0.5", "high,0.5"), ["'high' is not a number", "barriers.turf"]),
    (CSV.replace("0.9,0.5", "1.9,0.5"), ["set 1 does not give a valid scenario", "turf"]),
    ("a,b\n1,2\n", ["'set'"]),
])
def test_a_bad_ensemble_is_refused_naming_the_line_and_key(csv: str, words: list[str]) -> None:
    with pytest.raises(ScenarioError) as exc:
        read_ensemble(csv.encode(), "ens.csv", base=small(time=SHORT))
    for word in words:
        assert word in str(exc.value)


def test_unknown_sets_and_subsets_are_refused_with_the_valid_ones() -> None:
    ens = read_ensemble(CSV.encode(), "ens.csv")
    with pytest.raises(ScenarioError, match="numbered 0 to 2"):
        ens.pick(3)
    with pytest.raises(ScenarioError, match="interactive, all"):
        ens.pick("most")


def test_agreement_share_and_its_wilson_interval() -> None:
    a = agreement(27, 30)
    assert a["share"] == pytest.approx(0.9)
    # Wilson's score interval for 27 of 30 (Newcombe 1998, method 3): 0.7438 to 0.9654
    assert a["share_ci95"] == pytest.approx([0.7438, 0.9654], abs=1e-4)
    assert agreement(0, 10)["share_ci95"][0] == 0.0 and agreement(10, 10)["share_ci95"][1] == 1
    assert agreement(0, 10)["share_ci95"][1] > 0.2  # ten sets cannot rule out a fifth
    with pytest.raises(ValueError):
        agreement(4, 3)


def test_paired_difference_agrees_only_where_its_interval_excludes_zero() -> None:
    a = np.array([[10.0, 12.0, 11.0], [10.0, 12.0, 11.0], [5.0, 5.0, 5.0]])
    b = a + np.array([[2.0, 2.1, 1.9], [3.0, -2.0, 1.0], [-1.0, -1.0, -1.0]])
    d = paired(a, b, claim="up")
    assert [s["agrees"] for s in d["per_set"]] == [True, False, False]
    assert d["agree"] == 1 and d["sets"] == 3
    assert d["per_set"][0]["diff"] == pytest.approx(2.0)
    down = paired(a, b, claim="down")  # set 2: an exact -1 in every replication
    assert [s["agrees"] for s in down["per_set"]] == [False, False, True]
    assert paired(a, b, claim="down", smallest=0.5)["agree"] == 1
    assert paired(a, b, claim="down", smallest=1.5)["agree"] == 0  # smaller than stated
    with pytest.raises(ValueError, match="shapes"):
        paired(a, b[:2])


def test_ensemble_runs_are_the_single_runs_of_each_set_paired_across_scenarios() -> None:
    base = small(time=SHORT)
    ens = read_ensemble(CSV.encode(), "ens.csv", base=base)
    got = run_ensemble(base, ens, [0, 2], 2, seed=5)
    assert got.shape == (2, 2)
    for k, i in enumerate([0, 2]):  # replication r of set i: the run of that set alone
        alone = sim.run(ens.scenario(base, i), reps=2, seed=5, cases=False)
        assert [d["active_members_end"] for d in got[k]] == \
            list(alone.scalars_by_rep()["active_members_end"])
    again = run_ensemble(base, ens, [0, 2], 2, seed=5)
    assert np.array_equal(values(got, "cases_applied"), values(again, "cases_applied"))
    same = paired(values(got, "cases_applied"), values(again, "cases_applied"))
    assert same["mean"] == 0 and same["agree"] == 0  # no change: no set agrees on one
    with pytest.raises(ScenarioError, match="unknown output 'members'"):
        values(got, "members")


def test_run_answers_from_the_ensemble_and_records_its_hash(tmp_path: Path,
                                                          monkeypatch) -> None:
    import sim.scenario.source as source

    f = _files(tmp_path)
    reads: list[str] = []
    real = source.read_bytes

    def counted(path, *a, **k):
        reads.append(Path(path).name)
        return real(path, *a, **k)

    monkeypatch.setattr(source, "read_bytes", counted)
    out = tmp_path / "out"
    assert main(["run", str(f), "--reps", "1", "--out", str(out), "--no-attribution",
                 "--no-figures", "--no-cases", "--workers", "1", "--sets", "all",
                 "--ensemble-reps", "2", "--quiet"]) == 0
    assert reads.count("ens.csv") == 1  # read once, for the check and every run
    s = json.loads((out / "summary.json").read_text())
    e = s["ensemble"]
    assert e["n_sets"] == 3 and e["reps"] == 2 and e["sets"] == [0, 1, 2]
    import hashlib

    digest = hashlib.sha256((tmp_path / "ens.csv").read_bytes()).hexdigest()
    assert e["sha256"] == digest
    assert digest in s["provenance"]["inputs"].values()
    m = e["outputs"]["active_members_end"]
    assert m["band_2_5_97_5"][0] <= m["mean"] <= m["band_2_5_97_5"][1]
    assert e["below_target"]["sets"] == 3

    one = tmp_path / "one"
    assert main(["run", str(f), "--reps", "1", "--out", str(one), "--no-attribution",
                 "--no-figures", "--no-cases", "--workers", "1", "--set", "1",
                 "--quiet"]) == 0
    s1 = json.loads((one / "summary.json").read_text())
    assert s1["ensemble"]["single_set"] is True and s1["ensemble"]["set"] == 1


@pytest.mark.parametrize("flags, words", [
    (["--set", "7"], ["no set 7", "0 to 2"]),
    (["--sets", "most"], ["--sets", "interactive"]),
])
def test_run_refuses_an_unknown_set(tmp_path: Path, capsys, flags: list[str],
                                    words: list[str]) -> None:
    f = _files(tmp_path)
    out = tmp_path / "out"
    if flags[0] == "--sets":
        with pytest.raises(SystemExit) as exc:
            main(["run", str(f), "--out", str(out), *flags])
        assert exc.value.code == 2
    else:
        assert main(["run", str(f), "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    for word in words:
        assert word in err


def test_set_needs_an_ensemble_and_a_missing_file_is_named(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(small_toml("plain", time=SHORT))
    assert main(["run", str(plain), "--set", "0", "--out", str(tmp_path / "o")]) == 2
    assert "names no ensemble" in capsys.readouterr().err
    f = _files(tmp_path)
    (tmp_path / "ens.csv").unlink()
    assert main(["run", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "key 'ensemble'" in err and "ens.csv" in err and "--sets none" in err


def test_whatif_over_the_ensemble_pairs_each_value_within_each_set(tmp_path: Path) -> None:
    f = _files(tmp_path)
    out = tmp_path / "w"
    assert main(["whatif", str(f), "--param", "apply_prob_online", "--values", "0.2,0.95",
                 "--reps", "1", "--ensemble-reps", "2", "--sets", "all", "--workers", "1",
                 "--out", str(out), "--quiet"]) == 0
    e = json.loads((out / "summary.json").read_text())["ensemble"]
    assert e["n_sets"] == 3 and len(e["variants"]) == 1
    d = e["variants"][0]["outputs"]["active_members_end"]
    assert len(d["per_set"]) == 3 and d["sets"] == 3 and 0 <= d["share"] <= 1
    assert "sets that agree" in (out / "ensemble.md").read_text()


def test_the_ensemble_is_a_seeded_sample_of_points_accepted_on_enough_replications() -> None:
    import pandas as pd

    from sim.studies.calibration_sets import draw_ensemble

    rng = np.random.default_rng(0)
    acc = pd.DataFrame({"wave": [1] * 20 + [2] * 30, "point": range(50),
                        "reps": [2] * 20 + [10] * 30, "I_max": rng.random(50),
                        "a": rng.random(50), "n": rng.integers(0, 9, 50).astype(float)})
    one = draw_ensemble(acc, ["a", "n"], {"a": False, "n": True}, 7, 25, 10, 5)
    assert len(one) == 25 and list(one["set"]) == list(range(25))
    assert set(one["point"]) <= set(range(20, 50))  # only points run on 10 replications
    assert one["interactive"].sum() == 5 and one["interactive"][:5].all()
    assert one["n"].dtype.kind == "i"
    again = draw_ensemble(acc, ["a", "n"], {"a": False, "n": True}, 7, 25, 10, 5)
    other = draw_ensemble(acc, ["a", "n"], {"a": False, "n": True}, 8, 25, 10, 5)
    assert one.equals(again) and not one.equals(other)
    every = draw_ensemble(acc, ["a", "n"], {"a": False, "n": True}, 7, 100, 10, 5)
    assert len(every) == 30  # fewer accepted than asked: all of them


def test_the_dashboard_band_gives_every_set_the_participants_change() -> None:
    import pandas as pd

    from sim.runner.ensemble import changes
    from sim.ui.dashboard import Run, ensemble_answer, ensemble_csv, ensemble_from_env

    base_sc = small(time=SHORT)
    full = read_ensemble(CSV.encode(), "ens.csv", base=base_sc)
    env = {"JAMBI_SIM_ENSEMBLE_CSV": ensemble_csv(full), "JAMBI_SIM_ENSEMBLE_FILE": "ens.csv"}
    ens = ensemble_from_env(env, base_sc)
    assert len(ens) == 2 and ens.values == full.values[:2]  # the interactive sets only
    changed_sc = base_sc.with_overrides(turf=1.0, apply_prob_online=0.2)
    assert changes(changed_sc, base_sc) == {"barriers.turf": 1.0,
                                            "behaviour.apply_prob_online": 0.2}
    base, changed = Run(base_sc, 3, pd.DataFrame()), Run(changed_sc, 3, pd.DataFrame())
    got = ensemble_answer(base, changed, ens)
    assert got["sets"] == 2 and got["changes"]["barriers.turf"] == 1.0
    # set 1's answer is that set with the change on top (the set's own turf is 0.9)
    alone = sim.run(ens.scenario(base_sc, 1).with_overrides(turf=1.0, apply_prob_online=0.2),
                    reps=1, seed=3, cases=False).scalars_by_rep()
    before = sim.run(ens.scenario(base_sc, 1), reps=1, seed=3, cases=False).scalars_by_rep()
    d = got["diff"]["active_members_end"]["per_set"][1]["diff"]
    assert d == float(alone["active_members_end"].iloc[0] - before["active_members_end"].iloc[0])
    assert ensemble_from_env({}, base_sc) is None


@pytest.mark.parametrize("csv, words", [
    ("set,barriers.turf,barriers.turf\n0,0.1,0.9\n", ["'barriers.turf'", "twice"]),
    ("set,time.online_from\n0,2021-01-01\n", ["not a numeric parameter"]),
    ("set,barriers.turfs\n0,0.1\n", ["unknown", "Did you mean barriers.turf"]),
])
def test_duplicate_and_non_numeric_columns_are_refused(csv: str, words: list[str]) -> None:
    with pytest.raises(ScenarioError) as exc:
        read_ensemble(csv.encode(), "ens.csv")
    for word in words:
        assert word in str(exc.value)


def test_a_spreadsheet_export_with_a_byte_order_mark_is_read() -> None:
    ens = read_ensemble(b"\xef\xbb\xbf" + CSV.encode(), "ens.csv")
    assert len(ens) == 3 and ens.columns[0] == "barriers.turf"


def test_compare_keeps_what_a_file_changes_in_a_calibrated_column(tmp_path: Path) -> None:
    from sim.scenario import Scenario
    from sim.ui.commands import own_values

    cols = CSV.replace("awareness.initial", "behaviour.apply_prob_manual")
    (tmp_path / "ens.csv").write_text(cols)
    files = []
    for name, p in (("base", None), ("low", 0.05), ("high", 0.95)):
        f = tmp_path / f"{name}.toml"  # the same file, two with the manual take-up changed
        f.write_text(small_toml(name, time=SHORT, ensemble="ens.csv",
                                **({"behaviour": {"apply_prob_manual": p}} if p else {})))
        files.append(f)
    scs = [Scenario.from_bytes(f.read_bytes()) for f in files]
    ens = read_ensemble(cols.encode(), "ens.csv")
    assert own_values(scs, ens) == [{}, {"behaviour.apply_prob_manual": 0.05},
                                    {"behaviour.apply_prob_manual": 0.95}]
    out = tmp_path / "c"
    assert main(["compare", *map(str, files), "--reps", "1", "--ensemble-reps", "1",
                 "--sets", "all", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    e = json.loads((out / "summary.json").read_text())["ensemble"]
    low, high = (v["outputs"]["active_members_end"] for v in e["variants"])
    # each file's own take-up survives every set: the set would otherwise erase it
    assert all(a["diff"] < b["diff"] for a, b in zip(low["per_set"], high["per_set"]))


def test_compare_refuses_one_set_of_different_ensembles(tmp_path: Path, capsys) -> None:
    f = _files(tmp_path)
    (tmp_path / "other.csv").write_text(CSV.replace("0.1,0.3", "0.2,0.3"))
    g = tmp_path / "g.toml"
    g.write_text(small_toml("g", time=SHORT, ensemble="other.csv"))
    assert main(["compare", str(f), str(g), "--set", "0", "--out", str(tmp_path / "c")]) == 2
    assert "different ensembles" in capsys.readouterr().err


def test_the_gap_by_cause_is_paired_within_each_set(tmp_path: Path) -> None:
    """--attribution-sets: each cause removed in each set's own scenario, paired with that
    set's runs; the table and the agreement shares come from those pairs."""
    from sim.runner.attribution import CAUSES, attribute_over_sets

    base = small(time=SHORT)
    ens = read_ensemble(CSV.encode(), "ens.csv", base=base)
    own = run_ensemble(base, ens, [0, 1], 2, seed=5)
    got = attribute_over_sets(base, ens, [0, 1], 2, 5, own, causes=["barriers", "cap"])
    assert set(got["causes"]) == {"barriers", "cap"}
    for k, i in enumerate([0, 1]):  # the barriers removed from set i, rep by rep
        sc = ens.scenario(base, i)
        alone = sim.run(sc.with_overrides(**CAUSES["barriers"].overrides(sc)), reps=2, seed=5,
                        cases=False).scalars_by_rep()["active_members_end"]
        diffs = np.asarray(alone) - values(own, "active_members_end")[k]
        assert got["causes"]["barriers"]["per_set"][k]["diff"] == pytest.approx(diffs.mean())
    # set 0's own turf (0.1) differs from set 1's (0.9): the pairs are set by set
    assert got["causes"]["barriers"]["per_set"][0]["diff"] != \
        got["causes"]["barriers"]["per_set"][1]["diff"]
    assert got["causes"]["cap"]["claim"] == "up" and got["n_sets"] == 2
    with pytest.raises(ValueError, match="unknown 'nothing'"):
        attribute_over_sets(base, ens, [0], 1, 5, own[:1, :1], causes=["nothing"])


def test_run_writes_the_accounts_and_causes_over_the_sets(tmp_path: Path, capsys) -> None:
    f = _files(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(f), "--reps", "1", "--out", str(out), "--no-figures",
                 "--no-cases", "--workers", "1", "--sets", "all", "--ensemble-reps", "2",
                 "--attribution-sets", "--quiet"]) == 0
    md = (out / "ensemble.md").read_text()
    assert "Where everyone ever eligible is" in md and "The gap by cause, set by set" in md
    import pandas as pd

    table = pd.read_csv(out / "attribution_sets.csv")
    s = json.loads((out / "summary.json").read_text())["gap_attribution_sets"]
    assert list(table["sets"].unique()) == [3] and len(table) == len(s["causes"]) == 7
    for row in table.to_dict("records"):
        assert row["sets_agree"] == s["causes"][row["cause"]]["agree"]
    # without the ensemble the flag is refused before anything is written
    assert main(["run", str(f), "--reps", "1", "--out", str(tmp_path / "o2"), "--sets",
                 "none", "--attribution-sets", "--quiet"]) == 2
    assert "--attribution-sets" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()
