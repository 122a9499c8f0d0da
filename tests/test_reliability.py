"""Reliability under real use (issue 7): workers that cannot outlive their run, the scenario
read once, --out rules (mount points, planted and edited folders, two runs at once), bounded
memory, a calendar right for every accepted year, and clear errors from the Python API.

Tests that start processes and send signals, or run many replications, are ``slow``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, small, small_toml

import sim
from sim import checks
from sim.engine import worktime
from sim.runner.records import summarize
from sim.runner.staging import MARKER
from sim.scenario import Scenario, ScenarioError, source
from sim.ui.cli import main
from sim.ui.golden import compare

TINY_TOML = small_toml("tiny", time={"end": "2018-12-31", "online_from": "2018-06-01"},
                       population={"uninsured_people_start": 1500, "n_rt": 60},
                       program={"target": 1500})


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY_TOML)
    return p


def _env() -> dict[str, str]:
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + extra if extra else ""),
            "MPLBACKEND": "Agg"}


def cli(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=300, **kw)


# ----------------------------------------------------------- processes and signals
def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, from /proc (no psutil needed)."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        parent[int(d.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found.update(kids)
        todo += kids
    return found


def alive(pid: int) -> bool:
    """True for a running process (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def start_run(tiny: Path, out: Path, reps: int = 400) -> tuple[subprocess.Popen, set[int]]:
    """Start a 2-worker run in its own session; return it once its workers are busy."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(tiny), "--reps", str(reps),
                             "--workers", "2", "--out", str(out), "--quiet"],
                            cwd=out.parent, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    t0 = time.monotonic()
    kids: set[int] = set()
    while time.monotonic() - t0 < 60:
        kids = descendants(proc.pid)
        if len(kids) >= 2 and list(out.parent.glob(f"{out.name}.partial-*")):
            time.sleep(1.0)  # let the workers get into a replication
            return proc, descendants(proc.pid)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"the run did not start its workers: {proc.communicate()}")


def communicate_or_kill(proc: subprocess.Popen, timeout: float = 30) -> tuple[str, str]:
    """Wait for a stopped run; if it hangs, kill its whole session (so a failing test leaves
    no process behind) and fail."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the run did not end within {timeout} s of being stopped: {err[-2000:]}")


