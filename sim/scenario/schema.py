"""Scenario schema: every model parameter, its unit, range, meaning and source.

A :class:`Scenario` is a frozen, validated pydantic model. Its defaults are the
historical baseline (manual pathway until the Jambi Bugar website went live under
Perwal Jambi No. 3/2021, online after). TOML files in ``scenarios/`` override
some of the defaults. The same schema feeds validation (``Scenario.from_toml``),
the parameter docs (``parameter_table``) and sensitivity bounds (``bounds``).

Sources are figures from a named document (the thesis "Analisis Interdepartemental
Coordination dalam Pelaksanaan Program Jambi Bugar di Kota Jambi", a regulation, a BPS
table, a news report), each with the section of ``docs/sources.md`` that records it, or
the word ``assumption``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.scenario.errors import ScenarioError, _clean, explain
from sim.scenario.source import decode, read_bytes
from sim.scenario.table import leaves, parameter_rows

ASSUMPTION = "assumption"
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def P(default: Any, *, unit: str, meaning: str, source: str, lo: float | None = None,
      hi: float | None = None, plausible: tuple[float, float] | None = None,
      plausible_source: str = ASSUMPTION, strict: bool | None = None) -> Any:
    """One parameter: default, unit, allowed range [lo, hi], meaning and source, in one place.

    ``plausible`` is the range a study samples (sensitivity analysis, sweeps): narrower than
    the validation range [lo, hi], which only says what the model can run. A plausible range
    with equal ends marks a fact the studies keep fixed (the number of kecamatan, a premium
    set by law)."""
    if plausible is not None:
        p_lo, p_hi = plausible
        if not ((lo is None or lo <= p_lo) and p_lo <= p_hi and (hi is None or p_hi <= hi)):
            raise ValueError(f"plausible range {plausible} must lie within [{lo}, {hi}]")
    extra = {"unit": unit, "source": source, "lo": lo, "hi": hi,
             "plausible": list(plausible) if plausible is not None else None,
             "plausible_source": plausible_source if plausible is not None else None}
    return Field(default, ge=lo, le=hi, description=meaning, json_schema_extra=extra,
                 strict=strict)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def D(default: str, *, meaning: str, source: str) -> Any:
    """A calendar date parameter (TOML date literal or ISO string)."""
    return P(dt.date.fromisoformat(default), unit="date", meaning=meaning, source=source,
             strict=False)


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
    reapply_prob: float = P(0.3, unit="probability", lo=0, hi=1, plausible=(0.1, 0.5), source=ASSUMPTION,
                            meaning="Chance a household wrongly rejected, or deactivated while "
                                    "still eligible, applies again.")
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
        {"2020-07-01": 25500.0, "2021-01-01": 37800.0},
        unit="ISO date -> IDR/member/month", strict=False,
        source="Perpres 64/2020 (Perpres 82/2018 as amended): class III Rp42,000; for PBPU "
               "class III registered and paid by a regional government the city pays the "
               "member's share, Rp25,500 in Jul-Dec 2020 (central Rp16,500), and from 2021 "
               "Rp35,000 plus its Rp2,800 part of the Rp7,000 contribution (central Rp4,200): "
               "Rp37,800 (Kompas 14 May 2020; Republika 14 May 2020; Grid/PMK on bantuan "
               "iuran); 30,000 x Rp37,800 x 12 = Rp13.608 bn, the 2021 budget (docs/sources.md#premiums). "
               "Which scheme Kota Jambi used is an assumption: {} (the full premium) is the "
               "sensitivity case scenarios/premium_full.toml",
        meaning="What the city pays per member-month from each date, where it is less than "
                "the class III premium (the central government pays the rest); {} = the city "
                "pays the full premium.")
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
        for day, value in self.city_premium_idr_from.items():
            _iso_key("program.city_premium_idr_from", day)
            if not (math.isfinite(value) and 0 <= value <= 1e7):
                raise ValueError(f"program.city_premium_idr_from[{day}] must be from 0 to "
                                 f"1e7 IDR, got {value!r}")
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
        meaning="Share of households moved to central PBI-JK at each date (same length).")
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
        meaning="Share of deactivated households still eligible (they may reapply).")


# ----------------------------------------------------------------- coordination
class Barriers(_Section):
    """Peters' (2018) seven barriers, each in [0, 1]; 0 = absent. See sim/coordination.py."""

    specialization: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                              meaning="Silos: data-format mismatches bounce cases between agencies.")
    power: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                     meaning="A dominant agency steers: hand-offs wait for its sign-off.")
    performance_management: float = P(
        0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
        meaning="Own targets first: cherry-picking and hand-offs held to the weekly report.")
    turf: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                    meaning="Agencies guard staff: less staff time for the programme.")
    beliefs: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                       meaning="Diverging eligibility judgements: downstream rejects upstream's yes.")
    politics: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                        meaning="Freezes around budget closings and elections.")
    accountability: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                              meaning="Strict lines of responsibility: extra verification rounds.")


