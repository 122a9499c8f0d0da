"""Where everyone ever eligible is (the accounting) and what the gap is made of (the
attribution): the accounts add up at every month end, summary.json carries them with
their intervals, and the attribution's paired runs differ only in the removed cause."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import small
from scipy.stats import t as student_t

import sim
from sim.model import JambiBugarModel
from sim.model.accounting import ACCOUNTS
from sim.model.component import Component
from sim.runner.attribution import CAUSES, Attribution, attribute_gap, paired_scenarios
from sim.runner.catalogue import scalars

ACCT = [f"acct_{k}" for k in ACCOUNTS]


def crowded(**sections: Any) -> sim.Scenario:
    """The small city with members on the first day and a quota that binds: every account
    (waiting for a slot, turned away, deactivated, moved to PBI-JK) has people in it."""
    return small(program={"target": 2000, "initial_members": 600},
                 exits={"reverification_share": 0.2}, **sections)


class UncountedActive(Component):
    """A probe: active members of households that were never counted (not eligible when
    they came), at each month end."""

    def __init__(self, population: Any):
        self.population = population

    def row(self, t: float) -> dict[str, int]:
        return {"probe_uncounted_active": sum(
            h.members for h in self.population.households
            if h.status == "enrolled" and not h.counted)}


@pytest.mark.parametrize("rep", [0, 1])
def test_the_accounts_add_up_at_every_month_end(rep: int) -> None:
    sc = crowded()
    model = JambiBugarModel(sc, seed=11, rep=rep,
                            components=[lambda m: UncountedActive(m.population)])
    while model.running:
        model.step()
    rows = model.monthly
    assert len(rows) == 24
    for row in rows:
        assert sum(row[c] for c in ACCT) == row["ever_eligible"], row["date"]
        assert row["acct_active"] == row["enrolled"] - row["probe_uncounted_active"]
    last = rows[-1]
    # the accounts are not trivially empty: people sit in most of them by the end
    assert last["ever_eligible"] > 3000
    assert sum(last[c] > 0 for c in ACCT) >= 8, last
    assert last["turned_away"] > 0 and last["acct_deactivated"] > 0
    # the population grows: newcomers and arrivals enter the accounting as they come
    assert rows[0]["ever_eligible"] < last["ever_eligible"]
    assert model.accounting.accounts() == {k: last[f"acct_{k}"] for k in ACCOUNTS}


def test_timeseries_of_a_run_add_up_for_every_row_and_rep() -> None:
    res = sim.run(crowded(), reps=2, seed=4, cases=False)
    ts = res.timeseries
    assert set(ts["rep"]) == {0, 1} and len(ts) == 48
    assert (ts[ACCT].sum(axis=1) == ts["ever_eligible"]).all()
    assert (ts["acct_active"] <= ts["enrolled"]).all()


def test_summary_and_catalogue_carry_the_accounting_on_the_end_date() -> None:
    res = sim.run(crowded(), reps=3, seed=4, cases=False)
    block = res.summary["accounting"]
    assert block["date"] == "2019-12-31"
    last = res.timeseries[res.timeseries["date"] == "2019-12-31"].set_index("rep")
    for k in ACCOUNTS:
        values = [s["accounts_end"][k] for s in res.per_rep]
        assert values == last[f"acct_{k}"].tolist()  # the end date's row, rep by rep
        assert block["accounts"][k]["mean"] == pytest.approx(np.mean(values))
    assert sum(block["accounts"][k]["mean"] for k in ACCOUNTS) == \
        pytest.approx(block["ever_eligible"]["mean"])
    ever = [s["ever_eligible"] for s in res.per_rep]
    half = student_t.ppf(0.975, 2) * np.std(ever, ddof=1) / math.sqrt(3)
    assert block["ever_eligible"]["ci_high"] == pytest.approx(np.mean(ever) + half)
    assert block["flows"]["turned_away"]["mean"] == \
        pytest.approx(np.mean([s["flows"]["turned_away"] for s in res.per_rep]))
    assert block["flows"]["moved_to_pbi_jk"] == block["accounts"]["moved_to_pbi_jk"]
    by_rep = res.scalars_by_rep()
    assert by_rep["acct_rejected_end"].tolist() == last["acct_rejected"].tolist()
    assert by_rep["ever_eligible_end"].tolist() == ever
    one = scalars(res.per_rep[0], None, res.scenario)
    assert sum(one[f"acct_{k}_end"] for k in ACCOUNTS) == one["ever_eligible_end"]


# ------------------------------------------------------------------ attribution
def _leaves(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_leaves(v, f"{path}.{k}" if path else str(k)))
        return out
    return {path: node}


@pytest.mark.parametrize("cause", list(CAUSES))
def test_paired_scenarios_differ_exactly_in_the_removed_cause(cause: str) -> None:
    base = small()
    paired = paired_scenarios(base, [cause])[cause]
    a, b = _leaves(base.model_dump()), _leaves(paired.model_dump())
    assert a.keys() == b.keys()
    changed = {p for p in a if a[p] != b[p]}
    overrides = CAUSES[cause].overrides(base)
    owner = {p: [k for k in overrides if p == k or p.startswith(k + ".")] for p in changed}
    assert all(owner.values()), {p: o for p, o in owner.items() if not o}  # nothing else
    for key, value in overrides.items():  # every override that changes a value shows
        old = _leaves(base.model_dump())
        sub = {p: v for p, v in old.items() if p == key or p.startswith(key + ".")}
        want = _leaves({key: value}) if isinstance(value, dict) else {key: value}
        if sub != want:
            assert any(p == key or p.startswith(key + ".") for p in changed), key


def test_a_cause_that_is_absent_adds_exactly_nothing() -> None:
    """Common random numbers: with every barrier already 0, removing the barriers runs the
    same city with the same draws, to the member; removing rejections does not."""
    sc = small(time={"end": "2018-12-31", "online_from": "2018-06-01"},
               barriers=dict.fromkeys(("specialization", "power", "performance_management",
                                       "turf", "beliefs", "politics", "accountability"), 0.0))
    att = attribute_gap(sc, reps=2, seed=3, causes=["barriers", "rejections"])
    assert att.differences("barriers").tolist() == [0.0, 0.0]
    assert att.added("barriers") == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert np.all(att.differences("rejections") > 0)
    # the baseline is replications 0 and 1 of the seed, as run() makes them
    again = sim.run(sc, reps=2, seed=3, cases=False)
    assert att.baseline == [float(s["enrolled_end"]) for s in again.per_rep]
    # a run's own replications serve as the baseline; only the missing ones are run
    reused = attribute_gap(sc, reps=2, seed=3, causes=["rejections"],
                           baseline=again.per_rep[:1])
    assert reused.baseline == att.baseline
    assert reused.removed["rejections"] == att.removed["rejections"]


def test_the_attribution_is_the_mean_of_paired_differences() -> None:
    sc = small()
    att = Attribution(sc, 1, 4, 100, baseline=[60.0, 70.0, 50.0, 80.0],
                      removed={"churn": [66.0, 71.0, 58.0, 81.0], "cap": [60.0, 70.0, 50.0,
                                                                          80.0]})
    d = np.array([6.0, 1.0, 8.0, 1.0])
    assert att.differences("churn").tolist() == d.tolist()
    half = student_t.ppf(0.975, 3) * d.std(ddof=1) / 2
    got = att.added("churn")
    assert got["mean"] == 4.0
    assert got["ci_low"] == pytest.approx(4.0 - half)
    assert got["ci_high"] == pytest.approx(4.0 + half)
    # paired: the interval comes from the differences, far narrower than from the runs
    assert half < student_t.ppf(0.975, 3) * np.std([66, 71, 58, 81], ddof=1) / 2
    assert att.gap()["mean"] == 35.0
    rows = {r["cause"]: r for r in att.rows()}
    assert rows["churn"]["share_of_gap"] == pytest.approx(4.0 / 35.0)
    assert rows["cap"]["members_added"] == 0.0
    s = att.summary()
    assert s["causes"]["churn"]["members_added"] == got and s["target"] == 100
    assert s["gap"] == att.gap()


def test_every_cause_says_what_it_removes_in_both_languages() -> None:
    from sim.show.i18n import CAUSE_LABELS

    for name, cause in CAUSES.items():
        assert cause.en and cause.id and cause.en != cause.id
        assert name in CAUSE_LABELS["en"] and name in CAUSE_LABELS["id"]
        assert cause.overrides(small())  # each removes something
    with pytest.raises(ValueError, match="unknown 'tides'"):
        paired_scenarios(small(), ["tides"])


# ------------------------------------------------------------------ what users see
def _texts(fig: Any) -> str:
    found = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return " ".join(found)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_tables_and_figures_speak_the_chosen_language(lang: str) -> None:
    from sim.show.gap import (
        accounting_figure,
        accounting_table,
        accounts_by_month,
        attribution_figure,
        attribution_table,
    )
    from sim.show.i18n import ACCOUNT_LABELS, CAUSE_LABELS

    res = sim.run(crowded(), reps=2, seed=4)
    tab = accounting_table(res.summary).set_index("account")
    assert tab.loc[list(ACCOUNTS), "mean"].sum() == pytest.approx(tab.loc["ever_eligible",
                                                                          "mean"])
    assert tab.loc["rejected", "label_id"] == "Ditolak"
    monthly = accounts_by_month(res.tally)  # a streamed run's tally gives the same months
    assert np.allclose(monthly.to_numpy(), accounts_by_month(res.timeseries).to_numpy())
    text = _texts(accounting_figure(res.summary, monthly, lang))
    assert ACCOUNT_LABELS[lang]["moved_to_pbi_jk"] in text
    assert ("Tahun" in text) == (lang == "id")
    att = Attribution(res.scenario, 4, 2, 2000, baseline=[1900.0, 1950.0],
                      removed={"churn": [1950.0, 1990.0], "cap": [2100.0, 2150.0]})
    rows = attribution_table(att).set_index("cause")
    assert rows.loc["gap", "members_added"] == 75.0 and rows.loc["cap", "members_added"] == 200
    text = _texts(attribution_figure(att, lang))
    assert CAUSE_LABELS[lang]["churn"] in text and ("Kekurangan" in text) == (lang == "id")


def test_the_dashboard_shows_where_everyone_is_in_both_scenarios() -> None:
    from sim.ui.dashboard import fig_accounting, run_stepwise

    sc = small(time={"end": "2018-12-31", "online_from": "2018-06-01"})
    base = run_stepwise(sc, 2)
    changed = run_stepwise(sc.with_overrides(behaviour__patience=3.0), 2)
    fig = fig_accounting(base, changed, "id")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Peserta aktif"
    widths = sorted(p.get_width() for p in ax.patches)
    last = [r.timeseries.iloc[-1] for r in (base, changed)]
    assert widths == sorted(float(row[c]) for row in last for c in ACCT)
