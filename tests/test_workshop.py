"""Workshop figures and words: the funnel's arithmetic against the case table, days to
card by year, number formats and the Indonesian console summary."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import small, small_toml

import sim
from sim.model.cases import REFERRAL_ROUTES
from sim.runner.funnel import STEPS, days_by_year, funnel_table
from sim.show.i18n import T, console_summary, num, pct, rupiah, subtitle, tr


@pytest.fixture(scope="module")
def result() -> sim.Result:
    # high burden: many cases give up on the way; short run: some still in process
    sc = small(behaviour={"burden_per_visit": 0.3}, time={"end": "2019-08-31"})
    return sim.run(sc, reps=2, seed=7)


def _arrived(cases: pd.DataFrame, step: str) -> pd.Series:
    if step == "applied":
        return pd.Series(True, index=cases.index)
    if step == "enrolled":
        return cases["outcome"] == "enrolled"
    stages = {"dinsos": ["dinsos", "dtks"]}.get(step, [step])
    return pd.concat([cases[f"{s}_in"].fillna("").astype(str) != "" for s in stages],
                     axis=1).any(axis=1)


def test_funnel_arithmetic_matches_the_case_table(result) -> None:
    cases, reps = result.cases, 2
    tab = funnel_table(cases, reps)
    citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
    assert set(tab["pathway"]) == set(citizen["pathway"])
    for p, t in tab.groupby("pathway"):
        sub = citizen[citizen["pathway"] == p]
        rows = t.to_dict("records")
        assert [r["step"] for r in rows] == [s for s in STEPS if s in set(t["step"])]
        for r in rows:  # arrivals straight from the case table
            assert r["arrived"] * reps == _arrived(sub, r["step"]).sum(), (p, r["step"])
        for r, nxt in zip(rows, rows[1:]):
            # arrivals - losses there - still in process there = arrivals at the next step
            lost = r["rejected"] + r["gave_up_here"] + r["gave_up_way"]
            assert r["arrived"] - lost - r["in_process"] == pytest.approx(nxt["arrived"]), \
                (p, r["step"])
        # every closed or open case is counted exactly once
        assert t["rejected"].sum() * reps == (sub["outcome"] == "rejected").sum()
        assert (t["gave_up_here"].sum() + t["gave_up_way"].sum()) * reps == \
            (sub["outcome"] == "abandoned").sum()
        assert t["in_process"].sum() * reps == (sub["outcome"] == "in_process").sum()
        assert rows[-1]["step"] == "enrolled"
        assert rows[-1]["arrived"] * reps == (sub["outcome"] == "enrolled").sum()
    # the scenario is built so that every kind of loss occurs
    assert (tab["gave_up_way"] > 0).any() and (tab["rejected"] > 0).any()
    assert (tab["in_process"] > 0).any()


def test_gave_up_on_the_way_is_not_counted_at_the_office_never_reached(result) -> None:
    citizen = result.cases[~result.cases["route"].isin(REFERRAL_ROUTES)]
    tab = funnel_table(result.cases, 2)
    manual = tab[tab["pathway"] == "manual"].set_index("step")
    # cases that gave up before the Lurah never arrived there: they are on the way from
    # the RT head, not losses at the Lurah
    never = citizen[(citizen["pathway"] == "manual") & (citizen["outcome"] == "abandoned")
                    & (citizen["outcome_stage"] == "lurah")
                    & (citizen["lurah_in"].fillna("").astype(str) == "")]
    assert len(never) > 0
    assert manual.loc["rt", "gave_up_way"] * 2 >= len(never)
    at_lurah = citizen[(citizen["pathway"] == "manual") & (citizen["outcome"] == "abandoned")
                       & (citizen["outcome_stage"] == "lurah")]
    assert manual.loc["lurah", "gave_up_here"] * 2 == len(at_lurah) - len(never)


def test_days_by_year_states_the_censored_share(result) -> None:
    d = days_by_year(result.cases)
    assert set(d["pathway"]) <= {"manual", "online"}
    citizen = result.cases[~result.cases["route"].isin(REFERRAL_ROUTES)]
    year = pd.to_datetime(citizen["applied"]).dt.year
    for r in d.to_dict("records"):
        g = citizen[(citizen["pathway"] == r["pathway"]) & (year == r["year"])]
        assert r["applications"] == len(g)
        assert r["in_process_share"] == pytest.approx((g["outcome"] == "in_process").mean())
        enrolled = g.loc[g["outcome"] == "enrolled", "days_to_card"]
        if len(enrolled):
            assert r["median"] == pytest.approx(enrolled.median())
    assert d["in_process_share"].max() > 0  # the short run leaves some without an outcome


def test_number_formats() -> None:
    assert num(26469, "id") == "26.469" and num(26469, "en") == "26,469"
    assert num(0.08, "id", 2) == "0,08" and num(1234.5, "id", 1) == "1.234,5"
    assert rupiah(13.7e9, "id") == "Rp13,7 miliar" and rupiah(13.7e9, "en") == "Rp13.7 billion"
    assert rupiah(121900, "id") == "Rp121.900"
    assert pct(0.081, "id", 1) == "8,1%"
    assert subtitle("online_2021", 10, 1, "id") == \
        "online_2021 · 10 replikasi · seed 1 · belum dikalibrasi"
    assert "uncalibrated" in subtitle("x", 1, 1, "en")
    assert "dikalibrasi" not in subtitle("x", 1, 1, "id", calibrated=True)
    assert tr("vs", "id") == "dibanding" and tr("online_go_live", "id").endswith(
        "mulai beroperasi")


def test_every_label_exists_in_both_languages() -> None:
    assert set(T["en"]) == set(T["id"])
    for key in T["en"]:  # the same placeholders in both
        assert sorted(_fields(T["en"][key])) == sorted(_fields(T["id"][key])), key


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_console_summary_in_indonesian(result) -> None:
    text = console_summary(result.summary, "id")
    assert "Peserta aktif pada" in text and "jiwa" in text and "masih diproses" in text
    assert "Enrolled" not in text and "people" not in text
    mean = result.summary["enrolled_end"]["mean"]
    assert num(mean, "id") in text
    assert "Enrolled on" in console_summary(result.summary, "en")


# ------------------------------------------------------------- whatif, compare
def small_file(name: str, turf: float) -> str:
    return small_toml(name, time={"end": "2019-03-31", "online_from": "2018-10-01"},
                      population={"uninsured_people_start": 1500, "n_rt": 80},
                      program={"target": 1500}, barriers={"turf": turf})


@pytest.fixture
def two_files(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(small_file("base", 0.3))
    b.write_text(small_file("low_turf", 0.0))
    return a, b


@pytest.mark.parametrize("lang", ["en", "id"])
def test_whatif_writes_fan_chart_and_table(two_files, tmp_path, lang, capsys) -> None:
    from sim.ui.cli import main

    out = tmp_path / f"wi_{lang}"
    assert main(["whatif", str(two_files[0]), "--param", "turf", "--values", "0,1",
                 "--reps", "2", "--workers", "1", "--lang", lang, "--out", str(out)]) == 0
    for f in ("figures/whatif.png", "figures/whatif.svg", "whatif.csv", "whatif.md",
              "timeseries.csv", "summary.json"):
        assert (out / f).stat().st_size > 100, f
    tab = pd.read_csv(out / "whatif.csv")
    assert list(tab["value"]) == [0, 1] and tab.loc[0, "diff_first"] == 0
    ts = pd.read_csv(out / "timeseries.csv")
    assert sorted(ts["value"].unique()) == [0, 1] and ts["rep"].nunique() == 2
    md = (out / "whatif.md").read_text()
    assert ("Peserta aktif" in md) == (lang == "id") and ("Active members" in md) == (lang == "en")
    svg = (out / "figures" / "whatif.svg").read_text()
    assert ("belum dikalibrasi" in svg) == (lang == "id")
    assert ("uncalibrated" in svg) == (lang == "en")
    # the folder is ours: a second run replaces it
    assert main(["whatif", str(two_files[0]), "--param", "turf", "--values", "0,0.5",
                 "--reps", "1", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert list(pd.read_csv(out / "whatif.csv")["value"]) == [0, 0.5]


def test_whatif_uses_common_random_numbers(two_files) -> None:
    from sim.studies.workshop import whatif

    sc = sim.Scenario.from_toml(two_files[0])
    r = whatif(sc, "turf", [0.3, 0.3], reps=2, seed=3)
    assert r[0].summary["enrolled_end"] == r[1].summary["enrolled_end"]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_compare_writes_side_by_side_figures(two_files, tmp_path, lang) -> None:
    from sim.ui.cli import main

    out = tmp_path / f"cmp_{lang}"
    assert main(["compare", *map(str, two_files), "--reps", "2", "--workers", "1",
                 "--lang", lang, "--out", str(out), "--quiet"]) == 0
    for stem in ("coverage", "funnel", "days_to_card", "cost", "budget"):
        for ext in ("png", "svg"):
            assert (out / "figures" / f"compare_{stem}.{ext}").stat().st_size > 1000
    tab = pd.read_csv(out / "compare.csv")
    assert list(tab["run"]) == ["base", "low_turf"]
    svg = (out / "figures" / "compare_coverage.svg").read_text()
    assert ("base dibanding low_turf" in svg) == (lang == "id")
    assert ("base vs low_turf" in svg) == (lang == "en")


def test_bad_parameter_name_lists_the_valid_ones(two_files, tmp_path, capsys) -> None:
    from sim.ui.cli import main

    out = tmp_path / "never"
    assert main(["whatif", str(two_files[0]), "--param", "turff", "--values", "0,1",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jambi-sim: error: --param turff") and err.count("\n") == 1
    assert "Did you mean turf" in err and "Valid names:" in err
    for name in ("turf", "power", "offices__dinsos__staff", "campaign_reach"):
        assert name in err
    assert not out.exists()


@pytest.mark.parametrize("flags,needle", [(["--values", "0,2"], "allowed range 0 to 1"),
                                          (["--values", "0,high"], "'high' is not a number"),
                                          (["--values", "0.5"], "at least two values")])
def test_bad_values_exit_2(two_files, tmp_path, flags, needle, capsys) -> None:
    from sim.ui.cli import main

    assert main(["whatif", str(two_files[0]), "--param", "turf", *flags,
                 "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert needle in err and "--values" in err and err.count("\n") == 1
    assert not (tmp_path / "never").exists()


def test_compare_needs_two_files(two_files, capsys) -> None:
    from sim.ui.cli import main

    assert main(["compare", str(two_files[0])]) == 2
    assert "at least two scenario files" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["en", "id"])
def test_funnel_figure_prints_the_losses(result, lang) -> None:
    import matplotlib.pyplot as plt

    from sim.show.plots import funnel

    tab = funnel_table(result.cases, 2)
    fig = funnel(result.cases, 2, lang, subtitle("small", 2, 7, lang))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + \
        [t.get_text() for t in fig.texts]
    way = tr("gave_up_way", lang).lower()
    for r in tab[tab["gave_up_way"] >= 0.5].to_dict("records"):
        assert f"−{num(r['gave_up_way'], lang)} {way}" in texts, r
    for r in tab[tab["rejected"] >= 0.5].to_dict("records"):
        assert any(f"{num(r['rejected'], lang)} {tr('rejected', lang).lower()}" in t
                   for t in texts), r
    assert subtitle("small", 2, 7, lang) in texts
    plt.close(fig)


def test_run_prints_its_summary_in_indonesian(tmp_path, capsys) -> None:
    from sim.ui.cli import main

    p = tmp_path / "s.toml"
    p.write_text(small_file("kecil", 0.3))
    assert main(["run", str(p), "--reps", "1", "--workers", "1", "--lang", "id",
                 "--no-figures", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "Menjalankan 'kecil'" in out and "Peserta aktif pada 31 Maret 2019" in out
    assert "Ditulis ke" in out and "Enrolled" not in out and "Wrote" not in out


def test_streamed_run_draws_the_same_figure_tables_as_the_case_table() -> None:
    """The CLI streams cases to disk and keeps only a Tally: the funnel and days-by-year
    tables from the tally equal those from the concatenated case table."""
    from conftest import small

    import sim
    from sim.runner.funnel import days_by_year, funnel_table

    res = sim.run(small(time={"end": "2019-06-30"}), reps=3, seed=2)
    a, b = funnel_table(res.cases, 3), res.tally.funnel_table()
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b, check_dtype=False)
    c, d = days_by_year(res.cases), res.tally.days_by_year()
    pd.testing.assert_frame_equal(c.reset_index(drop=True), d, check_dtype=False)
