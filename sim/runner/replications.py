"""``run(scenario, reps, seed)``: replications of the model, as plain data.

Replication ``r`` of seed ``S`` draws from ``SeedSequence(S).spawn(...)[r]`` (see
:mod:`sim.engine.streams`), so results are identical whatever the number of worker processes.
This function is what sweeps, SALib's ``ProblemSpec.evaluate``, the EMA Workbench or
Mesa's ``batch_run`` build on. It writes no files.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import checks
from sim._version import __version__
from sim.model import JambiBugarModel
from sim.runner.catalogue import scalars
from sim.runner.records import (
    CASE_COLUMNS,
    case_columns,
    case_table,
    journey_table,
    outcome_table,
    prepare_summary,
    rep_stats,
    summarize,
)
from sim.runner.staging import stops_held
from sim.runner.totals import Tally
from sim.scenario import Scenario, load_scenario


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
    timeseries: pd.DataFrame | None  # None when run() streamed the tables to a sink
    cases: pd.DataFrame | None
    summary: dict[str, Any]
    per_rep: list[dict[str, Any]] = field(default_factory=list)
    journey: pd.DataFrame | None = None  # one row per visit (see metrics.journey_table)
    tally: Tally | None = None  # what the figures need, whatever the number of reps

    def scalars_by_rep(self) -> pd.DataFrame:
        """Every catalogue scalar (``sim.OUTPUTS``), one row per replication."""
        return pd.DataFrame([s["scalars"] for s in self.per_rep],
                            index=pd.Index([s["rep"] for s in self.per_rep], name="rep"))

    def scalars(self) -> dict[str, float]:
        """Every catalogue scalar as a flat dict of floats: the mean over replications
        (NaN where undefined, e.g. days to card when nobody was enrolled)."""
        return {k: float(v) for k, v in self.scalars_by_rep().mean(skipna=False).items()}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a model runs.

    The model's objects live for the whole run and make no garbage cycles: the collector
    would only walk them again and again (about 5-10% of the run time). Reference
    counting still frees everything else. The previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_one(scenario: Scenario, seed: int = 0, rep: int = 0, tables: bool = True) -> RepResult:
    """One replication, start to end.

    ``stats["scalars"]`` holds every scalar of the outcome catalogue (``sim.OUTPUTS``).
    With ``tables=False`` the case table and the journey log are not built
    (``cases`` and ``journey`` are None): studies that need only scalars save their cost.
    """
    seed, rep = checks.seed_and_rep(seed, rep)
    t0, cpu0 = time.perf_counter(), time.process_time()
    was_enabled = gc.isenabled()
    with collector_paused():
        model = JambiBugarModel(scenario=scenario, seed=seed, rep=rep, tables=tables)
        while model.running:
            model.step()
        runtime, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        ts = pd.DataFrame(model.monthly)
        columns = case_columns(model)  # taken once: the stats and the outcome table read it
        stats = rep_stats(model, runtime, columns)
        stats["cpu_s"] = cpu  # processor time of the simulation (build and run), as runtime_s
        journey = cases = None
        if tables:
            journey = journey_table(model)
            cases = case_table(model, journey)
        # The model is a web of reference cycles (agents and the model, households and
        # their cases, offices and their desks): free it now, so a worker running
        # replication after replication holds one model at a time, and the outcome table
        # below is built in the memory it held (the peak holds one, never both).
        del model
    if was_enabled:
        # Everything the model and its tables made since the collector paused is in the
        # youngest generation (no collection ran since): collecting that generation frees
        # the model without walking every object the process held before (a full
        # collection took about 60 ms after a city replication, this 15 ms).
        gc.collect(0)
    outcomes = outcome_table(columns)
    stats["scalars"] = scalars(stats, outcomes, scenario)
    result = RepResult(rep, ts, cases, stats, journey)
    # the whole replication in its process: build, run, outcomes, tables, freeing the model
    stats["replication_s"] = time.perf_counter() - t0
    return result


def _one(args: tuple[Scenario, int, int, bool]) -> RepResult:
    return run_one(*args)


# ------------------------------------------------------------------ worker processes
PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent dies (prctl PR_SET_PDEATHSIG,
    Linux; kept across exec). True if it took. Safe as a ``preexec_fn``: it loads libc by
    its usual name and asks ``find_library`` (which may start a subprocess) only if
    that fails."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError, TypeError):
        return False


def _worker_init(parent: int) -> None:
    """Make a worker unable to outlive its run: the kernel kills it when the parent dies
    (prctl PR_SET_PDEATHSIG on Linux), Ctrl-C is left to the parent (which stops the
    workers), and a worker whose parent is already gone exits at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    # What is imported now lives as long as the worker: keep the collector from walking it
    # again after every replication (run_one collects each model it built).
    gc.freeze()


