"""Flat parameter names: what overrides and studies call a parameter, and its study range.

A flat name is a unique leaf name (``turf``), a path with double underscores
(``barriers__turf``) or a path with dots (``barriers.turf``). :func:`resolve` turns one into
its schema path, :func:`coerce` makes an override value what the schema wants, and
:func:`select_bounds` gives the ``(lo, hi)`` :class:`Bound` of numeric parameters that
sweeps and sensitivity analysis sample. Works on any schema given as ``root`` (like
:mod:`sim.scenario.table`); :mod:`sim.scenario.schema` binds it to ``Scenario``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from sim.scenario.errors import ScenarioError, _clean
from sim.scenario.table import leaves


def resolve(root: type[BaseModel], key: str) -> tuple[str, ...]:
    """A flat override name to its schema path: a unique leaf name (``turf``), a path with
    double underscores (``barriers__turf``) or with dots (``barriers.turf``)."""
    paths = [p for p, _ in leaves(root)]
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


def resolve_all(root: type[BaseModel], keys: Any, what: str = "override"
                ) -> dict[str, tuple[str, ...]]:
    """Every name of ``keys`` to its schema path, refusing two names for one parameter
    (``turf`` and ``barriers.turf``): which one would win is an accident of order."""
    out: dict[str, tuple[str, ...]] = {}
    seen: dict[tuple[str, ...], str] = {}
    for key in keys:
        path = resolve(root, key)
        if path in seen:
            raise ScenarioError(f"{what} '{_clean(seen[path])}' and '{_clean(key)}' name the "
                                f"same parameter ({'.'.join(path)}); give it once.")
        seen[path] = key
        out[key] = path
    return out


def integer_paths(root: type[BaseModel]) -> set[tuple[str, ...]]:
    """The schema paths of the integer parameters."""
    return {p for p, info in leaves(root) if info.annotation is int}


def coerce(root: type[BaseModel], key: str, path: tuple[str, ...], value: Any) -> Any:
    """An override value as the schema wants it: numpy scalars become Python numbers, and a
    whole float (a sampled ``6.0``) becomes an int for an integer parameter."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()
    if path in integer_paths(root) and isinstance(value, float) and not isinstance(value, bool):
        if not value.is_integer():
            raise ScenarioError(f"override '{_clean(key)}' = {value!r}: "
                                f"{'.'.join(path)} is a whole number (round sampled values, "
                                f"or see bounds(), which says which parameters are integers).")
        value = int(value)
    return value


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


def select_bounds(root: type[BaseModel], table: Callable[[], list[dict[str, Any]]],
                  names: list[str] | None, kind: str) -> dict[str, Bound]:
    """The study ranges of ``root``'s numeric parameters, from its parameter ``table`` (a
    function returning the rows); see :func:`sim.scenario.schema.bounds` for the rules."""
    if kind not in ("plausible", "validation"):
        raise ScenarioError(f"bounds(kind={kind!r}): kind must be 'plausible' or 'validation'.")
    rows = {r["parameter"]: r for r in table()}
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
        path = ".".join(resolve(root, name))
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