def assert_all_gone(pids: set[int], within: float = 10.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < within:
        if not any(alive(p) for p in pids):
            return
        time.sleep(0.1)
    left = sorted(p for p in pids if alive(p))
    for p in left:
        os.kill(p, signal.SIGKILL)
    pytest.fail(f"processes still alive {within} s after the parent: {left}")


@pytest.mark.slow
@pytest.mark.parametrize("how,code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_stopping_the_run_stops_its_workers(how: str, code: int, tiny: Path,
                                            tmp_path: Path) -> None:
    """kill PID (or Ctrl-C to the whole group): exit 143 (130), one line, no traceback, no
    worker left, the staging folder left marked incomplete."""
    out = tmp_path / "res"
    proc, kids = start_run(tiny, out)
    assert kids, "no workers seen"
    if how == "SIGTERM":
        proc.send_signal(signal.SIGTERM)
    else:  # the terminal sends Ctrl-C to every process in the foreground group
        os.killpg(proc.pid, signal.SIGINT)
    _, err = communicate_or_kill(proc)
    assert proc.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "previous results are untouched" in err
    assert_all_gone(kids)
    staged = list(tmp_path.glob("res.partial-*"))
    assert len(staged) == 1 and (staged[0] / MARKER).is_file() and not out.exists()
    assert "stopped: " in (staged[0] / MARKER).read_text()


@pytest.mark.slow
def test_sigkill_of_the_parent_leaves_no_worker(tiny: Path, tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the workers notice the parent's death and exit."""
    proc, kids = start_run(tiny, tmp_path / "res")
    assert kids
    proc.kill()
    communicate_or_kill(proc)
    assert_all_gone(kids)


def handlers_installed(pid: int, timeout: float = 30.0) -> bool:
    """Wait until the process catches SIGTERM (/proc/PID/status, SigCgt): jambi-sim's
    main() has then put in its handlers, Ctrl-C's first. Before that, in the interpreter's
    own start-up and ``import sim`` (about 25 ms), Ctrl-C gets Python's default."""
    bit = 1 << (signal.SIGTERM - 1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        caught = [line.split()[1] for line in status.splitlines() if line.startswith("SigCgt")]
        if caught and int(caught[0], 16) & bit:
            return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3, 0.8, 1.6])
def test_ctrl_c_during_start_up_gives_one_line(delay: float, tiny: Path, tmp_path: Path) -> None:
    """Ctrl-C at any moment of a command's start-up (its imports, reading the scenario,
    starting the workers), counted from when jambi-sim's handlers are in."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(tiny), "--reps", "50",
                             "--workers", "2", "--out", str(tmp_path / "r"), "--quiet"],
                            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert handlers_installed(proc.pid), "jambi-sim never put in its signal handlers"
    time.sleep(delay)
    kids = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err)
    if proc.returncode == 130:
        assert len(err.strip().splitlines()) == 1, err
    assert_all_gone(kids | descendants(proc.pid))


def test_worker_initializer_sets_the_parent_death_signal() -> None:
    """In a child that runs the initializer, PR_GET_PDEATHSIG reports SIGKILL."""
    code = ("import ctypes, os, signal, sys\n"
            "from sim.runner.replications import _worker_init\n"
            "_worker_init(os.getppid())\n"
            "libc = ctypes.CDLL(None)\n"
            "v = ctypes.c_int()\n"
            "libc.prctl(2, ctypes.byref(v), 0, 0, 0)\n"
            "print(v.value, signal.getsignal(signal.SIGINT) == signal.SIG_IGN)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=_env(), timeout=60)
    assert r.stdout.split() == [str(int(signal.SIGKILL)), "True"], r.stderr


# ------------------------------------------------------------- the scenario, read once
def test_scenario_deleted_or_edited_mid_run(tiny: Path, tmp_path: Path, monkeypatch,
                                            capsys) -> None:
    """What is hashed is what was simulated, even if the file changes or goes mid-run."""
    import sim.runner.replications

    original = tiny.read_bytes()
    real_run = sim.runner.replications.run
    for change in ("delete", "edit"):
        def meddle(*a, change=change, **k):
            if change == "delete":
                tiny.unlink()
            else:
                tiny.write_text(TINY_TOML.replace("n_rt = 60", "n_rt = 61"))
            return real_run(*a, **k)

        monkeypatch.setattr(sim.runner.replications, "run", meddle)
        out = tmp_path / change
        assert main(["run", str(tiny), "--reps", "1", "--out", str(out), "--quiet",
                     "--no-figures", "--no-attribution"]) == 0, capsys.readouterr().err
        prov = json.loads((out / "summary.json").read_text())["provenance"]
        assert prov["scenario_sha256"] == hashlib.sha256(original).hexdigest()
        tiny.write_bytes(original)
    expected = real_run(Scenario.from_bytes(original), reps=1, seed=20240331)
    got = json.loads((tmp_path / "edit" / "summary.json").read_text())
    assert got["enrolled_end"] == expected.summary["enrolled_end"]


def test_scenario_from_stdin_is_hashed(tiny: Path, tmp_path: Path) -> None:
    with open(tiny, "rb") as fh:
        r = subprocess.run([sys.executable, "-m", "sim", "run", "/dev/stdin", "--reps", "1",
                            "--out", str(tmp_path / "o"), "--quiet", "--no-figures",
                            "--no-attribution", "--no-cases"], stdin=fh, cwd=tmp_path,
                           env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    prov = json.loads((tmp_path / "o" / "summary.json").read_text())["provenance"]
    assert prov["scenario_sha256"] == hashlib.sha256(tiny.read_bytes()).hexdigest()


def test_fifo_without_a_writer_is_refused(tmp_path: Path, monkeypatch) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    monkeypatch.setattr(source, "FIFO_WAIT_S", 0.3)
    t0 = time.monotonic()
    with pytest.raises(ScenarioError, match="pipe.toml: is a pipe that nothing wrote to"):
        Scenario.from_toml(fifo)
    assert time.monotonic() - t0 < 5

    def writer() -> None:
        with open(fifo, "w") as fh:
            fh.write('name = "piped"\n')

    t = threading.Thread(target=writer)
    t.start()
    assert Scenario.from_toml(fifo).name == "piped"
    t.join()


def test_oversized_and_endless_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="more than 1,048,576 bytes"):
        Scenario.from_toml("/dev/zero")
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (source.MAX_BYTES + 1))
    with pytest.raises(ScenarioError, match=r"big.toml: is 1,048,577 bytes"):
        Scenario.from_toml(big)
    with pytest.raises(ScenarioError, match="is a folder"):
        Scenario.from_toml(tmp_path)


def test_byte_order_mark_is_accepted_and_utf16_explained(tmp_path: Path) -> None:
    bom = tmp_path / "bom.toml"
    bom.write_bytes(source.BOM_UTF8 + TINY_TOML.encode())
    assert Scenario.from_toml(bom) == Scenario.from_bytes(TINY_TOML.encode())
    u16 = tmp_path / "u16.toml"
    u16.write_bytes(TINY_TOML.encode("utf-16"))
    with pytest.raises(ScenarioError, match="u16.toml: is saved as UTF-16; save it as UTF-8"):
        Scenario.from_toml(u16)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"not UTF-8 text \(byte 0xe9 at line 1\)"):
        Scenario.from_toml(latin)


def test_look_alike_letters_are_shown_by_code_point(tmp_path: Path) -> None:
    f = tmp_path / "cyr.toml"
    f.write_text('[time]\npathway_mode = "m\u0430nual"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_toml(f)
    msg = str(exc.value)
    assert "U+0430 CYRILLIC SMALL LETTER A at position 2" in msg and "time.pathway_mode" in msg
    assert "\n" not in msg


def test_control_and_right_to_left_characters_in_name_are_escaped(tmp_path: Path,
                                                                    capsys) -> None:
    f = tmp_path / "rtl.toml"
    f.write_text(TINY_TOML.replace('name = "tiny"', 'name = "a\\u202eb\\u001b[31mc"'))
    assert main(["validate", str(f)]) == 0
    assert main(["run", str(f), "--reps", "1", "--out", str(tmp_path / "o"), "--no-figures",
                 "--no-attribution", "--no-cases"]) == 0
    printed = capsys.readouterr().out
    assert "\u202e" not in printed and "\x1b" not in printed
    assert printed.count("a\\u202eb\\x1b[31mc") == 2


# ------------------------------------------------------------------------- --out
def test_planted_partial_folder_survives_a_refused_run(tiny: Path, tmp_path: Path,
                                                      capsys) -> None:
    """mkdir thesis thesis.partial-999999: the run is refused and deletes nothing."""
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.docx").write_text("precious")
    planted = tmp_path / "thesis.partial-999999"
    planted.mkdir()
    (planted / "draft.txt").write_text("also precious")
    assert main(["run", str(tiny), "--out", str(thesis), "--quiet"]) == 2
    assert (planted / "draft.txt").read_text() == "also precious"
    assert (thesis / "chapter1.docx").read_text() == "precious"
    assert "not empty" in capsys.readouterr().err


def test_folder_named_like_staging_inside_results_is_not_ours(tiny: Path, tmp_path: Path,
                                                             capsys) -> None:
    out = tmp_path / "res"
    args = ["run", str(tiny), "--reps", "1", "--out", str(out), "--quiet", "--no-figures",
            "--no-attribution"]
    assert main(args) == 0
    (out / ".partial-77").mkdir()
    (out / ".partial-77" / "notes.txt").write_text("mine")
    assert main(args) == 2
    assert ".partial-77/notes.txt" in capsys.readouterr().err
    assert (out / ".partial-77" / "notes.txt").read_text() == "mine"


def test_edited_result_file_is_not_replaced(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "res"
    args = ["run", str(tiny), "--reps", "1", "--out", str(out), "--quiet", "--no-figures",
            "--no-attribution"]
    assert main(args) == 0
    edited = (out / "timeseries.csv").read_text() + "my,own,row\n"
    (out / "timeseries.csv").write_text(edited)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "timeseries.csv differs" in err and "Copy it elsewhere" in err
    assert err.count("\n") == 1
    assert (out / "timeseries.csv").read_text() == edited
    assert not list(tmp_path.glob("res.partial-*"))


def test_edited_during_the_run_is_caught_before_the_swap(tiny: Path, tmp_path: Path,
                                                         monkeypatch, capsys) -> None:
    import sim.runner.replications

    out = tmp_path / "res"
    args = ["run", str(tiny), "--reps", "1", "--out", str(out), "--quiet", "--no-figures",
            "--no-attribution"]
    assert main(args) == 0
    real_run = sim.runner.replications.run

    def meddle(*a, **k):
        (out / "cases.csv").write_text("edited while the run ran\n")
        return real_run(*a, **k)

    monkeypatch.setattr(sim.runner.replications, "run", meddle)
    assert main(args) == 2
    assert "cases.csv differs" in capsys.readouterr().err
    assert (out / "cases.csv").read_text() == "edited while the run ran\n"


@pytest.fixture
def mount_point(tmp_path: Path):
    mnt = tmp_path / "volume"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): "
                    f"{r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_out_on_a_mount_point(mount_point: Path, tiny: Path, capsys) -> None:
    """An empty mount point, then one holding the previous run: written into, never staged
    outside it, and edited files there are still protected."""
    parent_before = sorted(p.name for p in mount_point.parent.iterdir())
    args = ["run", str(tiny), "--reps", "1", "--out", str(mount_point), "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    assert os.path.ismount(mount_point)
    assert (mount_point / "summary.json").is_file() and not (mount_point / MARKER).exists()
    assert sorted(p.name for p in mount_point.parent.iterdir()) == parent_before
    first = json.loads((mount_point / "summary.json").read_text())
    assert main([*args[:-1], "--seed", "7", "--no-cases", "--quiet"]) == 0
    second = json.loads((mount_point / "summary.json").read_text())
    assert second["seed"] == 7 and first["seed"] != 7
    names = {p.relative_to(mount_point).as_posix() for p in mount_point.rglob("*")
             if p.is_file()}
    assert names == set(second["provenance"]["files"]) | {"summary.json"}  # no cases.csv
    assert sorted(p.name for p in mount_point.parent.iterdir()) == parent_before
    (mount_point / "timeseries.csv").write_text("mine\n")
    assert main(args) == 2
    assert (mount_point / "timeseries.csv").read_text() == "mine\n"


def test_swap_into_a_mount_point_cut_short_is_marked_and_recovers(mount_point: Path, tiny: Path,
                                                                  monkeypatch, capsys) -> None:
    """A run stopped while moving files into a mount point leaves its INCOMPLETE.txt there;
    the next run accepts the mixed folder as its own and completes it."""
    args = ["run", str(tiny), "--reps", "1", "--out", str(mount_point), "--quiet"]
    assert main(args) == 0
    real_replace, moved = os.replace, []

    def cut_short(src, dst, *a, **k):
        if Path(dst).parent == mount_point and Path(dst).name != MARKER:
            moved.append(Path(dst).name)
            if len(moved) == 2:
                raise KeyboardInterrupt
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", cut_short)
    assert main([*args, "--seed", "3"]) == 130
    monkeypatch.setattr(os, "replace", real_replace)
    assert (mount_point / MARKER).is_file(), "a half-swapped folder must be marked"
    capsys.readouterr()
    assert main([*args, "--seed", "4"]) == 0, capsys.readouterr().err
    summary = json.loads((mount_point / "summary.json").read_text())
    assert summary["seed"] == 4 and not (mount_point / MARKER).exists()
    for name, meta in summary["provenance"]["files"].items():
        assert hashlib.sha256((mount_point / name).read_bytes()).hexdigest() == meta["sha256"]
    assert not [p for p in mount_point.iterdir() if "partial" in p.name]


@pytest.mark.slow
def test_two_runs_finishing_into_the_same_out(tiny: Path, tmp_path: Path) -> None:
    """Both end cleanly; the folder holds one complete run."""
    out = tmp_path / "same"
    cmd = [sys.executable, "-m", "sim", "run", str(tiny), "--reps", "1", "--out", str(out),
           "--quiet", "--no-figures"]
    for attempt in range(3):
        procs = [subprocess.Popen(cmd + ["--seed", str(s)], cwd=tmp_path, env=_env(),
                                  stderr=subprocess.PIPE, text=True) for s in (1, 2)]
        errs = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errs
        summary = json.loads((out / "summary.json").read_text())
        for name, meta in summary["provenance"]["files"].items():
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == meta["sha256"]
        assert not list(tmp_path.glob("same.*")), attempt


# ------------------------------------------------------------------- memory
def test_sink_keeps_no_tables_and_the_summary_is_unchanged(tiny: Path) -> None:
    """With a sink the tables are streamed away; the running tally gives the very summary
    that metrics.summarize gives from the full tables."""
    sc = Scenario.from_toml(tiny)
    seen: list[pd.DataFrame] = []
    streamed = sim.run(sc, reps=3, seed=4, sink=lambda r: seen.append(r.cases))
    assert streamed.timeseries is None and streamed.cases is None
    assert [c["rep"].iloc[0] for c in seen] == [0, 1, 2]
    full = sim.run(sc, reps=3, seed=4)
    pd.testing.assert_frame_equal(pd.concat(seen, ignore_index=True), full.cases)
    reference = summarize(sc, 4, full.per_rep, full.cases, sim.__version__)
    for key in ("days_to_card", "visits_per_enrollee", "citizen_cost_idr_per_enrollee",
                "by_pathway", "enrolled_end", "cases"):
        assert compare(reference[key], streamed.summary[key], f"/{key}", rel=1e-12) == []
        assert compare(reference[key], full.summary[key], f"/{key}", rel=1e-12) == []


def test_streamed_csv_equals_the_api_tables(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["run", str(tiny), "--reps", "3", "--workers", "2", "--out", str(out),
                 "--quiet", "--no-figures", "--no-attribution"]) == 0
    api = sim.run(tiny, reps=3, seed=20240331)
    pd.testing.assert_frame_equal(pd.read_csv(out / "timeseries.csv"), api.timeseries,
                                  check_dtype=False)
    cases = pd.read_csv(out / "cases.csv", keep_default_na=False, na_values=[""])
    assert len(cases) == len(api.cases) and list(cases.columns) == list(api.cases.columns)
    assert (cases["case_id"].to_numpy() == api.cases["case_id"].to_numpy()).all()


def test_runs_beyond_the_machine_memory_are_refused(tiny: Path, tmp_path: Path, capsys,
                                                    monkeypatch) -> None:
    """--workers 256 (or the largest city) is refused up front with an estimate."""
    import sim.runner.replications

    have = sim.runner.replications.available_memory()
    if have is None:
        pytest.skip("no /proc/meminfo")
    out = tmp_path / "o"
    assert main(["run", str(tiny), "--reps", "256", "--workers", "256", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "GiB of memory" in err and "--workers" in err and err.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob("o.partial-*"))
    huge = small(population={"uninsured_people_start": 700000})
    assert "several minutes per replication" in (sim.runner.replications.check_memory(huge, 1) or "")
    monkeypatch.setattr(sim.runner.replications, "available_memory", lambda: 300 * 2**20)
    with pytest.raises(sim.runner.replications.ResourceError, match="GiB is available"):
        sim.run(small(), reps=1)


@pytest.mark.slow
def test_parent_memory_is_flat_from_10_to_100_reps(tmp_path: Path) -> None:
    """Benchmark: peak RSS of the CLI's parent process at 10 and 100 replications."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("needs /proc/self/status (Linux)")
    scenario = tmp_path / "quarter.toml"
    scenario.write_text('name = "quarter"\n[population]\nuninsured_people_start = 8000\n'
                        'n_rt = 400\narrivals_per_year = 120.0\n[time]\nend = 2020-12-31\n')
    # VmHWM, not ru_maxrss: the latter keeps the pytest process's peak across fork + exec
    code = ("import sys\nfrom sim.ui.cli import main\nrc = main(sys.argv[1:])\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
            "print('MAXRSS', hwm[0].split()[1])\nsys.exit(rc)\n")
    peak = {}
    for reps in (10, 100):
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-c", code, "run", str(scenario), "--reps",
                            str(reps), "--workers", "2", "--out", str(tmp_path / f"r{reps}"),
                            "--quiet", "--no-figures"], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, r.stderr
        peak[reps] = int(r.stdout.split("MAXRSS")[1]) / 1024  # MiB
        cases = (tmp_path / f"r{reps}" / "cases.csv").stat().st_size / 2**20
        print(f"memory: {reps} reps: parent peak {peak[reps]:.0f} MiB, cases.csv "
              f"{cases:.0f} MiB, {time.monotonic() - t0:.0f} s")
    assert peak[100] < peak[10] * 1.15 + 20, peak


