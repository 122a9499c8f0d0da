"""Mesa, imported without changing the caller's multiprocessing start method.

Importing Mesa (any part of it: ``mesa/__init__.py`` imports ``mesa.batchrunner``) calls
``multiprocessing.set_start_method("spawn", force=True)`` for the whole process. A library
must not change its caller's start method (a pool whose function is defined in a notebook or
on standard input then hangs), so the method in force before Mesa's import is put back. The
project's own pools ask for the context they need (``multiprocessing.get_context``).
Every module of ``sim`` imports Mesa from here.
"""

from __future__ import annotations

import itertools
import multiprocessing as _mp
import multiprocessing.context as _mp_context
import weakref
from typing import Any

_before = _mp.get_start_method(allow_none=True)

import mesa  # noqa: E402

if _mp.get_start_method(allow_none=True) != _before:
    if _before is None:  # not chosen yet: let the platform default apply again
        _mp_context._default_context._actual_context = None
    else:
        _mp.set_start_method(_before, force=True)



class _IdsPerModel:
    """Agent numbers per model, held weakly.

    Mesa 3.3 counts agents' ``unique_id`` in ``Agent._ids``, a class-level
    ``defaultdict`` keyed by the model itself: every model ever built stays alive through
    it, with all its agents, cases and draws (about 36 MB per city-scale replication, so
    a sweep worker grew by that much per run). This counter forgets a model once nothing
    else holds it, and numbers agents exactly as Mesa does (1, 2, ... per model).
    """

    __slots__ = ("_counts",)

    def __init__(self) -> None:
        self._counts: weakref.WeakKeyDictionary[Any, itertools.count[int]] = \
            weakref.WeakKeyDictionary()

    def __getitem__(self, model: Any) -> itertools.count[int]:
        count = self._counts.get(model)
        if count is None:
            count = self._counts[model] = itertools.count(1)
        return count

    def __len__(self) -> int:
        return len(self._counts)


class Agent(mesa.Agent):
    """Mesa's agent, without the class-level registry that keeps every model alive.

    Every agent of ``sim`` derives from this class: ids are numbered per model across all
    of them, as with Mesa's own counter.
    """

    _ids = _IdsPerModel()


__all__ = ["Agent", "mesa"]
