"""The command line end to end, the docs that are generated from the code, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS, small_toml

import sim
from sim.scenario import ScenarioError, parameter_table
from sim.show.odd import parameters_markdown
from sim.ui.cli import main

SMALL_TOML = small_toml("small_cli", time={"end": "2019-06-30"},
                        population={"uninsured_people_start": 2000, "n_rt": 100},
                        program={"target": 2000})

SUMMARY_KEYS = {"scenario", "seed", "reps", "version", "enrolled_end", "target", "gap_end",
                "days_to_card", "visits_per_enrollee", "citizen_cost_idr_per_enrollee", "cases",
                "dropout_by_stage", "premium_idr_by_year", "handoffs", "provenance"}
TS_COLUMNS = {"date", "rep", "eligible", "aware", "applied", "in_process", "enrolled", "target",
              "gap", "abandoned", "rejected", "premium_idr", "queue_rt", "queue_lurah",
              "queue_camat", "queue_dinsos", "queue_dinkes", "queue_bpjs"}


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    p = tmp_path / "small.toml"
    p.write_text(SMALL_TOML)
    return p


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ end to end
def test_run_writes_every_output(small_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(small_file), "--reps", "2", "--seed", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Enrolled on 2019-06-30" in printed and "median" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert {"mean", "ci_low", "ci_high"} == set(summary["enrolled_end"])
    assert {"median", "p90"} <= set(summary["days_to_card"])
    assert {"applied", "enrolled", "rejected", "abandoned", "in_process"} == set(summary["cases"])
    c = summary["cases"]
    assert c["applied"] == c["enrolled"] + c["rejected"] + c["abandoned"] + c["in_process"]
    ts = pd.read_csv(out / "timeseries.csv")
    assert TS_COLUMNS <= set(ts.columns)
    assert len(ts) == 2 * 18  # two reps x 18 months
    cases = pd.read_csv(out / "cases.csv")
    assert {"household_id", "segment", "pathway", "visits", "cost_idr", "outcome",
            "rt_in", "rt_out", "bpjs_in", "bpjs_out", "days_to_card"} <= set(cases.columns)
    for fig in ("coverage", "funnel", "days_to_card"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{fig}.svg").read_text().lstrip().startswith("<?xml")
    prov = summary["provenance"]
    assert prov["scenario_sha256"] and "--seed 5" in prov["command"]
    assert set(prov["files"]) == {"timeseries.csv", "cases.csv", "journey.csv",
                                  "accounting.csv", "accounting.md", "attribution.csv", "equity.csv"} | {
        f"figures/{f}.{ext}" for f in ("coverage", "funnel", "days_to_card", "accounting",
                                       "attribution")
        for ext in ("png", "svg")}
    # the accounting and the gap attribution (paired runs; the run's reps are its baseline)
    acct = pd.read_csv(out / "accounting.csv").set_index("account")
    assert acct.loc[acct.index != "ever_eligible", "mean"].sum() == \
        pytest.approx(acct.loc["ever_eligible", "mean"])
    assert acct.loc["active", "mean"] == summary["enrolled_end"]["mean"]
    assert summary["accounting"]["accounts"]["active"] == summary["enrolled_end"]
    attr = summary["gap_attribution"]
    assert attr["reps"] == 2 and attr["gap"]["mean"] == summary["gap_end"]
    table = pd.read_csv(out / "attribution.csv").set_index("cause")
    assert set(table.index) == set(attr["causes"]) | {"gap"}
    for cause, block in attr["causes"].items():
        assert table.loc[cause, "members_added"] == pytest.approx(
            block["members_added"]["mean"])
    assert "Ever eligible" in printed and "no churn" in printed
    journey = pd.read_csv(out / "journey.csv")
    assert {"case_id", "household_id", "visit", "stage", "day_in", "day_start", "day_end",
            "day_out", "result"} <= set(journey.columns)
    # every case that reached the RT head has a visit row there, per replication
    reached = cases[cases["rt_in"].notna()].groupby("rep")["case_id"].nunique()
    rt_rows = journey[journey["stage"] == "rt"].groupby("rep")["case_id"].nunique()
    assert (reached == rt_rows).all()
    assert not list(tmp_path.glob("out.partial-*"))
    # the API returns the same content as the files
    api = sim.run(sim.Scenario.from_toml(small_file), reps=2, seed=5)
    assert api.summary["enrolled_end"] == summary["enrolled_end"]
    assert len(api.cases) == len(cases)


def test_figures_in_bahasa_indonesia(small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "id"
    assert main(["run", str(small_file), "--reps", "1", "--out", str(out), "--lang", "id",
                 "--no-cases", "--quiet", "--no-attribution"]) == 0
    assert (out / "figures" / "coverage.png").exists() and not (out / "cases.csv").exists()
    # without the attribution: the accounting still, no attribution anywhere
    assert "Peserta aktif" in (out / "accounting.md").read_text()
    assert "Pindah keluar kota" in (out / "figures" / "accounting.svg").read_text()
    assert not (out / "attribution.csv").exists()
    assert not (out / "figures" / "attribution.png").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert "gap_attribution" not in summary and "accounting" in summary
    assert "attribution.csv" not in summary["provenance"]["files"]


@pytest.mark.integration  # a real subprocess
def test_module_alias_runs(small_file: Path, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "sim", "run", str(small_file), "--reps", "1",
                        "--out", str(tmp_path / "m"), "--no-figures", "--quiet"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m" / "summary.json").exists()


@pytest.mark.integration  # city-scale replications
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_runs(path: Path) -> None:
    res = sim.run(path, reps=1, seed=1)
    s = res.summary
    assert s["cases"]["applied"] > 1000
    assert 0 < s["enrolled_end"]["mean"] <= s["target"]


def test_shipped_scenarios_validate(capsys) -> None:
    assert main(["validate", *map(str, SCENARIOS)]) == 0
    assert capsys.readouterr().out.count(": ok") == len(SCENARIOS)


def test_parameter_docs_match_the_code() -> None:
    doc = (ROOT / "docs" / "parameters.md").read_text()
    assert doc == parameters_markdown(parameter_table()) + "\n"


def test_every_parameter_has_unit_meaning_and_source() -> None:
    for row in parameter_table():
        assert row["unit"] and row["meaning"], row["parameter"]
        assert row["source"] == "assumption" or "docs/sources.md#" in row["source"] or \
            "assumption" in row["source"], row["parameter"]


def test_bounds_feed_sensitivity_analysis() -> None:
    b = sim.scenario.bounds(["turf", "barriers.power", "offices__dinsos__staff"])
    assert b == {"turf": (0.0, 1.0), "barriers.power": (0.0, 1.0),
                 "offices__dinsos__staff": (4, 16)}
    assert b["offices__dinsos__staff"].integer and not b["turf"].integer
    sc = sim.Scenario().with_overrides(**{name: float(hi) for name, (lo, hi) in b.items()})
    assert sc.offices.dinsos.staff == 16 and sc.barriers.power == 1.0
    assert sim.scenario.bounds(["arrivals_per_year"], kind="validation") == \
        {"arrivals_per_year": (0.0, 100000.0)}


@pytest.mark.parametrize("name, words", [("turff", "Did you mean turf"),
                                         ("strength", "ambiguous"),
                                         ("barriers.turff", "no parameter at barriers.turff"),
                                         ("n_kecamatan", "kept fixed"),
                                         ("name", "not a numeric parameter")])
def test_bounds_refuse_unknown_ambiguous_and_fixed_names(name: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        sim.scenario.bounds([name])


def test_every_numeric_parameter_has_a_plausible_range_within_its_range() -> None:
    for row in parameter_table():
        if row["lo"] is None and row["hi"] is None:
            continue
        lo, hi = row["plausible_lo"], row["plausible_hi"]
        assert lo is not None and row["plausible_source"], row["parameter"]
        assert row["lo"] <= lo <= hi <= row["hi"], row["parameter"]


def test_overrides_take_dotted_names_and_whole_floats_for_integers() -> None:
    sc = sim.Scenario().with_overrides(**{"barriers.turf": 0.5, "offices.dinsos.staff": 6.0})
    assert sc.barriers.turf == 0.5 and sc.offices.dinsos.staff == 6
    assert isinstance(sc.offices.dinsos.staff, int)
    with pytest.raises(ScenarioError, match="whole number"):
        sim.Scenario().with_overrides(offices__dinsos__staff=6.5)


def test_import_sim_keeps_the_multiprocessing_start_method() -> None:
    code = ("import multiprocessing as mp; before = mp.get_start_method(allow_none=True); "
            "import sim; print(before, mp.get_start_method(allow_none=True))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "None"]


# -------------------------------------------------------------------- bad input
def run_bad(tmp_path: Path, text: str, capsys, *flags: str) -> str:
    p = write(tmp_path, text)
    out = tmp_path / "never"
    assert main(["run", str(p), "--out", str(out), *flags]) == 2
    assert not out.exists() and not list(tmp_path.glob("never.partial-*"))
    err = capsys.readouterr().err
    assert err.startswith("jambi-sim: error: ") and err.count("\n") == 1  # one paragraph
    assert str(p) in err
    return err


def test_malformed_toml(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[time\nstart = 2018-01-01\n", capsys)
    assert "not valid TOML" in err


def test_unknown_key(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[barriers]\nturff = 0.5\n", capsys)
    assert "barriers.turff" in err and "Did you mean 'turf'" in err and "specialization" in err


def test_unknown_section(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[barrier]\nturf = 0.5\n", capsys)
    assert "unknown key 'barrier'" in err and "barriers" in err


def test_wrong_type(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, '[offices.dinsos]\nstaff = "four"\n', capsys)
    assert "offices.dinsos.staff" in err and "'four'" in err and "0 to 1000" in err


def test_out_of_range(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[barriers]\npower = 1.5\n", capsys)
    assert "barriers.power" in err and "1.5" in err and "0 to 1" in err


def test_not_a_number(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[behaviour]\npatience = nan\n", capsys)
    assert "behaviour.patience" in err and "nan" in err


def test_dates_out_of_order(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[time]\nstart = 2020-01-01\nend = 2019-01-01\n", capsys)
    assert "time.end" in err and "2019-01-01" in err and "after time.start" in err


def test_unsorted_date_list(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, "[awareness]\ncampaign_dates = [2019-01-01, 2018-01-01]\n", capsys)
    assert "awareness.campaign_dates" in err and "increasing" in err


def test_unknown_pathway(tmp_path, capsys) -> None:
    err = run_bad(tmp_path, '[time]\npathway_mode = "hybrid"\n', capsys)
    assert "time.pathway_mode" in err and "'hybrid'" in err and "'switch'" in err


def test_missing_file(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "none.toml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err


@pytest.mark.parametrize("flags,needle", [(["--reps", "0"], "--reps"),
                                          (["--seed", "-1"], "--seed"),
                                          (["--workers", "many"], "--workers"),
                                          (["--lang", "fr"], "--lang")])
def test_bad_flags_exit_2(small_file: Path, flags, needle, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", str(small_file), *flags])
    assert exc.value.code == 2 and needle in capsys.readouterr().err


def test_out_folder_that_is_not_ours_is_refused(small_file: Path, tmp_path: Path, capsys) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_text("precious")
    assert main(["run", str(small_file), "--out", str(mine), "--quiet"]) == 2
    assert (mine / "chapter1.docx").read_text() == "precious"
    assert "not empty" in capsys.readouterr().err


def test_bad_override_names_the_parameter() -> None:
    with pytest.raises(ScenarioError, match="turff.*Did you mean turf"):
        sim.JambiBugarModel(turff=0.5)
    with pytest.raises(ScenarioError, match="barriers.turf"):
        sim.JambiBugarModel(turf=2.0)
    with pytest.raises(ScenarioError, match="ambiguous"):
        sim.JambiBugarModel(staff=3)


@pytest.mark.integration  # a real subprocess
def test_no_traceback_from_a_real_process(tmp_path: Path) -> None:
    p = write(tmp_path, "[barriers]\npower = 'high'\n")
    r = subprocess.run([sys.executable, "-m", "sim", "run", str(p)], capture_output=True,
                       text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "barriers.power" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_files_added_to_a_results_folder_are_never_lost(small_file: Path, tmp_path: Path,
                                                        capsys) -> None:
    out = tmp_path / "res"
    assert main(["run", str(small_file), "--reps", "1", "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    (out / "my_notes.txt").write_text("keep me")
    assert main(["run", str(small_file), "--reps", "1", "--out", str(out), "--quiet"]) == 2
    assert (out / "my_notes.txt").read_text() == "keep me"
    assert "my_notes.txt" in capsys.readouterr().err
    (out / "my_notes.txt").unlink()  # a clean results folder is replaced as usual
    assert main(["run", str(small_file), "--reps", "1", "--out", str(out), "--quiet"]) == 0
    assert (out / "figures" / "coverage.png").exists()


@pytest.mark.parametrize("kind", ["cwd", "parent", "symlink", "under_a_file"])
def test_dangerous_out_paths_are_refused(kind, small_file: Path, tmp_path: Path,
                                         monkeypatch, capsys) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    out = {"cwd": ".", "parent": "..", "symlink": str(tmp_path / "link"),
           "under_a_file": str(tmp_path / "afile" / "sub")}[kind]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", str(small_file), "--reps", "1", "--out", out, "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("jambi-sim: error: --out")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_only_dead_runs_staging_folders_are_tidied(small_file: Path, tmp_path: Path) -> None:
    """Only folders holding our own INCOMPLETE.txt, whose run surely ended, are removed."""
    import json as _json

    from sim.runner.staging import MARKER, OWNER_TAG, owner_record

    out = tmp_path / "res"
    keep = tmp_path / "res.partial-backup"  # not ours: not a process id
    keep.mkdir()
    planted = tmp_path / "res.partial-999999999"  # a dead PID's name, but no marker of ours
    planted.mkdir()
    (planted / "data.csv").write_text("mine")
    dead = tmp_path / "res.partial-999999998"  # ours, and its process is gone
    dead.mkdir()
    rec = {**owner_record(), "pid": 999999998, "start": "1"}
    (dead / MARKER).write_text(f"x\n{OWNER_TAG}{_json.dumps(rec)}\n")
    elsewhere = tmp_path / "res.partial-999999997"  # ours, from another PID namespace
    elsewhere.mkdir()
    rec = {**owner_record(), "pid": 999999997, "start": "1", "pid_ns": "pid:[1]"}
    (elsewhere / MARKER).write_text(f"x\n{OWNER_TAG}{_json.dumps(rec)}\n")
    assert main(["run", str(small_file), "--reps", "1", "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    assert keep.is_dir() and not dead.exists()
    assert (planted / "data.csv").read_text() == "mine" and elsewhere.is_dir()


def test_main_called_from_python_restores_the_signal_handlers(small_file: Path, tmp_path: Path) -> None:
    import signal

    stops = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGALRM)
    before = [signal.getsignal(sig) for sig in stops]
    assert main(["validate", str(small_file)]) == 0
    assert main(["run", str(tmp_path / "none.toml")]) == 2
    assert [signal.getsignal(sig) for sig in stops] == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


# A module that stops its own import half-way: SIGNALS (given) arrive in its body.
STOPPER = """import signal, time
for sig in {signals}:
    signal.raise_signal(getattr(signal, sig))
