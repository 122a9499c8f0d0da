"""Random numbers for one replication: named streams, and draws keyed per entity and decision.

Two kinds of source, both numpy Generators derived from one run seed:

* :class:`Streams` -- named Generators, ``SeedSequence(seed, spawn_key=(rep, crc32(name)))``,
  for draws whose order never depends on policy: building the initial population, the
  arrival process, the model's own Mesa generator.
* :class:`KeyedDraws` -- *common random numbers per entity and per decision*. The n-th
  draw of decision ``name`` for entity ``e`` (a household's index) is a pure function of
  ``(seed, rep, name, e, n)``. It is read from a block that a Generator seeded with
  ``SeedSequence(seed, spawn_key=(rep, crc32(name), e // 1024, n // width))`` fills for
  1,024 entities at once. So two scenarios run under one seed give every household the
  same tolerance, the same service times at each office, the same answer at each
  decision: a changed barrier changes only the decisions it acts on, never another
  decision's draws, and never another household's. :class:`EventDraws` does the same for
  city-wide events (a campaign, a re-verification tranche): one array per event over all
  households.

Replication ``rep`` of seed ``S`` is therefore the same in any process and on any number
of workers.
"""

from __future__ import annotations

import zlib
from array import array

import numpy as np

CHUNK_BITS = 10  # entities per block: 1,024
CHUNK = 1 << CHUNK_BITS


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


class Streams:
    """Lazily created, named numpy Generators for one replication."""

    def __init__(self, seed: int, rep: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if isinstance(rep, bool) or not isinstance(rep, (int, np.integer)) or rep < 0:
            raise ValueError(f"rep must be a non-negative integer, got {rep!r}")
        self.seed = int(seed)
        self.rep = int(rep)
        self._gens: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str | None = None, *more: int) -> np.random.SeedSequence:
        key = (self.rep,) if name is None else (self.rep, _key(name), *more)
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = self._gens[name] = np.random.default_rng(self.seed_sequence(name))
        return gen

    def keyed(self, name: str, dist: str = "uniform", group: int = 1, per_block: int = 4,
              shape: float = 1.0, expo_cols: tuple[int, ...] = ()) -> KeyedDraws:
        """Keyed draws of one decision (see :class:`KeyedDraws`)."""
        return KeyedDraws(self, name, dist, group, per_block, shape, expo_cols)

    def event(self, name: str, index: int, size: int) -> np.ndarray:
        """``size`` uniforms for city-wide event ``index`` of kind ``name``, one per entity:
        entity e always gets element e, whatever happened before the event."""
        return np.random.default_rng(self.seed_sequence(name, index)).random(size)


def _fill(rng: np.random.Generator, dist: str, rows: int, cols: int, shape: float,
          expo_cols: tuple[int, ...], group: int) -> np.ndarray:
    if dist == "uniform":
        x = rng.random((rows, cols))
    elif dist == "exponential":
        x = rng.standard_exponential((rows, cols))
    elif dist == "gamma":  # unit mean, coefficient of variation 1/sqrt(shape)
        x = rng.gamma(shape, 1.0 / shape, (rows, cols))
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    if expo_cols:  # columns of each group that are unit exponentials
        x = x.reshape(rows, cols // group, group)
        x[:, :, list(expo_cols)] = -np.log1p(-x[:, :, list(expo_cols)])
        x = x.reshape(rows, cols)
    return x


class KeyedDraws:
    """The n-th draw (or group of ``group`` draws) of one decision for entity e.

    ``dist`` is ``uniform``, ``exponential`` (unit mean) or ``gamma`` (unit mean, shape
    ``shape``); ``expo_cols`` turns those columns of each group into unit exponentials.
    ``per_block`` groups per entity are made at a time; more are made when needed, so an
    entity never runs out. Values are stored as float32 (about 7 significant digits), the
    model's state of about 4 bytes per draw.
    """

    __slots__ = ("_streams", "_name", "_key", "_dist", "_group", "_per", "_width", "_shape",
                 "_expo", "_count", "_blocks")

    def __init__(self, streams: Streams, name: str, dist: str = "uniform", group: int = 1,
                 per_block: int = 4, shape: float = 1.0, expo_cols: tuple[int, ...] = ()):
        self._streams = streams
        self._name = name
        self._key = _key(name)
        self._dist = dist
        self._group = group
        self._per = per_block
        self._width = group * per_block
        self._shape = shape
        self._expo = tuple(expo_cols)
        self._count: list[int] = []
        self._blocks: dict[int, array] = {}

    def _block(self, chunk: int, b: int) -> array:
        rng = np.random.default_rng(self._streams.seed_sequence(self._name, chunk, b))
        x = _fill(rng, self._dist, CHUNK, self._width, self._shape, self._expo, self._group)
        blk = self._blocks[(chunk << 20) | b] = array("f", x.astype(np.float32).tobytes())
        return blk

    def __call__(self, e: int) -> float:
        """The next single draw of entity e."""
        counts = self._count
        if e >= len(counts):
            counts.extend([0] * (e + CHUNK - len(counts)))
        n = counts[e]
        counts[e] = n + 1
        per = self._per
        b = n // per
        blk = self._blocks.get(((e >> CHUNK_BITS) << 20) | b)
        if blk is None:
            blk = self._block(e >> CHUNK_BITS, b)
        return blk[(e & (CHUNK - 1)) * self._width + (n - b * per) * self._group]

    def group(self, e: int) -> array:
        """The next group of ``group`` draws of entity e."""
        counts = self._count
        if e >= len(counts):
            counts.extend([0] * (e + CHUNK - len(counts)))
        n = counts[e]
        counts[e] = n + 1
        per, g = self._per, self._group
        b = n // per
        blk = self._blocks.get(((e >> CHUNK_BITS) << 20) | b)
        if blk is None:
            blk = self._block(e >> CHUNK_BITS, b)
        i = (e & (CHUNK - 1)) * self._width + (n - b * per) * g
        return blk[i:i + g]

    def used(self, e: int) -> int:
        """How many draws (or groups) entity e has taken so far."""
        return self._count[e] if e < len(self._count) else 0

