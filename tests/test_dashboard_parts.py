"""The dashboard's parts without a browser: settings to scenarios, the runs it shows,
its figures, its server environment (offline, no telemetry) and the version pins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import small

from sim.ui.cli import build_parser
from sim.ui.serve import OFFLINE_ENV, dashboard_env


def test_mesa_solaraviz_finds_the_vuetify2_tabs() -> None:
    """The pin that keeps Mesa 3.3's SolaraViz working: ipyvuetify 3 has no TabsItems."""
    pytest.importorskip("solara")
    import ipyvuetify
    import reacton.ipyvuetify as v

    assert int(ipyvuetify.__version__.split(".")[0]) < 2
    assert hasattr(v, "TabsItems")
    from mesa.visualization import SolaraViz  # noqa: F401  (imports cleanly)


@pytest.mark.integration  # about 4 s: imports and renders the whole SolaraViz page
def test_mesa_solaraviz_renders_with_tabs() -> None:
    """Mesa's own SolaraViz page with two plot pages (its tabs are the TabsItems that
    failed under ipyvuetify 3) renders in this environment."""
    solara = pytest.importorskip("solara")
    from mesa.visualization import SolaraViz, make_plot_component

    from sim.model import JambiBugarModel

    model = JambiBugarModel(scenario=small(), seed=1)
    el = SolaraViz(model, components=[make_plot_component(["enrolled"], page=0),
                                      make_plot_component(["applied"], page=1)], name="x")
    _, rc = solara.render(el, handle_error=False)
    import ipyvuetify

    assert rc.find(ipyvuetify.TabsItems).widgets  # the tabbed pages are there


def test_solara_assets_match_solara() -> None:
    solara = pytest.importorskip("solara")
    assets = pytest.importorskip("solara_assets")
    assert assets.__version__ == solara.__version__


def test_dashboard_environment_is_offline_and_private(tmp_path: Path) -> None:
    sc = tmp_path / "x.toml"
    sc.write_text('name = "x"\n')
    env = dashboard_env({"PATH": "/bin"}, sc, "en")
    assert env["SOLARA_ASSETS_PROXY"] == "True"  # assets from the local solara-assets files
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["JAMBI_SIM_SCENARIO"] == str(sc.resolve()) and env["JAMBI_SIM_LANG"] == "en"
    assert env["PATH"] == "/bin" and set(OFFLINE_ENV) <= set(env)
    args = build_parser().parse_args(["dashboard"])
    assert args.lang == "id" and args.host == "127.0.0.1"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["dashboard", "--lang", "fr"])


# ----------------------------------------------------------------- settings
@pytest.fixture(scope="module")
def runs():
    from sim.ui.dashboard import Settings, run_stepwise

    sc = small()
    s = Settings.of(sc, seed=3)
    base = run_stepwise(s.scenario(sc), 3)
    b = list(s.barriers)
    b[3] = 1.0  # turf
    changed = run_stepwise(s.replace(barriers=tuple(b)).scenario(sc), 3)
    return sc, s, base, changed


def test_default_settings_reproduce_the_scenario(runs) -> None:
    sc, s, base, _ = runs
    assert s.scenario(sc) == sc  # the page starts exactly at the scenario it was given


def test_every_control_reaches_the_scenario(runs) -> None:
    sc, s, _, _ = runs
    changed = s.replace(barriers=(0.1,) * 7, hierarchy=False, hierarchy_strength=0.9,
                        review_interval_days=30, approval_interval_days=30, network=False, network_strength=0.8,
                        collaboration=True, collaboration_strength=0.4, pathway_mode="switch",
                        online_from=dt.date(2018, 6, 1), campaigns_per_year=4,
                        campaign_reach=0.5, budget_scale=1.5).scenario(sc)
    assert all(getattr(changed.barriers, b) == 0.1 for b in type(changed.barriers).model_fields)
    c = changed.coordination
    h = c.hierarchy
    assert (h.enabled, h.strength, h.review_interval_days, h.approval_interval_days) == \
        (False, 0.9, 30, 30)
    assert (c.network.enabled, c.network.strength) == (False, 0.8)
    assert (c.collaboration.enabled, c.collaboration.strength) == (True, 0.4)
    assert changed.time.online_from == dt.date(2018, 6, 1)
    assert [d.month for d in changed.awareness.campaign_dates[:4]] == [1, 4, 7, 10]
    assert changed.awareness.campaign_reach == 0.5
    for y, v in sc.program.budget_idr_by_year.items():
        assert changed.program.budget_idr_by_year[y] == pytest.approx(1.5 * v)


