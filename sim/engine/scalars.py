"""Single draws from a numpy Generator, the numbers its methods give, for less.

A household's attributes are single draws (a uniform, a Poisson count, a normal, an
integer, a lognormal), and a city replication makes about 17,000 households: through the
Generator's Python methods each draw costs 3,000 to 10,000 instructions (argument
conversion, dtype checks, the lock), about a tenth of a replication. :class:`Scalars`
answers the same calls. In the pure-Python reference it calls the Generator's methods;
compiled (``scalars.pxd``) it calls numpy's own C functions (``numpy.random``'s
``c_distributions``, the ones those methods call) on the Generator's bit generator, so
the numbers, and the state the Generator is left in, are the same
(``tests/test_scalars.py`` checks it draw by draw). The compiled core runs the C
functions of the numpy it was built against (linked in): after upgrading numpy, reinstall.
"""

from __future__ import annotations

import numpy as np

from sim.engine.fields import slots

try:  # compiled only: numpy's C distributions (in the pure reference, these do not exist)
    import cython
    from cython.cimports.cpython.pycapsule import PyCapsule_GetPointer
    from cython.cimports.numpy.random import bitgen_t
    from cython.cimports.numpy.random.c_distributions import (
        random_bounded_uint64,
        random_lognormal,
        random_normal,
        random_poisson,
        random_standard_uniform,
    )

    _C = True
except ImportError:
    _C = False


# numpy's largest Poisson rate (numpy.random's POISSON_LAM_MAX)
_LAM_MAX = float(np.iinfo("l").max - np.sqrt(np.iinfo("l").max) * 10)


class Scalars:
    """Single draws from ``rng`` (a ``numpy.random.Generator``), as its own methods of the
    same names give them."""

    __slots__ = slots(__file__, "Scalars")  # the fields: scalars.pxd

    def __init__(self, rng: np.random.Generator):
        self.rng = rng  # keeps the bit generator, and so its state, alive
        self._capsule = rng.bit_generator.capsule

    def _state(self):  # noqa: ANN202 (compiled only: the bit generator's C state)
        return cython.cast(cython.pointer(bitgen_t),
                           PyCapsule_GetPointer(self._capsule, "BitGenerator"))

    def random(self) -> float:
        if _C:
            return random_standard_uniform(self._state())
        return self.rng.random()

    def integers(self, n) -> int:  # noqa: ANN001 (n: a C int, scalars.pxd)
        """An integer in [0, n), n >= 1 (``rng.integers(n)``)."""
        if n < 1:
            raise ValueError(f"integers: n must be at least 1, got {n}")
        if _C:
            return random_bounded_uint64(self._state(), 0, n - 1, 0, False)
        return int(self.rng.integers(n))

    def poisson(self, lam: float) -> int:
        if not 0 <= lam <= _LAM_MAX:  # numpy's own limits (its ValueError; NaN too)
            raise ValueError(f"poisson: lam must be in [0, {_LAM_MAX:g}], got {lam}")
        if _C:
            return random_poisson(self._state(), lam)
        return int(self.rng.poisson(lam))

    def normal(self, loc: float, scale: float) -> float:
        if not scale >= 0:
            raise ValueError(f"normal: scale must be non-negative, got {scale}")
        if _C:
            return random_normal(self._state(), loc, scale)
        return float(self.rng.normal(loc, scale))

    def lognormal(self, mean: float, sigma: float) -> float:
        if not sigma >= 0:
            raise ValueError(f"lognormal: sigma must be non-negative, got {sigma}")
        if _C:
            return random_lognormal(self._state(), mean, sigma)
        return float(self.rng.lognormal(mean, sigma))
