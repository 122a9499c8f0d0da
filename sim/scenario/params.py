"""Parameter helpers: how one parameter of the scenario schema is declared.

``P`` declares a parameter with its default, unit, allowed range, plausible study range,
meaning and source in one place; ``D`` does the same for a calendar date. ``_Section`` is
the frozen, strict base of every schema section. ``MIN_DATE``/``MAX_DATE`` bound every
date, and ``_iso_key`` checks the ISO-date keys of the date-keyed tables. The sections
themselves are in :mod:`sim.scenario.demand` and :mod:`sim.scenario.governance`; the
whole scenario in :mod:`sim.scenario.schema`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sim.scenario.errors import _clean

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


def _dated_values(name: str, table: dict[str, float], lo: float, hi: float,
                  bounds: str) -> None:
    """A date-keyed table: each key an ISO date, each value finite and in [lo, hi]
    (``bounds`` says the range in the message, e.g. "0 to 1e7 IDR")."""
    for day, value in table.items():
        _iso_key(name, day)
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"{name}[{day}] must be from {bounds}, got {value!r}")


def _iso_key(name: str, key: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(key)
    except (TypeError, ValueError):
        raise ValueError(f"{name} keys must be ISO dates like '2025-01-01', "
                         f"got {_clean(repr(key))}") from None
    if not (MIN_DATE <= day <= MAX_DATE):
        raise ValueError(f"{name} key {key} is outside {MIN_DATE} to {MAX_DATE}")
    return day
