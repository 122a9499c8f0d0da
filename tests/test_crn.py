"""Common random numbers per household and per decision: two scenarios run under one seed
differ by their policy only. A changed barrier never shifts another decision's draws."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import small

from sim.model import JambiBugarModel

BARRIERS = ("specialization", "power", "performance_management", "turf", "beliefs",
            "politics", "accountability")
LOW, HIGH = 0.1, 0.9


def run(seed: int = 7, patch: Any = None, **barriers: float) -> JambiBugarModel:
    sc = small(time={"end": "2019-06-30"}, barriers=barriers)
    model = JambiBugarModel(sc, seed=seed)
    if patch is not None:
        patch(model)
    while model.running:
        model.step()
    return model


def first_cases(model: JambiBugarModel) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for c in model.flow.cases:
        out.setdefault(c.household.idx, c)
    return out


def first_service_work(model: JambiBugarModel, stage: str) -> dict[int, float]:
    """Working days of each household's first service at an office type."""
    j = model.flow.journey
    cases = model.flow.cases
    cal = (model.city.rt_heads[0] if stage == "rt" else model.city.agencies[stage]).calendar
    out: dict[int, float] = {}
    from sim.model.cases import STAGE_CODE

    code = STAGE_CODE[stage]
    for i in range(len(j)):
        if j.stage[i] != code or np.isnan(j.t_start[i]):
            continue
        hh = cases[j.case[i] - 1].household.idx
        if hh not in out:
            out[hh] = cal.to_work(j.t_end[i]) - cal.to_work(j.t_start[i])
    return out


def mismatches(a: dict[int, float], b: dict[int, float], scale: float = 1.0) -> list[int]:
    common = sorted(set(a) & set(b))
    assert len(common) > 30, "too few households to compare"
    return [h for h in common if not np.isclose(b[h], a[h] * scale, rtol=1e-6, atol=0)]


@pytest.mark.parametrize("barrier", BARRIERS)
def test_a_changed_barrier_shifts_no_other_decision(barrier: str) -> None:
    a, b = run(**{barrier: LOW}), run(**{barrier: HIGH})
    # the same city: every household (initial and arriving) with the same attributes
    def city(m: JambiBugarModel) -> list[tuple]:
        return [(h.segment, h.rt, h.cost_factor, h.patience) for h in m.households]
    assert city(a) == city(b)
    # each household's first case has the same tolerance
    ca, cb = first_cases(a), first_cases(b)
    tol_a = {h: c.tolerance for h, c in ca.items()}
    tol_b = {h: c.tolerance for h, c in cb.items()}
    assert mismatches(tol_a, tol_b) == []
    # the RT head's service time for each household is the same draw
    assert mismatches(first_service_work(a, "rt"), first_service_work(b, "rt")) == []
    # agency service times are the same draws; turf only rescales them
    scale = 1.0
    if barrier == "turf":
        loss = a.scenario.coordination.turf_capacity_loss
        scale = (1 - LOW * loss) / (1 - HIGH * loss)
    assert mismatches(first_service_work(a, "dinsos"), first_service_work(b, "dinsos"),
                      scale) == []


def test_the_check_fails_for_a_shared_sequential_stream() -> None:
    """Control: draw tolerances from one stream in application order (the old design) and
    the same comparison finds shifted draws."""
    def sequential(model: JambiBugarModel) -> None:
        rng = np.random.default_rng(1)
        model.flow.u_tolerance = SimpleNamespace(draw=lambda _e: float(rng.exponential()))

    a = run(patch=sequential, specialization=LOW)
    b = run(patch=sequential, specialization=HIGH)
    tol_a = {h: c.tolerance for h, c in first_cases(a).items()}
    tol_b = {h: c.tolerance for h, c in first_cases(b).items()}
    assert len(mismatches(tol_a, tol_b)) > 10