class Hierarchy(_Section):
    enabled: bool = P(True, unit="flag", source="Tim Koordinasi JKN Daerah formed by the mayor "
                      "(docs/sources.md#tim-koordinasi-jkn-daerah)", meaning="Tim Koordinasi reviews and directs the agencies.")
    strength: float = P(0.5, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                        meaning="Weight of the Tim's directives on power and politics barriers.")
    review_interval_days: int = P(90, unit="days", lo=1, hi=3650,
                                  plausible=(30, 180), source="assumption; periodic review meetings (docs/sources.md#tim-koordinasi-jkn-daerah)",
                                  meaning="Days between review and evaluation meetings.")
    stall_days: int = P(60, unit="days", lo=0, hi=3650, plausible=(30, 120), source=ASSUMPTION,
                        meaning="Cases waiting longer than this are escalated at a review.")
    approval_sittings: bool = P(
        False, unit="flag",
        source="assumption; the seed describes the Tim as setting policy, coordinating and "
               "holding periodic review and evaluation meetings ('menetapkan kebijakan, "
               "mengoordinasikan ... pertemuan review dan evaluasi secara berkala'), not as "
               "approving cases (docs/sources.md#tim-koordinasi-jkn-daerah); off (issue 11)",
        meaning="A what-if only: submissions to BPJS wait for the Tim's approval sitting (a "
                "case gate). Off: the Tim acts through directives and review meetings.")
    approval_interval_days: int = P(14, unit="days", lo=1, hi=365, plausible=(7, 30), source=ASSUMPTION,
                                    meaning="Days between the Tim's approval sittings, when "
                                            "approval_sittings is on.")


class Network(_Section):
    enabled: bool = P(True, unit="flag", source="assumption; Peters' network mechanism (docs/sources.md#coordination-theory)",
                      meaning="Informal staff ties between agencies.")
    strength: float = P(0.3, unit="level", lo=0, hi=1, plausible=(0.0, 1.0), plausible_source="assumption: the whole scale", source=ASSUMPTION,
                        meaning="Share of hand-off latency and format bounces resolved informally.")


class Collaboration(_Section):
    enabled: bool = P(False, unit="flag", source="assumption; Peters' collaboration (docs/sources.md#coordination-theory)",
                      meaning="Shared database and joint verification.")
    strength: float = P(0.7, unit="level", lo=0, hi=1, plausible=(0.3, 1.0), source=ASSUMPTION,
                        meaning="How far the shared database removes mismatches and divergence.")


