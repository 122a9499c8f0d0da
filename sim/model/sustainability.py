"""Sustainability to 2029: the inputs after the seed that decide whether coverage holds,
and the indicators that say whether it did.

Every input dated after March 2024 is an assumption (``Sustainability`` in the schema):

- **Budget.** ``fixed``: the last year in ``program.budget_idr_by_year`` carries on.
  ``responsive``: from ``responsive_from``, each January the year's budget is last year's
  realised premium spending x (1 + ``budget_headroom``), as budget offices set next
  year's ceiling from this year's realisation; the year's cap on active plus pending
  members follows it.
- **Premium changes** (``premium_changes``) enter the premium rate and the caps.
- **UHC Prioritas feedback** (``uhc_feedback``): at each month end the city is UHC
  Prioritas if JKN coverage > 98%, at least 80% of members are active and the year's
  premium spending is within its budget (no arrears) (docs/sources.md#bpjs-activation-and-uhc-prioritas).
  While it is, BPJS activates registrations the same day; otherwise at the monthly
  cut-off. Coverage = 1 - (eligible uninsured people in the model + ``other_uninsured``)
  / ``city_population``; the active share is ``active_share_2024`` (76.14%, docs/sources.md#jkn-coverage)
  moved by ``active_share_trend`` a year (assumption).

The indicators (:func:`indicators`) read the monthly timeseries only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from sim.engine.events import LATE, EventQueue
from sim.engine.worktime import Clock
from sim.model.component import Component
from sim.model.program import Ledger, Program
from sim.scenario import Scenario
from sim.scenario.schema import PAIRS

# The last month the thesis observed (26,469 active members in March 2024): every input
# after it is an assumption.
SEED_MONTH = dt.date(2024, 3, 31)
UHC_COVERAGE, UHC_ACTIVE = 0.98, 0.80  # docs/sources.md#bpjs-activation-and-uhc-prioritas


class SustainabilityRules(Component):
    """The budget rule and the UHC Prioritas feedback, run at year starts and month ends.

    Its timeseries columns (coverage, active share, arrears, UHC Prioritas, budget) are
    written with ``columns`` (the model sets it when coordination evolves, as in the
    sustainability scenarios), so the historical runs keep their columns."""

    def __init__(self, scenario: Scenario, clock: Clock, program: Program, ledger: Ledger,
                 uninsured: Callable[[], int], columns: bool = False):
        self.s = scenario.sustainability
        self.clock = clock
        self.program = program
        self.spent = ledger.spent_in  # premium spending of a calendar year so far (IDR)
        self.uninsured = uninsured  # eligible uninsured people in the model now
        self.columns = columns
        self.budgets = {int(y): v for y, v in scenario.program.budget_idr_by_year.items()}
        self.uhc = False
        self.coverage = math.nan
        self.active_share = math.nan
        self.arrears = False

    def budget_of(self, year: int) -> float:
        known = [y for y in self.budgets if y <= year] or sorted(self.budgets)[:1]
        return self.budgets[max(known)]

    def start(self, events: EventQueue) -> None:
        """A responsive budget is set each January 1st (before the quota admits)."""
        if self.s.budget_rule == "responsive":
            for t in self.program.year_starts():
                events.schedule(t, self.new_year, priority=LATE)

    def new_year(self, t: float) -> None:
        """January 1st: a responsive budget is set from last year's spending."""
        year = self.clock.date(t).year
        if self.s.budget_rule != "responsive" or year < self.s.responsive_from:
            return
        budget = self.spent(year - 1) * (1.0 + self.s.budget_headroom)
        self.budgets[year] = budget
        self.program.set_budget(year, budget)

    def month_end(self, t: float) -> None:
        """Coverage, active share and arrears; UHC Prioritas switches activation."""
        s, day = self.s, self.clock.date(t)
        self.coverage = 1.0 - (self.uninsured() + s.other_uninsured) / s.city_population
        years = (day - dt.date(2024, 1, 1)).days / 365.25
        self.active_share = min(1.0, max(0.0, s.active_share_2024 + s.active_share_trend * years))
        self.arrears = self.spent(day.year) > self.budget_of(day.year) + 1.0
        if s.uhc_feedback:
            self.uhc = (self.coverage > UHC_COVERAGE and self.active_share >= UHC_ACTIVE
                        and not self.arrears)
            self.program.set_uhc(self.uhc)

    def row(self, t: float) -> dict[str, Any]:
        """The timeseries columns at a month end (with ``columns``)."""
        if not self.columns:
            return {}
        return {"coverage_city": round(self.coverage, 6),
                "active_share": round(self.active_share, 6), "arrears": int(self.arrears),
                "uhc_prioritas": int(self.uhc),
                "budget_idr": self.budget_of(self.clock.date(t).year)}


# --------------------------------------------------------------------- indicators
def _months_after(dates: Sequence[str], when: dt.date) -> int:
    """Index of the first monthly row dated on or after ``when`` (len if none)."""
    key = when.isoformat()
    return next((i for i, d in enumerate(dates) if d >= key), len(dates))