# ------------------------------------------------------------------- calendar
def test_feasts_fall_in_their_year_for_every_accepted_year() -> None:
    lo, hi = sim.scenario.schema.MIN_DATE.year, sim.scenario.schema.MAX_DATE.year + 4
    for year in range(lo, hi + 1):
        for feast in (worktime.idul_fitri, worktime.idul_adha):
            days = feast(year)
            assert 1 <= len(days) <= 2 and all(d.year == year for d in days), (year, days)
    fitri = [d for y in range(lo, hi + 1) for d in worktime.idul_fitri(y)]
    gaps = {(b - a).days for a, b in zip(fitri, fitri[1:])}
    assert gaps <= {354, 355, 356}, gaps  # a lunar year apart (356 where the table meets)


def test_computed_feasts_match_the_national_calendar() -> None:
    """The Hijri computation is within a day of every tabled date, and of known ones."""
    for table, month, day in ((worktime.IDUL_FITRI, 10, 1), (worktime.IDUL_ADHA, 12, 10)):
        for year, md in table.items():
            official = dt.date.fromisoformat(f"{year}-{md}")
            h = round((year - 622) * 365.2425 / 354.367)
            computed = [worktime.hijri_to_date(y, month, day) for y in range(h - 2, h + 3)]
            assert min(abs((c - official).days) for c in computed) <= 1, (year, computed)
    assert worktime.idul_fitri(2000) == [dt.date(2000, 1, 8), dt.date(2000, 12, 28)]
    assert worktime.idul_adha(2006) == [dt.date(2006, 1, 10), dt.date(2006, 12, 31)]
    assert dt.date(1900, 2, 2) in worktime.public_holidays(1900)
    assert dt.date(2040, 10, 20) not in worktime.public_holidays(2040)


