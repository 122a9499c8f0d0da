"""Sustainability inputs (sim/model/sustainability.py) and indicators move as documented."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from conftest import small

from sim.engine.worktime import Clock
from sim.model import JambiBugarModel
from sim.model.program import Program
from sim.model.sustainability import held_above, indicators, recovery_months


def finished(sc) -> JambiBugarModel:
    m = JambiBugarModel(sc, seed=3)
    while m.running:
        m.step()
    return m


def test_later_premium_changes_enter_rate_and_caps() -> None:
    sc = small(sustainability={"premium_changes": {"2019-01-01": 50000.0}})
    p = Program(sc, Clock(sc.time.start, sc.time.end))
    assert p.premium_rate(dt.date(2019, 2, 1)) == 50000.0
    assert p.premium_rate(dt.date(2018, 12, 1)) == 23000.0
    assert p.premium_rate_at(p.clock.t(dt.date(2019, 3, 1))) == 50000.0
    assert p.caps[2019] == int(9.0e9 // p.yearly_bill(2019))  # the budget's cap
    assert p.yearly_bill(2019) == 7 * 50000.0 + 5 * 42000.0  # Perpres 75/2019 from August
    assert p.cap(p.clock.t(dt.date(2019, 1, 1))) == min(3000, p.caps[2019])  # and the target



def test_activation_at_the_cut_off_is_the_cut_off_rule_whenever_asked() -> None:
    """activation_time keeps each day's answer; asked again, at any hour of any day and in
    any order, it must still be the monthly cut-off rule's."""
    from sim.engine.worktime import monthly_cutoff_activation

    sc = small()
    p = Program(sc, Clock(sc.time.start, sc.time.end))
    times = [d + h for d in range(900) for h in (0.0, 0.25, 0.99)]
    for t in times + times[::-1]:
        assert p.activation_time(t) == monthly_cutoff_activation(p.clock, t,
                                                                 sc.batches.bpjs_cutoff_day)
    assert len({p.activation_time(t) for t in times}) > 12  # many months, not one answer


def test_the_cap_kept_between_changes_is_the_cap_whenever_asked() -> None:
    """cap(t) keeps its answer over the span it holds for; asked at any time, in any
    order, before and after a budget set during the run, it must be the rule's: the
    year's budget cap, and the dated target while the target caps."""
    from bisect import bisect_right

    import numpy as np

    sc = small(policy={"target_is_cap": True, "cap_until": "2019-09-01",
                       "target_from": {"2018-07-01": 2500, "2019-03-01": 800}})
    p = Program(sc, Clock(sc.time.start, sc.time.end))

    def rule(t: float) -> int:
        cap = p.caps[p.clock.date(t).year]
        if t < p.clock.t(dt.date(2019, 9, 1)):
            cap = min(cap, p._targets[bisect_right(p._target_t, t)])
        return cap

    edges = [p.clock.t(dt.date(y, m, d)) for y, m, d in
             [(2018, 7, 1), (2019, 1, 1), (2019, 3, 1), (2019, 9, 1)]]
    times = [e + dx for e in edges for dx in (-1e-9, 0.0, 1e-9, 0.5)]
    times += list(np.random.default_rng(4).uniform(0, 729, 400))
    for t in times + sorted(times) + sorted(times)[::-1]:
        assert p.cap(t) == rule(t), t
    assert len({p.cap(t) for t in times}) >= 4  # budget years and targets both bite
    late = p.clock.t(dt.date(2019, 12, 1))
    assert p.cap(late) == p.caps[2019]  # kept for the rest of 2019 ...
    p.set_budget(2019, 1e6)  # ... until a small budget puts the 2019 cap below any target
    assert p.cap(late) == p.caps[2019] < 800
    for t in sorted(times):
        assert p.cap(t) == rule(t), t


def test_the_clock_s_weekday_is_the_date_s() -> None:
    sc = small()
    clock = Clock(sc.time.start, sc.time.end)
    for t in [x * 0.37 for x in range(-1000, 8000)]:
        assert clock.weekday(t) == clock.date(t).weekday(), t

def test_a_responsive_budget_follows_last_years_spending() -> None:
    """A budget set at last year's spending minus 50% shrinks the cap; plus 50% does not
    bind below the fixed one."""
    kw = dict(program={"budget_idr_by_year": {"2018": 1.0e9}})
    tight = finished(small(sustainability={"budget_rule": "responsive", "responsive_from": 2019,
                                           "budget_headroom": -0.5}, **kw))
    fixed = finished(small(**kw))
    spent_2018 = tight.spent_in(2018)
    assert tight.sustain.budgets[2019] == spent_2018 * 0.5
    assert tight.program.caps[2019] < fixed.program.caps[2019]
    assert tight.monthly[-1]["enrolled"] <= fixed.monthly[-1]["enrolled"]