def held_above(dates: Sequence[str], values: Sequence[float], when: dt.date,
               threshold: float) -> dict[str, Any]:
    """Sustainability indicator for one series after an event: the months it stayed at or
    above ``threshold`` before first falling below it, whether it held to the end, and the
    share of months at or above it; ``months_to_recover``: months after the event until it
    is back at or above the threshold after first falling below (NaN if it never fell, inf
    if it never came back)."""
    i = _months_after(dates, when)
    after = list(values[i:])
    if not after:
        return {"months_held": 0, "held_to_end": False, "share_above": math.nan,
                "months_to_recover": math.nan}
    below = next((k for k, v in enumerate(after) if v < threshold), None)
    back = math.nan if below is None else \
        next((float(k) for k in range(below, len(after)) if after[k] >= threshold), math.inf)
    return {"months_held": len(after) if below is None else below,
            "held_to_end": below is None,
            "share_above": sum(v >= threshold for v in after) / len(after),
            "months_to_recover": back}


def recovery_months(dates: Sequence[str], values: Sequence[float], when: dt.date,
                    tolerance: float = 0.02) -> float:
    """Months after ``when`` until the series is back within ``tolerance`` (relative) of
    its level just before ``when``; NaN if it never comes back, 0 if it never left."""
    i = _months_after(dates, when)
    if i == 0 or i >= len(values):
        return math.nan
    before = values[i - 1]
    after = list(values[i:])
    if all(v >= before * (1 - tolerance) for v in after):
        return 0.0
    dipped = False
    for k, v in enumerate(after):
        if v < before * (1 - tolerance):
            dipped = True
        elif dipped:
            return float(k)
    return math.nan


def refill_days(daily: Sequence[float], batch_days: Sequence[float]) -> list[float]:
    """Days from each removal batch until a daily series is back at its level before it.

    ``daily[k]`` is the level at the end of model day k; ``batch_days`` are the model times
    of the batches (several on one day count as one batch). For a batch on day d the level
    before it is ``daily[d - 1]``; the refill is k - d for the first day k >= d whose end
    level is at least that (0: back by the end of the batch's own day), NaN if no day of
    the series gets there. One number per batch day, in time order."""
    out = []
    for d in sorted({int(t) for t in batch_days}):
        if not 1 <= d < len(daily):
            continue
        before = daily[d - 1]
        out.append(next((float(k - d) for k in range(d, len(daily)) if daily[k] >= before),
                        math.nan))
    return out


def indicators(rows: Sequence[dict[str, Any]], scenario: Scenario) -> dict[str, float]:
    """Flat ``name -> float`` outcomes from one replication's monthly rows.

    - ``coord_<pair>_end``: each pair's state at the end;
    - ``sustain_<pair>_months``, ``sustain_<pair>_held``, ``sustain_<pair>_share``: after
      the event (the Tim's last meeting if it lapses, else the first transition), months
      the pair's state stayed at or above ``relations.threshold`` before first falling
      below it, 1 if it never fell below, and the share of months at or above it;
      ``sustain_<pair>_recover``: months after the event until it is back above the
      threshold (NaN: never fell; inf: never came back);
    - ``sustain_all_held``: 1 if every pair held;
    - ``recovery_months``: months until active members recover after the event (or the
      first staff rotation), NaN if never;
    - ``coverage_city_end``: JKN coverage of the city at the end (if recorded);
    - ``gap_steady``: mean of target - active members over the last 12 months;
    - ``refill_months_mean``: mean months to refill after each re-verification tranche
      after the seed (March 2024), NaN if none refilled.
    """
    r = scenario.relations
    dates = [row["date"] for row in rows]
    enrolled = [float(row["enrolled"]) for row in rows]
    out: dict[str, float] = {"enrolled_end": enrolled[-1] if enrolled else math.nan}
    event = r.tim_meetings_until or (r.transitions[0] if r.transitions else None)
    shock = event
    if r.rotations:
        shock = min(dt.date.fromisoformat(d) for d in r.rotations)
    held_all = True
    for pair in PAIRS:
        col = f"coord_{pair}"
        if not rows or col not in rows[0]:
            continue
        series = [float(row[col]) for row in rows]
        out[f"coord_{pair}_end"] = series[-1]
        if event is not None:
            h = held_above(dates, series, event, r.threshold)
            out[f"sustain_{pair}_months"] = float(h["months_held"])
            out[f"sustain_{pair}_held"] = float(h["held_to_end"])
            out[f"sustain_{pair}_share"] = float(h["share_above"])
            out[f"sustain_{pair}_recover"] = float(h["months_to_recover"])
            held_all = held_all and h["held_to_end"]
    if event is not None and rows and any(f"coord_{p}" in rows[0] for p in PAIRS):
        out["sustain_all_held"] = float(held_all)  # only where the pairs were followed
    if shock is not None:
        out["recovery_months"] = recovery_months(dates, enrolled, shock)
    if rows and "coverage_city" in rows[-1]:
        out["coverage_city_end"] = float(rows[-1]["coverage_city"])
    tail = rows[-12:]
    out["gap_steady"] = (sum(float(row["gap"]) for row in tail) / len(tail)) if tail else math.nan
    refills = [recovery_months(dates, enrolled, d, tolerance=0.0)
               for d in scenario.exits.reverification_dates if d > SEED_MONTH]
    refills = [x for x in refills if not math.isnan(x)]
    out["refill_months_mean"] = sum(refills) / len(refills) if refills else math.nan
    return out
