"""Demand-side sections of the scenario schema: who can enrol and how the pathway runs.

Time (dates and which pathway is in force), Population (the uninsured households and
institutions), Awareness, Behaviour (households' choices, burden and costs), the office
desks (``OfficeParams``, ``Offices`` and their defaults), Batches (BPJS cut-off, DTKS
updates), Program (target, budgets, premiums) and Exits (leaving the programme). Each
parameter carries its unit, range, meaning and source (see ``docs/sources.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.scenario.params import ASSUMPTION, D, P, _dated_values, _Section


# --------------------------------------------------------------------------- time
class Time(_Section):
    start: dt.date = D("2018-01-01", meaning="First simulated day.",
                       source="RPJMD 2018-2023, seed 1.7.1 (docs/sources.md#programme-and-target)")
    end: dt.date = D("2024-03-31", meaning="Last simulated day (inclusive).",
                     source="26,469 enrolled by March 2024, seed 1.7.1 (docs/sources.md#enrollment-in-march-2024)")
    online_from: dt.date | None = D(
        "2021-03-01",
        meaning="Date the Jambi Bugar website replaces the manual pathway for new applications; "
                "empty (omit or set pathway_mode='manual') means never.",
        source="Perwal Jambi No. 3/2021 (docs/sources.md#the-two-pathways); the month is an assumption")
    pathway_mode: Literal["switch", "manual", "online"] = P(
        "switch", unit="choice", source=ASSUMPTION,
        meaning="'switch': manual before online_from, online after; 'manual': website never; "
                "'online': website from the first day.")


# --------------------------------------------------------------------- population
class Population(_Section):
    n_kecamatan: int = P(11, unit="districts", lo=1, hi=50, plausible=(11, 11), plausible_source="11 kecamatan (docs/sources.md#administrative-units): fixed", source="11 kecamatan (docs/sources.md#administrative-units)",
                         meaning="Number of kecamatan, each with a Camat office.")
    n_kelurahan: int = P(62, unit="wards", lo=1, hi=500, plausible=(62, 62), plausible_source="62 kelurahan (docs/sources.md#administrative-units): fixed", source="62 kelurahan until 2022 (docs/sources.md#administrative-units)",
                         meaning="Number of kelurahan (Lurah offices) before the split.")
    n_kelurahan_new: int = P(6, unit="wards", lo=0, hi=100,
                             plausible=(6, 6), plausible_source="Kepmendagri 100.1.1-6117/2022 (docs/sources.md#administrative-units): fixed", source="6 more from Jan 2023, Kepmendagri 100.1.1-6117/2022 (docs/sources.md#administrative-units)",
                             meaning="Kelurahan created by splitting existing ones on split_date.")
    split_date: dt.date = D("2023-01-01", source="Kepmendagri 100.1.1-6117/2022 (docs/sources.md#administrative-units)",
                            meaning="Date the new kelurahan open their own Lurah offices.")
    n_rt: int = P(1652, unit="neighbourhoods", lo=1, hi=20000,
                  plausible=(1500, 1700), plausible_source="assumption around 1,652 RTs in 2024 (docs/sources.md#administrative-units)", source="1,652 RTs in Sept 2024, jambiprima.com (docs/sources.md#administrative-units)",
                  meaning="Number of RTs, each with an RT head.")
    uninsured_people_start: int = P(
        32344, unit="people", lo=0, hi=700000,
        plausible=(28000, 38000), plausible_source="assumption: about +-15% around the Dec 2017 figure (docs/sources.md#jkn-coverage)", source="604,772 - 572,428 covered by JKN in Dec 2017 (docs/sources.md#jkn-coverage)",
        meaning="Residents without any JKN card at the start.")
    eligible_share: float = P(0.85, unit="share", lo=0, hi=1, plausible=(0.7, 0.95), source=ASSUMPTION,
                              meaning="Share of the uninsured who belong to an eligible segment.")
    ineligible_applicant_share: float = P(
        0.05, unit="share", lo=0, hi=0.9, plausible=(0.0, 0.15), source=ASSUMPTION,
        meaning="Share of modelled households who think they qualify but are not eligible; "
                "they can apply and are rejected at the DTKS check.")
    household_size: float = P(4.74, unit="people/household", lo=1, hi=15,
                              plausible=(4.0, 5.0), source="4.74, average poor household, Jambi prov. Mar 2024, BPS (docs/sources.md#population-and-poverty)",
                              meaning="Mean members per poor household (1 + Poisson).")
    share_homeless_neglected: float = P(
        0.02, unit="share of households", lo=0, hi=1, plausible=(0.005, 0.05), source=ASSUMPTION,
        meaning="Households that are one homeless or neglected person (referred by Dinas Sosial).")
    share_mental_disorder: float = P(
        0.02, unit="share of households", lo=0, hi=1, plausible=(0.005, 0.05), source=ASSUMPTION,
        meaning="Households that are one person with a mental disorder (referred by Dinas Sosial).")
    lapas_residents: int = P(800, unit="people", lo=0, hi=20000, plausible=(400, 1200), source=ASSUMPTION,
                             meaning="Lapas Kota Jambi inmates without JKN, enrolled in bulk.")
    panti_jompo: int = P(2, unit="institutions", lo=0, hi=100, plausible=(1, 4), source=ASSUMPTION,
                         meaning="Old-age homes, each enrolling its residents in bulk.")
    panti_jompo_residents: int = P(50, unit="people/institution", lo=0, hi=2000, plausible=(25, 100), source=ASSUMPTION,
                                   meaning="Residents per old-age home.")
    panti_asuhan: int = P(10, unit="institutions", lo=0, hi=500, plausible=(5, 20), source=ASSUMPTION,
                          meaning="Orphanages, each enrolling its residents in bulk.")
    panti_asuhan_residents: int = P(40, unit="people/institution", lo=0, hi=2000, plausible=(20, 80), source=ASSUMPTION,
                                    meaning="Residents per orphanage.")
    arrivals_per_year: float = P(
        500.0, unit="households/year", lo=0, hi=100000,
        plausible=(100.0, 1500.0), source="assumption; city grew 591,134 (2017) to ~633,650 (2023) and PBI-JK fell "
               "175,264 (2022) to 165,174 (2024) (docs/sources.md#population-and-poverty, docs/sources.md#central-pbi-jk)",
        meaning="Newly eligible uninsured households (impoverishment, in-migration, people "
                "dropped from central PBI-JK), Poisson.")
    valid_docs_share: float = P(0.8, unit="share", lo=0, hi=1, plausible=(0.6, 0.95), source=ASSUMPTION,
                                meaning="Households holding a valid KK and KTP when they apply.")
    in_dtks_share: float = P(0.6, unit="share", lo=0, hi=1, plausible=(0.4, 0.8), source=ASSUMPTION,
                             meaning="Eligible households already listed in the DTKS register.")


# ---------------------------------------------------------------------- awareness
class Awareness(_Section):
    initial: float = P(0.40, unit="share", lo=0, hi=1,
                       plausible=(0.2, 0.6), source="assumption; seed: many poor did not know the program (docs/sources.md#citizen-burden-and-awareness)",
                       meaning="Share of households aware of Jambi Bugar on the first day.")
    background_per_year: float = P(0.30, unit="1/year", lo=0, hi=50, plausible=(0.1, 0.6), source=ASSUMPTION,
                                   meaning="Hazard of hearing of the program from media, clinics.")
    word_of_mouth_contacts: float = P(
        2.0, unit="contacts/enrolment", lo=0, hi=100, plausible=(0.5, 4.0), source=ASSUMPTION,
        meaning="Neighbours in the same RT told by a household when its card arrives.")
    word_of_mouth_days: float = P(60.0, unit="days", lo=0.1, hi=3650, plausible=(30.0, 120.0), source=ASSUMPTION,
                                  meaning="Mean delay before each word-of-mouth contact.")
    campaign_dates: tuple[dt.date, ...] = P(
        tuple(dt.date(y, m, 1) for y in range(2018, 2025) for m in (3, 9)),
        unit="dates", source=ASSUMPTION, strict=False,
        meaning="Dates of socialisation campaigns by the city (twice a year).")
    campaign_reach: float = P(0.15, unit="share", lo=0, hi=1, plausible=(0.05, 0.3), source=ASSUMPTION,
                              meaning="Share of unaware households a campaign makes aware.")


# ---------------------------------------------------------------------- behaviour
class Behaviour(_Section):
    apply_prob_manual: float = P(
        0.60, unit="probability", lo=0, hi=1,
        plausible=(0.4, 0.8), source="assumption; seed: registration thought too convoluted (docs/sources.md#citizen-burden-and-awareness)",
        meaning="Chance an aware household applies when the manual pathway is in force.")
    apply_prob_online: float = P(0.80, unit="probability", lo=0, hi=1, plausible=(0.6, 0.95), source=ASSUMPTION,
                                 meaning="Chance an aware household applies via the RT head online.")
    apply_delay_days: float = P(30.0, unit="days", lo=0, hi=3650, plausible=(10.0, 60.0), source=ASSUMPTION,
                                meaning="Mean delay from deciding to apply to the first visit.")
    reconsider_days: float = P(180.0, unit="days", lo=1, hi=36500, plausible=(90.0, 365.0), source=ASSUMPTION,
                               meaning="Mean time before a household that declined reconsiders.")
    docs_days: float = P(14.0, unit="days", lo=0, hi=3650, plausible=(7.0, 30.0), source=ASSUMPTION,
                         meaning="Mean time to obtain a valid KK/KTP at Dukcapil (one extra visit).")
    rework_days: float = P(10.0, unit="days", lo=0, hi=3650, plausible=(5.0, 20.0), source=ASSUMPTION,
                           meaning="Mean time for the citizen to gather missing documents.")
    travel_gap_days: float = P(3.0, unit="days", lo=0, hi=365, plausible=(1.0, 7.0), source=ASSUMPTION,
                               meaning="Mean gap before the citizen carries the file to the next "
                                       "office (manual pathway).")
    patience: float = P(1.0, unit="multiplier", lo=0.01, hi=100, plausible=(0.5, 2.0), source=ASSUMPTION,
                        meaning="Mean household tolerance multiplier (lognormal, sd 0.5).")
    burden_per_wait_day: float = P(0.002, unit="burden/day", lo=0, hi=10, plausible=(0.001, 0.004), source=ASSUMPTION,
                                   meaning="Burden a household feels per day waited.")
    burden_per_visit: float = P(0.06, unit="burden/visit", lo=0, hi=10,
                                plausible=(0.03, 0.12), source="assumption; seed: citizens went to many offices (docs/sources.md#citizen-burden-and-awareness)",
                                meaning="Burden a household feels per in-person visit.")
    burden_per_100k_idr: float = P(0.08, unit="burden/Rp100,000", lo=0, hi=10,
                                   plausible=(0.04, 0.16), source="assumption; seed: transport costs (docs/sources.md#citizen-burden-and-awareness)",
                                   meaning="Burden per Rp100,000 spent on trips.")
    cost_rt_idr: float = P(0.0, unit="IDR/visit", lo=0, hi=1e7, plausible=(0.0, 5000.0), source=ASSUMPTION,
                           meaning="Transport cost of a visit to the RT head (on foot).")
    cost_lurah_idr: float = P(10000.0, unit="IDR/visit", lo=0, hi=1e7, plausible=(5000.0, 20000.0), source=ASSUMPTION,
                              meaning="Mean round-trip transport to the Lurah office.")
    cost_camat_idr: float = P(20000.0, unit="IDR/visit", lo=0, hi=1e7, plausible=(10000.0, 40000.0), source=ASSUMPTION,
                              meaning="Mean round-trip transport to the Camat office.")
    cost_city_idr: float = P(40000.0, unit="IDR/visit", lo=0, hi=1e7,
                             plausible=(20000.0, 80000.0), source="assumption; seed: transport costs (docs/sources.md#citizen-burden-and-awareness)",
                             meaning="Mean round-trip transport to a city agency or Dukcapil.")


# ------------------------------------------------------------------------ offices
class OfficeParams(_Section):
    staff: int = P(1, unit="servers", lo=0, hi=1000, source=ASSUMPTION,
                   meaning="Staff serving Jambi Bugar cases in parallel (0 = closed).")
    service_days: float = P(1.0, unit="working days", lo=0.001, hi=365, source=ASSUMPTION,
                            meaning="Mean staff time per case.")
    service_cv: float = P(1.0, unit="coefficient of variation", lo=0, hi=5, source=ASSUMPTION,
                          meaning="Variation of the service time (1 = exponential; 0 = fixed; "
                                  "otherwise gamma).")
    rework_prob: float = P(0.05, unit="probability", lo=0, hi=0.95, source=ASSUMPTION,
                           meaning="Chance a case is returned for missing documents.")
    weekends: bool = P(True, unit="flag", source="Indonesian civil-service week (assumption)",
                       meaning="Closed on Saturdays and Sundays.")
    holidays: bool = P(True, unit="flag", source="national holidays and Lebaran leave (assumption)",
                       meaning="Closed on public holidays and collective leave.")
    year_end_closing_days: int = P(0, unit="days", lo=0, hi=60, source=ASSUMPTION,
                                   meaning="Last days of December closed for fiscal closing.")
    surge_backlog_days: float = P(
        5.0, unit="working days", lo=0, hi=365,
        source="assumption; offices answer a backlog with overtime, batch sessions and "
               "borrowed staff (issue 11)",
        meaning="Queued work, in working days per regular staff member, above which the "
                "office adds surge staff; below it the surge staff go back.")
    surge_extra_share: float = P(
        1.0, unit="share of staff", lo=0, hi=3,
        source="assumption; overtime and borrowed staff up to the desk again, i.e. twice "
               "the regular capacity (issue 11)",
        meaning="Extra servers during a surge, as a share of the regular staff (rounded "
                "down; 0 = no surge).")


# Office defaults (all assumptions): the programme desk of each office type.
OFFICE_DEFAULTS: dict[str, dict[str, Any]] = {
    "rt": dict(staff=1, service_days=1.0, rework_prob=0.05, weekends=False,
               surge_extra_share=0.0),
    "lurah": dict(staff=2, service_days=0.5, rework_prob=0.08),
    "camat": dict(staff=2, service_days=0.5, rework_prob=0.05),
    "dinsos": dict(staff=8, service_days=0.5, rework_prob=0.08, year_end_closing_days=7),
    "dinkes": dict(staff=4, service_days=0.5, rework_prob=0.05, year_end_closing_days=7),
    "bpjs": dict(staff=3, service_days=0.25, rework_prob=0.03),
}


def _office_plausible(stage: str) -> dict[str, tuple[float, float]]:
    """Plausible study ranges of one office's desk: half to twice its default staff, service
    time and rework chance (all assumptions)."""
    d = {**{k: v.default for k, v in OfficeParams.model_fields.items()},
         **OFFICE_DEFAULTS[stage]}
    staff = (max(1, d["staff"] // 2), 2 * d["staff"])
    rework = (d["rework_prob"] / 2, min(0.95, 2 * d["rework_prob"]))
    return {"staff": staff, "service_days": (d["service_days"] / 2, 2 * d["service_days"]),
            "service_cv": (0.5, 1.5),
            "rework_prob": rework,
            "year_end_closing_days": (0, 14) if d["year_end_closing_days"] else (0, 7),
            "surge_backlog_days": (2.0, 20.0),
            "surge_extra_share": (0.0, 2.0) if d["surge_extra_share"] else (0.0, 0.0)}


OFFICE_PLAUSIBLE_SOURCE = ("assumption: half to twice the default; surge 2 to 20 backlog "
                           "days and 0 to 2 extra share")


def _office(stage: str) -> Any:
    return Field(default_factory=lambda: OfficeParams(**OFFICE_DEFAULTS[stage]))


class Offices(_Section):
    """One desk per office type. A table in a file overrides only the keys it names."""

    rt: OfficeParams = _office("rt")
    lurah: OfficeParams = _office("lurah")
    camat: OfficeParams = _office("camat")
    dinsos: OfficeParams = _office("dinsos")
    dinkes: OfficeParams = _office("dinkes")
    bpjs: OfficeParams = _office("bpjs")

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: ({**OFFICE_DEFAULTS[k], **v} if k in OFFICE_DEFAULTS and isinstance(v, dict)
                    else v) for k, v in data.items()}


# ------------------------------------------------------------------ batch cycles
class Batches(_Section):
    bpjs_cutoff_day: int = P(
        20, unit="day of month", lo=1, hi=31,
        plausible=(15, 25), source="monthly cut-off for PBI APBD, non-UHC-Prioritas regions (docs/sources.md#bpjs-activation-and-uhc-prioritas); day: assumption",
        meaning="Registrations by this day activate on the 1st of next month, later ones a month on.")
    uhc_prioritas_from: dt.date | None = P(
        None, unit="date", strict=False,
        source="UHC Prioritas needs >=80% active members; Kota Jambi had 76.14% in 2024 (docs/sources.md#bpjs-activation-and-uhc-prioritas)",
        meaning="From this date cards activate the day of registration; empty = never.")
    dtks_fixes_per_year_before: int = P(3, unit="1/year", lo=1, hi=12,
                                        plausible=(2, 4), plausible_source="assumption around 3 a year in 2019 (docs/sources.md#dtks-updates)", source="DTKS fixed 3 times a year in 2019 (docs/sources.md#dtks-updates)",
                                        meaning="DTKS fixing dates per year before dtks_monthly_from.")
    dtks_monthly_from: dt.date = D("2021-01-01", source="Permensos 3/2021 (docs/sources.md#dtks-updates)",
                                   meaning="From this date the DTKS is updated monthly.")
    dtks_mismatch_prob: float = P(0.05, unit="probability", lo=0, hi=1, plausible=(0.02, 0.1), source=ASSUMPTION,
                                  meaning="Chance an eligible case's KK data mismatches the DTKS "
                                          "and is rejected.")


# ------------------------------------------------------------------------ program
class Program(_Section):
    target: int = P(30000, unit="people", lo=0, hi=1000000,
                    plausible=(30000, 30000), plausible_source="30,000, seed 1.7.1 (docs/sources.md#programme-and-target): fixed", source="30,000 people over 2018-2023, seed 1.7.1 (docs/sources.md#programme-and-target)",
                    meaning="Programme target; also the cap on active members (the quota).")
    observed_enrolled: int = P(26469, unit="people", lo=0, hi=1000000,
                               plausible=(26469, 26469), plausible_source="observation (docs/sources.md#enrollment-in-march-2024): fixed", source="26,469 by March 2024, Azzahro 2024 in seed 1.7.1 (docs/sources.md#enrollment-in-march-2024)",
                               meaning="Observation shown on the coverage figure (not used in runs).")
    budget_idr_by_year: dict[str, float] = P(
        {"2018": 6.9e9, "2019": 9.0e9, "2020": 12.6e9, "2021": 13.6e9, "2022": 14.9e9,
         "2023": 16.21e9, "2024": 16.21e9},
        unit="IDR/year",
        source="2021 Rp13.6 bn (Setyawati 2021) and 2023 Rp16.21 bn, seed 1.7.1 (docs/sources.md#budgets); other years "
               "assumption",
        meaning="Premium budget per year; caps active members at budget / yearly premium.")
    premium_idr_before: float = P(23000.0, unit="IDR/member/month", lo=0, hi=1e7,
                                  plausible=(23000.0, 23000.0), plausible_source="Perpres 19/2016 (docs/sources.md#premiums): fixed by law", source="Rp23,000 from April 2016, Perpres 19/2016 (docs/sources.md#premiums)",
                                  meaning="Class III premium before premium_change_date.")
    premium_idr_after: float = P(42000.0, unit="IDR/member/month", lo=0, hi=1e7,
                                 plausible=(42000.0, 42000.0), plausible_source="Perpres 75/2019 (docs/sources.md#premiums): fixed by law", source="Rp42,000 from 1 Aug 2019, Perpres 75/2019 (docs/sources.md#premiums)",
                                 meaning="Class III premium from premium_change_date.")
    premium_change_date: dt.date = D("2019-08-01", source="Perpres 75/2019 art. 29 (docs/sources.md#premiums)",
                                     meaning="Date the premium rises.")
    city_premium_idr_from: dict[str, float] = P(
        {}, unit="ISO date -> IDR/member/month", strict=False,
        source="the thesis's own arithmetic: the 2023 budget of Rp16.21 bn was 'for 30,000 "
               "people', Rp45,000 per member-month, above the full class III Rp42,000, and the "
               "Rp13.70 bn realised in 2023 is about 27,200 member-years at Rp42,000 (below the "
               "30,000 cap) but 30,200 at Rp37,800 (above it, which no run could reach) "
               "(docs/sources.md#premiums). So the city pays the full premium ({}). The "
               "reading where the central government pays part (Perpres 64/2020: Rp25,500 in "
               "Jul-Dec 2020, Rp37,800 from 2021; 30,000 x Rp37,800 x 12 = Rp13.608 bn, the "
               "2021 budget) is the sensitivity case scenarios/premium_shared.toml",
        meaning="What the city pays per member-month from each date, where it is less than "
                "the class III premium (the central government pays the rest); {} = the city "
                "pays the full premium.")
    budget_unsourced_scale: float = P(
        1.0, unit="multiplier", lo=0, hi=10, plausible=(0.8, 1.2), source=ASSUMPTION,
        meaning="Multiplies the budgets of the years without a source (all but 2021 and "
                "2023 in program.budget_idr_by_year), whose values are assumptions.")
    initial_members: int = P(
        0, unit="people", lo=0, hi=1000000, plausible=(5000, 25000),
        plausible_source="assumption; the 2018 budget (Rp6.9 bn, itself an assumption) pays "
                         "for about 25,000 at Rp23,000 (issue 11)",
        source="assumption; the programme is in RPJMD 2018-2023 and its 2018 budget pays for "
               "members from the first day (docs/sources.md#programme-and-target)",
        meaning="Active Jambi Bugar members (PBI APBD) on the first simulated day: eligible "
                "poor households already carded, who then leave, are re-verified and may "
                "reapply like everyone else.")

    @model_validator(mode="after")
    def _city_premiums_valid(self) -> Program:
        _dated_values("program.city_premium_idr_from", self.city_premium_idr_from, 0, 1e7,
                      "0 to 1e7 IDR")
        return self


# -------------------------------------------------------------------------- exits
class Exits(_Section):
    death_per_year: float = P(0.007, unit="1/person/year", lo=0, hi=1, plausible=(0.005, 0.01), source=ASSUMPTION,
                              meaning="Death hazard per member.")
    move_per_year: float = P(0.02, unit="1/household/year", lo=0, hi=5, plausible=(0.01, 0.04), source=ASSUMPTION,
                             meaning="Hazard of moving out of Kota Jambi.")
    income_rise_per_year: float = P(
        0.02, unit="1/household/year", lo=0, hi=5,
        plausible=(0.01, 0.06),
        plausible_source="BPS (docs/sources.md#population-and-poverty): Kota Jambi's poor fell from about 54,000 (2021) to 47,250 "
                         "(Mar 2024), a net fall of about 4.9%/year, after the province's rate rose "
                         "7.92% (2018) to 8.09% (2021); the gross hazard out of poverty is at least "
                         "the net fall in 2021-24, so the range reaches 6%/year",
        source="assumption; poverty fell 8.09% (2021) to 7.10% (2024), BPS (docs/sources.md#population-and-poverty)",
        meaning="Hazard of rising out of poverty (no longer eligible).")
    central_pbi_dates: tuple[dt.date, ...] = P(
        (dt.date(2019, 1, 1), dt.date(2020, 1, 1), dt.date(2021, 1, 1), dt.date(2022, 1, 1),
         dt.date(2023, 1, 1), dt.date(2024, 1, 1)),
        unit="dates", strict=False, source=ASSUMPTION,
        meaning="Dates the central PBI-JK quota is revised and takes over some households.")
    central_pbi_share: tuple[float, ...] = P(
        (0.02, 0.02, 0.02, 0.08, 0.02, 0.02), unit="share", strict=False,
        source="PBI-JK 134,064 (2021) -> 175,264 (2022) -> 170,142 (2023) (docs/sources.md#central-pbi-jk; Jambi "
               "Independent, 3 Jun 2024, which says regional members listed in DTKS were moved "
               "to central PBI-JK from 2021 under PMK 78/2020, hence the larger 2022 share); "
               "shares assumption",
        meaning="Share of households moved to central PBI-JK at each date (same length); "
                "they leave the city's stock but stay covered.")
    central_pbi_scale: float = P(
        1.0, unit="multiplier", lo=0, hi=10, plausible=(0.5, 2.0), source=ASSUMPTION,
        meaning="Multiplies every exits.central_pbi_share (the shares are assumptions).")
    reverification_dates: tuple[dt.date, ...] = P(
        tuple(dt.date(y, 7, 1) for y in range(2019, 2025)), unit="dates", strict=False,
        source="periodic data cleaning deactivates members in tranches (docs/sources.md#deactivation-and-reactivation); dates "
               "assumption",
        meaning="Dates of re-verification tranches.")
    reverification_share: float = P(0.04, unit="share", lo=0, hi=1, plausible=(0.02, 0.08), source=ASSUMPTION,
                                     meaning="Share of enrolled households deactivated per tranche.")
    reverification_wrongful: float = P(
        0.5, unit="share", lo=0, hi=1,
        plausible=(0.3, 0.7), source="assumption; deleted PBI members can be reactivated within 6 months, Permensos "
               "21/2019 (docs/sources.md#deactivation-and-reactivation)",
        meaning="Share of deactivated households still eligible (they may come back: "
                "reentry.*).")
