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

This module holds the whole :class:`Scenario` (its sections, cross-section checks and
loading), the name-bound helpers (``parameter_table``, ``bounds``, ``load_scenario``) and
re-exports the pieces, each in a module of its own:

* :mod:`sim.scenario.params`: the parameter helpers ``P``/``D`` and the base section;
* :mod:`sim.scenario.demand`: Time, Population, Awareness, Behaviour, the offices,
  Batches, Program and Exits;
* :mod:`sim.scenario.governance`: Barriers, the three mechanisms, Coordination,
  Relations and Sustainability;
* :mod:`sim.scenario.names`: flat names, override values and study bounds.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from sim.scenario.demand import (
    OFFICE_DEFAULTS,
    OFFICE_PLAUSIBLE_SOURCE,
    Awareness,
    Batches,
    Behaviour,
    Exits,
    OfficeParams,
    Offices,
    Population,
    Program,
    Time,
    _office,
    _office_plausible,
)
from sim.scenario.errors import ScenarioError, _clean, explain
from sim.scenario.governance import (
    PAIRS,
    Barriers,
    Collaboration,
    Coordination,
    Hierarchy,
    Network,
    Relations,
    Sustainability,
)
from sim.scenario.names import (
    Bound,
    coerce,
    integer_paths,
    resolve,
    resolve_all,
    select_bounds,
)
from sim.scenario.params import ASSUMPTION, MAX_DATE, MIN_DATE, D, P, _iso_key, _Section
from sim.scenario.renewal import Demand, Policy, Rationing, Reentry
from sim.scenario.source import decode, read_bytes
from sim.scenario.table import parameter_rows

__all__ = [
    "ASSUMPTION", "MAX_DATE", "MIN_DATE", "OFFICE_DEFAULTS", "OFFICE_PLAUSIBLE_SOURCE", "PAIRS",
    "Awareness", "Barriers", "Batches", "Behaviour", "Bound", "Collaboration", "Coordination",
    "D", "Demand", "Exits", "Hierarchy", "Network", "OfficeParams", "Offices", "P", "Policy", "Population",
    "Program", "Rationing", "Reentry", "Relations", "Scenario", "Sustainability", "Time", "bounds", "load_scenario",
    "parameter_table",
    # private helpers, re-exported for code that imported them from here
    "_Section", "_coerce", "_integers", "_iso_key", "_office", "_office_plausible", "_resolve",
]


# ----------------------------------------------------------------------- scenario
class Scenario(_Section):
    """A frozen, validated scenario. Defaults are the historical baseline."""

    name: str = P("baseline", unit="text", source=ASSUMPTION, meaning="Short scenario name.")
    description: str = P("", unit="text", source=ASSUMPTION, meaning="What the scenario asks.")
    calibrated_by: str = P(
        "", unit="text", source=ASSUMPTION,
        meaning="Where this scenario's calibrated values come from (the calibration report); "
                "empty = uncalibrated. Figures say 'uncalibrated' unless it is set.")
    ensemble: str = P(
        "", unit="path", source=ASSUMPTION,
        meaning="The calibration's ensemble of accepted parameter sets (a CSV written by "
                "'jambi-sim calibrate'), relative to this file; commands then answer over "
                "its sets. Empty = one set: this file's values.")
    time: Time = Field(default_factory=Time)
    population: Population = Field(default_factory=Population)
    awareness: Awareness = Field(default_factory=Awareness)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    offices: Offices = Field(default_factory=Offices)
    batches: Batches = Field(default_factory=Batches)
    program: Program = Field(default_factory=Program)
    exits: Exits = Field(default_factory=Exits)
    demand: Demand = Field(default_factory=Demand)
    reentry: Reentry = Field(default_factory=Reentry)
    rationing: Rationing = Field(default_factory=Rationing)
    policy: Policy = Field(default_factory=Policy)
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
        A whole float for an integer parameter (a sampled ``6.0``) is taken as the integer.
        Two names for one parameter (``turf`` and ``barriers__turf``) are refused."""
        if not overrides:
            return self
        data = self.model_dump()
        paths = resolve_all(Scenario, overrides, "overrides")
        for key, value in overrides.items():
            path = paths[key]
            node = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = _coerce(key, path, value)
        return Scenario.from_dict(data, origin=f"overrides {sorted(overrides)}")


# --------------------------------------------------------------- schema helpers
def _resolve(key: str) -> tuple[str, ...]:
    """A flat override name to its schema path: a unique leaf name (``turf``), a path with
    double underscores (``barriers__turf``) or with dots (``barriers.turf``)."""
    return resolve(Scenario, key)


def _integers() -> set[tuple[str, ...]]:
    return integer_paths(Scenario)


def _coerce(key: str, path: tuple[str, ...], value: Any) -> Any:
    """An override value as the schema wants it: numpy scalars become Python numbers, and a
    whole float (a sampled ``6.0``) becomes an int for an integer parameter."""
    return coerce(Scenario, key, path, value)



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
    return select_bounds(Scenario, parameter_table, names, kind)


def parameter_names(names: Any) -> list[str]:
    """``names`` as a non-empty list of parameter names as ``sim.run`` accepts them, each
    naming its own parameter (``turf`` with ``barriers.turf`` is refused: which value would
    win is an accident of order); TypeError for anything but a list of strings."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names or \
            not all(isinstance(n, str) for n in names):
        raise TypeError(f"names must be a non-empty list of parameter names such as "
                        f"['turf', 'offices.dinsos.staff'], got {names!r:.80}")
    resolve_all(Scenario, names, "names")
    return list(names)


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

