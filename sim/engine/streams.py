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

Most decisions' blocks are uniforms alone (an exponential as ``-log1p(-u)`` of its
uniform), one generator output per value in order, and these are not stored: a draw is
computed from the block's PCG64 state, jumped ahead to its place, and past the block from
its Philox counter (``_pcg_fill``, ``_philox_fill``): the float32 values a stored block
holds (``tests/test_crn.py``), in no memory. One caveat: an exponential is ``log1p`` of
the C library here, where the stored block used numpy's, which on processors with AVX-512
is its own vectorised version; the two differ by one unit in the last place of a double in
about 7% of values, and that survives the rounding to float32 in about one draw in 10**10
(about once in 100,000 replications). At ten times the city this took the peak
from about 415 to 327 MiB, and a city replication 12% less CPU (no blocks to fill, no
overflow slots to grow). Gamma draws and decisions of exponentials alone (numpy's
ziggurat) take a varying number of outputs per value, so their blocks are kept.
"""

from __future__ import annotations

import math
import zlib
from array import array

import numpy as np

from sim.engine.fields import slots

# The C library's log1p in the compiled core (Python's math.log1p is that function behind
# a Python call, about 300 machine instructions an exponential draw); math run as Python.
try:
    from cython.cimports.libc import math as libm
except (ImportError, AttributeError):
    libm = math

CHUNK_BITS = 10  # entities per block: 1,024
CHUNK = 1 << CHUNK_BITS
_MASK = CHUNK - 1


# numpy's PCG64 (the bit generator of ``default_rng``), written out so that a block's draw
# can be computed where it lies instead of stored: the state is a 128-bit LCG, each output
# steps it by the multiplier below and the increment, then mixes it (XSL-RR). Compiled, the
# 128-bit numbers are C numbers (``streams.pxd``); in Python they are ints kept below 2**128.
_M64 = (1 << 64) - 1


def _u128(hi, lo):  # noqa: ANN001, ANN202 (C numbers in streams.pxd)
    r = hi
    r = (r << 64) | lo
    return r


_M128 = _u128(_M64, _M64)
_PCG_MULT = _u128(2549297995355413924, 4865540595714422341)
# The jumps by powers of two: 2**k steps take a state s to A s + G inc, with A the
# multiplier to the power 2**k and G the sum of its powers below 2**k (mod 2**128); four
# 64-bit halves per k, A's then G's. A draw's place in a block is below 2**_JUMP_BITS.
_JUMP_BITS = 24


def _jump_table() -> array:
    a, g, out = _PCG_MULT, 1, array("Q")
    for _ in range(_JUMP_BITS):
        out.extend((a >> 64, a & _M64, g >> 64, g & _M64))
        a, g = (a * a) & _M128, (g * (a + 1)) & _M128
    return out


_JUMP = memoryview(_jump_table())


def _value(x, exponential):  # noqa: ANN001, ANN202 (C numbers in streams.pxd)
    """A 64-bit output as numpy's ``random()`` makes it (the top 53 bits over 2**53), or
    as the unit exponential ``-log1p(-u)`` of that uniform."""
    u = (x >> 11) * (1.0 / 9007199254740992.0)
    return -libm.log1p(-u) if exponential else u


def _pcg_fill(out, sh, sl, ih, il, pos, exp_cols, n) -> None:  # noqa: ANN001 (streams.pxd)
    """Put outputs ``pos`` to ``pos + n - 1`` of a PCG64 whose state is ``(sh, sl)`` and
    increment ``(ih, il)`` (high and low 64 bits) into ``out[:n]`` (``_value``: an
    exponential where bit j of ``exp_cols`` is set); float32 on the way in, as a block
    holds them. The state jumps ``pos`` steps at once (the LCG's jump ahead, as numpy's
    ``advance``), so draw ``pos`` costs no more than draw 0."""
    s = _u128(sh, sl)
    inc = _u128(ih, il)
    k = 0
    d = pos
    while d:
        if d & 1:
            a = _u128(_JUMP[4 * k], _JUMP[4 * k + 1])
            s = (a * s + _u128(_JUMP[4 * k + 2], _JUMP[4 * k + 3]) * inc) & _M128
        k += 1
        d >>= 1
    for j in range(n):
        s = (s * _PCG_MULT + inc) & _M128
        hi = s >> 64
        lo = s & _M64
        rot = hi >> 58
        x = hi ^ lo
        x = ((x >> rot) | (x << ((64 - rot) & 63))) & _M64
        out[j] = _value(x, (exp_cols >> j) & 1)


# numpy's Philox (4x64, 10 rounds), which fills the overflow blocks: its multipliers and
# the Weyl constants its key is bumped by between rounds (Salmon et al. 2011, Random123).
_PH_M0, _PH_M1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
_PH_W0, _PH_W1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
_OVERFLOW = 8  # draws (or groups) per overflow block (KeyedDraws.OVERFLOW)


def _philox_out(c0, c2, c3, k0, k1, w):  # noqa: ANN001, ANN202 (C numbers in streams.pxd)
    """Word ``w`` (0-3) of Philox4x64-10 of the counter ``(c0, 0, c2, c3)``, key ``(k0, k1)``."""
    c1 = 0
    for r in range(10):
        if r:
            k0 = (k0 + _PH_W0) & _M64
            k1 = (k1 + _PH_W1) & _M64
        p = _u128(0, _PH_M0) * c0
        q = _u128(0, _PH_M1) * c2
        c0, c1, c2, c3 = (q >> 64) ^ c1 ^ k0, q & _M64, (p >> 64) ^ c3 ^ k1, p & _M64
    if w == 0:
        return c0
    if w == 1:
        return c1
    if w == 2:
        return c2
    return c3


def _philox_fill(out, k0, k1, e, m, group, exp_cols) -> None:  # noqa: ANN001 (streams.pxd)
    """Put group ``m`` of entity ``e``'s overflow draws into ``out[:group]`` as
    :meth:`KeyedDraws._overflow` would have filled it: block ``m // OVERFLOW`` starts at
    the counter ``(0, 0, b, e)``, and numpy's Philox steps the counter before each four
    words, so word i of the block is word ``i % 4`` of the counter ``(1 + i // 4, 0, b, e)``."""
    b = m // _OVERFLOW
    i = (m % _OVERFLOW) * group
    for j in range(group):
        x = _philox_out(1 + (i + j) // 4, b, e, k0, k1, (i + j) % 4)
        out[j] = _value(x, (exp_cols >> j) & 1)


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
    users never make the whole chunk hold more. Values are float32 (about 7 significant
    digits): a stored block holds 4 bytes per draw; a block of uniforms holds none (its
    draws are computed where they lie: ``_compute``).

    Draws are taken in order, so an entity only ever reads its latest overflow block: each
    entity has one slot of ``OVERFLOW`` groups in one flat array, which its next block
    overwrites. Counts are kept in a byte per entity until one passes 255.
    """

    OVERFLOW = _OVERFLOW  # draws (or groups) per overflow block
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
        # A block filled by uniforms alone (exponentials as -log1p(-u) of theirs) is not
        # stored: a draw is computed from the block's PCG64 state where it lies in it
        # (_pcg_fill). Gamma draws, and a decision of exponentials alone (numpy's
        # ziggurat), take a varying number of outputs each, so their blocks are kept.
        self._jump = (set(self._kinds) <= {"uniform", "exponential"}
                      and "uniform" in self._kinds and self._group <= 64
                      and CHUNK * self._width <= 1 << _JUMP_BITS)  # (64: bits of _exp)
        # the group just computed, as float32; the instance's own, so that two models
        # run in two threads never share it
        self._scratch = array("f", bytes(4 * self._group))
        self._scr = memoryview(self._scratch)
        self._exp = sum(1 << j for j, k in enumerate(self._kinds) if k == "exponential")
        self._count = array("B")  # draws taken, per entity (widened to "I" past 255)
        self._c8 = self._c32 = None  # typed views of _count, one of them set (_view)
        self._wide = False
        self._ncount = 0
        # the PCG64 state of each chunk whose draws are computed, four 64-bit words a
        # chunk (a state's increment is odd: a zero marks a chunk not made yet)
        self._states = array("Q")
        self._st = None  # its typed view
        self._nst = 0  # chunks it has room for
        self._blocks: dict[int, array] = {}  # the stored blocks (a decision not computed)
        self._over: dict[int, int] = {}  # entity -> its slot's offset in _over_data
        self._over_data = array("f")
        self._philox: np.random.Philox | None = None  # fills overflow blocks (see _overflow)
        self._gen: np.random.Generator | None = None
        self._state: dict = {}
        self._ok0 = self._ok1 = 0  # the Philox key, where overflow is computed
        self._okset = False
        self._view()

    def __reduce__(self) -> tuple:
        """Pickled with the draws taken and the blocks made; the buffer and the overflow
        generators are made again when next needed."""
        return (_restore, (self._streams, self._name, self._kinds, self._per, self._shape,
                           self._count, self._states, self._blocks, self._over,
                           self._over_data))

    def __copy__(self) -> KeyedDraws:
        """A twin that goes on with the same draws, with arrays of its own: two objects
        sharing an array could not grow it (each holds a view of it)."""
        return _restore(self._streams, self._name, self._kinds, self._per, self._shape,
                        array(self._count.typecode, self._count), array("Q", self._states),
                        dict(self._blocks), dict(self._over), array("f", self._over_data))

    def _view(self) -> None:
        """Typed views of the counts and the chunk states, taken again after they grow (an
        array cannot grow while a view of it is held)."""
        self._wide = self._count.typecode != "B"
        if self._wide:
            self._c32 = memoryview(self._count)
        else:
            self._c8 = memoryview(self._count)
        self._ncount = len(self._count)
        self._st = memoryview(self._states)
        self._nst = len(self._states) // 4

    def _unview(self) -> None:
        self._c8 = self._c32 = self._st = None

    def _make(self, rows: int, per: int, *key: int) -> array | tuple:
        """A chunk's block: its values, or (a block computed where it lies) the state of
        the PCG64 that ``default_rng`` makes from its key, as four 64-bit halves."""
        seq = self._streams.seed_sequence(self._name, *key)
        if self._jump:
            st = np.random.PCG64(seq).state["state"]
            s, inc = st["state"], st["inc"]
            return (s >> 64, s & _M64, inc >> 64, inc & _M64)
        rng = np.random.default_rng(seq)
        return array("f", _fill(rng, self._kinds, rows, per, self._shape)
                     .astype(np.float32).tobytes())

    def _over_key(self) -> np.ndarray:
        """The key of the decision's overflow blocks' Philox (two 64-bit words)."""
        return self._streams.seed_sequence(self._name, self.OVER_KEY).generate_state(
            2, np.uint64)

    def _overflow(self, e: int, b: int) -> bytes:
        """Overflow block ``b`` of entity ``e``: Philox, a counter-based generator, keyed
        by the decision and started at the counter ``(0, 0, b, e)``. Each (e, b) owns its
        own range of counters, so the block is a pure function of (seed, rep, name, e, b),
        like a Generator seeded per block, at a seventh of the cost (a SeedSequence and a
        Generator per block took about 40 us, and thousands are made per replication)."""
        ph = self._philox
        if ph is None:
            ph = self._philox = np.random.Philox(key=self._over_key())
            self._gen = np.random.Generator(ph)
            self._state = ph.state  # buffer empty: the next draw starts at the counter
        state = self._state
        counter = state["state"]["counter"]
        counter[2] = b
        counter[3] = e
        ph.state = state
        return _fill(self._gen, self._kinds, 1, self.OVERFLOW, self._shape) \
            .astype(np.float32).tobytes()

    def _take(self, e):  # noqa: ANN001, ANN202 (C numbers in streams.pxd)
        """Entity e's count of draws (or groups) taken so far, counting this one."""
        if e < 0:  # (a view would read the last entity's count)
            raise IndexError(f"keyed draws of {self._name!r}: entity {e} is negative")
        if e >= self._ncount:  # room for e's chunk, and the counts beyond it
            self._unview()
            try:
                self._count.frombytes(bytes(self._count.itemsize * (e + CHUNK - self._ncount)))
            finally:  # (a failed growth, e.g. MemoryError, leaves the draws usable)
                self._view()
        if self._wide:
            n = self._c32[e]
            self._c32[e] = n + 1
            return n
        n = self._c8[e]
        if n == 255:  # a count passes 255: widen them all
            self._unview()
            try:
                self._count = array("I", self._count)
            finally:
                self._view()
            self._c32[e] = n + 1
            return n
        self._c8[e] = n + 1
        return n

    def _index(self, e) -> tuple[array, int]:  # noqa: ANN001 (e: an int, typed in streams.pxd)
        """The stored block holding entity e's next draw (or group), and its offset there
        (a decision whose draws are stored, not computed: ``_jump`` false)."""
        n = self._take(e)
        if n < self._per:
            chunk = e >> CHUNK_BITS
            blk = self._blocks.get(chunk)
            if blk is None:
                blk = self._blocks[chunk] = self._make(CHUNK, self._per, chunk)
            return blk, (e & _MASK) * self._width + n * self._group
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
        return self.draw(e)

    def draw(self, e) -> float:  # noqa: ANN001 (e: a C int, streams.pxd)
        """The next single draw of entity e (``__call__``, a C call in the compiled core)."""
        if self._jump:
            self._compute(e)
            return self._scr[0]
        blk, i = self._index(e)
        return blk[i]

    def group(self, e) -> array:  # noqa: ANN001 (e: a C int, streams.pxd)
        """The next group of draws of entity e, as an array of its own."""
        self.take(e)
        return self.keep()

    def take(self, e) -> float:  # noqa: ANN001 (e: a C int, streams.pxd)
        """Make entity e's next group the current one, and return its first draw; read the
        others with :meth:`value`. The same draws as :meth:`group`, without a new array
        (compiled, C calls and C floats)."""
        if not self._jump:
            blk, i = self._index(e)
            scr = self._scr
            for k in range(self._group):
                scr[k] = blk[i + k]
            return scr[0]
        self._compute(e)
        return self._scr[0]

    def view(self, e) -> memoryview:  # noqa: ANN001 (e: a C int, streams.pxd)
        """Entity e's next group, as a view that holds it until this decision's next draw
        (:meth:`keep` copies it): no new array (compiled, a typed view)."""
        self.take(e)
        return self._scr

    def keep(self) -> array:
        """A copy of the current group, kept after the next draw."""
        return self._scratch[:self._group]

    def value(self, k) -> float:  # noqa: ANN001 (k: a C int, streams.pxd)
        """Draw k of the current group (the last :meth:`take`; the last :meth:`group` or
        :meth:`draw` of a computed decision)."""
        return self._scr[k]

    def _compute(self, e) -> None:  # noqa: ANN001 (streams.pxd)
        """Put entity e's next group into ``_scratch``: from its chunk's PCG64 state, or
        past its chunk's block, from its overflow draws."""
        n = self._take(e)
        if n < self._per:
            c = e >> CHUNK_BITS
            if c >= self._nst or self._st[4 * c + 3] == 0:
                self._new_chunk(c)
            j = 4 * c
            _pcg_fill(self._scr, self._st[j], self._st[j + 1], self._st[j + 2],
                      self._st[j + 3], (e & _MASK) * self._width + n * self._group,
                      self._exp, self._group)
            return
        if not self._okset:
            self._ok0, self._ok1 = (int(k) for k in self._over_key())
            self._okset = True
        _philox_fill(self._scr, self._ok0, self._ok1, e, n - self._per, self._group,
                     self._exp)

    def _new_chunk(self, c):  # noqa: ANN001, ANN202 (streams.pxd)
        """Make chunk c's PCG64 state (the chunks' room grows by doubling)."""
        if c >= self._nst:
            self._unview()
            try:
                self._states.frombytes(bytes(8 * 4 * (max(c + 1, 2 * self._nst) - self._nst)))
            finally:
                self._view()
        st = self._states
        st[4 * c:4 * c + 4] = array("Q", self._make(CHUNK, self._per, c))

    def used(self, e: int) -> int:
        """How many draws (or groups) entity e has taken so far."""
        return self._count[e] if e < len(self._count) else 0


def _restore(streams: Streams, name: str, kinds: tuple[str, ...], per: int, shape: float,
             count: array, states: array, blocks: dict, over: dict, over_data: array,
             ) -> KeyedDraws:
    k = KeyedDraws(streams, name, kinds, per, shape)
    k._unview()
    k._count, k._states = count, states
    k._blocks, k._over, k._over_data = blocks, over, over_data
    k._view()
    return k
