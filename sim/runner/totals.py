"""Running totals of a run's tables, so the parent's memory does not grow with replications.

:func:`sim.runner.replications.run` feeds each replication's timeseries and case table to a
:class:`Tally` and may then drop them. The tally keeps what the summary and the figures
need: per-date coverage bands, funnel counts, and days to card as counts of tenths of a
day (``days_to_card`` is rounded to 0.1 day), from which medians and other quantiles are
exact. Its size depends on the horizon and the number of stages, not on ``reps``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.model.accounting import ACCOUNTS
from sim.model.cases import REFERRAL_ROUTES
from sim.scenario.offices import OFFICES

PATHWAYS = ("manual", "online")
ACCOUNT_COLUMNS = [f"acct_{k}" for k in ACCOUNTS]
FUNNEL_STAGES = (*OFFICES, "activation")


def quantile_from_counts(counts: np.ndarray, q: float, scale: float = 10.0) -> float | None:
    """``np.quantile(values, q)`` (linear method) of the values ``k / scale`` that occur
    ``counts[k]`` times; None when there are none."""
    n = int(counts.sum())
    if n == 0:
        return None
    cum = np.cumsum(counts)
    h = q * (n - 1)
    lo = int(np.floor(h))
    hi = min(lo + 1, n - 1)
    a = int(np.searchsorted(cum, lo, side="right")) / scale
    b = int(np.searchsorted(cum, hi, side="right")) / scale
    t = h - lo
    diff = b - a
    return float(b - diff * (1 - t) if t >= 0.5 else a + diff * t)  # numpy's _lerp


def _add(acc: np.ndarray, k: np.ndarray) -> np.ndarray:
    counts = np.bincount(k, minlength=len(acc))
    if len(counts) > len(acc):
        acc = np.concatenate([acc, np.zeros(len(counts) - len(acc), dtype=np.int64)])
    acc[: len(counts)] += counts
    return acc


class Tally:
    """Totals over replications of the tables :mod:`sim.runner.records` makes."""

    def __init__(self) -> None:
        self.reps = 0
        self.band: dict[str, list[float]] = {}  # date -> [sum, min, max, cap, n]
        self.figs: dict[str, dict[str, float]] = {
            p: {"cases": 0, "enrolled": 0, "visits": 0.0, "cost": 0.0, "closed": 0,
                "abandoned": 0} for p in (*PATHWAYS, "all")}
        self.days: dict[str, np.ndarray] = {p: np.zeros(0, dtype=np.int64) for p in PATHWAYS}
        self.days_all = np.zeros(0, dtype=np.int64)
        self.reached: dict[str, dict[str, float]] = {p: {} for p in PATHWAYS}
        self.lost: dict[str, dict[str, float]] = {p: {} for p in PATHWAYS}
        # the workshop figures' tables (sim.runner.funnel), summed over reps
        self.funnel_sum: pd.DataFrame | None = None  # funnel_table(cases, 1) by pathway, step
        self.year_counts: dict[tuple[str, int], list[int]] = {}  # applied, enrolled, open
        self.year_days: dict[tuple[str, int], np.ndarray] = {}  # tenths of a day to card
        self.accounts: dict[str, list[Any]] = {}  # date -> [sums of acct_* columns, n]

    def add(self, timeseries: pd.DataFrame, cases: pd.DataFrame) -> None:
        """Add one replication's tables."""
        self.reps += 1
        for d, e, cap in zip(timeseries["date"], timeseries["enrolled"],
                             timeseries["quota_cap"]):
            b = self.band.get(d)
            if b is None:
                self.band[d] = [float(e), float(e), float(e), float(cap), 1.0]
            else:
                b[0] += e
                b[1], b[2], b[4] = min(b[1], e), max(b[2], e), b[4] + 1
        if set(ACCOUNT_COLUMNS) <= set(timeseries.columns):
            values = timeseries[ACCOUNT_COLUMNS].to_numpy(dtype=float)
            for d, row in zip(timeseries["date"], values):
                a = self.accounts.setdefault(d, [np.zeros(len(ACCOUNTS)), 0])
                a[0] += row
                a[1] += 1
        self._add_figure_tables(cases)
        citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
        for p in (*PATHWAYS, "all"):
            sub = citizen if p == "all" else citizen[citizen["pathway"] == p]
            enrolled = sub[sub["outcome"] == "enrolled"]
            closed = sub["outcome"] != "in_process"
            f = self.figs[p]
            f["cases"] += len(sub)
            f["enrolled"] += len(enrolled)
            f["visits"] += float(enrolled["visits"].sum())
            f["cost"] += float(enrolled["cost_idr"].sum())
            f["closed"] += int(closed.sum())
            f["abandoned"] += int((sub["outcome"][closed] == "abandoned").sum())
            days = enrolled["days_to_card"].to_numpy(dtype=float)
            k = np.rint(days[~np.isnan(days)] * 10).astype(np.int64)
            if p == "all":
                self.days_all = _add(self.days_all, k)
                continue
            self.days[p] = _add(self.days[p], k)
            for s in FUNNEL_STAGES:
                n = len(enrolled) if s == "activation" else int((sub[f"{s}_in"] != "").sum())
                self.reached[p][s] = self.reached[p].get(s, 0) + n
                lost = sub["outcome"].isin(["abandoned", "rejected"]) & \
                    (sub["outcome_stage"] == s)
                self.lost[p][s] = self.lost[p].get(s, 0) + int(lost.sum())

    def _add_figure_tables(self, cases: pd.DataFrame) -> None:
        """Per replication, what the funnel and days-by-year figures need: both are sums
        (counts, and day counts from which quantiles are exact)."""
        from sim.runner.funnel import funnel_table

        tab = funnel_table(cases, 1).set_index(["pathway", "step"])
        self.funnel_sum = tab if self.funnel_sum is None else \
            self.funnel_sum.add(tab, fill_value=0.0)
        citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
        years = pd.to_datetime(citizen["applied"]).dt.year
        for (p, y), g in citizen.groupby([citizen["pathway"], years]):
            key = (str(p), int(y))
            c = self.year_counts.setdefault(key, [0, 0, 0])
            enrolled = g["outcome"] == "enrolled"
            c[0] += len(g)
            c[1] += int(enrolled.sum())
            c[2] += int((g["outcome"] == "in_process").sum())
            days = g.loc[enrolled, "days_to_card"].to_numpy(dtype=float)
            k = np.rint(days[~np.isnan(days)] * 10).astype(np.int64)
            self.year_days[key] = _add(self.year_days.get(key, np.zeros(0, np.int64)), k)

    # ------------------------------------------------------------------ summary
    def pathway_figures(self, p: str = "all") -> dict[str, Any]:
        """The figures :func:`sim.runner.records.summarize` gives for citizen cases (or a pathway)."""
        f, reps = self.figs[p], max(self.reps, 1)
        counts = self.days_all if p == "all" else self.days[p]
        n = int(counts.sum())
        mean = float((counts * np.arange(len(counts))).sum() / 10 / n) if n else None
        return {
            "cases": f["cases"] / reps,
            "enrolled_cases": f["enrolled"] / reps,
            "days_to_card": {"median": quantile_from_counts(counts, 0.5),
                             "p90": quantile_from_counts(counts, 0.9), "mean": mean},
            "visits_per_enrollee": f["visits"] / f["enrolled"] if f["enrolled"] else None,
            "citizen_cost_idr_per_enrollee": f["cost"] / f["enrolled"] if f["enrolled"]
            else None,
            "abandoned_share": f["abandoned"] / f["closed"] if f["closed"] else None,
        }

    def apply_to(self, summary: dict[str, Any]) -> dict[str, Any]:
        """``summary`` with its case-based figures taken from the tally."""
        overall = self.pathway_figures("all")
        out = dict(summary)
        out["days_to_card"] = overall["days_to_card"]
        out["visits_per_enrollee"] = overall["visits_per_enrollee"]
        out["citizen_cost_idr_per_enrollee"] = overall["citizen_cost_idr_per_enrollee"]
        out["by_pathway"] = {p: self.pathway_figures(p) for p in PATHWAYS}
        return out

    # ------------------------------------------------------------------ figures
    def funnel_table(self) -> pd.DataFrame:
        """:func:`sim.runner.funnel.funnel_table` of all replications (means per replication),
        from the sums kept per replication: the same table, with no case table."""
        from sim.runner.funnel import FUNNEL_COLUMNS, STEPS

        if self.funnel_sum is None:
            return pd.DataFrame(columns=FUNNEL_COLUMNS)
        tab = (self.funnel_sum / max(self.reps, 1)).reset_index()
        order = {p: i for i, p in enumerate((*PATHWAYS, "all"))}
        tab["_p"] = tab["pathway"].map(lambda p: order.get(p, len(order)))
        tab["_s"] = tab["step"].map(STEPS.index)
        tab = tab.sort_values(["_p", "_s"], kind="stable").drop(columns=["_p", "_s"])
        return tab[FUNNEL_COLUMNS].reset_index(drop=True)

    def days_by_year(self) -> pd.DataFrame:
        """:func:`sim.runner.funnel.days_by_year` of all replications (quantiles exact from the
        day counts)."""
        rows = []
        for (p, y) in sorted(self.year_counts):
            applied, enrolled, open_ = self.year_counts[(p, y)]
            counts = self.year_days.get((p, y), np.zeros(0, np.int64))
            q = [quantile_from_counts(counts, x) for x in (0.25, 0.5, 0.75)]
            q = [np.nan if v is None else v for v in q]
            rows.append({"pathway": p, "year": y, "applications": applied,
                         "enrolled": enrolled, "q25": q[0], "median": q[1], "q75": q[2],
                         "in_process_share": open_ / applied if applied else np.nan})
        return pd.DataFrame(rows, columns=["pathway", "year", "applications", "enrolled",
                                           "q25", "median", "q75", "in_process_share"])

    def coverage_band(self) -> pd.DataFrame:
        """Per month: mean, min and max active members across reps, and the quota cap."""
        rows = [(pd.Timestamp(d), b[0] / b[4], b[1], b[2], b[3])
                for d, b in sorted(self.band.items())]
        return pd.DataFrame(rows, columns=["date", "mean", "lo", "hi", "cap"]).set_index("date")

    def accounts_by_month(self) -> pd.DataFrame:
        """Per month (rows, dates) the mean of each account (columns ``acct_*``, people)
        across reps: where everyone ever eligible is, month by month."""
        rows = {pd.Timestamp(d): a[0] / a[1] for d, a in sorted(self.accounts.items())}
        return pd.DataFrame.from_dict(rows, orient="index", columns=ACCOUNT_COLUMNS) \
            .rename_axis("date")
