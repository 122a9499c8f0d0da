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



def init_fields(module_file: str, cls: str) -> tuple[str, ...]:
    """``__slots__`` for a plain class whose ``__init__`` sets its fields: every ``self.x``
    that ``__init__`` of class ``cls`` assigns, in order, read from the ``.py`` of the
    module at ``module_file`` (its ``.py`` or its compiled extension). With a base that has
    no ``__slots__`` (a Mesa agent, a component), instances keep a ``__dict__`` for any
    other attribute; the fields in slots are read without a lookup in it. Only the
    ``__init__`` is parsed (about a millisecond a class)."""
    import ast  # here, not at the top: only a few classes read their source, once
    import textwrap

    path = Path(module_file)
    text = path.with_name(path.name.split(".")[0] + ".py").read_text(encoding="utf-8")
    head = re.search(rf"^class {cls}\b", text, re.M)
    block = text[head.start():] if head else ""
    end = re.compile(r"^\S", re.M).search(block, block.find("\n") + 1)  # the next top-level line
    block = block[:end.start()] if end else block
    start = re.search(r"^([ \t]+)def __init__\(", block, re.M)
    if start is None:
        raise ValueError(f"no __init__ of class {cls} in {path.name}")
    indent = start.group(1)
    body = block[start.start(1):].split("\n")
    # the method ends at the first line back at its own indent (or less), but for the ")"
    # that may close its signature
    end = next((i for i, line in enumerate(body[1:], 1) if line.strip()
                and not line.startswith(indent + " ") and not line.lstrip().startswith(")")),
               len(body))
    return tuple(self_attributes(ast.parse(textwrap.dedent("\n".join(body[:end])))))


def self_attributes(node) -> list[str]:  # noqa: ANN001 (an ast node)
    """The attributes of ``self`` that the code under ``node`` (an ``__init__``'s syntax
    tree) assigns, in order of first assignment."""
    import ast

    names: list[str] = []
    for sub in ast.walk(node):
        targets = sub.targets if isinstance(sub, ast.Assign) else \
            [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
                        and t.value.id == "self" and t.attr not in names:
                    names.append(t.attr)
    return names
