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


# Distance bands of the equity outputs, in the model's unit of distance: a household's
# trip-cost multiplier (``Household.cost_factor``, lognormal with mean 1; a trip costs the
# office's base fare times it). The fixed cut points 0.7 and 1.1 are about its terciles
# (32%, 35% and 33% of households), so the bands are near, middle and far thirds.
DISTANCE_BANDS = {"near": (0.0, 0.7), "mid": (0.7, 1.1), "far": (1.1, float("inf"))}
BAND_MEANINGS = {
    "near": "near the offices (trip-cost multiplier below 0.7)",
    "mid": "at a middle distance (trip-cost multiplier 0.7 to below 1.1)",
    "far": "far from the offices (trip-cost multiplier 1.1 or more)",
    "dtks": "listed in the DTKS (social-welfare register) when they first applied",
    "not_dtks": "not listed in the DTKS when they first applied",
}
EQUITY_GROUPS = tuple(BAND_MEANINGS)


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
    # coordination outcomes (issue 22)
    Output("days_to_card_no_quota_median", "days",
           "Median over enrolled citizen cases of the days from application to card less "
           "the days the case waited at the quota for a slot (the budget or target cap): "
           "the part of the wait the offices' coordination makes. Equal to "
           "days_to_card_median when no case waited.", True),
    Output("days_to_card_no_quota_median_manual", "days",
           "days_to_card_no_quota_median over the cases that applied under the manual "
           "pathway.", True),
    Output("days_to_card_no_quota_median_online", "days",
           "days_to_card_no_quota_median over the cases that applied under the online "
           "pathway.", True),
    Output("quota_wait_days_mean", "days",
           "Mean days enrolled citizen cases waited at the quota for a slot (0 for a case "
           "admitted on arrival).", True),
    Output("removal_batches", "batches",
           "Removal batches in the run: dates of a re-verification tranche or a central "
           "PBI-JK take-over with a share above 0 (exits.*; two on one day count once)."),
    Output("removal_batches_refilled", "batches",
           "Removal batches after which active members got back, within the run, to their "
           "level at the end of the day before the batch."),
    Output("refill_days_mean", "days",
           "Mean over the refilled removal batches of the days from the batch to the first "
           "day that ends with active members at least at their level at the end of the "
           "day before it (0: back the same day); NaN if none refilled."),
    Output("stranded_rejected_people", "people",
           "Eligible people who are not members on the end date because their household's "
           "last case was rejected wrongly (DTKS mismatch, divergent judgement): the "
           "accounting's 'rejected' (acct_rejected_end; households found ineligible are "
           "not counted as eligible)."),
    Output("stranded_deactivated_people", "people",
           "Eligible people who are not members on the end date because re-verification "
           "deactivated their household while still eligible and it is not back: the "
           "accounting's 'deactivated' (acct_deactivated_end)."),
    Output("budget_absorption_<year>", "share",
           "Premiums paid in one calendar year over the premium budget in force that year "
           "(premium_idr_<year> / the budget the cap uses: program.budget_idr_by_year, the "
           "last year given carried on, unsourced years x program.budget_unsourced_scale, "
           "or the responsive rule's), e.g. budget_absorption_2023; the first and last "
           "simulated years are partial, against a whole year's budget; NaN without a "
           "budget."),
    *[Output(f"households_enrolled_{g}", "households",
             f"Households {m} with at least one enrolled citizen case by the end date.", True)
      for g, m in BAND_MEANINGS.items()],
    *[Output(f"visits_per_enrolled_household_{g}", "visits/household",
             f"visits_per_enrolled_household over the enrolled households {m}.", True)
      for g, m in BAND_MEANINGS.items()],
    *[Output(f"citizen_cost_idr_per_enrolled_household_{g}", "IDR/household",
             f"citizen_cost_idr_per_enrolled_household over the enrolled households {m}.",
             True)
      for g, m in BAND_MEANINGS.items()],
]}