class Coordination(_Section):
    handoff_days_online: float = P(2.0, unit="working days", lo=0, hi=365, plausible=(1.0, 4.0), source=ASSUMPTION,
                                   meaning="Mean latency of an electronic hand-off.")
    handoff_days_paper: float = P(7.0, unit="working days", lo=0, hi=365, plausible=(3.0, 14.0), source=ASSUMPTION,
                                  meaning="Mean latency of a paper hand-off between agencies.")
    bounce_max: float = P(0.25, unit="probability", lo=0, hi=0.95, plausible=(0.1, 0.4), source=ASSUMPTION,
                          meaning="Bounce chance per inter-agency hand-off at specialization=1.")
    escalation_max: float = P(0.5, unit="probability", lo=0, hi=1, plausible=(0.25, 0.75), source=ASSUMPTION,
                              meaning="Chance of waiting for sign-off at power=1.")
    escalation_days: float = P(20.0, unit="working days", lo=0, hi=365, plausible=(10.0, 40.0), source=ASSUMPTION,
                               meaning="Mean wait for the dominant agency's sign-off.")
    report_hold_max: float = P(0.8, unit="probability", lo=0, hi=1, plausible=(0.5, 1.0), source=ASSUMPTION,
                               meaning="Chance a hand-off waits for the weekly report at "
                                       "performance_management=1.")
    cherry_pick_days: float = P(30.0, unit="working days", lo=0, hi=365, plausible=(15.0, 60.0), source=ASSUMPTION,
                                meaning="Queue handicap of a complex case at "
                                        "performance_management=1.")
    turf_capacity_loss: float = P(0.5, unit="share", lo=0, hi=0.95, plausible=(0.25, 0.75), source=ASSUMPTION,
                                  meaning="Share of agency staff time withheld at turf=1.")
    divergence_max: float = P(0.15, unit="probability", lo=0, hi=1, plausible=(0.05, 0.3), source=ASSUMPTION,
                              meaning="Chance downstream rejects an upstream-approved case at "
                                      "beliefs=1.")
    freeze_days: int = P(30, unit="days", lo=0, hi=365, plausible=(15, 60), source=ASSUMPTION,
                         meaning="Hand-off freeze around each election and year end at politics=1.")
    election_dates: tuple[dt.date, ...] = P(
        (dt.date(2018, 6, 27), dt.date(2019, 4, 17), dt.date(2020, 12, 9), dt.date(2024, 2, 14)),
        unit="dates", strict=False,
        source="assumption (Pilkada 2018, Pemilu 2019, Pilgub 2020, Pemilu 2024)",
        meaning="Election days; hand-offs freeze in the days before them.")
    verification_max: float = P(0.4, unit="probability", lo=0, hi=1, plausible=(0.2, 0.6), source=ASSUMPTION,
                                meaning="Chance of an extra verification round at "
                                        "accountability=1.")
    verification_days: float = P(10.0, unit="working days", lo=0, hi=365, plausible=(5.0, 20.0), source=ASSUMPTION,
                                 meaning="Mean time an extra verification round waits for "
                                         "letters and sign-offs before the re-check.")
    hierarchy: Hierarchy = Field(default_factory=Hierarchy)
    network: Network = Field(default_factory=Network)
    collaboration: Collaboration = Field(default_factory=Collaboration)


# ------------------------------------------------------- coordination dynamics
PAIRS = ("dinsos_dinkes", "dinkes_bpjs", "dinsos_bpjs")


