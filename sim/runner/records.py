"""Tidy outputs of a run: the case table, the monthly timeseries and the summary.

Pure functions from a finished model (or from tables) to DataFrames and plain dicts;
writing them to files is :mod:`sim.runner.staging`'s job.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.model.accounting import ACCOUNTS
from sim.model.cases import OUTCOMES, REFERRAL_ROUTES, STAGES
from sim.model.sustainability import SEED_MONTH, indicators, refill_days

CASE_COLUMNS = ["rep", "case_id", "household_id", "segment", "pathway", "route", "members",
                "kecamatan", "kelurahan", "rt", "applied", "outcome", "outcome_stage", "reason",
                "outcome_date", "days_to_card", "visits", "cost_idr", "reworks", "bounces",
                "verifications"] + [f"{s}_{io}" for s in STAGES for io in ("in", "out")]
JOURNEY_COLUMNS = ["rep", "case_id", "household_id", "visit", "stage", "day_in", "day_start",
                   "day_end", "day_out", "result", "date_in", "date_out"]


def _dates(start: np.datetime64, t: np.ndarray) -> np.ndarray:
    """Model times (days since start; NaN allowed) to ISO dates ("" for NaN), by looking
    each day up in a table of the run's dates (much faster than formatting each)."""
    t = np.asarray(t, dtype=float)
    ok = ~np.isnan(t)
    out = np.full(t.shape, "", dtype=object)
    if ok.any():
        days = np.floor(t[ok]).astype(np.int64)
        lo, hi = int(days.min()), int(days.max())
        names = np.datetime_as_string(start + np.arange(lo, hi + 1).astype("timedelta64[D]"),
                                      unit="D").astype(object)
        out[ok] = names[days - lo]
    return out


def journey_table(model: Any) -> pd.DataFrame:
    """One row per visit of a case to an office or a waiting place, in the order visits
    began: arrival, service start and end (offices), departure (days since the start
    date) and what came of the visit. Revisits are kept."""
    j = model.flow.journey
    cols = j.columns()
    df = pd.DataFrame({"rep": model.rep, "case_id": cols["case_id"]})
    hh = np.array([c.household.idx for c in model.flow.cases], dtype=np.int64)
    df["household_id"] = hh[df["case_id"].to_numpy() - 1] if len(df) else []
    df["visit"] = df.groupby("case_id").cumcount() + 1
    df["stage"] = cols["stage"]
    for name, key in (("day_in", "t_in"), ("day_start", "t_start"), ("day_end", "t_end"),
                      ("day_out", "t_out")):
        df[name] = np.round(np.asarray(cols[key], dtype=float), 4)
    df["result"] = cols["result"]
    start = np.datetime64(model.clock.start.isoformat())
    df["date_in"] = _dates(start, df["day_in"].to_numpy())
    df["date_out"] = _dates(start, df["day_out"].to_numpy())
    return df[JOURNEY_COLUMNS]


def case_columns(model: Any) -> dict[str, Any]:
    """The case record (``flow.record``) as numpy columns, with the names its coded columns
    stand for (``categories``): all :func:`rep_stats` and :func:`outcome_table` read of a
    finished model's cases, taken once, so the model can be freed before the table is built."""
    record = model.flow.record
    cols: dict[str, Any] = record.columns()
    cols["categories"] = {c: record.categories(c) for c in ("route", "pathway", "outcome")}
    return cols


def outcome_table(source: Any) -> pd.DataFrame:
    """The few case columns the outcome catalogue needs (``sim.runner.catalogue``), built without
    the stage dates from the case record (``flow.record``), which studies that keep no
    tables still have. Route, pathway and outcome are categoricals (a byte a case).
    ``source``: a finished model, or its :func:`case_columns`."""
    cols = source if isinstance(source, dict) else case_columns(source)

    def names(col: str) -> pd.Categorical:
        return pd.Categorical.from_codes(cols[col], categories=cols["categories"][col])

    t_applied, t_out, outcome = cols["t_applied"], cols["t_outcome"], names("outcome")
    enrolled = np.asarray(outcome == "enrolled", dtype=bool)
    quota_days = cols["quota_days"]
    return pd.DataFrame({
        "household_id": cols["household_id"],
        "members": cols["members"],
        "route": names("route"),
        "pathway": names("pathway"),
        "outcome": outcome,
        "days_to_card": np.where(enrolled, t_out - t_applied, np.nan).round(1),
        "visits": cols["visits"],
        "cost_idr": np.rint(cols["cost"]).astype(np.int64),  # round(), half to even
        # days waited at the quota for a slot, and days to card without them
        "quota_days": quota_days.round(1),
        "days_to_card_no_quota": np.where(enrolled, t_out - t_applied - quota_days,
                                          np.nan).round(1),
        "cost_factor": cols["cost_factor"],  # the household's distance multiplier
        "in_dtks": cols["in_dtks"],  # the household listed in the DTKS when it applied
    })


