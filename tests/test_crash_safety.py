"""Kill tests: a run killed at any moment never leaves a results folder that looks complete.

``jambi-sim run`` writes into ``DIR.partial-<pid>/`` (with ``INCOMPLETE.txt``) and swaps
it into ``DIR`` at the end (sim/runner/staging.py). These tests SIGKILL the real CLI at random moments
(delays from a seeded Generator, spread from start-up to near the end of a measured normal
run) and check what is left on disk:

(a) ``DIR`` is byte-for-byte the previous complete results or the new complete results
    (every file matches its sha256 in ``summary.json`` provenance), never a mix; no
    truncated CSV/JSON/PNG; a run killed after it began staging leaves
    ``DIR.partial-<pid>/INCOMPLETE.txt``. Default tier: ``KILLS_QUICK`` kills;
    ``-m slow``: ``KILLS_SLOW``.
(b) a first-ever run killed early leaves no ``DIR`` and the marked partial folder;
(c) the next normal run succeeds and removes partial folders of dead processes only;
(d) bad input exits 2 and leaves an existing ``DIR`` byte-identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration  # kills real CLI processes

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240331
KILLS_QUICK, KILLS_SLOW = 4, 25
RUN_TIMEOUT_S = 180
MARKER = "INCOMPLETE.txt"
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


# ------------------------------------------------------------------ helpers
def _env() -> dict[str, str]:
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + extra if extra else ""),
            "MPLBACKEND": "Agg"}


def tiny_scenario(folder: Path) -> Path:
    """scenarios/online_2021.toml over one year, with a small population."""
    text = (ROOT / "scenarios" / "online_2021.toml").read_text(encoding="utf-8")
    start = tomllib.loads(text)["time"]["start"]
    end = start + dt.timedelta(days=365)
    text, n = re.subn(r"(?m)^end = .*$", f"end = {end.isoformat()}", text)
    assert n == 1, "online_2021.toml has no single 'end = ...' line"
    # a copy elsewhere runs its own values: its ensemble's path is relative to scenarios/
    text = re.sub(r"(?m)^ensemble = .*\n", "", text)
    # the file sets calibrated values as top-level dotted keys (population.x = ...), so a
    # [population] table cannot follow: set ours the same way, in place of any it has
    small = {"uninsured_people_start": 3000, "n_rt": 200, "arrivals_per_year": 50,
             "initial_members": 0}
    for key in small:
        text = re.sub(rf"(?m)^(population|program)\.{key}\s*=.*\n", "", text)
    first_table = re.search(r"(?m)^\[", text).start()
    text = (text[:first_table] + "".join(
        f"{'program' if k == 'initial_members' else 'population'}.{k} = {v}\n"
        for k, v in small.items()) + "\n" + text[first_table:])
    path = folder / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    data = tomllib.loads(text)
    assert data["time"]["end"] == end and data["population"]["n_rt"] == 200
    return path


def run_cmd(scenario: Path, out: Path, seed: int, *extra: str) -> list[str]:
    # one process: a SIGKILL must not leave orphaned worker processes behind
    return [sys.executable, "-m", "sim", "run", str(scenario), "--reps", "1", "--seed", str(seed),
            "--workers", "1", "--out", str(out), "--quiet", *extra]


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder, by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def check_files_intact(folder: Path) -> None:
    """No truncated CSV, JSON or PNG anywhere in folder."""
    for p in folder.rglob("*"):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if p.suffix == ".json":
            json.loads(data)
        elif p.suffix == ".csv":
            assert data.endswith(b"\n"), f"{p}: CSV does not end with a newline"
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
            assert len(rows) >= 2, f"{p}: CSV has no data rows"
            widths = {len(r) for r in rows}
            assert widths == {len(rows[0])}, f"{p}: CSV rows of different widths {widths}"
        elif p.suffix == ".png":
            assert data.startswith(PNG_START) and data.endswith(PNG_END), f"{p}: truncated PNG"


def check_complete(folder: Path) -> dict[str, bytes]:
    """folder holds one run's complete results: every file listed with a matching sha256."""
    files = snapshot(folder)
    assert "summary.json" in files, f"{folder}: no summary.json"
    listed = json.loads(files["summary.json"])["provenance"]["files"]
    assert set(files) == set(listed) | {"summary.json"}, \
        f"{folder}: files {sorted(files)} but provenance lists {sorted(listed)}"
    for name, meta in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == meta["sha256"], f"{folder}/{name}"
        assert len(files[name]) == meta["bytes"], f"{folder}/{name}"
    assert MARKER not in files
    check_files_intact(folder)
    return files