class Relations(_Section):
    """Working trust (relational capital) between each pair of agencies, in [0, 1], moved
    by the agencies' own experience. See sim/relations.py for each rule and its source."""

    enabled: bool = P(False, unit="flag",
                      source="assumption; off keeps the historical baseline (fixed dials) "
                             "exactly as calibrated",
                      meaning="Coordination evolves: each pair's state moves with experience "
                              "and scales how strongly the barriers bite on its hand-offs.")
    initial_state: float = P(0.5, plausible=(0.3, 0.7), unit="state", lo=0, hi=1, source=ASSUMPTION,
                       meaning="Each pair's state on the first day; the barrier levels bite "
                               "exactly as set when a pair is at this state.")
    bite_k: float = P(0.8, plausible=(0.4, 0.95), unit="1/state", lo=0, hi=0.99, source=ASSUMPTION,
                      meaning="k in effective level = level x (1 - k s) / (1 - k s0): how far "
                              "trust s blunts the barriers on a pair's hand-offs.")
    threshold: float = P(0.4, plausible=(0.3, 0.5), unit="state", lo=0, hi=1, source=ASSUMPTION,
                         meaning="Working threshold for the sustainability indicator.")
    gain_per_handoff: float = P(
        0.002, plausible=(0.0005, 0.005), unit="share of (1 - s)", lo=0, hi=1,
        source="assumption; coordination is easier at the implementation level, with real "
               "clients (docs/sources.md#coordination-theory)",
        meaning="Growth per case handed off between the pair without a bounce.")
    loss_per_bounce: float = P(0.003, plausible=(0.001, 0.01), unit="share of s", lo=0, hi=1,
                               source="assumption; Peters' specialization (docs/sources.md#coordination-theory)",
                               meaning="Erosion per case bounced between the pair.")
    loss_per_blame: float = P(0.02, plausible=(0.005, 0.05), unit="share of s", lo=0, hi=1,
                              source="assumption; Peters' accountability (docs/sources.md#coordination-theory)",
                              meaning="Erosion per case the downstream agency rejects after "
                                      "upstream approved it (blame).")
    review_gain: float = P(
        0.30, plausible=(0.1, 0.5), unit="share of (1 - s)", lo=0, hi=1,
        source="assumption; Tim Koordinasi holds periodic review and evaluation meetings "
               "(docs/sources.md#tim-koordinasi-jkn-daerah)",
        meaning="Growth of every pair at each Tim review meeting, times hierarchy strength.")
    tie_gain_per_month: float = P(
        0.03, plausible=(0.01, 0.06), unit="share of (1 - s) per month", lo=0, hi=1,
        source="assumption; Peters' networks, formal and informal ties (docs/sources.md#coordination-theory)",
        meaning="Monthly growth from informal ties, times the pair's tie strength.")
    ties_regrow_per_month: float = P(0.02, plausible=(0.005, 0.05),
                                     unit="share of gap per month", lo=0, hi=1,
                                     source=ASSUMPTION,
                                     meaning="Monthly regrowth of broken informal ties toward "
                                             "network strength.")
    collab_gain_per_month: float = P(
        0.03, plausible=(0.01, 0.06), unit="share of (1 - s) per month", lo=0, hi=1,
        source="assumption; Peters' collaboration: shared database, joint verification "
               "(docs/sources.md#coordination-theory)",
        meaning="Monthly growth from shared data, times collaboration strength, while the "
                "website is kept up.")
    decay_per_month: float = P(0.04, plausible=(0.02, 0.08),
                               unit="share of s per month", lo=0, hi=1, source=ASSUMPTION,
                               meaning="Monthly erosion without upkeep (relationships fade).")
    transition_loss: float = P(
        0.3, plausible=(0.1, 0.5), unit="share of s", lo=0, hi=1,
        source="assumption; Peters' politics: different political masters (docs/sources.md#coordination-theory)",
        meaning="Share of every pair's state lost at a political transition.")
    rotation_loss: float = P(0.5, plausible=(0.2, 0.8), unit="share", lo=0, hi=1,
                             source="assumption; staff rotation breaks informal ties",
                             meaning="Share of state and of informal ties lost by the pairs "
                                     "of an agency whose staff rotate.")
    pressure_queue_per_staff: float = P(
        10.0, plausible=(5.0, 20.0), unit="cases/staff", lo=0.1, hi=1000,
        source="assumption; Peters' performance management (docs/sources.md#coordination-theory)",
        meaning="Queue per staff member at which an agency is fully pressed on its own targets.")
    pressure_effect: float = P(
        0.5, plausible=(0.2, 1.0), unit="multiplier", lo=0, hi=10,
        source="assumption; Peters' performance management (docs/sources.md#coordination-theory)",
        meaning="A fully pressed agency gains (1 - pressure_effect) of its joint-work trust and "
                "holds hand-offs for its report (1 + pressure_effect) times as often.")
    dominant: Literal["dinsos", "dinkes", "bpjs"] = P(
        "bpjs", unit="agency", source="assumption; Peters' power (docs/sources.md#coordination-theory)",
        meaning="The dominant agency, which sets the pace of joint steps on its pairs.")
    pace_drag: float = P(0.5, plausible=(0.2, 0.8), unit="share", lo=0, hi=1,
                         source="assumption; Peters' power (docs/sources.md#coordination-theory)",
                         meaning="At power = 1, growth on the dominant agency's pairs is cut by "
                                 "this share.")
    transitions: tuple[dt.date, ...] = P(
        (dt.date(2023, 12, 1),), unit="dates", strict=False,
        source="assumption; a Pj Walikota was in office by March 2024 (seed); the handover "
               "date is not in the seed",
        meaning="Political transitions (new or acting mayor).")
    rpjmd_end: dt.date | None = D(
        "2024-01-01", source="RPJMD 2018-2023 ends (docs/sources.md#programme-and-target)",
        meaning="End of the medium-term plan: the programme loses its plan mandate; a "
                "transition of its own (transition_loss); empty = never.")
    rotations: dict[str, str] = P(
        {}, unit="date -> agency", strict=False, source=ASSUMPTION,
        meaning="Staff rotations: ISO date -> agency (dinsos, dinkes or bpjs) that loses its "
                "key staff.")
    tim_meetings_until: dt.date | None = P(
        None, unit="date", strict=False, source=ASSUMPTION,
        meaning="After this date the Tim Koordinasi holds no more review meetings; empty = "
                "it keeps meeting.")
    website_upkeep_until: dt.date | None = P(
        None, unit="date", strict=False, source=ASSUMPTION,
        meaning="After this date the shared website is no longer kept up: no collaboration "
                "gain; empty = kept up.")

    @model_validator(mode="after")
    def _rotations_valid(self) -> Relations:
        for day, agency in self.rotations.items():
            _iso_key("relations.rotations", day)
            if agency not in ("dinsos", "dinkes", "bpjs"):
                raise ValueError(f"relations.rotations[{_clean(repr(day))}] must be one of "
                                 f"dinsos, dinkes, bpjs, got {_clean(repr(agency))}")
        if list(self.transitions) != sorted(self.transitions):
            raise ValueError("relations.transitions must be in increasing order")
        return self


