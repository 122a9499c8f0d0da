"""Coordination-side sections of the scenario schema: how the agencies work together.

Peters' seven barriers (``Barriers``) and three mechanisms (``Hierarchy``, ``Network``,
``Collaboration``), the effect sizes of the barriers (``Coordination``), the working trust
between each pair of agencies (``PAIRS``, ``Relations``) and the inputs after March 2024
that decide whether coverage holds (``Sustainability``). Each parameter carries its unit,
range, meaning and source (see ``docs/sources.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.errors import _clean
from sim.scenario.offices import AGENCIES
from sim.scenario.params import ASSUMPTION, D, P, _dated_values, _iso_key, _Section


# ----------------------------------------------------------------- coordination
class Barriers(_Section):
    """Peters' (2018) seven barriers, each in [0, 1]; 0 = absent. See sim/model/coordination.py."""

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
    by the agencies' own experience. See sim/model/relations.py for each rule and its source."""

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
            if agency not in AGENCIES:
                raise ValueError(f"relations.rotations[{_clean(repr(day))}] must be one of "
                                 f"{', '.join(AGENCIES)}, got {_clean(repr(agency))}")
        if list(self.transitions) != sorted(self.transitions):
            raise ValueError("relations.transitions must be in increasing order")
        return self


# ------------------------------------------------------------- sustainability
class Sustainability(_Section):
    """Inputs after the seed (March 2024) that decide whether coverage holds to 2029;
    every one is an assumption. See sim/model/sustainability.py."""

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
                             source="about 633,650 mid-2023 (docs/sources.md#population-and-poverty)",
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
        _dated_values("sustainability.premium_changes", self.premium_changes, 0, 1e7,
                      "0 to 1e7 IDR")
        return self
