"""Mesa, imported without changing the caller's multiprocessing start method.

Importing Mesa (any part of it: ``mesa/__init__.py`` imports ``mesa.batchrunner``) calls
``multiprocessing.set_start_method("spawn", force=True)`` for the whole process. A library
must not change its caller's start method (a pool whose function is defined in a notebook or
on standard input then hangs), so the method in force before Mesa's import is put back. The
project's own pools ask for the context they need (``multiprocessing.get_context``).
Every module of ``sim`` imports Mesa from here.
"""

from __future__ import annotations

import multiprocessing as _mp
import multiprocessing.context as _mp_context

_before = _mp.get_start_method(allow_none=True)

import mesa  # noqa: E402

if _mp.get_start_method(allow_none=True) != _before:
    if _before is None:  # not chosen yet: let the platform default apply again
        _mp_context._default_context._actual_context = None
    else:
        _mp.set_start_method(_before, force=True)

__all__ = ["mesa"]
