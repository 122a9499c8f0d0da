"""The fields of the compiled types, declared once: in the ``.pxd`` beside their module.

A class the compiled core types (an event, a desk and its queue entry, a case) lists its
fields, with their C types, in the ``.pxd`` that Cython reads beside its ``.py``. The
``.py`` takes its ``__slots__`` from there (:func:`slots`), so the pure-Python reference
has exactly the fields the compiled class has, in the same order, and a field is added
in one place. ``tests/test_compiled.py`` checks that each ``__init__`` sets every one.
"""

from __future__ import annotations

import re
from pathlib import Path

_CLASS = re.compile(r"^cdef class (\w+)")
_FIELD = re.compile(r"^\s+cdef\s+(?:(?:public|readonly)\s+)?([^(]*)$")


def pxd_fields(text: str) -> dict[str, list[str]]:
    """The attributes of each ``cdef class`` in a .pxd's text, in order: ``cdef public
    long long a, b`` declares ``a`` and ``b``; methods (``cdef``/``cpdef`` with
    parentheses) are not attributes."""
    classes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        code = line.split("#", 1)[0].rstrip()
        if not code.strip():
            continue
        head = _CLASS.match(code)
        if head:
            current = classes.setdefault(head.group(1), [])
            continue
        if not code[0].isspace():
            current = None  # a decorator, cimport or other top-level line
            continue
        field = _FIELD.match(code)
        if current is not None and field:
            first, *more = (part.strip() for part in field.group(1).split(","))
            names = [first.split()[-1].lstrip("*"), *more]
            if not all(n.isidentifier() for n in names):
                raise ValueError(f"cannot read the fields of: {line.strip()}")
            current.extend(names)
    return classes


def slots(module_file: str, cls: str) -> tuple[str, ...]:
    """``__slots__`` of class ``cls`` of the module at ``module_file`` (its ``.py`` or its
    compiled extension): the fields the ``.pxd`` beside it declares."""
    path = Path(module_file)
    pxd = path.with_name(path.name.split(".")[0] + ".pxd")
    return tuple(pxd_fields(pxd.read_text(encoding="utf-8"))[cls])
