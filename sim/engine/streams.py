"""Named random streams derived from one run seed (common random numbers).

Each kind of decision draws from its own numpy Generator, derived from
``SeedSequence(seed, spawn_key=(rep, crc32(name)))``. Replication ``rep`` of seed
``S`` is therefore exactly ``SeedSequence(S).spawn(reps)[rep]`` refined by name, so a
run is reproducible in any process and on any number of workers.

Common random numbers: the population, arrivals, exits and each office's service times
have their own streams, and decisions draw a fixed count of numbers whatever a barrier's
level (a hand-off always draws seven), so two scenarios that differ in a barrier or a
mechanism start from the same city and differ by the policy. They are common per kind of
decision, not per household: once a policy changes which households reach which office,
later draws of that kind go to different households. Per-household substreams would
tighten this further (future work).
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = ("population", "arrivals", "awareness", "apply", "reapply", "service:<office>",
           "rework", "mismatch", "dropout", "coordination", "exits", "central_pbi",
           "reverification", "mesa")


class Streams:
    """Lazily created, named numpy Generators for one replication."""

    def __init__(self, seed: int, rep: int = 0):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.rep = int(rep)
        self._gens: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str | None = None) -> np.random.SeedSequence:
        key = (self.rep,) if name is None else (self.rep, zlib.crc32(name.encode()))
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = self._gens[name] = np.random.default_rng(self.seed_sequence(name))
        return gen