def test_replications_differ_and_repeat() -> None:
    """Keyed draws depend on the replication: rep 1 is not rep 0, and rep 0 repeats."""
    sc = small(time={"end": "2018-12-31"})
    m0, m0b, m1 = (JambiBugarModel(sc, seed=3, rep=r) for r in (0, 0, 1))
    for m in (m0, m0b, m1):
        while m.running:
            m.step()
    t0 = [c.tolerance for c in m0.flow.cases]
    assert t0 == [c.tolerance for c in m0b.flow.cases]
    assert t0 != [c.tolerance for c in m1.flow.cases]


def test_keyed_draws_are_a_pure_function_of_entity_and_count() -> None:
    """The n-th draw of a decision for an entity does not depend on what other entities
    drew, or in which order: the first draws from the shared block, later ones from the
    entity's overflow blocks alike."""
    import numpy as np

    from sim.engine.streams import KeyedDraws, Streams

    kinds = ("gamma", "uniform", "exponential")
    n = 3 + 2 * KeyedDraws.OVERFLOW + 1  # the shared block, then three overflow blocks

    def draws(order: list[int], name: str = "visit:rt", seed: int = 7) -> dict[int, list]:
        k = Streams(seed, 2).keyed(name, kinds, per_block=3, shape=2.0)
        got: dict[int, list] = {e: [] for e in set(order)}
        for e in order:
            got[e].append(tuple(k.group(e)))
        return got

    entities = [0, 5, 1023, 1024, 40_000]
    one_by_one = draws([e for e in entities for _ in range(n)])
    rng = np.random.default_rng(0)
    shuffled = [int(e) for e in rng.permutation(np.repeat(entities, n))]
    assert draws(shuffled) == one_by_one
    assert draws(list(reversed(shuffled))) == one_by_one
    # the sequences differ between entities, decisions and seeds (no block is reused)
    seqs = [tuple(v) for v in one_by_one.values()]
    assert len({s[i] for s in seqs for i in range(n)}) == len(entities) * n
    assert draws(entities * n, name="visit:lurah")[5] != one_by_one[5]
    assert draws(entities * n, seed=8)[5] != one_by_one[5]


