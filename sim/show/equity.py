"""Who pays for a card: visits and transport cost of enrolled households by distance to the
offices and by DTKS listing, as one table with English and Indonesian labels.

The numbers are the catalogue's equity outputs (``sim.runner.catalogue``:
``households_enrolled_<group>``, ``visits_per_enrolled_household_<group>``,
``citizen_cost_idr_per_enrolled_household_<group>``), each a mean and 95% t-interval
across the replications of a :class:`~sim.runner.replications.Result`. Distance is the
household's trip-cost multiplier, cut at 0.7 and 1.1 (``catalogue.DISTANCE_BANDS``: about its
terciles); DTKS listing is the household's when it first applied. Nothing here runs the
model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.runner.catalogue import EQUITY_GROUPS
from sim.runner.records import mean_ci

GROUP_LABELS = {
    "en": {"all": "All enrolled households",
           "near": "Near the offices (trip-cost multiplier < 0.7)",
           "mid": "Middle distance (0.7 to < 1.1)",
           "far": "Far from the offices (>= 1.1)",
           "dtks": "Listed in the DTKS when applying",
           "not_dtks": "Not listed in the DTKS when applying"},
    "id": {"all": "Semua rumah tangga peserta",
           "near": "Dekat dari kantor (pengali ongkos < 0,7)",
           "mid": "Jarak menengah (0,7 s.d. < 1,1)",
           "far": "Jauh dari kantor (>= 1,1)",
           "dtks": "Terdaftar di DTKS saat mendaftar",
           "not_dtks": "Belum terdaftar di DTKS saat mendaftar"},
}
DIMENSION = {"near": "distance", "mid": "distance", "far": "distance", "dtks": "dtks",
             "not_dtks": "dtks", "all": "all"}
COLUMNS = ["group", "dimension", "label_en", "label_id", "reps", "households_enrolled",
           "visits_per_household", "visits_ci_low", "visits_ci_high",
           "cost_idr_per_household", "cost_ci_low", "cost_ci_high"]


def equity_table(result: Any) -> pd.DataFrame:
    """One row per group of enrolled households (all; near, middle, far; in the DTKS or
    not): households enrolled (mean per replication), in-person visits and transport cost
    per enrolled household over all their citizen cases (mean and 95% interval across
    replications; no interval from one replication), labels in both languages.

    Args:
        result: a :class:`~sim.runner.replications.Result` (its per-replication
            catalogue scalars; a run with ``cases=False`` has them too).
    """
    by_rep = result.scalars_by_rep()
    rows = []
    for group in ("all", *EQUITY_GROUPS):
        tail = "" if group == "all" else f"_{group}"
        visits = mean_ci(by_rep[f"visits_per_enrolled_household{tail}"].dropna())
        cost = mean_ci(by_rep[f"citizen_cost_idr_per_enrolled_household{tail}"].dropna())
        rows.append({
            "group": group, "dimension": DIMENSION[group],
            "label_en": GROUP_LABELS["en"][group], "label_id": GROUP_LABELS["id"][group],
            "reps": len(by_rep),
            "households_enrolled": float(by_rep[f"households_enrolled{tail}"].mean()),
            "visits_per_household": visits["mean"], "visits_ci_low": visits["ci_low"],
            "visits_ci_high": visits["ci_high"],
            "cost_idr_per_household": cost["mean"], "cost_ci_low": cost["ci_low"],
            "cost_ci_high": cost["ci_high"]})
    return pd.DataFrame(rows, columns=COLUMNS)


def write_equity(staged: Any, result: Any) -> list[str]:
    """Write ``equity.csv`` (:func:`equity_table`) through a
    :class:`~sim.runner.staging.StagedOutput`, as the run's other tables are written.
    Returns the files written."""
    staged.write_csv("equity.csv", equity_table(result))
    return ["equity.csv"]