def test_uhc_prioritas_feedback_activates_the_same_day() -> None:
    base = dict(time={"pathway_mode": "online"},
                sustainability={"uhc_feedback": True, "active_share_2024": 0.9,
                                "city_population": 10_000_000})
    m = finished(small(**base))
    assert m.sustain.uhc and m.program.uhc_now
    assert m.program.activation_time(500.5) == 500.5
    never = finished(small(time={"pathway_mode": "online"},
                           sustainability={"uhc_feedback": True, "active_share_2024": 0.5}))
    assert not never.sustain.uhc
    assert never.program.activation_time(500.5) > 500.5


def test_indicators_on_a_written_out_series() -> None:
    dates = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]
    assert held_above(dates, [0.6, 0.5, 0.45, 0.3, 0.5], dt.date(2024, 2, 1), 0.4) == \
        {"months_held": 2, "held_to_end": False, "share_above": 0.75, "months_to_recover": 3.0}
    assert held_above(dates, [0.6, 0.5, 0.45, 0.3, 0.3], dt.date(2024, 2, 1), 0.4)[
        "months_to_recover"] == math.inf
    assert math.isnan(held_above(dates, [0.6] * 5, dt.date(2024, 2, 1), 0.4)["months_to_recover"])
    assert recovery_months(dates, [100, 100, 90, 95, 100], dt.date(2024, 3, 1)) == 2.0
    assert recovery_months(dates, [100, 100, 101, 102, 103], dt.date(2024, 3, 1)) == 0.0
    assert math.isnan(recovery_months(dates, [100, 100, 90, 90, 90], dt.date(2024, 3, 1)))


def test_indicators_from_a_run() -> None:
    sc = small(relations={"enabled": True, "transitions": [dt.date(2019, 1, 1)],
                          "rpjmd_end": None})
    m = finished(sc)
    out = indicators(m.monthly, sc)
    for key in ("coord_dinsos_dinkes_end", "sustain_dinsos_dinkes_months", "sustain_all_held",
                "recovery_months", "gap_steady"):
        assert key in out
    assert out["gap_steady"] > 0


def test_sustainability_figure_and_table(tmp_path) -> None:
    """The figure module runs both variants under the same seeds and writes its files."""
    from sim.studies.sustainability import figure, markdown, study, table

    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               relations={"enabled": True, "transitions": [dt.date(2018, 10, 1)],
                          "rpjmd_end": None})
    res = study(sc, reps=2, seed=1)
    assert set(res) == {"standing Tim", "no standing Tim"}
    assert res["no standing Tim"]["scenario"].relations.tim_meetings_until == dt.date(2018, 10, 1)
    figure("small", res).savefig(tmp_path / "small.png")
    assert (tmp_path / "small.png").stat().st_size > 10_000
    rows = table("small", res)
    assert [r["variant"] for r in rows] == ["standing Tim", "no standing Tim"]
    assert rows[0]["reps"] == 2 and "sustain_all_held" in rows[0]
    assert markdown(__import__("pandas").DataFrame(rows)).startswith("| scenario | variant |")


def test_bands_across_parameter_sets(tmp_path) -> None:
    """With a table of parameter sets, every set runs under the same seeds, the table
    reports the spread of the sets' own means, and a set's values reach its runs."""

    from sim.studies.sustainability import study, table

    sc = small(time={"end": "2019-06-30", "pathway_mode": "online"},
               relations={"enabled": True, "transitions": [dt.date(2018, 10, 1)],
                          "rpjmd_end": None})
    sets = [{"barriers.turf": 0.0}, {"barriers.turf": 1.0}, {"barriers.turf": 0.0}]
    res = study(sc, reps=2, seed=1, sets=sets)
    r = res["standing Tim"]
    assert r["sets"] == 3 and r["timeseries"]["rep"].nunique() == 6
    ind = r["indicators"]
    assert sorted(ind["set"].unique()) == [0, 1, 2]
    by_set = ind.groupby("set")["enrolled_end"].mean()
    assert by_set[0] == by_set[2]  # the same set under the same seeds: identical
    assert by_set[0] != by_set[1]  # the set's turf reached its runs
    row = table("small", res)[0]
    assert row["sets"] == 3 and row["reps"] == 2
    assert row["enrolled_end_sets_p10"] <= row["enrolled_end"] <= row["enrolled_end_sets_p90"]
    assert row["enrolled_end_sets_p10"] < row["enrolled_end_sets_p90"]


