"""The parameter table of a pydantic schema: leaves, flat names, ranges, for the docs,
overrides and sensitivity bounds. Works on any schema given as ``root``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def leaves(root: type[BaseModel], prefix: tuple[str, ...] = ()):
    """Yield (path, FieldInfo) for every leaf parameter of the schema."""
    for name, info in root.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from leaves(ann, prefix + (name,))
        else:
            yield prefix + (name,), info


def field_info(root: type[BaseModel], loc: tuple[Any, ...]):
    for path, info in leaves(root):
        if path == tuple(str(p) for p in loc[: len(path)]) and len(path) <= len(loc):
            return info
    return None


def parameter_rows(root: type[BaseModel]) -> list[dict[str, Any]]:
    """One row per parameter: path, default, unit, range, meaning, source (for the docs)."""
    default = root().model_dump()
    rows = []
    for path, info in leaves(root):
        extra = info.json_schema_extra or {}
        node: Any = default
        for part in path:
            node = node[part]
        plausible = extra.get("plausible") or (None, None)
        rows.append({"parameter": ".".join(path), "default": node, "unit": extra.get("unit", ""),
                     "lo": extra.get("lo"), "hi": extra.get("hi"),
                     "plausible_lo": plausible[0], "plausible_hi": plausible[1],
                     "integer": info.annotation is int,
                     "meaning": info.description or "", "source": extra.get("source", ""),
                     "plausible_source": extra.get("plausible_source") or ""})
    return rows
