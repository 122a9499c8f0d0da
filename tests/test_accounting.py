"""Where everyone ever eligible is (the accounting): the accounts add up at every month
end, and summary.json and the outcome catalogue carry them with their intervals."""

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