def case_table(model: Any, journey: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per case: household, segment, pathway, visits, cost, outcome, and the date
    each stage was first entered and last left (derived from the journey log)."""
    cases = model.flow.cases
    city = model.city
    start = np.datetime64(model.clock.start.isoformat())
    nan = float("nan")
    cols: dict[str, Any] = {
        "rep": model.rep,
        "case_id": [c.id for c in cases],
        "household_id": [c.household.idx for c in cases],
        "segment": [c.household.segment for c in cases],
        "pathway": [c.pathway for c in cases],
        "route": [c.route for c in cases],
        "members": [c.members for c in cases],
        "kecamatan": [city.kel_kec[city.rt_kel[c.household.rt]] + 1 for c in cases],
        "kelurahan": [city.rt_kel[c.household.rt] + 1 for c in cases],
        "rt": [c.household.rt + 1 for c in cases],
        "outcome": [c.outcome or "in_process" for c in cases],
        "outcome_stage": [c.outcome_stage for c in cases],
        "reason": [c.reason for c in cases],
        "visits": [c.visits for c in cases],
        "cost_idr": [round(c.cost) for c in cases],
        "reworks": [c.reworks for c in cases],
        "bounces": [c.bounces for c in cases],
        "verifications": [c.verifications for c in cases],
    }
    t_applied = np.array([c.t_applied for c in cases], dtype=float)
    t_out = np.array([c.t_outcome for c in cases], dtype=float)
    df = pd.DataFrame(cols)
    df["applied"] = _dates(start, t_applied)
    df["outcome_date"] = _dates(start, t_out)
    enrolled = (df["outcome"] == "enrolled").to_numpy()
    df["days_to_card"] = np.where(enrolled, t_out - t_applied, nan).round(1)
    if journey is None:
        journey = journey_table(model)
    n = len(cases)
    spans = journey.groupby(["stage", "case_id"]).agg(t_in=("day_in", "min"),
                                                      t_out=("day_out", "max"))
    present = set(spans.index.get_level_values(0))
    for s in STAGES:
        t_in = np.full(n, nan)
        t_last = np.full(n, nan)
        if s in present:
            rows = spans.loc[s]
            ids = rows.index.to_numpy() - 1
            t_in[ids] = rows["t_in"].to_numpy()
            t_last[ids] = rows["t_out"].to_numpy()  # the last departure so far
        df[f"{s}_in"] = _dates(start, t_in)
        df[f"{s}_out"] = _dates(start, t_last)
    return df[CASE_COLUMNS]


def rep_stats(model: Any, runtime_s: float, cases: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per-replication figures that are not in the two tables. ``cases``: the model's
    :func:`case_columns`, if already taken."""
    f = model.flow
    by_year: dict[str, float] = {}
    for month, idr in model.premium_by_month.items():
        by_year[month[:4]] = by_year.get(month[:4], 0.0) + idr
    mm_by_year: dict[str, float] = {}
    for month, mm in model.member_months.items():
        mm_by_year[month[:4]] = mm_by_year.get(month[:4], 0.0) + mm
    # active members at each year's end (the last recorded month of a year)
    active_by_year = {row["date"][:4]: row["enrolled"] for row in model.monthly}
    if cases is None:
        cases = case_columns(model)
    referral = [i for i, r in enumerate(cases["categories"]["route"]) if r in REFERRAL_ROUTES]
    days = cases["t_applied"][~np.isin(cases["route"], referral)].astype(np.int64)
    applied_by_year: dict[str, int] = {}  # years in the order cases first applied in them
    for day, n in zip(*np.unique(days, return_counts=True)):
        y = str(model.clock.date(int(day)).year)
        applied_by_year[y] = applied_by_year.get(y, 0) + int(n)
    pop = model.population
    years = range(model.clock.start.year, model.clock.end.year + 1)
    return {"rep": model.rep, "enrolled_end": model.active_members, "handoffs": f.handoffs,
            "events": model.events.processed, "escalated": model.escalated,
            "dropout_by_stage": dict(f.dropout), "premium_idr_by_year": by_year,
            "member_months_by_year": mm_by_year, "active_by_year_end": active_by_year,
            "citizen_applied_by_year": applied_by_year,
            # the premium budget in force each simulated year (IDR), as the caps use it
            "budget_idr_by_year": {str(y): float(model.program.budgets[y]) for y in years},
            # days until active members are back at their level before each removal batch
            # (re-verification tranche, central PBI-JK take-over; NaN: not in the run)
            "refill_days": refill_days(model.datacollector.model_vars["enrolled"],
                                       model.renewal.removal_times),
            "people_ever_enrolled": model.population.ever_people,
            "jkn_coverage_end": model.sustain.coverage,
            "household_left": int(cases["left"].sum()),
            "runtime_s": runtime_s, **{k: v for k, v in f.counts.items()},
            "in_process": f.open, "applied": len(f.record), "households": len(model.households),
            "visits_logged": len(f.journey),
            # where everyone ever eligible is on the end date, and the open system's flows
            "accounts_end": model.accounting.accounts(),
            "ever_eligible": pop.ever_eligible_people,
            "flows": {"turned_away": pop.turned_away, "comebacks": pop.comebacks,
                      "from_pbi_jk": pop.from_pbi_jk,
                      "drive_registered": model.renewal.registered},
            # the sustainability indicators, for a run that goes on after the seed's data
            **({"sustainability": indicators(model.monthly, model.scenario)}
               if model.scenario.time.end > SEED_MONTH else {})}


def prepare_summary() -> None:
    """Import what :func:`summarize` needs beyond this module: SciPy's t distribution,
    about 0.9 s of one core. ``run`` calls this once a worker has no replication left, so
    the import runs on a core that would otherwise idle, not after the last replication
    while every worker waits (about 1.5% of a 100-replication sweep on 2 cores)."""
    import scipy.stats  # noqa: F401


def mean_ci(values: list[float] | np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean and t-interval of the mean across replications (equal to the mean for one rep)."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean()) if len(x) else float("nan")
    if len(x) < 2:
        return {"mean": mean, "ci_low": None, "ci_high": None}  # no interval from one rep
    from scipy.stats import t as student_t

    half = float(student_t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def _pathway_figures(cases: pd.DataFrame, reps: int) -> dict[str, Any]:
    enrolled = cases[cases["outcome"] == "enrolled"]
    days = enrolled["days_to_card"].to_numpy(dtype=float)
    closed = cases[cases["outcome"] != "in_process"]
    return {
        "cases": len(cases) / reps,
        "enrolled_cases": len(enrolled) / reps,
        "days_to_card": {"median": _q(days, 0.5), "p90": _q(days, 0.9),
                         "mean": float(days.mean()) if len(days) else None},
        "visits_per_enrollee": float(enrolled["visits"].mean()) if len(enrolled) else None,
        "citizen_cost_idr_per_enrollee": float(enrolled["cost_idr"].mean())
        if len(enrolled) else None,
        "abandoned_share": float((closed["outcome"] == "abandoned").mean()) if len(closed) else None,
    }


def _q(x: np.ndarray, q: float) -> float | None:
    return float(np.quantile(x, q)) if len(x) else None


def _sustainability(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """Each sustainability indicator's mean and 95% interval across replications (NaN
    where a replication has none: the interval then spans the ones that have it)."""
    if not stats or "sustainability" not in stats[0]:
        return {}
    names = list(stats[0]["sustainability"])
    out = {}
    for name in names:
        values = [s["sustainability"].get(name, math.nan) for s in stats]
        finite = [v for v in values if math.isfinite(v)]
        never = sum(v == math.inf for v in values)  # e.g. a pair that never recovered
        out[name] = {**mean_ci(finite), "reps": len(finite)} if finite else \
            {"mean": None, "ci_low": None, "ci_high": None, "reps": 0}
        if never:
            out[name]["reps_never"] = never
    return {"sustainability": out}


# The open-system flows of ``summary.json``'s accounting block: (unit, meaning).
FLOWS = {
    "turned_away": ("applications", "applications turned away at a full front door "
                                    "('kuota penuh'), a household counted each time"),
    "comebacks": ("applications", "re-applications and reactivation requests after a "
                                  "wrongful rejection or a deactivation"),
    "from_pbi_jk": ("people", "people dropped from central PBI-JK who entered the pool"),
    "moved_to_pbi_jk": ("people", "people taken over by central PBI-JK (covered, outside "
                                  "the city's stock): the account of that name"),
    "drive_registered": ("households", "households a registration drive registered"),
}


def accounting(stats: list[dict[str, Any]], end_date: str) -> dict[str, Any]:
    """The ``accounting`` block of the summary: each account (people, on the end date),
    everyone ever eligible and the open-system flows, as a mean and 95% interval across
    replications (:func:`mean_ci`)."""
    if not stats or "accounts_end" not in stats[0]:
        return {}

    def flow(s: dict[str, Any], k: str) -> float:
        return s["accounts_end"][k] if k == "moved_to_pbi_jk" else s["flows"][k]

    return {"accounting": {
        "date": end_date,
        "ever_eligible": mean_ci([s["ever_eligible"] for s in stats]),
        "accounts": {k: mean_ci([s["accounts_end"][k] for s in stats]) for k in ACCOUNTS},
        "flows": {k: mean_ci([flow(s, k) for s in stats]) for k in FLOWS},
        "units": {"accounts": "people", **{k: u for k, (u, _) in FLOWS.items()}},
    }}


def summarize(scenario: Any, seed: int, stats: list[dict[str, Any]], cases: pd.DataFrame,
              version: str) -> dict[str, Any]:
    """The run's headline figures, as plain data (the content of summary.json)."""
    reps = len(stats)
    target = scenario.program.target
    end = mean_ci([s["enrolled_end"] for s in stats])
    citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
    overall = _pathway_figures(citizen, reps)
    stages = sorted({k for s in stats for k in s["dropout_by_stage"]},
                    key=lambda s: STAGES.index(s) if s in STAGES else len(STAGES))
    years = sorted({y for s in stats for y in s["premium_idr_by_year"]})
    return {
        "scenario": scenario.name,
        "seed": seed,
        "reps": reps,
        "version": version,
        "end_date": scenario.time.end.isoformat(),
        "enrolled_end": end,
        "target": target,
        "gap_end": target - end["mean"],
        "observed_enrolled": scenario.program.observed_enrolled,
        "days_to_card": overall["days_to_card"],
        "visits_per_enrollee": overall["visits_per_enrollee"],
        "citizen_cost_idr_per_enrollee": overall["citizen_cost_idr_per_enrollee"],
        "by_pathway": {p: _pathway_figures(citizen[citizen["pathway"] == p], reps)
                       for p in ("manual", "online")},
        "cases": {k: float(np.mean([s[k] for s in stats]))
                  for k in ("applied",) + OUTCOMES + ("in_process",)},
        "dropout_by_stage": {st: float(np.mean([s["dropout_by_stage"].get(st, 0) for s in stats]))
                             for st in stages},
        "abandoned_because_household_left": float(np.mean([s["household_left"]
                                                           for s in stats])),
        "premium_idr_by_year": {y: float(np.mean([s["premium_idr_by_year"].get(y, 0.0)
                                                  for s in stats])) for y in years},
        "handoffs": float(np.mean([s["handoffs"] for s in stats])),
        "events": float(np.mean([s["events"] for s in stats])),
        "escalated_by_review": float(np.mean([s["escalated"] for s in stats])),
        "runtime_s_per_rep": float(np.mean([s["runtime_s"] for s in stats])),
        **_sustainability(stats),
        **accounting(stats, scenario.time.end.isoformat()),
        "notes": {
            "enrolled_end": "active members (people) on end_date; mean and 95% t-interval "
                            "across reps",
            "days_to_card": "application to card activation, enrolled citizen cases "
                            "(referred segments excluded), pooled across reps",
            "visits_per_enrollee": "in-person visits per enrolled citizen case",
            "cases": "mean per rep; a case is one household's application",
            "by_pathway": "citizen cases by the pathway in force when they applied; counts "
                          "are means per rep",
            "censoring": "days_to_card only counts cases enrolled by end_date, so pathways "
                         "that start late (online from 2021) cannot show long waits",
            "dropout_by_stage": "cases abandoned because the burden exceeded the household's "
                                "tolerance, by the stage it did not go on to; households "
                                "that died, moved or left the pool are in "
                                "abandoned_because_household_left instead",
            "per_enrollee": "visits and citizen cost average over enrolled cases only; "
                            "failed earlier attempts are not added",
            "sustainability": "only for runs ending after March 2024: indicators of each "
                              "replication's monthly rows (sim.model.sustainability."
                              "indicators), mean and 95% t-interval over the replications "
                              "where the indicator is finite (reps); reps_never counts the "
                              "replications where it is infinite (never recovered)",
            "accounting": "everyone who has been eligible since the start date, in people, "
                          "by where they are on end_date (sim.model.accounting: the accounts "
                          "add up to ever_eligible in every replication); flows: "
                          + "; ".join(f"{k}: {m}" for k, (_, m) in FLOWS.items())
                          + "; mean and 95% t-interval across reps",
        },
    }