def test_keyed_draws_past_255_and_in_later_overflow_blocks() -> None:
    """Counts widen past a byte and an entity's later overflow blocks reuse its slot, yet
    draw n is still overflow block (n - per_block) // OVERFLOW of the documented Philox
    counter, whatever other entities drew in between."""
    import numpy as np

    from sim.engine.streams import KeyedDraws, Streams, _fill

    streams = Streams(11, 1)
    k = streams.keyed("consider", ("uniform", "exponential"), per_block=4)
    n = 300
    mixed = []
    for i in range(n):
        mixed.append(tuple(k.group(7)))
        if i % 3 == 0:
            k.group(2000 + i)  # other entities in between, some with overflow slots
    assert k.used(7) == n and k.used(2000) == 1
    key = streams.seed_sequence("consider", KeyedDraws.OVER_KEY).generate_state(2, np.uint64)
    alone = Streams(11, 1).keyed("consider", ("uniform", "exponential"), per_block=4)
    seq = [tuple(alone.group(7)) for _ in range(n)]
    assert mixed == seq
    for b in (0, 1, 20, (n - 4) // KeyedDraws.OVERFLOW):
        ph = np.random.Philox(key=key)
        state = ph.state
        state["state"]["counter"][2:] = (b, 7)
        ph.state = state
        block = _fill(np.random.Generator(ph), ("uniform", "exponential"), 1,
                      KeyedDraws.OVERFLOW, 1.0).astype(np.float32).reshape(-1, 2)
        first = 4 + b * KeyedDraws.OVERFLOW
        got = seq[first:first + KeyedDraws.OVERFLOW]
        assert [tuple(map(float, row)) for row in block[:len(got)]] == got


def test_blocks_of_uniforms_are_computed_where_they_lie_as_numpy_fills_them() -> None:
    """A decision whose blocks are uniforms alone (exponentials as -log1p(-u) of theirs)
    keeps no values: each draw is computed from its chunk's PCG64 state, jumped to its
    place, and past the block from the Philox counter of its overflow block. Every draw
    equals numpy's fill of the block, from the first entity of a chunk to its last (the
    longest jump), in a later chunk, for groups and single draws; nothing is stored."""
    import numpy as np

    from sim.engine.streams import KeyedDraws, Streams, _fill

    CHUNK = 1024  # entities per block (streams.CHUNK, a C number when compiled)
    kinds = ("uniform", "uniform", "exponential")
    k = Streams(9, 3).keyed("handoff:rt", kinds, per_block=3)
    single = Streams(9, 3).keyed("word_of_mouth", per_block=6)
    assert k._jump and single._jump
    # each decision computes into its own buffer: models run in two threads share none
    assert k._scratch is not single._scratch
    for chunk in (0, 2):
        seq = Streams(9, 3).seed_sequence("handoff:rt", chunk)
        block = _fill(np.random.default_rng(seq), kinds, CHUNK, 3, 1.0).astype(np.float32)
        block = block.reshape(CHUNK, 3, 3)
        seq = Streams(9, 3).seed_sequence("word_of_mouth", chunk)
        singles = np.random.default_rng(seq).random((CHUNK, 6)).astype(np.float32)
        for r in (0, 1, 511, CHUNK - 1):
            e = chunk * CHUNK + r
            assert [tuple(k.group(e)) for _ in range(3)] == \
                [tuple(map(float, row)) for row in block[r]]
            assert [single(e) for _ in range(6)] == [float(v) for v in singles[r]]
    # past the block: the overflow blocks, as numpy's Philox fills them (the stored path)
    k = Streams(9, 3).keyed("handoff:rt", kinds, per_block=3)
    ref = Streams(9, 3).keyed("handoff:rt", kinds, per_block=3)
    ref._jump = False
    for e in (5, CHUNK - 1, 3 * CHUNK + 7):
        for _ in range(3 + 2 * KeyedDraws.OVERFLOW + 3):
            assert tuple(k.group(e)) == tuple(ref.group(e))
    assert len(ref._over_data) > 0
    # what is kept: each chunk's PCG64 state (numpy's, as four 64-bit words), no block
    assert not k._blocks
    for chunk in (0, 3):
        st = np.random.PCG64(Streams(9, 3).seed_sequence("handoff:rt", chunk)).state["state"]
        words = [st["state"] >> 64, st["state"] & (2**64 - 1), st["inc"] >> 64,
                 st["inc"] & (2**64 - 1)]
        assert list(k._states[4 * chunk:4 * chunk + 4]) == words
    assert list(k._states[4:12]) == [0] * 8  # chunks 1 and 2: never drawn, never made
    assert len(k._over_data) == 0 and not k._over
    # a gamma draw, or an exponential decision alone (numpy's ziggurat), takes a varying
    # number of outputs: those blocks are kept
    assert not Streams(1).keyed("a", ("gamma", "uniform"), shape=2.0)._jump
    assert not Streams(1).keyed("b", "exponential")._jump
    assert not Streams(1).keyed("c", ("uniform",) * 65)._jump  # _exp has 64 bits
    assert KeyedDraws.OVERFLOW == 8


def test_keyed_draws_pickle_and_go_on_where_they_were() -> None:
    """A decision pickled after some draws (a model sent to another process) goes on with
    the same draws as the original, from its blocks, computed blocks and overflow."""
    import pickle

    from sim.engine.streams import Streams

    for kinds, per in ((("uniform", "exponential"), 2), ("exponential", 2),
                       (("gamma", "uniform"), 1)):
        k = Streams(4, 1).keyed("d", kinds, per_block=per, shape=2.0)
        for e in (0, 3, 3, 3, 1500):
            k.group(e)
        twin = pickle.loads(pickle.dumps(k))
        for e in (3, 3, 3, 0, 1500, 2047, 3):
            assert tuple(twin.group(e)) == tuple(k.group(e))
        assert twin.used(3) == k.used(3) == 7
        for _ in range(300):  # a count past a byte (widened), then pickled again
            k.group(3)
        twin = pickle.loads(pickle.dumps(k))
        assert [tuple(twin.group(3)) for _ in range(3)] == [tuple(k.group(3)) for _ in range(3)]
        assert twin.used(3) == k.used(3) == 310



def test_keyed_draws_copied_grow_on_their_own_and_survive_a_failed_growth() -> None:
    """A copy has arrays of its own (the twin and the original each grow theirs); a growth
    that fails (no memory) leaves the draws usable; a negative entity is refused and
    changes no count (a view would have read the last entity's)."""
    import copy

    import pytest

    from sim.engine.streams import Streams

    def nth(kinds: tuple, e: int, n: int) -> tuple:  # entity e's n-th group, from scratch
        fresh = Streams(4, 1).keyed("d", kinds, per_block=2, shape=2.0)
        for _ in range(n):
            fresh.group(e)
        return tuple(fresh.group(e))

    for kinds in (("uniform", "exponential"), ("gamma", "uniform")):  # computed, stored
        k = Streams(4, 1).keyed("d", kinds, per_block=2, shape=2.0)
        for e in (3, 3, 1500):
            k.group(e)
        twin = copy.copy(k)
        # the twin grows (a far entity, a new chunk, a count past a byte), k does not see it
        for e in (5000, 9 * 1024 + 1):
            assert tuple(twin.group(e)) == nth(kinds, e, 0)
        for _ in range(300):
            twin.group(3)
        assert k.used(3) == 2 and twin.used(3) == 302 and k.used(5000) == 0
        assert tuple(k.group(3)) == nth(kinds, 3, 2)
        assert tuple(twin.group(3)) == nth(kinds, 3, 302)
        assert tuple(k.group(7000)) == nth(kinds, 7000, 0)  # and k grows its own
        with pytest.raises(MemoryError):
            k.group(2 ** 62)  # room for 2**62 counts: refused by the allocator
        assert tuple(k.group(3)) == nth(kinds, 3, 3)
        counts = list(k._count)
        with pytest.raises(IndexError, match="negative"):
            k.group(-1)
        with pytest.raises(IndexError, match="negative"):
            k(-1)
        assert list(k._count) == counts


@pytest.mark.parametrize("kinds", [("uniform", "exponential"), ("gamma", "uniform", "uniform")])
def test_take_value_and_view_give_the_draws_group_gives(kinds: tuple[str, ...]) -> None:
    """The array-free reads of a group (computed where it lies, or stored: gamma) are the
    draws of ``group``, entity by entity and draw by draw, past the first block."""
    from sim.engine.streams import Streams
    by_group = Streams(5, 1).keyed("decide", kinds, per_block=3, shape=2.0)
    by_take = Streams(5, 1).keyed("decide", kinds, per_block=3, shape=2.0)
    by_view = Streams(5, 1).keyed("decide", kinds, per_block=3, shape=2.0)
    n = len(kinds)
    for rnd in range(12):  # more than per_block draws: into the overflow blocks
        for e in (0, 7, 1023, 1024, 5000):
            expected = list(by_group.group(e))
            first = by_take.take(e)
            taken = [first] + [by_take.value(k) for k in range(1, n)]
            assert taken == expected, (rnd, e)
            view = by_view.view(e)
            assert [view[k] for k in range(n)] == expected, (rnd, e)
            kept = by_view.keep()
            by_view.take(e + 2)  # the next draw overwrites the view, not the kept copy
            assert list(kept) == expected
    assert len(expected) == n and len(set(expected)) == n
