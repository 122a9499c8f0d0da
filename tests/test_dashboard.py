"""The dashboard listens on 127.0.0.1 unless --host is given, and serves the app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import die_with_parent

from sim.ui.cli import build_parser
from sim.ui.serve import dashboard_command

pytestmark = pytest.mark.integration  # a real server process

ROOT = Path(__file__).resolve().parents[1]


def test_default_host_is_loopback() -> None:
    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1"
    cmd = dashboard_command(args.host, args.port)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--no-check-version" in cmd  # no call to pypi.org from a workshop room


def test_explicit_host_is_passed_through() -> None:
    args = build_parser().parse_args(["dashboard", "--host", "0.0.0.0", "--port", "9000"])
    cmd = dashboard_command(args.host, args.port)
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9000"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> list[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:  # 0A = LISTEN
                found.append(addr)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_dashboard_serves_on_loopback_only() -> None:
    pytest.importorskip("solara")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=die_with_parent)
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    status = r.status
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
                time.sleep(1)
        assert status == 200
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and nothing else
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
