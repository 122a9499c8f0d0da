"""Kill tests of the study commands: a SIGKILLed ``sweep``, ``sensitivity``, ``calibrate``,
``discover``, ``heldout`` or ``sustainability`` leaves no process behind (workers, a
forkserver, the resource tracker), so a caller reading its piped stdout gets end-of-file
instead of hanging (issue 19).

Each command is started in its own session with two workers on a tiny scenario, killed
with SIGKILL once its workers run, and then every process of that session must be gone
within 10 s, and the pipe must reach end-of-file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts real study processes that run the model

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """
name = "tiny"
[time]
start = 2018-01-01
end = 2021-12-31
online_from = 2019-01-01
[population]
uninsured_people_start = 4000
n_rt = 100
n_kelurahan = 6
n_kelurahan_new = 0
n_kecamatan = 3
arrivals_per_year = 40
lapas_residents = 0
panti_asuhan = 0
panti_jompo = 0
[program]
target = 2000
"""

EXPERIMENT = """
name = "kill_{design}"
scenario = "tiny.toml"
design = "{design}"
samples = 40
reps = 2
outputs = ["active_members_end"]
[factors]
"awareness.initial" = {{}}
"barriers.turf" = {{}}
"""

CALIBRATION = """
name = "kill_calibration"
scenario = "tiny.toml"
seed = 7
candidates = 400
final_reps = 3
[[waves]]
samples = 40
reps = 2
[factors]
"awareness.initial" = {}
"barriers.turf" = {}
[[targets]]
name = "stock"
output = "active_members_end"
observed = 1200
obs_sd = 20
"""

DISCOVER = EXPERIMENT.format(design="lhs").replace('name = "kill_lhs"', 'name = "kill_discover"') + """
[discover]
outcome = "active_members_end"
threshold = 1000
direction = "at_least"
"""

HELDOUT = """
name = "kill_heldout"
scenario = "tiny.toml"
reps = 40
seed = 7
[[patterns]]
name = "stock"
what = "active members at the end"
observed = "some"
source = "test"
why_held_out = "test"
kind = "value"
a = ["active_members_end"]
lo = 0
hi = 1e9
"""

RELATIONS = "\n[relations]\nenabled = true\n"


def _study(command: str, tmp_path: Path) -> list[str]:
    """The command line of ``command`` on the tiny scenario, its files written."""
    (tmp_path / "tiny.toml").write_text(SCENARIO)
    spec = tmp_path / "study.toml"
    out = ["--out", str(tmp_path / "out")]
    if command == "calibrate":
        spec.write_text(CALIBRATION)
        return [str(spec), "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "report")]
    if command == "discover":
        spec.write_text(DISCOVER)
    elif command == "heldout":
        spec.write_text(HELDOUT)
    elif command == "sustainability":
        (tmp_path / "tiny.toml").write_text(SCENARIO + RELATIONS)
        return [str(tmp_path / "tiny.toml"), "--reps", "40", *out]
    else:
        spec.write_text(EXPERIMENT.format(design="morris" if command == "sensitivity"
                                          else "lhs"))
    return [str(spec), *out]


def _session(sid: int) -> list[int]:
    """Every live (non-zombie) process whose session id is ``sid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(entry))
    return pids


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("command,sig", [
    ("sweep", signal.SIGKILL), ("sensitivity", signal.SIGKILL), ("calibrate", signal.SIGKILL),
    ("discover", signal.SIGKILL), ("heldout", signal.SIGKILL),
    ("sustainability", signal.SIGKILL),
    ("sweep", signal.SIGTERM), ("calibrate", signal.SIGINT)])
def test_killed_study_leaves_no_process_and_the_pipe_closes(command: str, sig: int,
                                                           tmp_path: Path) -> None:
    args = _study(command, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", command, *args, "--workers", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True)
    sid = proc.pid
    try:
        deadline = time.monotonic() + 120
        # wait until both workers run (a first run recorded, or two live workers)
        while time.monotonic() < deadline and proc.poll() is None:
            if len(_session(sid)) >= 4 or any((tmp_path).rglob("runs.jsonl")):
                break
            time.sleep(0.2)
        time.sleep(1.0)
        assert proc.poll() is None, f"{command} finished before it could be killed"
        assert len(_session(sid)) >= 3, "the study started no worker processes"
        proc.send_signal(sig)
        proc.wait(timeout=10)
        # a caller reading the pipe returns: end-of-file once no process holds it
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(proc.stdout.read()), daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"the piped stdout is still held open 10 s after {sig!r}"
        end = time.monotonic() + 10
        while _session(sid) and time.monotonic() < end:
            time.sleep(0.2)
        assert _session(sid) == [], f"processes left 10 s after {sig!r}: {_session(sid)}"
    finally:
        for pid in _session(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
