"""The per-visit journey log: revisits kept, consistent with each case, and the source of
the wide case table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import small

from sim.model import JambiBugarModel
from sim.runner.records import case_table, journey_table


@pytest.fixture(scope="module")
def run() -> tuple[JambiBugarModel, pd.DataFrame, pd.DataFrame]:
    # bounces, reworks and verification rounds are common here, so cases revisit offices
    sc = small(barriers={"specialization": 1.0, "accountability": 1.0},
               offices={"dinsos": {"rework_prob": 0.3}, "lurah": {"rework_prob": 0.3}})
    model = JambiBugarModel(sc, seed=11)
    while model.running:
        model.step()
    journey = journey_table(model)
    return model, journey, case_table(model, journey)


def test_revisits_are_kept(run) -> None:
    model, journey, cases = run
    per_stage = journey.groupby(["case_id", "stage"]).size()
    assert (per_stage > 1).sum() > 20  # many cases came back to an office
    # every bounce, rework and verification round closes a visit with that result
    by_case = journey.groupby("case_id")["result"]
    counted = pd.DataFrame({"bounced": by_case.apply(lambda r: (r == "bounced").sum()),
                            "rework": by_case.apply(lambda r: (r == "rework").sum()),
                            "verify": by_case.apply(lambda r: (r == "verify").sum())})
    c = cases.set_index("case_id")
    counted = counted.reindex(c.index, fill_value=0)
    assert (counted["bounced"] == c["bounces"]).all()
    assert (counted["rework"] == c["reworks"]).all()
    assert (counted["verify"] == c["verifications"]).all()


def test_visits_follow_each_case_in_time(run) -> None:
    model, journey, _ = run
    for case_id, rows in journey.groupby("case_id"):
        t_in = rows["day_in"].to_numpy()
        t_out = rows["day_out"].to_numpy()
        assert (np.diff(t_in) >= 0).all(), case_id
        closed = ~np.isnan(t_out)
        assert (t_out[closed] >= t_in[closed]).all(), case_id
        # one visit at a time: each visit ends before the next begins
        assert (t_out[:-1] <= t_in[1:] + 1e-9).all(), case_id
        served = ~np.isnan(rows["day_start"].to_numpy())
        assert (rows["day_start"].to_numpy()[served] >= t_in[served]).all()


def test_outcomes_match_the_last_visit(run) -> None:
    model, journey, _ = run
    last = journey.groupby("case_id").tail(1).set_index("case_id")
    for c in model.flow.cases:
        if c.outcome == "enrolled":
            row = last.loc[c.id]
            assert (row["stage"], row["result"]) == ("activation", "enrolled")
            assert row["day_out"] == pytest.approx(c.t_outcome, abs=1e-3)
        elif c.outcome is None and c.id in last.index:
            assert np.isnan(last.loc[c.id, "day_out"]) or c.where in ("transit", "citizen")


def test_wide_table_is_derived_from_the_journey(run) -> None:
    _, journey, cases = run
    start = pd.Timestamp(run[0].clock.start)
    for stage in ("rt", "dinsos", "dinkes", "bpjs"):
        rows = journey[journey["stage"] == stage]
        first = rows.groupby("case_id")["day_in"].min()
        expect = (start + pd.to_timedelta(np.floor(first.to_numpy()), unit="D")).strftime(
            "%Y-%m-%d")
        got = cases.set_index("case_id").loc[first.index, f"{stage}_in"].to_numpy()
        assert list(got) == list(expect)
