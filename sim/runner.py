"""``run(scenario, reps, seed)``: replications of the model, as plain data.

Replication ``r`` of seed ``S`` draws from ``SeedSequence(S).spawn(...)[r]`` (see
:mod:`sim.engine.streams`), so results are identical whatever the number of worker processes.
This function is what sweeps, SALib's ``ProblemSpec.evaluate``, the EMA Workbench or
Mesa's ``batch_run`` build on. It writes no files.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim._version import __version__
from sim.metrics import case_table, journey_table, rep_stats, summarize
from sim.model import JambiBugarModel
from sim.scenario import load_scenario
from sim.scenario import Scenario


@dataclass
class RepResult:
    rep: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    stats: dict[str, Any]
    journey: pd.DataFrame | None = None


@dataclass
class Result:
    """Everything a run produced: the same content as the files the CLI writes."""

    scenario: Scenario
    seed: int
    timeseries: pd.DataFrame
    cases: pd.DataFrame
    summary: dict[str, Any]
    per_rep: list[dict[str, Any]] = field(default_factory=list)
    journey: pd.DataFrame | None = None  # one row per visit (see metrics.journey_table)


def run_one(scenario: Scenario, seed: int = 0, rep: int = 0) -> RepResult:
    """One replication, start to end."""
    t0 = time.perf_counter()
    # The model's objects live for the whole run and make no garbage cycles: the cyclic
    # collector would only walk them again and again (about 5-10% of the run time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        model = JambiBugarModel(scenario=scenario, seed=seed, rep=rep)
        while model.running:
            model.step()
    finally:
        if was_enabled:
            gc.enable()
    runtime = time.perf_counter() - t0
    ts = pd.DataFrame(model.monthly)
    journey = journey_table(model)
    cases = case_table(model, journey)
    return RepResult(rep, ts, cases, rep_stats(model, runtime), journey)


def _one(args: tuple[Scenario, int, int]) -> RepResult:
    return run_one(*args)


def run(scenario: Scenario | str | Path | None = None, reps: int = 1, seed: int = 0,
        workers: int = 1, progress: Callable[[int], None] | None = None,
        **overrides: Any) -> Result:
    """Run ``reps`` replications of a scenario and summarise them.

    Args:
        scenario: a Scenario, a TOML path, or None for the historical baseline.
        reps: number of replications (>= 1).
        seed: root seed (>= 0).
        workers: processes to use; results do not depend on it.
        progress: called with 1 after each finished replication (e.g. ``tqdm.update``).
        **overrides: flat parameter overrides, as for ``JambiBugarModel``.
    """
    sc = load_scenario(scenario).with_overrides(**overrides)
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    jobs = [(sc, seed, r) for r in range(reps)]
    results: list[RepResult] = []
    if workers <= 1 or reps == 1:
        for job in jobs:
            results.append(_one(job))
            if progress:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, reps)) as pool:
            for res in pool.map(_one, jobs):
                results.append(res)
                if progress:
                    progress(1)
    results.sort(key=lambda r: r.rep)
    ts = pd.concat([r.timeseries for r in results], ignore_index=True)
    cases = pd.concat([r.cases for r in results], ignore_index=True)
    journey = pd.concat([r.journey for r in results], ignore_index=True)
    stats = [r.stats for r in results]
    return Result(sc, seed, ts, cases, summarize(sc, seed, stats, cases, __version__), stats,
                  journey)
