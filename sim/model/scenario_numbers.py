"""The scenario's numbers that the event handlers read, copied once per model.

A scenario's sections are pydantic models: reading a field goes through pydantic's
``__getattr__`` hook, about 400 machine instructions a read, and the population and the
case flow read one at about every second event (a household's next decision, a visit's
burden, a hand-off's delay). :class:`ScenarioNumbers` holds a copy of each such parameter under
its own name, as a C field in the compiled core: the same values, read in one instruction.
Each field is the scenario parameter of the same name, in the section its comment names
in ``scenario_numbers.pxd``; units, ranges and sources are the scenario's (``sim/scenario``).
``tests/test_fields.py`` checks every field against the scenario it was built from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.engine.fields import slots

if TYPE_CHECKING:
    from sim.scenario import Scenario

# the section each field is copied from (the same grouping as scenario_numbers.pxd)
SECTIONS = {
    "population": ("share_homeless_neglected", "share_mental_disorder", "household_size",
                   "n_rt", "valid_docs_share", "in_dtks_share", "arrivals_per_year"),
    "behaviour": ("patience", "apply_prob_online", "apply_prob_manual", "apply_delay_days",
                  "reconsider_days", "docs_days", "rework_days", "travel_gap_days",
                  "burden_per_wait_day", "burden_per_visit", "burden_per_100k_idr"),
    "coordination": ("handoff_days_paper", "handoff_days_online", "verification_days"),
    "awareness": ("background_per_year", "word_of_mouth_contacts", "word_of_mouth_days"),
    "exits": ("death_per_year", "move_per_year", "income_rise_per_year"),
    "rationing": ("front_door", "retry_prob", "retry_days"),
    "demand": ("rt_recruit_per_year", "illness_apply_prob", "illness_apply_days"),
    "reentry": ("reapply_per_year", "memory", "reactivation_prob", "reactivation_days"),
}


class ScenarioNumbers:
    """A copy of the scenario parameters in :data:`SECTIONS`, by name."""

    __slots__ = slots(__file__, "ScenarioNumbers")  # the fields: scenario_numbers.pxd

    def __init__(self, sc: Scenario):
        p = sc.population
        self.share_homeless_neglected = p.share_homeless_neglected
        self.share_mental_disorder = p.share_mental_disorder
        self.household_size = p.household_size
        self.n_rt = p.n_rt
        self.valid_docs_share = p.valid_docs_share
        self.in_dtks_share = p.in_dtks_share
        self.arrivals_per_year = p.arrivals_per_year
        b = sc.behaviour
        self.patience = b.patience
        self.apply_prob_online = b.apply_prob_online
        self.apply_prob_manual = b.apply_prob_manual
        self.apply_delay_days = b.apply_delay_days
        self.reconsider_days = b.reconsider_days
        self.docs_days = b.docs_days
        self.rework_days = b.rework_days
        self.travel_gap_days = b.travel_gap_days
        self.burden_per_wait_day = b.burden_per_wait_day
        self.burden_per_visit = b.burden_per_visit
        self.burden_per_100k_idr = b.burden_per_100k_idr
        c = sc.coordination
        self.handoff_days_paper = c.handoff_days_paper
        self.handoff_days_online = c.handoff_days_online
        self.verification_days = c.verification_days
        a = sc.awareness
        self.background_per_year = a.background_per_year
        self.word_of_mouth_contacts = a.word_of_mouth_contacts
        self.word_of_mouth_days = a.word_of_mouth_days
        e = sc.exits
        self.death_per_year = e.death_per_year
        self.move_per_year = e.move_per_year
        self.income_rise_per_year = e.income_rise_per_year
        r = sc.rationing
        self.front_door = r.front_door
        self.retry_prob = r.retry_prob
        self.retry_days = r.retry_days
        d = sc.demand
        self.rt_recruit_per_year = d.rt_recruit_per_year
        self.illness_apply_prob = d.illness_apply_prob
        self.illness_apply_days = d.illness_apply_days
        re = sc.reentry
        self.reapply_per_year = re.reapply_per_year
        self.memory = re.memory
        self.reactivation_prob = re.reactivation_prob
        self.reactivation_days = re.reactivation_days