def _watch_parent(parent: int) -> None:
    """Fallback where PR_SET_PDEATHSIG is missing: exit when the parent is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once: kill its workers, drop queued work, do not wait.

    A worker killed while sending its result leaves half a message in the result pipe,
    and the pool's manager thread would wait for the rest for ever (this process holds
    the pipe's write end too), and with it the interpreter's exit, which joins that
    thread. So once the workers are dead this process closes its write end: the manager
    thread then reads end-of-file, finds the pool broken and ends. Its call queue is not
    flushed at the end either (no worker is left to read it)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        try:
            proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
    for proc in procs:
        try:
            proc.join(timeout=5)
        except (OSError, ValueError, AttributeError, AssertionError):
            pass
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        call_queue.cancel_join_thread()
    result_queue = getattr(pool, "_result_queue", None)
    if result_queue is not None and all(not p.is_alive() for p in procs):
        try:
            result_queue._writer.close()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null. A stopped run
    leaves at once (sim.ui.cli._stopped), and the tracker would then tell the user's terminal
    about the pool's semaphores it cleans up: noise, not a fault."""
    if os.name != "posix":
        return
    from multiprocessing import resource_tracker

    if getattr(resource_tracker._resource_tracker, "_fd", None) is not None:
        return  # already running
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    _quiet_resource_tracker()  # before the pool: its queues' semaphores start the tracker
    # spawn, not fork: forking while the pool's manager thread runs can deadlock a worker
    # (CPython's fork-with-threads hazard), and a stopped run must never hang; the workers'
    # parent-death watch (_worker_init) also needs them to be children of this process.
    return ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(os.getpid(),),
                               mp_context=multiprocessing.get_context("spawn"))


class WorkerPool:
    """Worker processes that stay up between calls: ``sim.run(..., pool=pool)`` and
    :meth:`replications` reuse them instead of starting new interpreters each time (about
    a second each: Python, numpy, pandas, Mesa and the model's modules), which matters
    for many small batches (a dashboard's changes, an ensemble of parameter sets).

    Its creator owns it (the command line or the dashboard; nothing in ``sim`` keeps one):
    ``close()``, or the end of a ``with`` block, ends the workers. They die with their
    parent in any case, SIGKILL included, as ``run``'s own do. A call that is stopped
    (Ctrl-C, an error in a callback) kills the workers, since a running replication
    cannot be cancelled; the next call starts fresh ones. Results do not depend on the
    pool: replication ``r`` of seed ``S`` is the same in any process.
    """

    def __init__(self, workers: int):
        self.workers = checks.whole_number("workers", workers, 1, MAX_WORKERS)
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = _new_pool(self.workers)
        return self._executor

    def pids(self) -> list[int]:
        """The workers' process ids (empty before the first call)."""
        ex = self._executor
        return sorted((getattr(ex, "_processes", None) or {}).keys()) if ex else []

    def start(self) -> WorkerPool:
        """Start every worker now (they import the model), so the first call is warm."""
        ex = self.executor()
        for f in [ex.submit(_warm) for _ in range(self.workers)]:
            f.result()
        return self

    def replications(self, jobs: list[tuple[Scenario, int, int, bool]]
                     ) -> Iterator[RepResult]:
        """``run_one(scenario, seed, rep, tables)`` of each job, in job order, on the
        workers (an ensemble: one scenario per parameter set)."""
        return _in_parallel(list(jobs), self.workers, self)

    def kill(self) -> None:
        if self._executor is not None:
            _stop(self._executor)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self.kill() if kind is not None else self.close()


