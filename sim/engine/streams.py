"""Random numbers for one replication: named streams, and draws keyed per entity and decision.

Two kinds of source, both numpy Generators derived from one run seed:

* :class:`Streams` -- named Generators, ``SeedSequence(seed, spawn_key=(rep, crc32(name)))``,
  for draws whose order never depends on policy: building the initial population, the
  arrival process, the model's own Mesa generator.
* :class:`KeyedDraws` -- *common random numbers per entity and per decision*. The n-th
  draw of decision ``name`` for entity ``e`` (a household's index) is a pure function of
  ``(seed, rep, name, e, n)``. The first few are read from a block that a Generator seeded
  with ``SeedSequence(seed, spawn_key=(rep, crc32(name), e // 1024))`` fills for 1,024
  entities at once; later ones from the entity's own overflow blocks. So two scenarios run under one seed give every household the
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

from sim.engine.fields import slots

CHUNK_BITS = 10  # entities per block: 1,024
CHUNK = 1 << CHUNK_BITS
_MASK = CHUNK - 1


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

    def keyed(self, name: str, dist: str | tuple[str, ...] = "uniform", per_block: int = 2,
              shape: float = 1.0) -> KeyedDraws:
        """Keyed draws of one decision (see :class:`KeyedDraws`)."""
        return KeyedDraws(self, name, dist, per_block, shape)

    def event(self, name: str, index: int, size: int) -> np.ndarray:
        """``size`` uniforms for city-wide event ``index`` of kind ``name``, one per entity:
        entity e always gets element e, whatever happened before the event."""
        return np.random.default_rng(self.seed_sequence(name, index)).random(size)


def _fill(rng: np.random.Generator, kinds: tuple[str, ...], rows: int, per: int,
          shape: float) -> np.ndarray:
    """``rows`` x ``per`` groups, one column per entry of ``kinds``: ``uniform``,
    ``exponential`` (unit mean) or ``gamma`` (unit mean, shape ``shape``)."""
    width = len(kinds) * per
    if len(set(kinds)) == 1:
        kinds_all = kinds[0]
        if kinds_all == "uniform":
            return rng.random((rows, width))
        if kinds_all == "exponential":
            return rng.standard_exponential((rows, width))
        if kinds_all == "gamma":
            return rng.gamma(shape, 1.0 / shape, (rows, width))
        raise ValueError(f"unknown distribution {kinds_all!r}")
    x = rng.random((rows, per, len(kinds)))
    for col, kind in enumerate(kinds):
        if kind == "exponential":
            x[:, :, col] = -np.log1p(-x[:, :, col])
        elif kind == "gamma":
            x[:, :, col] = rng.gamma(shape, 1.0 / shape, (rows, per))
        elif kind != "uniform":
            raise ValueError(f"unknown distribution {kind!r}")
    return x.reshape(rows, width)


class KeyedDraws:
    """The n-th draw (or group of draws) of one decision for entity e.

    ``dist`` is ``uniform``, ``exponential`` (unit mean) or ``gamma`` (unit mean, shape
    ``shape``) for a single draw, or a tuple of those for a group (read with
    :meth:`group`). The first ``per_block`` draws (or groups) of every entity come from
    one block per 1,024 entities, ``SeedSequence(seed, spawn_key=(rep, crc32(name),
    chunk))``; an entity that needs more gets its own overflow blocks of ``OVERFLOW``,
    block ``b`` drawn by a Philox generator keyed by ``SeedSequence(seed, spawn_key=(rep,
    crc32(name), OVER_KEY))`` from the counter ``(0, 0, b, e)``, so a few heavy
    users never make the whole chunk hold more. Values are stored as float32 (about 7
    significant digits): about 4 bytes of model state per draw.

    Draws are taken in order, so an entity only ever reads its latest overflow block: each
    entity has one slot of ``OVERFLOW`` groups in one flat array, which its next block
    overwrites. Counts are kept in a byte per entity until one passes 255.
    """

    OVERFLOW = 8  # draws (or groups) per overflow block
    OVER_KEY = 1 << 30  # keeps the overflow key apart from chunk keys

    __slots__ = slots(__file__, "KeyedDraws")  # the fields: streams.pxd

    def __init__(self, streams: Streams, name: str, dist: str | tuple[str, ...] = "uniform",
                 per_block: int = 2, shape: float = 1.0):
        self._streams = streams
        self._name = name
        self._kinds = (dist,) if isinstance(dist, str) else tuple(dist)
        self._group = len(self._kinds)
        if not 0 < per_block < 256:  # the fast path's counts stay within a byte
            raise ValueError(f"per_block must be 1..255, got {per_block}")
        self._per = per_block
        self._width = self._group * per_block
        self._shape = shape
        self._count = array("B")  # draws taken, per entity (widened to "I" past 255)
        self._blocks: dict[int, array] = {}
        self._over: dict[int, int] = {}  # entity -> its slot's offset in _over_data
        self._over_data = array("f")
        self._philox: np.random.Philox | None = None  # fills overflow blocks (see _overflow)
        self._gen: np.random.Generator | None = None
        self._state: dict = {}

    def _make(self, rows: int, per: int, *key: int) -> array:
        rng = np.random.default_rng(self._streams.seed_sequence(self._name, *key))
        return array("f", _fill(rng, self._kinds, rows, per, self._shape)
                     .astype(np.float32).tobytes())

    def _overflow(self, e: int, b: int) -> bytes:
        """Overflow block ``b`` of entity ``e``: Philox, a counter-based generator, keyed
        by the decision and started at the counter ``(0, 0, b, e)``. Each (e, b) owns its
        own range of counters, so the block is a pure function of (seed, rep, name, e, b),
        like a Generator seeded per block, at a seventh of the cost (a SeedSequence and a
        Generator per block took about 40 us, and thousands are made per replication)."""
        ph = self._philox
        if ph is None:
            key = self._streams.seed_sequence(self._name, self.OVER_KEY).generate_state(
                2, np.uint64)
            ph = self._philox = np.random.Philox(key=key)
            self._gen = np.random.Generator(ph)
            self._state = ph.state  # buffer empty: the next draw starts at the counter
        state = self._state
        counter = state["state"]["counter"]
        counter[2] = b
        counter[3] = e
        ph.state = state
        return _fill(self._gen, self._kinds, 1, self.OVERFLOW, self._shape) \
            .astype(np.float32).tobytes()

    def _index(self, e) -> tuple[array, int]:  # noqa: ANN001 (e: an int, typed in streams.pxd)
        """The block holding entity e's next draw (or group), and its offset there."""
        counts = self._count
        if e < len(counts):  # fast path (most draws): one of the first, its block made
            n = counts[e]
            if n < self._per:
                blk = self._blocks.get(e >> CHUNK_BITS)
                if blk is not None:
                    counts[e] = n + 1
                    return blk, (e & _MASK) * self._width + n * self._group
        if e >= len(counts):
            counts.frombytes(bytes(counts.itemsize * (e + CHUNK - len(counts))))
        n = counts[e]
        try:
            counts[e] = n + 1
        except OverflowError:  # a count passes 255: widen them all
            counts = self._count = array("I", counts)
            counts[e] = n + 1
        if n < self._per:
            chunk = e >> CHUNK_BITS
            blk = self._blocks.get(chunk)
            if blk is None:
                blk = self._blocks[chunk] = self._make(CHUNK, self._per, chunk)
            return blk, (e & (CHUNK - 1)) * self._width + n * self._group
        b, k = divmod(n - self._per, self.OVERFLOW)
        data = self._over_data
        if k:
            return data, self._over[e] + k * self._group
        # the first draw of block b: it takes the entity's slot (block b - 1 is spent)
        raw = self._overflow(e, b)
        at = self._over.get(e)
        if at is None:
            at = self._over[e] = len(data)
            data.frombytes(raw)
        else:
            data[at:at + len(raw) // 4] = array("f", raw)
        return data, at

    def __call__(self, e: int) -> float:
        """The next single draw of entity e."""
        blk, i = self._index(e)
        return blk[i]

    def group(self, e: int) -> array:
        """The next group of draws of entity e."""
        blk, i = self._index(e)
        return blk[i:i + self._group]

    def used(self, e: int) -> int:
        """How many draws (or groups) entity e has taken so far."""
        return self._count[e] if e < len(self._count) else 0
