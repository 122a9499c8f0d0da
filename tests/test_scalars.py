"""``Scalars`` gives the numbers a numpy Generator's own methods give, draw by draw, and
leaves the Generator in the same state: compiled, it calls numpy's C distributions on the
bit generator, and these must be the functions the methods call."""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES as EXTENSIONS

import numpy as np
import pytest

from sim.engine.scalars import Scalars

SIZES = [1, 2, 7, 560, 2**31, 2**32 - 1, 2**32, 2**32 + 5, 2**40, 2**62]
RATES = [0.0, 0.5, 3.2, 9.99, 10.0, 25.0, 1e3]


@pytest.mark.parametrize("seed", range(4))
def test_each_draw_is_the_generators(seed: int) -> None:
    ref, mine = np.random.default_rng(seed), np.random.default_rng(seed)
    s = Scalars(mine)
    plan = np.random.default_rng(100 + seed)
    kinds = set()
    for _ in range(4000):
        k = int(plan.integers(5))
        kinds.add(k)
        if k == 0:
            pair = ref.random(), s.random()
        elif k == 1:
            n = int(plan.choice(SIZES))
            pair = int(ref.integers(n)), s.integers(n)
        elif k == 2:
            lam = float(plan.choice(RATES))
            pair = int(ref.poisson(lam)), s.poisson(lam)
        elif k == 3:
            pair = float(ref.normal(-0.02, 0.2)), s.normal(-0.02, 0.2)
        else:
            pair = float(ref.lognormal(-0.125, 0.5)), s.lognormal(-0.125, 0.5)
        assert pair[0] == pair[1]
    assert kinds == {0, 1, 2, 3, 4}
    assert ref.bit_generator.state == mine.bit_generator.state
    assert ref.random() == mine.random()  # and the Generator goes on from there alike


def test_the_compiled_core_draws_in_c() -> None:
    """Compiled, Scalars must take the C path (else the test above compares the Generator
    with itself); run as Python there is no C path to take."""
    import sim.engine.scalars as scalars
    from sim._compiled import core

    if core() != "compiled":
        pytest.skip("the compiled core is not in use here")
    assert scalars._C and scalars.__file__.endswith(tuple(EXTENSIONS))


@pytest.mark.parametrize("call", [lambda s: s.poisson(-1.0), lambda s: s.poisson(float("nan")),
                                  lambda s: s.normal(0.0, -1.0), lambda s: s.lognormal(0.0, -0.5)])
def test_bad_parameters_are_refused_as_numpy_does(call) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        call(Scalars(np.random.default_rng(0)))


def test_the_comparison_can_fail() -> None:
    """A different seed gives different numbers: the equalities above are not vacuous."""
    assert Scalars(np.random.default_rng(1)).random() != np.random.default_rng(2).random()


def test_integers_needs_a_positive_bound() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Scalars(np.random.default_rng(0)).integers(0)