# ------------------------------------------------------------------ small CLI things
def test_params_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "sim", "params"], cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like 'head' exiting before the table is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == "", err


def test_dashboard_on_every_interface_warns(monkeypatch, capsys) -> None:
    pytest.importorskip("solara")

    class Started(Exception):
        pass

    def fake_exec(*a):
        raise Started

    monkeypatch.setattr(os, "execve", fake_exec)
    for host, warned in (("0.0.0.0", True), ("127.0.0.1", False), ("::1", False)):
        with pytest.raises(Started):
            main(["dashboard", "--host", host])
        err = capsys.readouterr().err
        assert ("reachable from other machines" in err) == warned, (host, err)


def test_validate_reports_every_bad_file(tmp_path: Path, capsys) -> None:
    a = tmp_path / "a.toml"
    a.write_text("[barriers]\npower = 2.0\n")
    b = tmp_path / "b.toml"
    b.write_text('name = "fine"\n')
    c = tmp_path / "c.toml"
    c.write_text("[time\n")
    assert main(["validate", str(a), str(b), str(c)]) == 2
    captured = capsys.readouterr()
    assert "a.toml" in captured.err and "c.toml" in captured.err
    assert "b.toml: ok (fine)" in captured.out and "2 of 3 files" in captured.err


# --------------------------------------------------------------- Python API errors
@pytest.mark.parametrize("kwargs,name,accepts", [
    ({"reps": "3"}, "reps", "whole number"),
    ({"reps": None}, "reps", "whole number"),
    ({"reps": 2.5}, "reps", "whole number"),
    ({"reps": 0}, "reps", "from 1"),
    ({"reps": True}, "reps", "whole number"),
    ({"workers": "2"}, "workers", "whole number"),
    ({"workers": 0}, "workers", "from 1"),
    ({"seed": -1}, "seed", "from 0"),
    ({"seed": "1"}, "seed", "whole number"),
    ({"scenario": 123}, "scenario", "a Scenario, a path"),
    ({"scenario": {"name": "x"}}, "scenario", "Scenario.from_dict"),
    ({"scenario": ["a.toml"]}, "scenario", "a Scenario, a path"),
    ({"scenario": b"name = 'x'"}, "scenario", "Scenario.from_bytes"),
    ({"progress": 5}, "progress", "callable"),
    ({"progress": lambda: None}, "progress", "one positional argument"),
    ({"sink": "file.csv"}, "sink", "callable"),
])
def test_api_errors_name_the_argument(kwargs, name, accepts) -> None:
    calls = []
    import sim.runner.replications

    real = sim.runner.replications.run_one
    sim.runner.replications.run_one = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        with pytest.raises((TypeError, ValueError)) as exc:
            sim.run(**{"scenario": small(), **kwargs})
    finally:
        sim.runner.replications.run_one = real
    assert str(exc.value).startswith(name) or f"{name} must" in str(exc.value), exc.value
    assert accepts in str(exc.value)
    assert calls == [], "the argument was checked only after simulating"