total = sum(range(100000))
{body}
DONE = True
"""

STOPPED_IN_AN_IMPORT = """
import signal, sys, time
from sim.ui import stops
stops.LONGEST_WAIT_S = float(sys.argv[2])
sys.path.insert(0, sys.argv[1])
seen = []
with stops.installed():
    t0 = time.monotonic()
    for n in (1, 2):
        try:
            if n == 1:
                import stopper
            else:  # a later stop in another import waits as the first did
                import stopper2
            if sys.argv[3] == "again":  # a stop of its own before the waiting one acts
                signal.raise_signal(signal.SIGINT)
            time.sleep(3)
            seen.append("not stopped")
        except (KeyboardInterrupt, stops.Terminated) as exc:
            seen.append(type(exc).__name__)
            seen.append(str(f"stopper{'' if n == 1 else '2'}" in sys.modules))
    try:
        time.sleep(0.2)  # no second stop comes from the first
        seen.append("quiet")
    except BaseException as exc:
        seen.append("again:" + type(exc).__name__)
    seen.append(str(round(time.monotonic() - t0, 1) < 3))
print(" ".join(seen))
print(signal.getsignal(signal.SIGALRM) is signal.SIG_DFL, signal.getitimer(signal.ITIMER_REAL))
"""


def _stopped_import(tmp_path: Path, signals: list[str], body: str = "",
                    longest: float = 10.0, then: str = "") -> list[str]:
    for name in ("stopper", "stopper2"):
        (tmp_path / f"{name}.py").write_text(STOPPER.format(signals=signals, body=body))
    r = subprocess.run([sys.executable, "-c", STOPPED_IN_AN_IMPORT, str(tmp_path), str(longest),
                        then or "-"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    return r.stdout.split() or [r.stderr]


@pytest.mark.parametrize("signals,stop", [(["SIGINT"], "KeyboardInterrupt"),
                                          (["SIGTERM"], "Terminated"),
                                          (["SIGINT", "SIGINT", "SIGTERM"], "KeyboardInterrupt")])
def test_a_stop_during_an_import_acts_once_the_import_is_done(signals: list[str], stop: str,
                                                              tmp_path: Path) -> None:
    """Ctrl-C or SIGTERM while a module is being imported is raised after the import, not in
    it (in a compiled module's initialisation it could be turned into an ImportError or
    lost); once, however many arrived; and a later stop in another import waits too. At the
    end the alarm is off and its handler the caller's."""
    assert _stopped_import(tmp_path, signals) == [stop, "True", stop, "True", "quiet", "True",
                                                  "True", "(0.0,", "0.0)"]


def test_a_stop_after_the_import_acts_once_with_the_one_that_waited(tmp_path: Path) -> None:
    """Ctrl-C in the import, and another just after it (before the first has acted): one
    KeyboardInterrupt, and the one that waited is forgotten, not raised later."""
    assert _stopped_import(tmp_path, ["SIGINT"], then="again") == [
        "KeyboardInterrupt", "True", "KeyboardInterrupt", "True", "quiet", "True", "True",
        "(0.0,", "0.0)"]


def test_a_stop_waits_for_an_import_that_never_ends_only_so_long(tmp_path: Path) -> None:
    """An import that does not end (a module that loops) does not make Ctrl-C useless: the
    stop acts after LONGEST_WAIT_S (here 0.3 s) in the middle of the import."""
    out = _stopped_import(tmp_path, ["SIGINT"], "while True:\n    time.sleep(0.01)", 0.3)
    assert out[:4] == ["KeyboardInterrupt", "False", "KeyboardInterrupt", "False"], out