def _iso_key(name: str, key: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(key)
    except (TypeError, ValueError):
        raise ValueError(f"{name} keys must be ISO dates like '2025-01-01', "
                         f"got {_clean(repr(key))}") from None
    if not (MIN_DATE <= day <= MAX_DATE):
        raise ValueError(f"{name} key {key} is outside {MIN_DATE} to {MAX_DATE}")
    return day


# ------------------------------------------------------------- sustainability
class Sustainability(_Section):
    """Inputs after the seed (March 2024) that decide whether coverage holds to 2029;
    every one is an assumption. See sim/sustainability.py."""

    budget_rule: Literal["fixed", "responsive"] = P(
        "fixed", unit="choice", source=ASSUMPTION,
        meaning="'fixed': budget_idr_by_year (last year carried on); 'responsive': from "
                "responsive_from each year's budget is last year's premium spending x "
                "(1 + budget_headroom), as budget offices do.")
    responsive_from: int = P(2025, plausible=(2025, 2025),
                             unit="year", lo=1900, hi=2100, source=ASSUMPTION,
                             meaning="First budget year set by the responsive rule.")
    budget_headroom: float = P(0.05, plausible=(-0.05, 0.15),
                               unit="share", lo=-0.9, hi=5, source=ASSUMPTION,
                               meaning="Margin a responsive budget adds to last year's spending.")
    premium_changes: dict[str, float] = P(
        {}, unit="ISO date -> IDR/member/month", strict=False, source=ASSUMPTION,
        meaning="Premium changes after premium_change_date (for example a 2026 rise).")
    single_agency_from: dt.date | None = P(
        None, unit="date", strict=False,
        source="assumption; the Dinas Kesehatan official: involving two agencies was not "
               "effective (seed)",
        meaning="From this date Dinas Sosial handles enrollment end to end: new cases skip the "
                "Dinas Sosial -> Dinas Kesehatan hand-off; empty = never.")
    uhc_feedback: bool = P(False, unit="flag",
                           source="UHC Prioritas: >98% coverage, >=80% active, no arrears "
                                  "(docs/sources.md#bpjs-activation-and-uhc-prioritas)",
                           meaning="Check UHC Prioritas each month end; while it holds BPJS "
                                   "activates the day of registration.")
    city_population: int = P(633650, plausible=(633650, 633650), unit="people", lo=1, hi=10000000,
                             source="about 633,650 mid-2023, BPS (docs/sources.md#population-and-poverty)",
                             meaning="Residents, the denominator of JKN coverage.")
    other_uninsured: int = P(
        0, plausible=(0, 2000), unit="people", lo=0, hi=10000000,
        source="assumption; 98.49% covered in 2024 (docs/sources.md#jkn-coverage) leaves about 9,600 uninsured",
        meaning="Uninsured residents outside the model's eligible households.")
    active_share_2024: float = P(0.7614, plausible=(0.7614, 0.7614), unit="share", lo=0, hi=1,
                                 source="76.14% of members active in 2024, UHC award (docs/sources.md#jkn-coverage)",
                                 meaning="Share of JKN members active in 2024.")
    active_share_trend: float = P(0.01, plausible=(0.0, 0.02),
                                  unit="share/year", lo=-0.5, hi=0.5, source=ASSUMPTION,
                                  meaning="Yearly change of the active share from 2024.")

    @model_validator(mode="after")
    def _premiums_valid(self) -> Sustainability:
        for day, value in self.premium_changes.items():
            _iso_key("sustainability.premium_changes", day)
            if not (math.isfinite(value) and 0 <= value <= 1e7):
                raise ValueError(f"sustainability.premium_changes[{day}] must be from 0 to "
                                 f"1e7 IDR, got {value!r}")
        return self


# ----------------------------------------------------------------------- scenario
class Scenario(_Section):
    """A frozen, validated scenario. Defaults are the historical baseline."""

    name: str = P("baseline", unit="text", source=ASSUMPTION, meaning="Short scenario name.")
    description: str = P("", unit="text", source=ASSUMPTION, meaning="What the scenario asks.")
    calibrated_by: str = P(
        "", unit="text", source=ASSUMPTION,
        meaning="Where this scenario's calibrated values come from (the calibration report); "
                "empty = uncalibrated. Figures say 'uncalibrated' unless it is set.")
    time: Time = Field(default_factory=Time)
    population: Population = Field(default_factory=Population)
    awareness: Awareness = Field(default_factory=Awareness)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    offices: Offices = Field(default_factory=Offices)
    batches: Batches = Field(default_factory=Batches)
    program: Program = Field(default_factory=Program)
    exits: Exits = Field(default_factory=Exits)
    barriers: Barriers = Field(default_factory=Barriers)
    coordination: Coordination = Field(default_factory=Coordination)
    relations: Relations = Field(default_factory=Relations)
    sustainability: Sustainability = Field(default_factory=Sustainability)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Scenario:
        t = self.time
        for name, day in (("time.start", t.start), ("time.end", t.end)):
            if not (MIN_DATE <= day <= MAX_DATE):
                raise ValueError(f"{name} = {day} is outside the supported range "
                                 f"{MIN_DATE} to {MAX_DATE}")
        if t.end <= t.start:
            raise ValueError(f"time.end ({t.end}) must be after time.start ({t.start})")
        if (t.end - t.start).days > 366 * 40:
            raise ValueError("time.end - time.start must be at most 40 years")
        if t.pathway_mode == "switch" and t.online_from is None:
            raise ValueError("time.online_from must be a date when time.pathway_mode = 'switch'")
        e = self.exits
        if len(e.central_pbi_dates) != len(e.central_pbi_share):
            raise ValueError("exits.central_pbi_share must have one value per "
                             "exits.central_pbi_dates entry")
        if any(not (0 <= s <= 1) or math.isnan(s) for s in e.central_pbi_share):
            raise ValueError("exits.central_pbi_share values must be between 0 and 1")
        for name, dates in (("awareness.campaign_dates", self.awareness.campaign_dates),
                            ("exits.central_pbi_dates", e.central_pbi_dates),
                            ("exits.reverification_dates", e.reverification_dates),
                            ("coordination.election_dates", self.coordination.election_dates)):
            if list(dates) != sorted(dates):
                raise ValueError(f"{name} must be in increasing order")
        for year in self.program.budget_idr_by_year:
            if not (year.isascii() and year.isdigit() and len(year) == 4):
                raise ValueError(f"program.budget_idr_by_year keys must be years like '2021', "
                                 f"got {_clean(repr(year))}")
        if not self.program.budget_idr_by_year:
            raise ValueError("program.budget_idr_by_year needs at least one year, e.g. "
                             "{ \"2021\" = 13.6e9 }")
        if any(v < 0 or not math.isfinite(v) for v in self.program.budget_idr_by_year.values()):
            raise ValueError("program.budget_idr_by_year values must be finite and >= 0")
        return self

    def __iter__(self):  # type: ignore[override]
        """A scenario is one value, not a collection: Mesa's ``batch_run`` treats any
        iterable parameter as a list of values to sweep, so iteration is refused."""
        raise TypeError("a Scenario is not iterable; use model_dump() for its fields")

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Load and validate a scenario file; raises ScenarioError with a one-paragraph message.
        The file is read once (at most 1 MiB; see :mod:`sim.scenario.source`)."""
        if not isinstance(path, (str, Path)) and not hasattr(path, "__fspath__"):
            raise TypeError(f"path must be a path to a TOML file (str or Path), got "
                            f"{type(path).__name__}")
        return cls.from_bytes(read_bytes(path), origin=_clean(str(path)))

    @classmethod
    def from_bytes(cls, data: bytes, origin: str = "<scenario>") -> Scenario:
        """Validate the bytes of a scenario file (read them with ``read_bytes``, hash the same
        bytes for provenance). ``origin`` names the source in messages."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data must be the bytes of a TOML file, got "
                            f"{type(data).__name__}")
        text = decode(bytes(data), origin)
        try:
            parsed = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{origin}: not valid TOML ({_clean(str(exc))}). Check quotes, "
                                f"brackets and 'key = value' lines.") from None
        except RecursionError:
            raise ScenarioError(f"{origin}: not valid here: arrays or tables nested too "
                                f"deeply.") from None
        return cls.from_dict(parsed, origin=origin)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "<scenario>") -> Scenario:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(explain(exc, origin, cls)) from None

    def with_overrides(self, **overrides: Any) -> Scenario:
        """A copy with flat overrides: a unique leaf name (``turf=0.5``) or a path with
        double underscores (``offices__dinsos__staff=6``) or dots (``**{"barriers.turf": 0.5}``).
        A whole float for an integer parameter (a sampled ``6.0``) is taken as the integer."""
        if not overrides:
            return self
        data = self.model_dump()
        for key, value in overrides.items():
            path = _resolve(key)
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = _coerce(key, path, value)
        return Scenario.from_dict(data, origin=f"overrides {sorted(overrides)}")




