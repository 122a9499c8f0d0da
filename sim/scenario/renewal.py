"""Open-system sections of the scenario schema: demand that renews, households that come
back, the front door when the quota is full, and the city's dated policy levers.

* ``demand``: the state of awareness on the first day, the inflow of newly eligible
  households by date (the 2020-21 impoverishment), people dropped from central PBI-JK,
  the website's socialisation, RT heads who recruit, and illness that sends a household
  to enrol;
* ``reentry``: re-application after a wrongful rejection or a deactivation as a hazard
  that remembers past attempts, and reactivation through Dinas Sosial;
* ``rationing``: "kuota penuh" at the front door, and what turned-away households do;
* ``policy``: the target and the cap by date, and registration drives.

Each parameter carries its unit, range, meaning and source (see ``docs/sources.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import model_validator

from sim.scenario.params import ASSUMPTION, P, _dated_values, _Section


class Demand(_Section):
    initial_state: Literal["reconsidering", "deciding"] = P(
        "reconsidering", unit="choice", source=ASSUMPTION,
        meaning="Households aware on the first day: 'reconsidering' (they have known of the "
                "programme for a while; each next decides after the remaining time of its "
                "think-again wait, exponential with mean behaviour.reconsider_days: the "
                "steady state of the decide-or-think-again loop, so no start-up spike); "
                "'deciding' (all decide within weeks of the first day: the 2018 spike of "
                "versions before issue 20).")
    inflow_factor_from: dict[str, float] = P(
        {"2020-04-01": 2.0, "2021-04-01": 1.0}, unit="ISO date -> multiplier", strict=False,
        source="BPS Provinsi Jambi: poor people 277.80 thousand (Mar 2020) -> 293.86 thousand "
               "(Mar 2021), +16.06 thousand, attributed to Covid-19, then 279.37 thousand (Mar "
               "2022); Kota Jambi had about 54,000 of them in 2021 "
               "(docs/sources.md#renewing-demand-and-re-entry). Kota Jambi's share of the rise "
               "is about 2,950 people, about one "
               "more year of the baseline inflow: factor 2 over Apr 2020-Mar 2021 (the share "
               "of them without JKN as in the baseline: assumption)",
        meaning="Multiplier of population.arrivals_per_year from each date on (the latest date "
                "in force applies; 1 before the first).")
    pbi_drop_dates: tuple[dt.date, ...] = P(
        (dt.date(2023, 1, 1), dt.date(2024, 1, 1)), unit="dates", strict=False,
        source="central PBI-JK in Kota Jambi fell 175,264 (2022) -> 170,142 (2023) -> 165,174 "
               "(2024) (docs/sources.md#central-pbi-jk); the dates are the yearly revisions "
               "(assumption)",
        meaning="Dates people dropped from central PBI-JK in the city's revision arrive.")
    pbi_drop_people: tuple[int, ...] = P(
        (5122, 4968), unit="people", strict=False,
        source="the net falls of central PBI-JK in Kota Jambi, 175,264 - 170,142 and 170,142 - "
               "165,174 (docs/sources.md#central-pbi-jk): a lower bound of the gross drops",
        meaning="People dropped from central PBI-JK at each date (same length as the dates).")
    pbi_drop_eligible_share: float = P(
        0.2, unit="share", lo=0, hi=1, plausible=(0.05, 0.5), source=ASSUMPTION,
        meaning="Share of the people dropped from central PBI-JK who are poor, without "
                "another card and eligible for Jambi Bugar; they arrive aware of it.")
    website_reach: float = P(
        0.15, unit="share", lo=0, hi=1, plausible=(0.0, 0.4),
        source="assumption; the website's technical guidelines, Perwal Jambi No. 3/2021, were "
               "socialised when it opened (docs/sources.md#the-two-pathways)",
        meaning="Share of unaware households who hear of the programme when the website opens "
                "(time.online_from).")
    rt_recruit_per_year: float = P(
        0.2, unit="1/household/year", lo=0, hi=50, plausible=(0.0, 0.5),
        source="assumption; under Perwal Jambi No. 3/2021 the RT head recommends eligible "
               "residents (docs/sources.md#the-two-pathways)",
        meaning="From the website's opening: hazard that an unaware household hears of the "
                "programme from its RT head.")
    illness_per_year: float = P(
        0.1, unit="1/household/year", lo=0, hi=10, plausible=(0.0, 0.3), source=ASSUMPTION,
        meaning="Hazard that an uninsured eligible household has an illness that needs care "
                "it cannot pay for (the thesis: the uninsured poor cannot get adequate care "
                "when ill).")
    illness_apply_prob: float = P(
        0.5, unit="probability", lo=0, hi=1, plausible=(0.2, 0.9), source=ASSUMPTION,
        meaning="Chance that a household that falls ill applies (sent by the puskesmas or "
                "hospital to the pathway in force) rather than going without.")
    illness_apply_days: float = P(
        7.0, unit="days", lo=0, hi=365, plausible=(1.0, 30.0), source=ASSUMPTION,
        meaning="Mean delay from falling ill to the application.")

    @model_validator(mode="after")
    def _tables_valid(self) -> Demand:
        _dated_values("demand.inflow_factor_from", self.inflow_factor_from, 0, 100,
                      "0 to 100")
        if len(self.pbi_drop_dates) != len(self.pbi_drop_people):
            raise ValueError("demand.pbi_drop_people must have one value per "
                             "demand.pbi_drop_dates entry")
        if any(n < 0 or n > 10_000_000 for n in self.pbi_drop_people):
            raise ValueError("demand.pbi_drop_people values must be from 0 to 10,000,000")
        if list(self.pbi_drop_dates) != sorted(self.pbi_drop_dates):
            raise ValueError("demand.pbi_drop_dates must be in increasing order")
        return self


class Reentry(_Section):
    reapply_per_year: float = P(
        1.0, unit="1/household/year", lo=0, hi=50, plausible=(0.2, 2.0), source=ASSUMPTION,
        meaning="Hazard that a household wrongly rejected, or deactivated while still "
                "eligible, applies again (its first try after the setback).")
    memory: float = P(
        0.5, unit="multiplier", lo=0, hi=1, plausible=(0.2, 1.0), source=ASSUMPTION,
        meaning="Each earlier setback multiplies the hazard of trying again (1 = no memory; "
                "0 = one try only).")
    reactivation_prob: float = P(
        0.3, unit="probability", lo=0, hi=1, plausible=(0.0, 0.6),
        source="assumption; a deleted PBI member can be reactivated within 6 months, Permensos "
               "21/2019 (docs/sources.md#deactivation-and-reactivation)",
        meaning="Chance that a household deactivated while still eligible asks Dinas Sosial to "
                "reactivate it (Dinas Sosial -> quota -> BPJS, no visits); otherwise it may "
                "apply again from the RT head.")
    reactivation_days: float = P(
        60.0, unit="days", lo=0, hi=180, plausible=(15.0, 150.0),
        source="assumption within the 6 months of Permensos 21/2019 "
               "(docs/sources.md#deactivation-and-reactivation)",
        meaning="Mean delay from the deactivation to the request for reactivation.")


class Rationing(_Section):
    front_door: bool = P(
        True, unit="flag",
        source="assumption; a Dinas Sosial proposal for JKN PBI takes about a month "
               "'depending on the quota' (a service standard elsewhere in Indonesia, "
               "docs/sources.md#renewing-demand-and-re-entry)",
        meaning="When the quota is full (active and admitted members at the cap, or cases "
                "already waiting), the RT head turns new applicants away ('kuota penuh') "
                "instead of opening a case.")
    retry_prob: float = P(
        0.5, unit="probability", lo=0, hi=1, plausible=(0.2, 0.9), source=ASSUMPTION,
        meaning="Chance that a household turned away at the front door comes back later; "
                "otherwise it gives up and thinks again as one that declined.")
    retry_days: float = P(
        90.0, unit="days", lo=1, hi=3650, plausible=(30.0, 180.0), source=ASSUMPTION,
        meaning="Mean time before a turned-away household comes back.")


class Policy(_Section):
    target_from: dict[str, int] = P(
        {}, unit="ISO date -> people", strict=False, source=ASSUMPTION,
        meaning="Dated changes of the target (and so of the cap, with "
                "policy.target_is_cap): the latest in force applies; program.target before "
                "the first. For scenarios after March 2024.")
    target_is_cap: bool = P(
        True, unit="flag",
        source="assumption; the 2023 budget was 'for 30,000 people' (thesis, ch. 1), which "
               "reads as a quota",
        meaning="The target caps active plus admitted members (a hard quota); off: only the "
                "budget caps them.")
    cap_until: dt.date | None = P(
        None, unit="date", strict=False, source=ASSUMPTION,
        meaning="From this date the target no longer caps the stock (the city drops its "
                "quota): only the budget caps it. Empty: the target caps throughout, as "
                "policy.target_is_cap says. For scenarios after March 2024.")
    drive_dates: tuple[dt.date, ...] = P(
        (), unit="dates", strict=False, source=ASSUMPTION,
        meaning="Dates of registration drives: the city registers uninsured eligible "
                "residents in bulk.")
    drive_share: float = P(
        0.5, unit="share", lo=0, hi=1, plausible=(0.1, 0.9), source=ASSUMPTION,
        meaning="Share of the uninsured eligible households without an open case that a "
                "drive registers.")
    drive_checked: bool = P(
        True, unit="flag", source=ASSUMPTION,
        meaning="A drive's cases go through Dinas Sosial's and Dinas Kesehatan's checks "
                "(the referral route); off: straight to the quota and BPJS.")

    @model_validator(mode="after")
    def _tables_valid(self) -> Policy:
        _dated_values("policy.target_from", self.target_from, 0, 10_000_000,
                      "0 to 10,000,000 people")
        if list(self.drive_dates) != sorted(self.drive_dates):
            raise ValueError("policy.drive_dates must be in increasing order")
        return self
