"""The outcome catalogue: scalar outcomes of one replication, each named for what it counts.

``OUTPUTS`` lists every scalar with its unit and meaning; ``scalars(stats, cases, scenario)``
computes them for one replication from ``run_one(...).stats`` and its case table. Every value
is a float, NaN where undefined (no enrolled case, so no median days to card). Sweeps,
sensitivity analysis and ``Result.scalars()`` all use these names.

Words: **people** are residents (a household's members); a **household** is the unit that
applies; a **case** is one application (a household may make several: after a rejection, an
abandonment or a deactivation). Citizen figures leave out the referral route (homeless,
neglected, mentally ill and institutional residents enrolled by Dinas Sosial), as the
summary's days to card and visits do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model.accounting import ACCOUNTS
from sim.model.cases import REFERRAL_ROUTES

NAN = float("nan")

# What each account of sim.model.accounting holds on the end date (people).
ACCOUNT_MEANINGS = {
    "active": "with an active Jambi Bugar card",
    "never_applied": "eligible and uninsured, with no application yet (aware or not)",
    "in_pipeline": "with a case open on its route (not waiting for a slot)",
    "waiting_slot": "waiting for a slot: a case at the full quota, or turned away at a full "
                    "front door and coming back",
    "abandoned": "whose last case was given up (or who gave up at the front door)",
    "rejected": "whose last case was rejected",
    "deactivated": "deactivated while still eligible and not back",
    "moved_to_pbi_jk": "taken over by central PBI-JK (covered, outside the city's stock)",
    "moved_away": "who moved out of Kota Jambi",
    "no_longer_eligible": "who rose out of poverty or were found ineligible at "
                          "re-verification",
    "died": "who died",
}


@dataclass(frozen=True)
class Output:
    name: str
    unit: str
    meaning: str
    needs_cases: bool = False  # computed from the case table (NaN when it is not kept)


OUTPUTS: dict[str, Output] = {o.name: o for o in [
    Output("active_members_end", "people",
           "Active Jambi Bugar members on the end date (the quota-capped count)."),
    Output("gap_to_target", "people",
           "Programme target minus active members on the end date (negative: above target)."),
    Output("people_ever_enrolled", "people",
           "People ever carded since the first day: members of every household that had an "
           "active card at some time (the initial stock included, all routes), counted once, "
           "as many as it had when first carded. Reading B of the 26,469 observation."),
    Output("jkn_coverage_end", "share",
           "JKN coverage of the city on the end date: 1 - (uninsured eligible people + "
           "sustainability.other_uninsured) / sustainability.city_population."),
    Output("days_to_card_median_manual", "days",
           "Median days from application to card, enrolled citizen cases that applied "
           "under the manual pathway.", True),
    Output("visits_per_enrolled_case_manual", "visits/case",
           "In-person visits (offices and Dukcapil) per enrolled citizen case that applied "
           "under the manual pathway.", True),
    Output("visits_per_enrolled_case_online", "visits/case",
           "In-person visits per enrolled citizen case that applied under the online "
           "pathway.", True),
    Output("households_applied", "households",
           "Households that made at least one citizen case (manual or online route).", True),
    Output("households_enrolled", "households",
           "Households with at least one enrolled citizen case by the end date.", True),
    Output("households_never_carded", "households",
           "Households that applied but had no card by the end date (lost or still waiting).",
           True),
    Output("households_lost", "households",
           "Households that applied, got no card and have no case still open on the end date "
           "(every case abandoned or rejected).", True),
    Output("share_households_lost", "share",
           "households_lost / households_applied.", True),
    Output("days_to_card_median", "days",
           "Median days from application to active card over enrolled citizen cases.", True),
    Output("days_to_card_p90", "days",
           "90th percentile of days to card over enrolled citizen cases.", True),
    Output("visits_per_enrolled_household", "visits/household",
           "In-person visits of enrolled households, over all their citizen cases (failed "
           "earlier attempts included), per enrolled household.", True),
    Output("citizen_cost_idr_per_enrolled_household", "IDR/household",
           "Transport cost of enrolled households, over all their citizen cases, per enrolled "
           "household.", True),
    *[Output(f"acct_{k}_end", "people",
             f"Accounting on the end date: people ever eligible {m} (sim.model.accounting; "
             f"the acct_*_end add up to ever_eligible_end).")
      for k, m in ACCOUNT_MEANINGS.items()],
    Output("ever_eligible_end", "people",
           "Everyone who has been eligible since the start date (the first day's uninsured "
           "eligible and members, newcomers, people dropped from central PBI-JK), counted "
           "once, as many as a household had when it came."),
    Output("applications_turned_away", "applications",
           "Applications turned away at a full front door ('kuota penuh'; "
           "rationing.front_door), a household counted each time."),
    Output("comeback_applications", "applications",
           "Re-applications and reactivation requests after a wrongful rejection or a "
           "deactivation (reentry.*)."),
    Output("people_from_pbi_jk", "people",
           "People dropped from central PBI-JK who entered the pool (demand.pbi_drop_*)."),
    Output("cases_applied", "cases", "Cases opened (all routes)."),
    Output("cases_enrolled", "cases", "Cases that ended with an active card."),
    Output("cases_rejected", "cases", "Cases rejected (DTKS check, divergence, ineligible)."),
    Output("cases_abandoned", "cases", "Cases the household gave up or left before a card."),
    Output("cases_in_process", "cases", "Cases still open on the end date."),
    Output("case_handoffs", "hand-offs",
           "Hand-offs of cases between offices processed (a case counts once per hand-off)."),
    Output("premium_idr_total", "IDR", "Premiums paid for members over the whole run."),
    Output("premium_idr_per_year", "IDR/year",
           "premium_idr_total divided by the simulated years (end - start + 1 day)."),
    Output("premium_idr_<year>", "IDR",
           "Premiums paid in one calendar year (one output per simulated year, e.g. "
           "premium_idr_2021)."),
    Output("member_months_<year>", "member-months",
           "Active members x months paid in one calendar year (premium_idr_<year> over the "
           "rate in force), e.g. member_months_2023."),
    Output("active_members_<year>", "people",
           "Active members on the last simulated day of one calendar year (31 December, or "
           "the end date), e.g. active_members_2020."),
    Output("citizen_applications_<year>", "cases",
           "Citizen cases (manual or online route) opened in one calendar year."),
]}

YEARLY_PREFIX = "premium_idr_"
YEARLY_PREFIXES = ("premium_idr_", "member_months_", "active_members_",
                   "citizen_applications_")


def is_output(name: str) -> bool:
    """A catalogue name, or a yearly premium name such as ``premium_idr_2021``."""
    if name in OUTPUTS and "<" not in name:
        return True
    for prefix in YEARLY_PREFIXES:
        tail = name.removeprefix(prefix)
        if name.startswith(prefix) and len(tail) == 4 and tail.isdigit():
            return True
    return False


def check_outputs(outputs: Any, scenario: Any = None, what: str = "outputs") -> list[str]:
    """``outputs`` as a list of catalogue names, or a ValueError (a ScenarioError) naming
    ``what`` and every unknown name: a misspelt output, a string in place of a list, or a
    yearly output outside the simulated years of ``scenario`` (when given), which could
    only ever be NaN."""
    from sim.scenario.errors import ScenarioError

    if isinstance(outputs, str) or not isinstance(outputs, (list, tuple)) or \
            not all(isinstance(o, str) for o in outputs):
        raise ScenarioError(f"{what} must be a list of output names such as "
                            f"['gap_to_target'], got {outputs!r:.80}")
    if not outputs:
        raise ScenarioError(f"{what} must name at least one output (sim.OUTPUTS).")
    bad = [o for o in outputs if not is_output(o)]
    if scenario is not None:
        t = scenario.time
        bad += [o for o in outputs if o not in bad and o not in OUTPUTS and
                not t.start.year <= int(o[-4:]) <= t.end.year]
    if bad:
        years = (f" (yearly outputs exist for {scenario.time.start.year} to "
                 f"{scenario.time.end.year}, the simulated years)" if scenario is not None
                 else "")
        raise ScenarioError(f"{what}: unknown {', '.join(map(repr, bad))}{years}; allowed: "
                            f"{', '.join(output_names())}, and per year: "
                            f"{', '.join(p + '<year>' for p in YEARLY_PREFIXES)}.")
    seen = sorted({o for o in outputs if outputs.count(o) > 1})
    if seen:
        raise ScenarioError(f"{what}: {', '.join(map(repr, seen))} given more than once.")
    return list(outputs)


def output_names() -> list[str]:
    """Every fixed name in the catalogue (yearly premiums left out)."""
    return [n for n in OUTPUTS if "<" not in n]


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else NAN


def scalars(stats: dict[str, Any], cases: pd.DataFrame | None, scenario: Any) -> dict[str, float]:
    """Every catalogue scalar of ONE replication, as floats (NaN where undefined).

    Args:
        stats: ``run_one(...).stats`` (see ``sim.runner.records.rep_stats``).
        cases: that replication's case table (``run_one(...).cases``), or None: the outputs
            marked ``needs_cases`` in OUTPUTS are then NaN.
        scenario: the Scenario that was run (target and simulated years).
    """
    active = float(stats["enrolled_end"])
    premiums = {str(y): float(v) for y, v in stats.get("premium_idr_by_year", {}).items()}
    t = scenario.time
    years = ((t.end - t.start).days + 1) / 365.25
    total = float(sum(premiums.values()))
    out: dict[str, float] = {
        "active_members_end": active,
        "gap_to_target": float(scenario.program.target) - active,
        "cases_applied": float(stats["applied"]),
        "cases_enrolled": float(stats.get("enrolled", 0)),
        "cases_rejected": float(stats.get("rejected", 0)),
        "cases_abandoned": float(stats.get("abandoned", 0)),
        "cases_in_process": float(stats["in_process"]),
        "case_handoffs": float(stats["handoffs"]),
        "premium_idr_total": total,
        "premium_idr_per_year": total / years if years > 0 else NAN,
    }
    out["people_ever_enrolled"] = float(stats.get("people_ever_enrolled", NAN))
    accounts, flows = stats.get("accounts_end", {}), stats.get("flows", {})
    for k in ACCOUNTS:
        out[f"acct_{k}_end"] = float(accounts.get(k, NAN))
    out["ever_eligible_end"] = float(stats.get("ever_eligible", NAN))
    out["applications_turned_away"] = float(flows.get("turned_away", NAN))
    out["comeback_applications"] = float(flows.get("comebacks", NAN))
    out["people_from_pbi_jk"] = float(flows.get("from_pbi_jk", NAN))
    out["jkn_coverage_end"] = float(stats.get("jkn_coverage_end", NAN))
    yearly = {"member_months_": stats.get("member_months_by_year", {}),
              "active_members_": stats.get("active_by_year_end", {}),
              "citizen_applications_": stats.get("citizen_applied_by_year", {})}
    for year in range(t.start.year, t.end.year + 1):
        out[f"{YEARLY_PREFIX}{year}"] = premiums.get(str(year), 0.0)
        for prefix, values in yearly.items():
            out[f"{prefix}{year}"] = float(values.get(str(year), 0.0))
    out.update(_case_scalars(cases))
    return out


def _case_scalars(cases: pd.DataFrame | None) -> dict[str, float]:
    names = [n for n, o in OUTPUTS.items() if o.needs_cases]
    if cases is None:
        return dict.fromkeys(names, NAN)
    citizen = cases[~cases["route"].isin(REFERRAL_ROUTES)]
    citizen = citizen.assign(_enrolled=citizen["outcome"] == "enrolled",
                             _open=citizen["outcome"] == "in_process")
    by_hh = citizen.groupby("household_id")
    applied = by_hh.ngroups
    if applied:  # vectorised per-household aggregates (no Python call per household)
        hh = pd.DataFrame({
            "enrolled": by_hh["_enrolled"].any(),
            "open": by_hh["_open"].any(),
            "visits": by_hh["visits"].sum(),
            "cost": by_hh["cost_idr"].sum(),
        })
    else:
        hh = pd.DataFrame(columns=["enrolled", "open", "visits", "cost"])
    n_enrolled = int(hh["enrolled"].sum())
    lost = int((~hh["enrolled"].astype(bool) & ~hh["open"].astype(bool)).sum())
    days = citizen.loc[citizen["outcome"] == "enrolled", "days_to_card"].to_numpy(dtype=float)
    carded = hh[hh["enrolled"].astype(bool)]
    done = citizen[citizen["_enrolled"]]
    by_path = {p: done[done["pathway"] == p] for p in ("manual", "online")} \
        if "pathway" in done else {}

    def mean(frame: pd.DataFrame | None, col: str) -> float:
        return float(frame[col].mean()) if frame is not None and len(frame) else NAN

    return {
        "days_to_card_median_manual": _q(by_path["manual"]["days_to_card"].to_numpy(float), 0.5)
        if by_path else NAN,
        "visits_per_enrolled_case_manual": mean(by_path.get("manual"), "visits"),
        "visits_per_enrolled_case_online": mean(by_path.get("online"), "visits"),
        "households_applied": float(applied),
        "households_enrolled": float(n_enrolled),
        "households_never_carded": float(applied - n_enrolled),
        "households_lost": float(lost),
        "share_households_lost": lost / applied if applied else NAN,
        "days_to_card_median": _q(days, 0.5),
        "days_to_card_p90": _q(days, 0.9),
        "visits_per_enrolled_household": float(carded["visits"].mean()) if n_enrolled else NAN,
        "citizen_cost_idr_per_enrolled_household": float(carded["cost"].mean())
        if n_enrolled else NAN,
    }
