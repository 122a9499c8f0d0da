"""A warm worker pool (sim.runner.WorkerPool): reused across calls with the same results
as fresh processes, restarted after a stopped call, and gone with its owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import small

import sim
from sim.runner import WorkerPool

pytestmark = pytest.mark.integration  # real worker processes
ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_warm_pool_is_reused_and_changes_no_result() -> None:
    sc = small(time={"end": "2018-12-31"})
    fresh = sim.run(sc, reps=4, seed=3, workers=2, cases=False)
    with WorkerPool(2) as pool:
        assert pool.pids() == []
        pool.start()
        pids = pool.pids()
        assert len(pids) == 2
        a = sim.run(sc, reps=4, seed=3, pool=pool, cases=False)
        b = sim.run(sc, reps=4, seed=3, pool=pool, cases=False)
        assert pool.pids() == pids  # the same processes served both calls
        ens = list(pool.replications([(sc.with_overrides(turf=t), 3, 0, False)
                                      for t in (0.0, 1.0, 0.0)]))
    assert pool.pids() == [] and not any(_alive(p) for p in pids)
    for res in (a, b):
        assert [s["enrolled_end"] for s in res.per_rep] == \
            [s["enrolled_end"] for s in fresh.per_rep]
    timers = ("runtime_s", "replication_s", "cpu_s")
    same = [repr({k: v for k, v in r.stats.items() if k not in timers}) for r in ens]
    assert same[0] == same[2] and same[0] != same[1]  # one scenario per job, in job order
    with pytest.raises(TypeError, match="pool"):
        sim.run(sc, pool="two")


def test_a_stopped_call_kills_the_workers_and_the_next_starts_fresh() -> None:
    sc = small(time={"end": "2018-06-30"})

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with WorkerPool(2) as pool:
        pool.start()
        first = pool.pids()
        with pytest.raises(KeyboardInterrupt):
            sim.run(sc, reps=6, seed=1, pool=pool, progress=stop)
        assert pool.pids() == []
        deadline = time.time() + 10
        while any(_alive(p) for p in first) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in first)
        again = sim.run(sc, reps=2, seed=1, pool=pool, cases=False)
        assert len(again.per_rep) == 2 and set(pool.pids()).isdisjoint(first)


OWNER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from conftest import small
    from sim.runner import WorkerPool
    if __name__ == "__main__":
        pool = WorkerPool(2).start()
        print(" ".join(map(str, pool.pids())), flush=True)
        time.sleep(600)
""")


def test_the_workers_die_with_their_owner_on_sigkill(tmp_path: Path) -> None:
    script = tmp_path / "owner.py"
    script.write_text(OWNER.format(tests=str(ROOT / "tests")))
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.time() + 10
        while any(_alive(p) for p in pids) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids)
    finally:
        owner.kill()



def _huge() -> bytes:
    """A worker's job whose result takes a while to send (hundreds of megabytes)."""
    return b"x" * 400_000_000


def _read_so_far() -> int:
    """Bytes this process has read so far (pipes included), from /proc."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/PID/io")


def test_a_worker_killed_while_sending_does_not_hang_the_pool() -> None:
    """Killed in the middle of sending its result, a worker leaves half a message in the
    result pipe; the pool's manager thread must still end (the interpreter joins it at
    exit: a CI run once waited there until its budget ran out)."""
    import threading
    from concurrent.futures.process import _ExecutorManagerThread

    def managers() -> set[threading.Thread]:
        return {t for t in threading.enumerate()
                if isinstance(t, _ExecutorManagerThread) and t.is_alive()}

    before = managers()
    pool = WorkerPool(1).start()
    start = _read_so_far()
    pool.executor().submit(_huge)
    deadline = time.time() + 60
    while _read_so_far() - start < 50_000_000 and time.time() < deadline:
        time.sleep(0.001)
    pool.kill()  # the pool's manager thread has read part of the result, not all
    assert 50_000_000 <= _read_so_far() - start < 400_000_000
    deadline = time.time() + 15
    while managers() - before and time.time() < deadline:
        time.sleep(0.05)
    assert not managers() - before


def test_the_summary_imports_run_while_the_last_replications_do(monkeypatch) -> None:  # noqa: ANN001
    """``run`` prepares the summary (SciPy's import) once a worker has no replication
    left, not after the last one arrives: with 5 replications on 2 workers, from the 4th
    result on; never with one worker, where nothing idles, nor for one replication."""
    import sim.runner.replications as replications

    seen: list[int] = []
    monkeypatch.setattr(replications, "prepare_summary", lambda: seen.append(len(done)))
    sc = small(time={"end": "2018-06-30"})
    done: list[int] = []
    sim.run(sc, reps=5, seed=3, workers=2, cases=False, progress=done.append)
    assert seen and seen[0] == 3  # after 3 results were counted: the 4th of 5 had come
    seen.clear()
    sim.run(sc, reps=2, seed=3, workers=1, cases=False, progress=done.append)
    assert seen == []
    with WorkerPool(2) as pool:  # one replication: its summary needs no SciPy
        sim.run(sc, reps=1, seed=3, pool=pool, cases=False)
    assert seen == []