def _warm() -> int:
    """A worker's first task: import what a replication needs."""
    import sim.model.model  # noqa: F401

    return os.getpid()


def _in_parallel(jobs: list[tuple[Scenario, int, int, bool]], workers: int,
                 warm: WorkerPool | None = None) -> Iterator[RepResult]:
    """Replications in rep order from ``workers`` processes (or ``warm``'s), with at most
    two jobs per worker in flight, so finished tables never pile up in the parent."""
    pool = warm.executor() if warm is not None else _new_pool(workers)
    window = 2 * workers
    pending: deque[Future[RepResult]] = deque()
    done = False
    try:
        it = iter(jobs)
        with stops_held():  # workers start at the first submits
            for job in itertools.islice(it, window):
                pending.append(pool.submit(_one, job))
        while pending:
            res = pending.popleft().result()
            for job in itertools.islice(it, 1):
                pending.append(pool.submit(_one, job))
            yield res
        done = True
    finally:
        if warm is not None:
            if not done:
                warm.kill()  # a running replication cannot be cancelled
        elif done:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


def run(scenario: Scenario | str | Path | None = None, reps: int = 1, seed: int = 0,
        workers: int = 1, progress: Callable[[int], None] | None = None,
        sink: Callable[[RepResult], None] | None = None, cases: bool = True,
        pool: WorkerPool | None = None, **overrides: Any) -> Result:
    """Run ``reps`` replications of a scenario and summarise them.

    Args:
        scenario: a Scenario, a TOML path, or None for the historical baseline.
        reps: number of replications (1 to 1,000,000).
        seed: root seed (0 to 2**63 - 1).
        workers: processes to use (1 to 256); results do not depend on it.
        progress: called with 1 after each finished replication (e.g. ``tqdm.update``).
        sink: called with each replication's :class:`RepResult`, in rep order; when given,
            the tables are not kept (``Result.timeseries``, ``.cases`` and ``.journey`` are
            None),
            so memory does not grow with ``reps`` (the CLI streams them to its files).
        cases: False skips the case table and the journey log (for studies that need only
            the scalars of ``Result.scalars()``); the summary then lacks the figures drawn
            from cases (days to card, visits, by pathway).
        pool: a :class:`WorkerPool` to run on (its workers, kept warm between calls)
            instead of processes started for this call; ``workers`` is then the pool's.
        **overrides: flat parameter overrides, as for ``JambiBugarModel``.

    Raises:
        TypeError, ValueError: an argument is wrong; the message names it.
        ResourceError: the run would need more memory than the machine has.
    """
    reps = checks.whole_number("reps", reps, 1, MAX_REPS)
    seed = checks.whole_number("seed", seed, 0, checks.MAX_SEED)
    workers = checks.whole_number("workers", workers, 1, MAX_WORKERS)
    checks.progress_arg(progress)
    checks.callable_arg("sink", sink, "a RepResult")
    if not isinstance(cases, bool):
        raise TypeError(f"cases must be True or False, got {cases!r}")
    if pool is not None and not isinstance(pool, WorkerPool):
        raise TypeError(f"pool must be a sim.runner.WorkerPool or None, got "
                        f"{type(pool).__name__}")
    sc = load_scenario(scenario).with_overrides(**overrides)
    workers = pool.workers if pool is not None else min(workers, reps)
    check_memory(sc, workers)
    jobs = [(sc, seed, r, cases) for r in range(reps)]
    tally = Tally()
    stats: list[dict[str, Any]] = []
    kept_ts: list[pd.DataFrame] = []
    kept_cases: list[pd.DataFrame] = []
    kept_journey: list[pd.DataFrame] = []
    results = _in_parallel(jobs, workers, pool) if pool is not None else \
        map(_one, jobs) if workers <= 1 else _in_parallel(jobs, workers)
    try:
        for n, res in enumerate(results, 1):
            if 1 < reps and 1 < workers and reps - n < workers:  # a worker idles
                prepare_summary()
            if cases:
                tally.add(res.timeseries, res.cases)
            stats.append(res.stats)
            if sink is not None:
                sink(res)
            else:
                kept_ts.append(res.timeseries)
                kept_cases.append(res.cases)
                kept_journey.append(res.journey)
            del res
            if progress:
                progress(1)
    finally:  # on Ctrl-C, SIGTERM or an error in sink/progress: stop the workers now
        close = getattr(results, "close", None)
        if close is not None:
            close()
    empty = pd.DataFrame(columns=CASE_COLUMNS)
    summary = summarize(sc, seed, stats, empty, __version__)
    if cases:
        summary = tally.apply_to(summary)
    if sink is not None:
        return Result(sc, seed, None, None, summary, stats, None, tally if cases else None)
    ts = pd.concat(kept_ts, ignore_index=True)
    if not cases:
        return Result(sc, seed, ts, None, summary, stats, None, None)
    cases = pd.concat(kept_cases, ignore_index=True)
    journey = pd.concat(kept_journey, ignore_index=True)
    return Result(sc, seed, ts, cases, summary, stats, journey, tally)


