"""Tables behind the workshop figures, from the case table alone (``cases.csv`` or
``Result.cases``): where applications were lost, and days to card by year of application.

The funnel follows each citizen case along its route, step by step (applications, then
each office or waiting place in route order, then the active card). A case *arrives* at a
step when the journey log has a visit of it there (the case table's ``<stage>_in`` is
set). Every case that arrived at a step ends in exactly one of:

- ``rejected`` / ``gave_up_here``: closed at that step after arriving (``outcome_stage``
  is the step; households that left the pool while there count as gave up here);
- ``in_process``: still open at the end, and this is the furthest step it reached;
- ``gave_up_way``: closed on the way to the next step, before arriving there (a household
  that decides not to make the next trip: ``outcome_stage`` is the next step, with no
  visit there);
- it arrived at the next step.

So for every step: arrivals - rejected - gave_up_here - in_process = arrivals at the next
step + gave_up_way (``tests/test_workshop.py`` checks this against the case table). The
first step, applications, also holds the Dukcapil trip for a missing KK/KTP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.cases import REFERRAL_ROUTES

# Route order; "dtks" (waiting for the DTKS update) belongs to the Dinas Sosial step and
# "docs" (a Dukcapil trip) to the applications step.
STEPS = ("applied", "rt", "lurah", "camat", "dinsos", "dinkes", "tim", "quota", "bpjs",
         "activation", "enrolled")
MERGE = {"docs": "applied", "dtks": "dinsos"}
FUNNEL_COLUMNS = ["pathway", "step", "arrived", "rejected", "gave_up_here", "in_process",
                  "gave_up_way", "continued"]


def _reached(cases: pd.DataFrame, stage: str) -> np.ndarray:
    col = cases.get(f"{stage}_in")
    if col is None:
        return np.zeros(len(cases), dtype=bool)
    return (col.notna() & (col.astype(str) != "")).to_numpy()


def case_steps(cases: pd.DataFrame) -> pd.DataFrame:
    """Per case: the furthest step reached (an index into STEPS) and, for closed cases,
    the step of the outcome."""
    index = {s: i for i, s in enumerate(STEPS)}
    furthest = np.zeros(len(cases), dtype=int)  # everyone reached "applied"
    visited = {}
    for stage in ("docs", "rt", "lurah", "camat", "dinsos", "dtks", "dinkes", "tim", "quota",
                  "bpjs", "activation"):
        i = index[MERGE.get(stage, stage)]
        here = _reached(cases, stage)
        visited[STEPS[i]] = visited.get(STEPS[i], False) | here
        furthest = np.where(here, np.maximum(furthest, i), furthest)
    outcome = cases["outcome"].astype(str).to_numpy()
    enrolled = outcome == "enrolled"
    furthest = np.where(enrolled, index["enrolled"], furthest)
    stage = cases["outcome_stage"].fillna("").astype(str).map(lambda s: MERGE.get(s, s))
    at = np.array([index.get(s, -1) for s in stage], dtype=int)
    at = np.where(enrolled, index["enrolled"], at)
    out = pd.DataFrame({"pathway": cases["pathway"].to_numpy(), "outcome": outcome,
                        "furthest": furthest, "at": at}, index=cases.index)
    for step, flags in visited.items():
        out[f"visited_{step}"] = flags
    return out


def funnel_table(cases: pd.DataFrame, reps: int = 1, by: str = "pathway") -> pd.DataFrame:
    """One row per (pathway, step) that is on the route: arrivals and what became of them,
    as means per replication. Referred (institutional) cases are left out: they enter at
    Dinas Sosial without any visit of their own. ``by=None`` pools the pathways."""
    citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
    steps = case_steps(citizen)
    if by is None:
        steps = steps.assign(pathway="all")
    rows = []
    for p, g in steps.groupby("pathway", sort=False):
        closed = g["outcome"] != "in_process"
        lost = g["outcome"].isin(["rejected", "abandoned"])
        # the steps on this pathway's route: reached by a case, or a case gave up on
        # its way there
        shown = {0, STEPS.index("enrolled")} | set(g.loc[closed, "at"]) | {
            i for i, st in enumerate(STEPS) if f"visited_{st}" in g and g[f"visited_{st}"].any()}
        for i, step in enumerate(STEPS):
            if i not in shown:
                continue
            arrived = g["furthest"] >= i
            here = lost & (g["furthest"] == i) & (g["at"] <= i)
            rej = here & (g["outcome"] == "rejected")
            way = lost & (g["furthest"] == i) & (g["at"] > i)
            rows.append({"pathway": p, "step": step, "arrived": arrived.sum() / reps,
                         "rejected": rej.sum() / reps,
                         "gave_up_here": (here & ~rej).sum() / reps,
                         "in_process": (arrived & (g["furthest"] == i) & ~closed).sum() / reps,
                         "gave_up_way": way.sum() / reps,
                         "continued": (g["furthest"] > i).sum() / reps})
    return pd.DataFrame(rows, columns=FUNNEL_COLUMNS)


def days_by_year(cases: pd.DataFrame) -> pd.DataFrame:
    """Days to card of enrolled citizen cases by year of application and pathway: count,
    median and quartiles, with the share of that year's applications still in process at
    the end (censored: their days to card are not known yet)."""
    citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)].copy()
    citizen["year"] = pd.to_datetime(citizen["applied"]).dt.year
    rows = []
    for (p, y), g in citizen.groupby(["pathway", "year"]):
        d = g.loc[g["outcome"] == "enrolled", "days_to_card"].dropna().to_numpy(dtype=float)
        q = np.quantile(d, [0.25, 0.5, 0.75]) if len(d) else [np.nan] * 3
        rows.append({"pathway": p, "year": int(y), "applications": len(g),
                     "enrolled": len(d), "q25": q[0], "median": q[1], "q75": q[2],
                     "in_process_share": float((g["outcome"] == "in_process").mean())})
    return pd.DataFrame(rows, columns=["pathway", "year", "applications", "enrolled", "q25",
                                       "median", "q75", "in_process_share"])

