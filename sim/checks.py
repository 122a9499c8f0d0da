"""Argument checks for the public Python API: each error names the argument, what it
accepts and what it got, before any work starts.

``sim.run``, ``sim.run_one`` and ``JambiBugarModel`` call these, so
``sim.run(reps="3")`` says ``reps must be a whole number from 1 to 1000000, got '3' (str)``
instead of a comparison error from deep inside the run.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

MAX_SEED = 2**63 - 1


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def whole_number(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    """``value`` as an int in [lo, hi]; bools, floats, strings and None are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        rng = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        raise TypeError(f"{name} must be a whole number {rng}, got {_shown(value)}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return value


def seed_and_rep(seed: Any, rep: Any) -> tuple[int, int]:
    """A root seed in [0, 2**63 - 1] and a replication index >= 0 (for run_one and the model)."""
    return (whole_number("seed", seed, 0, MAX_SEED),
            whole_number("rep", rep, 0, MAX_SEED))


def callable_arg(name: str, value: Any, accepts: str) -> None:
    """``value`` is None or a callable of one positional argument."""
    if value is None:
        return
    if not callable(value):
        raise TypeError(f"{name} must be None or a callable taking {accepts}, "
                        f"got {_shown(value)}")
    fn: Callable[..., Any] = value
    try:
        inspect.signature(fn).bind(1)
    except TypeError:
        raise TypeError(f"{name} must accept one positional argument ({accepts})") from None
    except ValueError:
        return


def progress_arg(value: Any) -> None:
    """``progress`` is None or a callable taking one number (e.g. ``tqdm.update``)."""
    callable_arg("progress", value, "the number of replications just finished, "
                                    "e.g. tqdm's update")