# --------------------------------------------------------------------- memory guard
MB = 2**20
PARENT_MB = 400  # the parent: interpreter, pandas, matplotlib, one rep's tables in flight
WORKER_BASE_MB = 150  # a worker before its model
BYTES_PER_PERSON = 1300  # model, case table and pickled result per uninsured person
MAX_REPS, MAX_WORKERS = 1_000_000, 256
LARGE_CITY = 200_000  # uninsured people: warn above this
# What the parent keeps of a replication that run() does not stream to a sink (measured on
# scenarios/online_2021.toml, 18 MiB): its case table and journey log, about 450 bytes per
# applicant, held twice while run() joins them, and its timeseries; or its scalars alone.
KEPT_BYTES_PER_APPLICANT, TIMESERIES_BYTES, SCALARS_BYTES = 900, 32 * 1024, 16 * 1024


class ResourceError(ValueError):
    """The run would need more memory than the machine has; the message says how much."""


def applicants(sc: Scenario) -> float:
    """Rough count of people who can make a case: the uninsured and the arrivals."""
    p = sc.population
    years = (sc.time.end - sc.time.start).days / 365.25
    return p.uninsured_people_start + p.arrivals_per_year * years * p.household_size


def worker_memory(sc: Scenario) -> int:
    """Rough peak bytes of one worker (or of the parent, running alone) for this scenario."""
    people = applicants(sc) + sc.program.initial_members
    return int(WORKER_BASE_MB * MB + BYTES_PER_PERSON * people)


def kept_bytes(sc: Scenario) -> int:
    """Rough bytes the parent holds per replication whose tables ``run`` keeps (no sink)."""
    return int(TIMESERIES_BYTES + KEPT_BYTES_PER_APPLICANT * applicants(sc))


def memory_estimate(sc: Scenario, workers: int) -> int:
    """Rough peak bytes of a run with ``workers`` processes (independent of ``reps``)."""
    per = worker_memory(sc)
    return PARENT_MB * MB + (per if workers <= 1 else workers * per + 2 * workers * per // 4)


def check_memory(sc: Scenario, workers: int) -> str | None:
    """Refuse (ResourceError) a run that would need more memory than is available; return a
    warning for one that needs more than half of it or simulates a very large city."""
    need, have, per = memory_estimate(sc, workers), available_memory(), worker_memory(sc)
    people = sc.population.uninsured_people_start
    what = (f"{workers} worker(s) of about {per / MB:,.0f} MiB each for {people:,} people"
            if workers > 1 else f"about {per / MB:,.0f} MiB for {people:,} people")
    if have is not None and need > have:
        fit = int((have - PARENT_MB * MB) // (1.5 * per))
        hint = f"use --workers {fit} or fewer" if 1 <= fit < workers else \
            "use a smaller population (population.uninsured_people_start)"
        raise ResourceError(f"this run would need about {need / 2**30:.1f} GiB of memory "
                            f"({what}), but {have / 2**30:.1f} GiB is available; {hint}.")
    if have is not None and need > have / 2:
        return (f"this run needs about {need / 2**30:.1f} GiB of the {have / 2**30:.1f} GiB "
                f"available ({what}).")
    if people > LARGE_CITY:
        return (f"{people:,} uninsured people is {people / 32344:.0f} times the city; "
                f"expect about {per / MB:,.0f} MiB and several minutes per replication.")
    return None


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (bytes), or None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
