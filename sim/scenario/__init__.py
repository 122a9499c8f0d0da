"""Scenarios: the schema of every parameter (unit, range, meaning, source), its errors and
its parameter table. ``from sim.scenario import Scenario`` is the usual entry point."""

from sim.scenario.errors import ScenarioError
from sim.scenario.scale import scaled
from sim.scenario.schema import (
    ASSUMPTION,
    Awareness,
    Barriers,
    Batches,
    Behaviour,
    Coordination,
    Exits,
    OfficeParams,
    Offices,
    Population,
    Program,
    Scenario,
    Time,
    bounds,
    load_scenario,
    parameter_table,
)

__all__ = ["ASSUMPTION", "Awareness", "Barriers", "Batches", "Behaviour", "Coordination",
           "Exits", "OfficeParams", "Offices", "Population", "Program", "Scenario", "ScenarioError",
           "Time", "bounds", "load_scenario", "parameter_table", "scaled"]
