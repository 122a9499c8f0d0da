"""One measurement in a fresh interpreter, so its time and peak memory are its own.

    python -m benchmarks.child model SCENARIO.toml --factor 2 --seed 1
    python -m benchmarks.child simpy SCENARIO.toml --seed 1 [--cases 40000]

prints one JSON line on stdout: the replication's stats (or the peer's counts), the CPU
time of the run (``cpu_s``, beside the wall time ``runtime_s``), the process's peak
resident memory (``ru_maxrss``, KiB on Linux) and its resident memory
after the imports and before the run. :func:`measure` starts it and reads that line.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _rss_now_kib() -> int | None:
    """Current resident memory from /proc (None where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _peak_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _cpu_s() -> float:
    """CPU time of this process so far: unlike wall time, barely moved by other work."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _model(path: Path, factor: float, seed: int) -> dict[str, Any]:
    from sim._compiled import core
    from sim.runner.replications import run_one
    from sim.scenario import Scenario, scaled

    sc = scaled(Scenario.from_toml(path), factor)
    kind = core()  # imports the model's core: compiled, or the pure-Python reference
    before = _rss_now_kib()
    stats = run_one(sc, seed, 0, tables=False).stats  # the simulation, not its output tables
    # runtime_s and cpu_s both cover the simulation (model construction and run), as the
    # peer's cover its run: not the outcome scalars or freeing the model afterwards
    return {"kind": "model", "factor": factor, "scenario": sc.name, "core": kind,
            **{k: v for k, v in stats.items() if isinstance(v, (int, float))},
            "rss_before_kib": before, "peak_rss_kib": _peak_kib()}


def _simpy(path: Path, seed: int, cases: int) -> dict[str, Any]:
    from benchmarks.simpy_peer import run_peer
    from sim.scenario import Scenario

    sc = Scenario.from_toml(path)
    before, cpu = _rss_now_kib(), _cpu_s()
    res = run_peer(sc, seed, cases)
    return {"kind": "simpy", **res.as_dict(), "cpu_s": _cpu_s() - cpu,
            "rss_before_kib": before, "peak_rss_kib": _peak_kib()}


def measure(kind: str, scenario: Path, seed: int, factor: float = 1.0,
            cases: int | None = None, timeout: float = 1800.0,
            pure: bool = False) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON line plus the process's wall
    time (``process_wall_s``, start-up and imports included). ``pure``: the model's
    pure-Python reference, not its compiled core (``JAMBI_SIM_PURE=1``)."""
    import os

    from sim._compiled import PURE_ENV

    env = {**os.environ, PURE_ENV: "1" if pure else "0"}
    cmd = [sys.executable, "-m", "benchmarks.child", kind, str(scenario), "--seed", str(seed)]
    if kind == "model":
        cmd += ["--factor", repr(float(factor))]
    if cases is not None:
        cmd += ["--cases", str(cases)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"benchmark child {kind} x{factor:g} failed "
                           f"(exit {proc.returncode}): {tail}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.child")
    p.add_argument("kind", choices=("model", "simpy"))
    p.add_argument("scenario", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--factor", type=float, default=1.0)
    p.add_argument("--cases", type=int, default=None)
    args = p.parse_args(argv)
    if args.kind == "model":
        out = _model(args.scenario, args.factor, args.seed)
    else:
        from benchmarks.simpy_peer import N_CASES

        out = _simpy(args.scenario, args.seed, N_CASES if args.cases is None else args.cases)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
