"""The sweep engine: every (point, replication) of a design, run once, kept on disk.

- Seeds: common random numbers across points. Every point's replication ``r`` runs with the
  experiment's root seed and rep ``r`` (``run_one(scenario, seed, r)``), so two points differ
  by their parameters, not by noise, and a run's result depends only on its parameters, the
  root seed and ``r``: identical whatever the number of workers, the engine or the order of
  completion.
- Resumable: each run is keyed by a hash of its full scenario, seed, rep, model, package
  version and a digest of the model's code (sim._compiled.model_digest), and appended to
  ``DIR/runs.jsonl`` (one JSON line, flushed and fsynced) as soon as it finishes. Running the same experiment again runs only the keys not in that file; a
  torn last line (a killed process) is ignored.
- A run that raises is recorded with its error (status ``error``) and the sweep carries on.
- Local cores: ``run``'s process pool (an explicit ``spawn`` context, so the caller's global
  start method is never touched; workers die with this process, even on SIGKILL). A cluster: ``scheduler="tcp://host:8786"`` sends the same chunks to a Dask
  distributed scheduler.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runner.ensemble import LABELS
from sim.runner.staging import stops_held
from sim.studies.design import Design, build_design
from sim.studies.spec import SCENARIO, SET, Bases, Experiment, ExperimentError, experiment_hash

RUNS_FILE = "runs.jsonl"
META_FILE = "experiment.json"


@dataclass(frozen=True)
class Job:
    key: str
    point: int
    rep: int
    seed: int
    model: str
    scenario: Any          # a Scenario (jambi) or a dict of factor values (test functions)
    noise_sd: float = 0.0


# ------------------------------------------------------------------ evaluation
def _ishigami(x: dict[str, Any], seed: int, rep: int, noise_sd: float) -> dict[str, float]:
    from SALib.test_functions import Ishigami

    X = np.array([[x["x1"], x["x2"], x["x3"]]], dtype=float)
    y = float(Ishigami.evaluate(X)[0])
    if noise_sd:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rep,)))
        y += float(rng.normal(0.0, noise_sd))
    return {"y": y}


def run_job(job: Job) -> dict[str, Any]:
    """One run: its key, status, error, wall time and every catalogue scalar."""
    t0 = time.perf_counter()
    try:
        if job.model == "ishigami":
            outputs = _ishigami(job.scenario, job.seed, job.rep, job.noise_sd)
        else:
            from sim.runner.replications import run_one

            # scalars only: no case table or journey log is built for a sweep's run
            outputs = run_one(job.scenario, job.seed, job.rep, tables=False).stats["scalars"]
        status, error = "ok", ""
    except Exception as exc:  # recorded, and the sweep carries on
        outputs, status = {}, "error"
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
    return {"key": job.key, "point": job.point, "rep": job.rep, "seed": job.seed,
            "status": status, "error": error, "wall_s": round(time.perf_counter() - t0, 4),
            "outputs": outputs}


def run_chunk(jobs: list[Job]) -> list[dict[str, Any]]:
    """The unit of work sent to a process or a Dask worker."""
    if multiprocessing.parent_process() is not None and not _frozen:
        _freeze_imports()
    return [run_job(j) for j in jobs]


_frozen = False


def _freeze_imports() -> None:
    """In a worker, once: what is imported by now lives as long as the worker, so the
    collector need not walk it again after every run (``run_one`` collects each model)."""
    global _frozen
    gc.freeze()
    _frozen = True


# ------------------------------------------------------------------ jobs
# A scenario's labels (sim.runner.ensemble.LABELS) name and document it and change no run:
# left out of a run's key, a run is found again after 'calibrate --apply' rewrites them


def _key(model: str, content: str, seed: int, rep: int) -> str:
    """A run's identity: the model (for the simulation, a digest of its installed code, so
    that a changed model never reuses runs of the old one), the scenario's content but its
    labels (:data:`sim.runner.ensemble.LABELS`), the seed and the replication."""
    from sim import __version__
    from sim._compiled import model_digest

    code = model_digest() if model == "jambi" else ""
    text = json.dumps([model, content, seed, rep, __version__, code])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def make_jobs(exp: Experiment, bases: Bases | Path, design: Design) -> list[Job]:
    """Every run of the design, in design order (point, then rep). ``bases``: the base
    scenarios as :func:`load_experiment` read them (or their folder, read now, once)."""
    jobs = []
    if exp.model == "jambi":
        bases = bases if isinstance(bases, Bases) else Bases(Path(bases))
        cache: dict[tuple[str | None, int | None], Any] = {}

        def base(path: str | None, s: int | None) -> Any:
            # the base scenario, then the set's calibrated values (if a set is picked),
            # then the fixed values: a fixed value wins over the set's
            if (path, s) not in cache:
                sc = bases(path) if s is None else bases.ensemble(path).scenario(bases(path), s)
                cache[path, s] = sc.with_overrides(**exp.fixed)
            return cache[path, s]

    for i, point in enumerate(design.points):
        if exp.model == "jambi":
            params = {k: v for k, v in point.items() if k not in (SCENARIO, SET)}
            sc = base(point.get(SCENARIO, exp.scenario), point.get(SET)).with_overrides(**params)
            content = sc.model_dump_json(exclude=set(LABELS))
        else:
            sc = dict(point)
            content = json.dumps(point, sort_keys=True) + f"|noise={exp.noise_sd}"
        for r in range(exp.reps):
            jobs.append(Job(_key(exp.model, content, exp.seed, r), i, r, exp.seed, exp.model,
                            sc, exp.noise_sd))
    return jobs


# ------------------------------------------------------------------ the store
class RunStore:
    """``DIR/runs.jsonl``: one line per finished run, appended and fsynced."""

    def __init__(self, folder: Path, exp: Experiment, inputs: dict[str, str] | None = None):
        self.folder = folder
        meta = folder / META_FILE
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise ExperimentError(f"--out {folder}: exists and is not a folder; give a "
                                  f"folder path.")
        if folder.is_dir() and not meta.exists() and any(folder.iterdir()):
            # results.csv, figures... would replace files of the user's
            raise ExperimentError(f"--out {folder}: the folder is not empty and holds no "
                                  f"jambi-sim run store ({META_FILE}); its files would be "
                                  f"replaced. Choose a new or empty folder.")
        folder.mkdir(parents=True, exist_ok=True)
        info = {"name": exp.name, "hash": experiment_hash(exp),
                "experiment": exp.model_dump(mode="json"), "inputs": inputs or {}}
        if meta.exists():
            try:
                old = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = {}
            if not isinstance(old, dict):  # a corrupt or foreign experiment.json
                raise ExperimentError(f"{meta}: is not a jambi-sim experiment record (not a "
                                      f"JSON object); give another --out, or remove the "
                                      f"folder to start again.")
            if old.get("name") != exp.name:
                raise ExperimentError(
                    f"{folder}: holds the runs of another experiment ('{old.get('name')}'); "
                    f"give another --out, or remove the folder to start again.")
        # The same experiment, perhaps edited (more samples or reps): runs are keyed by their
        # content, so every run that is still part of the design is reused.
        if not meta.exists() or any(old.get(k) != info[k] for k in ("hash", "inputs")):
            tmp = meta.with_suffix(".tmp")
            tmp.write_text(json.dumps(info, indent=2) + "\n")
            os.replace(tmp, meta)
        self.path = folder / RUNS_FILE

    def load(self) -> dict[str, dict[str, Any]]:
        done: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return done
        # errors="replace": a corrupt byte spoils its line (skipped), not the whole store
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line torn by a kill
                if isinstance(rec, dict) and isinstance(rec.get("key"), str) and \
                        isinstance(rec.get("outputs", {}), dict):
                    done[rec["key"]] = rec
        return done

    def open(self):
        # A torn last line (no newline) must not glue onto the next record.
        if self.path.exists() and self.path.stat().st_size:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                torn = fh.read(1) != b"\n"
            if torn:
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write("\n")
        return open(self.path, "a", encoding="utf-8")

    @staticmethod
    def append(fh, records: list[dict[str, Any]]) -> None:
        fh.write("".join(json.dumps(r) + "\n" for r in records))
        fh.flush()
        os.fsync(fh.fileno())


# ------------------------------------------------------------------ executors
def _chunks(jobs: list[Job], size: int) -> list[list[Job]]:
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _local(chunks: list[list[Job]], workers: int,
           owned: Any = None) -> Iterator[list[dict[str, Any]]]:
    """Chunks run here (one worker) or on worker processes: ``owned``'s (a
    :class:`sim.runner.WorkerPool` of the caller), else a pool started for this sweep."""
    if owned is None and workers <= 1:
        for c in chunks:
            yield run_chunk(c)
        return
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from sim.runner.replications import _new_pool, _stop

    # The same pool as ``run``'s: spawned children of this process that the kernel kills
    # when it dies (PR_SET_PDEATHSIG in _worker_init), whatever kills it (SIGKILL included),
    # and Ctrl-C left to the parent. Not a forkserver: its server and the workers it forks
    # are not our children, so they outlived a killed study and held the caller's stdout.
    pool = owned.executor() if owned is not None else _new_pool(workers)
    workers = owned.workers if owned is not None else workers

    def submit(chunk: list[Job]):
        with stops_held():  # a worker may start at any submit
            return pool.submit(run_chunk, chunk)

    finished_all = False
    try:
        pending = set()
        todo = iter(chunks)
        for c in itertools.islice(todo, 2 * workers):
            pending.add(submit(c))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                nxt = next(todo, None)
                if nxt is not None:
                    pending.add(submit(nxt))
                try:
                    records = fut.result()
                except BrokenProcessPool:
                    raise ExperimentError(
                        "a worker process died (killed, or out of memory); the finished runs "
                        "are kept: run the same command to go on.") from None
                yield records
        finished_all = True
    finally:
        if owned is not None:
            if not finished_all:
                owned.kill()  # a running run cannot be cancelled; the next call starts anew
        elif finished_all:
            pool.shutdown(wait=True)
        else:  # interrupted: do not wait for runs nobody will keep
            _stop(pool)


def _dask(chunks: list[list[Job]], address: str) -> Iterator[list[dict[str, Any]]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ExperimentError("--scheduler needs Dask distributed: pip install -e "
                              "'.[cluster]'.") from None
    try:
        client = Client(address, set_as_default=False, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ExperimentError(f"--scheduler {address}: cannot reach a Dask scheduler "
                              f"({exc}). Start one with 'dask scheduler' and workers with "
                              f"'dask worker {address}'.") from None
    try:
        futures = client.map(run_chunk, chunks, pure=False)
        by_future = dict(zip(futures, chunks))
        for fut in as_completed(futures, loop=client.loop):
            try:
                yield fut.result()
            except Exception as exc:  # a lost worker after Dask's own retries
                yield [{"key": j.key, "point": j.point, "rep": j.rep, "seed": j.seed,
                        "status": "error", "error": f"cluster: {exc!r}"[:2000], "wall_s": 0.0,
                        "outputs": {}} for j in by_future[fut]]
    finally:
        client.close()


# ------------------------------------------------------------------ sweep
@dataclass
class SweepResult:
    table: pd.DataFrame
    runs: int
    ran: int          # runs computed by this call
    reused: int       # runs found on disk
    failed: int
    wall_s: float
    folder: Path


def sweep(exp: Experiment, bases: Bases | Path, out: str | Path, workers: int = 1,
          scheduler: str | None = None, progress: Callable[[int], None] | None = None,
          retry_failed: bool = False, chunk_size: int | None = None,
          total: Callable[[int], None] | None = None,
          design: Design | None = None, pool: Any = None,
          inputs: dict[str, str] | None = None) -> SweepResult:
    """Run every missing run of ``exp`` and return the tidy table (one row per run).

    ``bases``: the base scenarios as :func:`load_experiment` returned them (or the
    experiment file's folder, whose scenarios are then read once). ``pool``: a
    :class:`sim.runner.WorkerPool` its caller owns (a command's), instead of processes
    started for this sweep. ``inputs``: each input file's SHA-256 (of the bytes that ran),
    recorded in ``experiment.json``.

    ``design``: explicit points to run instead of the file's design (a calibration's later
    waves, chosen from an emulator); runs are still keyed by content, so resuming works."""
    t0 = time.perf_counter()
    if exp.model == "jambi" and not isinstance(bases, Bases):
        bases = Bases(Path(bases))
    design = build_design(exp, bases) if design is None else design
    jobs = make_jobs(exp, bases, design)
    store = RunStore(Path(out), exp, inputs)
    done = store.load()
    # one run per key: a design with a discrete factor (the set) can repeat a point
    todo = list({j.key: j for j in jobs if j.key not in done
                 or (retry_failed and done[j.key].get("status") != "ok")}.values())
    if total:
        total(len(todo))
    if chunk_size is None:  # a simulation run takes long enough to be sent alone; the test
        # functions are sent in chunks, so that inter-process traffic does not dominate
        chunk_size = 1 if exp.model == "jambi" else \
            max(1, min(512, math.ceil(len(todo) / max(1, 8 * workers))))
    size = chunk_size
    chunks = _chunks(todo, size)
    ran = 0
    if chunks:
        source = _dask(chunks, scheduler) if scheduler else _local(chunks, workers, pool)
        with store.open() as fh:
            for records in source:
                store.append(fh, records)
                for rec in records:
                    done[rec["key"]] = rec
                ran += len(records)
                if progress:
                    progress(len(records))
    table = make_table(exp, design, jobs, done)
    failed = int((table["status"] != "ok").sum())
    return SweepResult(table, len(jobs), ran, len(jobs) - len(todo), failed,
                       time.perf_counter() - t0, Path(out))


def make_table(exp: Experiment, design: Design, jobs: list[Job],
               done: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per run in design order: point, factors, rep, seed, outputs, wall time, status."""
    rows = []
    for j in jobs:
        rec = done.get(j.key, {})
        row: dict[str, Any] = {"point": j.point, **design.points[j.point], "rep": j.rep,
                               "seed": j.seed}
        outs = rec.get("outputs") or {}
        for o in exp.outputs:
            v = outs.get(o)
            row[o] = float(v) if isinstance(v, (int, float)) else float("nan")
        row["wall_s"] = float(rec.get("wall_s", float("nan")))
        row["status"] = rec.get("status", "missing")
        row["error"] = rec.get("error", "")
        row["key"] = j.key
        rows.append(row)
    return pd.DataFrame(rows)


def write_table(table: pd.DataFrame, folder: Path, fmt: str = "parquet") -> Path:
    """Write the table atomically as DIR/results.parquet (or .csv)."""
    path = Path(folder) / f"results.{fmt}"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if fmt == "csv":
        table.to_csv(tmp, index=False)
    else:
        try:
            table.to_parquet(tmp, index=False)
        except ImportError:
            raise ExperimentError("parquet output needs pyarrow: pip install pyarrow, or use "
                                  "--format csv.") from None
    os.replace(tmp, path)
    return path