# --------------------------------------------------------------- schema helpers
def _resolve(key: str) -> tuple[str, ...]:
    """A flat override name to its schema path: a unique leaf name (``turf``), a path with
    double underscores (``barriers__turf``) or with dots (``barriers.turf``)."""
    paths = [p for p, _ in leaves(Scenario)]
    if "__" in key or "." in key:
        path = tuple(key.replace("__", ".").split("."))
        if path in set(paths):
            return path
        dotted = ".".join(path)
        close = difflib.get_close_matches(dotted, [".".join(p) for p in paths], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ScenarioError(f"override '{_clean(key)}': no parameter at {_clean(dotted)}.{hint}")
    matches = [p for p in paths if p[-1] == key]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = sorted({p[-1] for p in paths})
        close = difflib.get_close_matches(key, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ScenarioError(f"override '{_clean(key)}': no such parameter.{hint} Use a leaf name "
                            f"such as 'turf' or a path such as 'offices__dinsos__staff' or "
                            f"'offices.dinsos.staff'.")
    raise ScenarioError(f"override '{key}' is ambiguous: use one of "
                        f"{', '.join('.'.join(m) for m in matches)}.")


def _integers() -> set[tuple[str, ...]]:
    return {p for p, info in leaves(Scenario) if info.annotation is int}


def _coerce(key: str, path: tuple[str, ...], value: Any) -> Any:
    """An override value as the schema wants it: numpy scalars become Python numbers, and a
    whole float (a sampled ``6.0``) becomes an int for an integer parameter."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()
    if path in _integers() and isinstance(value, float) and not isinstance(value, bool):
        if not value.is_integer():
            raise ScenarioError(f"override '{_clean(key)}' = {value!r}: "
                                f"{'.'.join(path)} is a whole number (round sampled values, "
                                f"or see bounds(), which says which parameters are integers).")
        value = int(value)
    return value


def parameter_table() -> list[dict[str, Any]]:
    """One row per parameter: path, default, unit, range, plausible range, meaning, source."""
    rows = parameter_rows(Scenario)
    for row in rows:
        parts = row["parameter"].split(".")
        if parts[0] == "offices" and len(parts) == 3:
            rng = _office_plausible(parts[1]).get(parts[2])
            if rng is not None:
                row["plausible_lo"], row["plausible_hi"] = rng
                row["plausible_source"] = OFFICE_PLAUSIBLE_SOURCE
    return rows


class Bound(tuple):
    """``(lo, hi)`` of one parameter, with ``.integer`` (a whole number) and ``.path``."""

    integer: bool
    path: str

    def __new__(cls, lo: float, hi: float, integer: bool = False, path: str = "") -> Bound:
        self = super().__new__(cls, (lo, hi))
        self.integer, self.path = integer, path
        return self

    @property
    def lo(self) -> float:
        return self[0]

    @property
    def hi(self) -> float:
        return self[1]


def bounds(names: list[str] | None = None, kind: str = "plausible") -> dict[str, Bound]:
    """Ranges of numeric parameters for studies: ``{name: Bound(lo, hi)}``.

    Args:
        names: parameter names exactly as ``sim.run`` and ``Scenario.with_overrides`` accept
            them (``turf``, ``barriers__turf``, ``barriers.turf``); the keys of the result are
            the names as given. None: every numeric parameter whose plausible range is not a
            single value, keyed by dotted path.
        kind: ``"plausible"`` (default) for the range a study samples, or ``"validation"``
            for the range the schema accepts.

    Raises ScenarioError for an unknown, ambiguous or non-numeric name, and for a named
    parameter that studies keep fixed (its plausible range is one value).
    """
    if kind not in ("plausible", "validation"):
        raise ScenarioError(f"bounds(kind={kind!r}): kind must be 'plausible' or 'validation'.")
    rows = {r["parameter"]: r for r in parameter_table()}
    lo_key, hi_key = ("plausible_lo", "plausible_hi") if kind == "plausible" else ("lo", "hi")

    def bound(row: dict[str, Any]) -> Bound:
        cast = int if row["integer"] else float
        return Bound(cast(row[lo_key]), cast(row[hi_key]), row["integer"], row["parameter"])

    if names is None:
        return {p: bound(r) for p, r in rows.items()
                if r[lo_key] is not None and r[hi_key] is not None and r[lo_key] < r[hi_key]}
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"names must be None or a list of parameter names such as "
                        f"['turf', 'offices.dinsos.staff'], got {names!r}")
    out: dict[str, Bound] = {}
    for name in names:
        path = ".".join(_resolve(name))
        row = rows[path]
        if row[lo_key] is None or row[hi_key] is None:
            raise ScenarioError(f"bounds: '{_clean(name)}' ({path}) is not a numeric parameter "
                                f"with a range; only numbers can be sampled.")
        if kind == "plausible" and row[lo_key] == row[hi_key]:
            raise ScenarioError(f"bounds: '{_clean(name)}' ({path}) is kept fixed in studies "
                                f"(plausible range {row[lo_key]} to {row[hi_key]}; "
                                f"{row['plausible_source']}); use kind='validation' to vary it.")
        out[name] = bound(row)
    return out


def load_scenario(scenario: Any) -> Scenario:
    """A Scenario from a Scenario, a TOML path, or None (the historical baseline)."""
    if scenario is None:
        return Scenario()
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, Path)) or hasattr(scenario, "__fspath__"):
        return Scenario.from_toml(scenario)
    kind = ("a dict (use Scenario.from_dict(data))" if isinstance(scenario, dict) else
            "bytes (use Scenario.from_bytes(data))" if isinstance(scenario, (bytes, bytearray))
            else f"{type(scenario).__name__} {_clean(repr(scenario))[:40]}")
    raise TypeError(f"scenario must be a Scenario, a path to a TOML file (str or Path) or None "
                    f"for the historical baseline, got {kind}")
