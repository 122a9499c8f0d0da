"""The scenario's numbers that the event handlers read, copied once per model.

A scenario's sections are pydantic models: reading a field goes through pydantic's
``__getattr__`` hook, about 400 machine instructions a read, and the population and the
case flow read one at about every second event (a household's next decision, a visit's
burden, a hand-off's delay). :class:`ScenarioNumbers` holds a copy of each such parameter under
its own name, as a C field in the compiled core: the same values, read in one instruction.
Each field is the scenario parameter of the same name, in the section its comment names
in ``scenario_numbers.pxd``; units, ranges and sources are the scenario's (``sim/scenario``).
``tests/test_fields.py`` checks that every field is copied, from its section.
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
    """A copy of the scenario parameters in :data:`SECTIONS`, by name (made by
    :func:`numbers_of`)."""

    __slots__ = slots(__file__, "ScenarioNumbers")  # the fields: scenario_numbers.pxd


def numbers_of(sc: Scenario) -> ScenarioNumbers:
    """The scenario's numbers in :data:`SECTIONS`, each copied from its section."""
    numbers = ScenarioNumbers.__new__(ScenarioNumbers)
    for section, names in SECTIONS.items():
        values = getattr(sc, section)
        for name in names:
            setattr(numbers, name, getattr(values, name))
    return numbers