def test_same_seed_same_city_different_policy(runs) -> None:
    _, _, base, changed = runs
    # common random numbers: the same households apply at first, the turf barrier slows
    # the agencies afterwards
    assert base.timeseries["eligible"].iloc[0] == changed.timeseries["eligible"].iloc[0]
    assert changed.cases["days_to_card"].median() > base.cases["days_to_card"].median()


def test_stepwise_run_publishes_months_as_it_goes(runs) -> None:
    from sim.ui.dashboard import run_stepwise

    sc, s, base, _ = runs
    seen = []
    done = run_stepwise(s.scenario(sc), 3, publish=seen.append, every_s=0.0)
    assert len(seen) > 5 and not seen[0].done and done.done
    assert len(seen[0].timeseries) < len(done.timeseries)
    assert done.timeseries.equals(base.timeseries)  # publishing changes nothing
    assert run_stepwise(s.scenario(sc), 3, cancelled=lambda: True) is None


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_dashboard_figure_draws(runs, lang) -> None:
    import matplotlib.pyplot as plt

    from sim.ui.dashboard import FIGURES, fig_replay, pick_case

    _, _, base, changed = runs
    for name, make in FIGURES.items():
        fig = make(base, changed, lang)
        text = " ".join(t.get_text() for ax in fig.axes for t in
                        ax.get_xticklabels() + ax.get_yticklabels() + [ax.xaxis.label,
                                                                        ax.yaxis.label])
        assert text.strip(), name
        if name == "coverage":
            assert ("Tahun" in text) == (lang == "id")
            assert ("30.000" in text or "30,000" in text)
        plt.close(fig)
    case = pick_case(changed)
    row = changed.cases[changed.cases["case_id"] == case].iloc[0]
    assert row["route"] == "manual" and row["bounces"] + row["reworks"] > 0
    fig = fig_replay(changed, case, lang)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    visits = changed.journey[changed.journey["case_id"] == case]
    assert len(labels) == len(visits)
    plt.close(fig)


def test_summary_line_equals_the_case_tables_and_tables_come_when_asked(runs) -> None:
    """The summary is computed from the finished model without building the tables (so
    a change redraws sooner); it must say what the case table says, and the tables are
    built on first use, once, after which the model is let go."""
    import numpy as np

    from sim.model.cases import REFERRAL_ROUTES
    from sim.ui.dashboard import run_stepwise

    sc, s, _, _ = runs
    r = run_stepwise(s.scenario(sc).with_overrides(turf=0.9), 3)
    assert r.done and r._cases is None and r._model is not None  # nothing built yet
    days, cost = r.summary
    c = r.cases
    e = c[(~c["route"].isin(REFERRAL_ROUTES)) & (c["outcome"] == "enrolled")]
    assert len(e) > 10
    assert days == float(e["days_to_card"].median())
    assert np.isclose(cost, float(e["cost_idr"].mean()), rtol=0, atol=1e-9)
    assert r._model is None and r.journey is not None  # built once, the model released
    assert r.cases is c


def test_the_gap_by_cause_is_your_scenarios_and_draws(runs) -> None:
    """The dashboard's gap-by-cause tab: the changed scenario's paired runs (one
    replication), every cause, the gap the run itself shows, and a figure in each language."""
    import matplotlib.pyplot as plt

    from sim.runner.attribution import CAUSES
    from sim.ui.dashboard import gap_by_cause

    _, _, _, changed = runs
    att = gap_by_cause(changed)
    assert att.scenario == changed.scenario and att.reps == 1
    assert {r["cause"] for r in att.rows()} == set(CAUSES)
    enrolled = float(changed.timeseries["enrolled"].iloc[-1])
    assert att.gap()["mean"] == pytest.approx(att.target - enrolled)
    assert gap_by_cause(changed) is att  # kept: asking again costs nothing
    for lang in ("en", "id"):
        from sim.show.gap import attribution_figure

        fig = attribution_figure(att, lang)
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert len(labels) == len(CAUSES)
        assert ("Tanpa kuota" in labels) == (lang == "id")
        plt.close(fig)