def partials(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f"{out.name}.partial-*"))


@dataclass
class Base:
    """A tiny scenario, one complete results folder made from it, and a normal run's timing."""

    scenario: Path
    results: Path
    run_s: float  # wall time of a normal run
    stage_s: float  # time until its staging folder appeared


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    folder = tmp_path_factory.mktemp("crash")
    scenario = tiny_scenario(folder)
    results = folder / "pristine"
    p = run_cli(run_cmd(scenario, results, 1), folder)
    assert p.returncode == 0, p.stderr
    check_complete(results)
    # a second normal run, timed, shows when staging starts and how long a run takes
    calib = folder / "calib"
    t0 = time.monotonic()
    proc = subprocess.Popen(run_cmd(scenario, calib, 2), cwd=folder, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stage_s = float("nan")
    while proc.poll() is None:
        if stage_s != stage_s and (calib.parent / f"calib.partial-{proc.pid}").is_dir():
            stage_s = time.monotonic() - t0
        time.sleep(0.005)
    run_s = time.monotonic() - t0
    assert proc.returncode == 0
    check_complete(calib)
    print(f"crash-safety: normal run {run_s:.2f} s, staging from {stage_s:.2f} s")
    return Base(scenario, results, run_s, stage_s)


@dataclass
class Attempt:
    pid: int
    returncode: int
    seen_staging: bool  # the staging folder existed before the kill


def start_and_kill(cmd: list[str], cwd: Path, out: Path, delay: float,
                   until_staged: bool = False) -> Attempt:
    """Start the CLI; SIGKILL it after ``delay`` s (or once its staging folder is marked)."""
    log = (cwd / "stderr.log").open("w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=log)
    staging = out.parent / f"{out.name}.partial-{proc.pid}"
    t0, seen = time.monotonic(), False
    try:
        while proc.poll() is None:
            seen = seen or staging.is_dir()
            if until_staged and (staging / MARKER).is_file():
                break
            if not until_staged and time.monotonic() - t0 >= delay:
                break
            if time.monotonic() - t0 > RUN_TIMEOUT_S:
                pytest.fail(f"run did not finish within {RUN_TIMEOUT_S} s")
            time.sleep(0.003)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        log.close()
    return Attempt(proc.pid, proc.returncode, seen)


# ---------------------------------------------------------------------- (a)
def staging_outcome(staging: Path, where: str) -> str:
    """Classify the staging folder a killed run left next to unchanged results.

    The contract (sim/runner/staging.py) is a folder holding INCOMPLETE.txt from the moment it appears
    until after the swap; the exact-instant tests below pin the two edges.
    """
    names = set(snapshot(staging))
    assert MARKER in names, f"{where}: staging folder without {MARKER}: {sorted(names)}"
    return "killed_while_staging"


def kill_sequence(base: Base, work: Path, n_kills: int, seed: int) -> dict[str, int]:
    """Kill n runs over an existing complete folder; check it after each kill."""
    out = work / "results"
    shutil.copytree(base.results, out)
    previous = check_complete(out)
    rng = np.random.default_rng(seed)
    span = 0.95 * base.run_s
    # one delay per equal slice of [0, span], in random order: start-up to near the end
    delays = rng.permutation([(i + rng.random()) * span / n_kills for i in range(n_kills)])
    outcomes: dict[str, int] = {}
    for i, delay in enumerate(delays):
        a = start_and_kill(run_cmd(base.scenario, out, 1000 + i), work, out, float(delay))
        staging = out.parent / f"{out.name}.partial-{a.pid}"
        where = f"kill {i} after {delay:.2f} s (pid {a.pid}, exit {a.returncode})"
        assert out.is_dir(), f"{where}: the results folder is gone"
        now = snapshot(out)
        if now == previous:
            state = "old"
        else:
            try:
                check_complete(out)
            except (AssertionError, ValueError, KeyError) as exc:
                raise AssertionError(f"{where}: results folder is neither the previous nor a "
                                     f"complete new run: {exc}") from None
            state = "new"
        check_files_intact(out)
        assert not list(work.glob("results.old-*")), f"{where}: an .old folder was left"
        if a.returncode == -signal.SIGKILL:
            if state == "old" and staging.exists():
                outcome = staging_outcome(staging, where)
            elif state == "old":
                assert not a.seen_staging, f"{where}: the staging folder vanished"
                outcome = "killed_at_startup"
            else:  # the staging folder may hold the previous results, being deleted
                outcome = "killed_after_swap"
        else:
            assert a.returncode == 0, f"{where}: {(work / 'stderr.log').read_text()[-800:]}"
            assert state == "new", f"{where}: finished but the results did not change"
            assert not staging.exists(), f"{where}: finished but left {staging}"
            outcome = "finished"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if state == "new":
            previous = now
    # afterwards a normal run completes and clears the dead runs' staging folders
    p = run_cli(run_cmd(base.scenario, out, 99), work)
    assert p.returncode == 0, p.stderr
    check_complete(out)
    assert partials(out) == [], partials(out)
    print(f"crash-safety: {n_kills} kills: {outcomes}")
    return outcomes


def test_kill_at_random_moments(base: Base, tmp_path: Path) -> None:
    """(a) Each kill leaves the previous or the new complete results, never a mix."""
    outcomes = kill_sequence(base, tmp_path, KILLS_QUICK, SEED)
    assert sum(outcomes.values()) == KILLS_QUICK


@pytest.mark.slow
def test_kill_at_random_moments_slow(base: Base, tmp_path: Path) -> None:
    """(a) Many kills; some of them must land while the run is staging its files."""
    outcomes = kill_sequence(base, tmp_path, KILLS_SLOW, SEED + 1)
    assert sum(outcomes.values()) == KILLS_SLOW
    assert outcomes.get("killed_while_staging", 0) > 0, outcomes


# ------------------------------------------------------------------ (b), (c)
def test_first_run_killed_early_then_next_run_recovers(base: Base, tmp_path: Path) -> None:
    """(b) No results folder, only the marked partial; (c) the next run cleans dead partials."""
    out = tmp_path / "first"
    a = start_and_kill(run_cmd(base.scenario, out, 5), tmp_path, out, 0.0, until_staged=True)
    killed = tmp_path / f"first.partial-{a.pid}"
    assert a.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists(), f"a killed first run left {sorted(snapshot(out))}"
    assert (killed / MARKER).is_file()
    assert partials(out) == [killed]

    live = tmp_path / f"first.partial-{os.getpid()}"  # a running process's attempt: keep it
    live.mkdir()
    (live / MARKER).write_text("still running\n")
    p = run_cli(run_cmd(base.scenario, out, 5), tmp_path)
    assert p.returncode == 0, p.stderr
    check_complete(out)
    assert not killed.exists(), "the dead run's partial folder was not removed"
    assert partials(out) == [live], "a live process's partial folder must be kept"
    shutil.rmtree(live)


# ---------------------------------------------------------------------- (d)
def test_bad_input_leaves_results_untouched(base: Base, tmp_path: Path) -> None:
    """(d) Bad flags, bad scenarios and a foreign --out exit 2 and change nothing."""
    out = tmp_path / "results"
    shutil.copytree(base.results, out)
    before = check_complete(out)
    bad = tmp_path / "bad.toml"
    bad.write_text(base.scenario.read_text() + "\n[offices.dinsos]\nstaf = 3\n")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"not jambi-sim output")
    cases = {
        "--reps 0": (run_cmd(base.scenario, out, 3, "--reps", "0"), "--reps"),  # last one wins
        "unknown key": (run_cmd(bad, out, 3), "offices.dinsos.staf"),
        "missing file": (run_cmd(tmp_path / "nosuch.toml", out, 3), "nosuch.toml"),
        "foreign --out": (run_cmd(base.scenario, foreign, 3), "notes"),
    }
    for label, (cmd, named) in cases.items():
        p = run_cli(cmd, tmp_path)
        assert p.returncode == 2, f"{label}: exit {p.returncode}: {p.stderr}"
        assert "Traceback" not in p.stderr and named in p.stderr, f"{label}: {p.stderr}"
        assert snapshot(out) == before, f"{label}: the results folder changed"
        assert partials(out) == [] and partials(foreign) == [], f"{label}: staging folder left"
    assert snapshot(foreign) == {"thesis.docx": b"not jambi-sim output"}


def test_checks_detect_mixed_or_truncated_results(base: Base, tmp_path: Path) -> None:
    """The folder checks used above fail on a truncated file, a stray file or a marker."""
    for damage in ("truncate", "stray", "marker"):
        out = tmp_path / damage
        shutil.copytree(base.results, out)
        if damage == "truncate":
            csv_file = out / "timeseries.csv"
            csv_file.write_bytes(csv_file.read_bytes()[:-40])
        elif damage == "stray":
            (out / "cases.csv.tmp").write_text("date\n")
        else:
            (out / MARKER).write_text("incomplete\n")
        with pytest.raises(AssertionError):
            check_complete(out)


# --------------------------------------------------------- kills at exact instants
class MarkerMissing(AssertionError):
    """A killed run's staging folder has no INCOMPLETE.txt."""


INJECT = """
import os, signal, sys
import sim.ui.cli, sim.runner.staging as io

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "marker":  # right after the staging folder is created
    mkdir = os.mkdir
    def made(path, *args, **kwargs):
        mkdir(path, *args, **kwargs)
        if ".partial-" in os.path.basename(os.fspath(path)):
            die()
    os.mkdir = made
else:  # just before the staging folder is swapped in (the marker is already gone)
    rename = os.rename
    def guarded(src, dst, *args, **kwargs):
        name = os.path.basename(os.fspath(src))
        if ".partial-" in name and not name.startswith("."):  # not the hidden creation rename
            die()
        return rename(src, dst, *args, **kwargs)
    io._renameat2_exchange = die
    os.rename = guarded
sys.exit(sim.ui.cli.main(sys.argv[2:]))
"""


def kill_at(instant: str, base: Base, work: Path) -> list[Path]:
    """Run the CLI over existing results, SIGKILLed by itself at an exact instant; check the
    results are unchanged and return the staging folders left."""
    out = work / "results"
    shutil.copytree(base.results, out)
    before = check_complete(out)
    cmd = [sys.executable, "-c", INJECT, instant] + run_cmd(base.scenario, out, 11)[3:]
    p = subprocess.run(cmd, cwd=work, env=_env(), capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S)
    assert p.returncode == -signal.SIGKILL, p.stderr[-800:]
    assert snapshot(out) == before, "the results changed"
    return partials(out)


def test_kill_right_after_staging_folder_is_made(base: Base, tmp_path: Path) -> None:
    """A kill right after the staging folder appears still leaves it marked incomplete."""
    for staging in kill_at("marker", base, tmp_path):
        if not (staging / MARKER).is_file():
            raise MarkerMissing(f"{staging} holds {sorted(snapshot(staging))}")
    hidden = list(tmp_path.glob(".results.partial-*"))
    assert hidden, "the kill should have left the hidden, not yet marked, folder"
    out = tmp_path / "results"
    p = run_cli(run_cmd(base.scenario, out, 12), tmp_path)  # the next run tidies up
    assert p.returncode == 0, p.stderr
    assert not list(tmp_path.glob(".results.partial-*")) and partials(out) == []


def test_kill_just_before_swap(base: Base, tmp_path: Path) -> None:
    """A kill between the last file and the swap leaves the old results and the marker."""
    staged = kill_at("swap", base, tmp_path)
    assert len(staged) == 1, staged
    if not (staged[0] / MARKER).is_file():  # every file is written, yet it still says partial
        raise MarkerMissing(f"{staged[0]} holds {sorted(snapshot(staged[0]))}")
    check_files_intact(staged[0])