YEARLY_PREFIX = "premium_idr_"
YEARLY_PREFIXES = ("premium_idr_", "member_months_", "active_members_",
                   "citizen_applications_", "budget_absorption_")


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
        cases: that replication's outcome table (``sim.runner.records.outcome_table``,
            what ``run_one`` passes, with or without tables), or its case table
            (``run_one(...).cases``: the days without the quota wait and the equity
            outputs are then NaN), or None: the outputs marked ``needs_cases`` in OUTPUTS
            are then NaN.
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
    out["stranded_rejected_people"] = out["acct_rejected_end"]
    out["stranded_deactivated_people"] = out["acct_deactivated_end"]
    refills = [float(d) for d in stats.get("refill_days", [])]
    refilled = [d for d in refills if not np.isnan(d)]
    out["removal_batches"] = float(len(refills)) if "refill_days" in stats else NAN
    out["removal_batches_refilled"] = float(len(refilled)) if "refill_days" in stats else NAN
    out["refill_days_mean"] = float(np.mean(refilled)) if refilled else NAN
    budgets = stats.get("budget_idr_by_year", {})
    yearly = {"member_months_": stats.get("member_months_by_year", {}),
              "active_members_": stats.get("active_by_year_end", {}),
              "citizen_applications_": stats.get("citizen_applied_by_year", {})}
    for year in range(t.start.year, t.end.year + 1):
        out[f"{YEARLY_PREFIX}{year}"] = premiums.get(str(year), 0.0)
        for prefix, values in yearly.items():
            out[f"{prefix}{year}"] = float(values.get(str(year), 0.0))
        budget = float(budgets.get(str(year), NAN))
        out[f"budget_absorption_{year}"] = out[f"{YEARLY_PREFIX}{year}"] / budget \
            if 0 < budget < float("inf") else NAN
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
    # the outcome table (run_one) has the columns of the coordination and equity outputs;
    # the case table (cases.csv) has not: those outputs are then NaN
    full = {"days_to_card_no_quota", "quota_days", "cost_factor", "in_dtks"} <= \
        set(cases.columns)
    if applied:  # vectorised per-household aggregates (no Python call per household)
        hh = pd.DataFrame({
            "enrolled": by_hh["_enrolled"].any(),
            "open": by_hh["_open"].any(),
            "visits": by_hh["visits"].sum(),
            "cost": by_hh["cost_idr"].sum(),
            # fixed for the household; the DTKS listing of its first citizen case
            **({"cost_factor": by_hh["cost_factor"].first(),
                "in_dtks": by_hh["in_dtks"].first()} if full else {}),
        })
    else:
        hh = pd.DataFrame(columns=["enrolled", "open", "visits", "cost", "cost_factor",
                                   "in_dtks"])
    n_enrolled = int(hh["enrolled"].sum())
    lost = int((~hh["enrolled"].astype(bool) & ~hh["open"].astype(bool)).sum())
    days = citizen.loc[citizen["outcome"] == "enrolled", "days_to_card"].to_numpy(dtype=float)
    carded = hh[hh["enrolled"].astype(bool)]
    done = citizen[citizen["_enrolled"]]
    by_path = {p: done[done["pathway"] == p] for p in ("manual", "online")} \
        if "pathway" in done else {}

    def mean(frame: pd.DataFrame | None, col: str) -> float:
        return float(frame[col].mean()) if frame is not None and len(frame) else NAN

    coordination = _coordination_scalars(done, by_path, carded) if full else \
        dict.fromkeys(COORDINATION_CASE_OUTPUTS, NAN)
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
    } | coordination


# The case outputs the outcome table gives and the case table does not.
COORDINATION_CASE_OUTPUTS = (
    "days_to_card_no_quota_median", "days_to_card_no_quota_median_manual",
    "days_to_card_no_quota_median_online", "quota_wait_days_mean",
    *[f"{what}_{g}" for what in ("households_enrolled", "visits_per_enrolled_household",
                                 "citizen_cost_idr_per_enrolled_household")
      for g in EQUITY_GROUPS])


def _coordination_scalars(done: pd.DataFrame, by_path: dict[str, pd.DataFrame],
                          carded: pd.DataFrame) -> dict[str, float]:
    """Days to card without the quota wait (enrolled citizen cases ``done``, and by
    pathway), and visits and cost of the enrolled households ``carded`` by distance band
    and DTKS listing."""
    out = {"days_to_card_no_quota_median":
           _q(done["days_to_card_no_quota"].to_numpy(float), 0.5),
           "quota_wait_days_mean": float(done["quota_days"].mean()) if len(done) else NAN}
    for p in ("manual", "online"):
        frame = by_path.get(p)
        out[f"days_to_card_no_quota_median_{p}"] = NAN if frame is None else \
            _q(frame["days_to_card_no_quota"].to_numpy(float), 0.5)
    factor = carded["cost_factor"].to_numpy(float)
    dtks = carded["in_dtks"].to_numpy(bool)
    groups = {g: (factor >= lo) & (factor < hi) for g, (lo, hi) in DISTANCE_BANDS.items()}
    groups |= {"dtks": dtks, "not_dtks": ~dtks}
    for g, rows in groups.items():
        n = int(rows.sum())
        out[f"households_enrolled_{g}"] = float(n)
        out[f"visits_per_enrolled_household_{g}"] = \
            float(carded["visits"].to_numpy(float)[rows].mean()) if n else NAN
        out[f"citizen_cost_idr_per_enrolled_household_{g}"] = \
            float(carded["cost"].to_numpy(float)[rows].mean()) if n else NAN
    return out
