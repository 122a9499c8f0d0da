"""Scenario errors: one paragraph for the user, naming the file, the key, the value and the
allowed range. Works on any pydantic schema given as ``root``."""

from __future__ import annotations

import difflib
import unicodedata
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.table import field_info


def _clean(text: str) -> str:
    """Make user-supplied text safe for a one-line message: control, right-to-left and other
    non-printable characters are shown as escapes (\\n, \\x1b, \\u202e)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


printable = _clean


def non_ascii_note(text: str) -> str:
    """' (it holds U+0430 CYRILLIC SMALL LETTER A at position 2, ...)' for look-alikes in a
    value, so an error about 'mаnual' does not read as if 'manual' was refused."""
    odd = [(i, c) for i, c in enumerate(text) if not c.isascii()]
    if not odd:
        return ""
    shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')} at "
                      f"position {i + 1}" for i, c in odd[:3])
    more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
    return f" (it holds {shown}{more}, not an ASCII letter: retype it)"


class ScenarioError(ValueError):
    """A scenario file or override is wrong; the message is one paragraph for the user."""


def _allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model = root
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        if info is None or not (isinstance(info.annotation, type)
                                and issubclass(info.annotation, BaseModel)):
            return []
        model = info.annotation
    return list(model.model_fields)


# Keys of earlier versions, and what replaced them (CHANGELOG.md).
REMOVED = {
    "behaviour.reapply_prob": "households now come back at a hazard, use "
                              "'reentry.reapply_per_year' and 'reentry.memory' (issue 20)",
}


def explain(exc: ValidationError, origin: str, root: type[BaseModel]) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = tuple(err["loc"])
        key = _clean(".".join(str(p) for p in loc)) or "(top level)"
        value = err.get("input")
        shown = _clean(repr(value)) if not isinstance(value, dict) else "a table"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        etype = err["type"]
        if etype == "extra_forbidden":
            allowed = _allowed_keys(root, loc)
            close = difflib.get_close_matches(_clean(str(loc[-1])), allowed, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            if key in REMOVED:
                hint = f" It was removed: {REMOVED[key]}."
            parts.append(f"unknown key '{key}'{non_ascii_note(str(loc[-1]))}.{hint} Allowed "
                         f"keys here: {', '.join(allowed)}")
            continue
        if etype == "value_error":
            parts.append(_clean(err["msg"].removeprefix("Value error, ")))
            continue
        info = field_info(root, loc)
        extra = (info.json_schema_extra or {}) if info is not None else {}
        if extra.get("allowed") and etype.startswith("string_"):  # a rule, not a regex
            parts.append(f"key '{key}' = {shown}: {extra['allowed']}")
            continue
        lo, hi, unit = extra.get("lo"), extra.get("hi"), extra.get("unit")
        rng = ""
        if lo is not None or hi is not None:
            rng = f"; allowed range {lo if lo is not None else '-inf'} to " \
                  f"{hi if hi is not None else 'inf'}"
        if unit:
            rng += f" ({unit})"
        note = non_ascii_note(value) if isinstance(value, str) else ""
        parts.append(f"key '{key}' = {shown}{note}: {_clean(err['msg'])}{rng}")
    more = len(exc.errors()) - 3
    tail = f" (and {more} more problems)" if more > 0 else ""
    return f"{origin}: " + "; ".join(parts) + tail + "."