def test_scenario_api_errors_name_the_argument() -> None:
    with pytest.raises(TypeError, match="path must be a path to a TOML file"):
        Scenario.from_toml(123)
    with pytest.raises(TypeError, match="data must be the bytes of a TOML file"):
        Scenario.from_bytes("name = 'x'")
    with pytest.raises(TypeError, match="names must be None or a list"):
        sim.scenario.bounds(123)
    with pytest.raises(TypeError, match="names must be None or a list"):
        sim.scenario.bounds(["turf", 7])
    assert sim.scenario.bounds("turf") == sim.scenario.bounds(["turf"])  # one name is fine
    with pytest.raises(TypeError, match="scenario must be a Scenario"):
        sim.JambiBugarModel(scenario=123)


@pytest.mark.parametrize("seed,rep,message", [(-1, 0, "seed must be from 0"),
                                              (0, -1, "rep must be from 0"),
                                              (0, "1", "rep must be a whole number"),
                                              (1.5, 0, "seed must be a whole number")])
def test_seed_and_rep_checks(seed, rep, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        checks.seed_and_rep(seed, rep)
    assert checks.seed_and_rep(3, 2) == (3, 2)
    # the model and run_one check them before building anything
    with pytest.raises((TypeError, ValueError), match=message):
        sim.JambiBugarModel(seed=seed, rep=rep)
    with pytest.raises((TypeError, ValueError), match=message):
        sim.run_one(sim.Scenario(), seed=seed, rep=rep)



# ------------------------------------------------------------------ memory across runs
def _models_alive() -> int:
    import gc

    from sim.model import JambiBugarModel

    gc.collect()
    return sum(isinstance(o, JambiBugarModel) for o in gc.get_objects())


def test_a_replication_leaves_no_model_behind() -> None:
    """A worker runs replication after replication: each must be freed when it ends.

    Mesa 3.3's class-level ``Agent._ids`` is keyed by the model and kept every model alive
    (a sweep worker grew by about 36 MB a run, towards an out-of-memory kill)."""
    from sim.runner.replications import run_one

    before = _models_alive()
    for rep in range(3):
        run_one(small(), 1, rep, tables=False)
    assert _models_alive() == before


def test_agent_numbers_do_not_hold_the_model() -> None:
    import gc
    import weakref

    from sim.model import JambiBugarModel

    model = JambiBugarModel(scenario=small(), seed=1)
    ids = [a.unique_id for a in model.agents]
    assert sorted(ids) == list(range(1, len(ids) + 1))  # numbered per model, as Mesa does
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
    again = JambiBugarModel(scenario=small(), seed=1)  # each model counts from 1
    assert sorted(a.unique_id for a in again.agents) == sorted(ids)