def test_the_sustainability_command_writes_its_study(tmp_path, capsys) -> None:
    """``jambi-sim sustainability``: a figure per scenario and the indicators, staged and
    recorded like a run's files."""
    import json
    import tomllib

    from sim.ui.cli import main

    scen = tmp_path / "s.toml"
    scen.write_text('name = "tiny"\n[time]\nend = "2018-09-30"\npathway_mode = "online"\n'
                    '[population]\nuninsured_people_start = 800\nn_rt = 40\n'
                    'n_kelurahan = 4\nn_kelurahan_new = 0\nn_kecamatan = 2\n'
                    'arrivals_per_year = 10\nlapas_residents = 0\npanti_asuhan = 0\n'
                    'panti_jompo = 0\n[program]\ntarget = 800\n[relations]\n'
                    'enabled = true\ntransitions = [2018-06-01]\n')
    tomllib.loads(scen.read_text())
    out = tmp_path / "study"
    assert main(["sustainability", str(scen), "--reps", "1", "--out", str(out)]) == 0
    assert (out / "tiny.png").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["provenance"]["files"]) == {"tiny.png", "indicators.csv",
                                                    "indicators.md", "tim_effect.csv"}
    table = (out / "indicators.md").read_text()
    assert "| standing Tim |" in table and "| no standing Tim |" in table
    assert "standing Tim" in capsys.readouterr().out


def test_parameter_set_file_mistakes_exit_2(tmp_path, capsys) -> None:
    from sim.ui.cli import main as cli

    def main(argv: list[str]) -> int:
        return cli(["sustainability", *argv])

    scen = tmp_path / "s.toml"
    scen.write_text('name = "s"\n')  # coordination does not evolve: nothing to follow
    assert main([str(scen), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "relations.enabled" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    scen.write_text('name = "s"\n[relations]\nenabled = true\n')
    cases = {
        "none.csv": None,  # missing
        "nocols.csv": "I_max,point\n1.0,3\n",
        "range.csv": "barriers.turf,I_max\n7.0,1.0\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        out = tmp_path / f"out_{name}"
        assert main([str(scen), "--sets", str(path), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and "Traceback" not in err
        assert not out.exists()  # nothing run, nothing written
    assert "barriers.turf" in err and "row 1" in err
    with pytest.raises(SystemExit) as stop:  # a flag out of range: argparse's exit 2
        main([str(scen), "--reps", "0", "--out", str(tmp_path / "o")])
    assert stop.value.code == 2 and "--reps" in capsys.readouterr().err


def test_a_run_past_march_2024_reports_the_indicators() -> None:
    """``summary.json`` of a run that goes on after the thesis's last observation carries
    the sustainability indicators (mean and interval over replications); one that ends
    before has none."""
    import sim

    late = sim.run(small(time={"end": "2024-06-30"}), reps=2, seed=4)
    block = late.summary["sustainability"]
    assert {"gap_steady", "enrolled_end", "refill_months_mean"} <= set(block)
    per_rep = [indicators(late.timeseries[late.timeseries["rep"] == r].to_dict("records"),
                          late.scenario)["gap_steady"] for r in (0, 1)]
    assert block["gap_steady"]["mean"] == pytest.approx(sum(per_rep) / 2)
    assert block["gap_steady"]["reps"] == 2
    assert block["gap_steady"]["ci_low"] <= block["gap_steady"]["mean"]
    early = sim.run(small(), reps=1, seed=4)
    assert "sustainability" not in early.summary


def test_the_tim_effect_is_paired_within_each_set_and_replication() -> None:
    import pandas as pd

    from sim.studies.sustainability import effect_markdown, tim_effect

    # 3 sets x 2 replications, set-major as study() writes them
    none = pd.DataFrame({"enrolled_end": [100.0, 110, 200, 210, 300, 310], "set": [0, 0, 1, 1, 2, 2]})
    tim = none.assign(enrolled_end=none["enrolled_end"] + [5.0, 5.2, 4.9, 5.1, -3.0, 9.0])
    res = {"standing Tim": {"indicators": tim, "sets": 3},
           "no standing Tim": {"indicators": none, "sets": 3}}
    (e,) = tim_effect("s", res, 2)
    assert e["mean_difference"] == pytest.approx(26.2 / 6)
    assert e["claim"] == "up" and e["sets_agree"] == 2  # set 2's pair disagrees in sign
    assert e["set_min"] == pytest.approx(3.0) and e["set_max"] == pytest.approx(5.1)
    assert "2 of 3 sets" in effect_markdown([e]) and "2 dari 3 set" in effect_markdown([e])
