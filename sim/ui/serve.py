"""``jambi-sim dashboard``: start the workshop page's server, on this machine only unless
told otherwise, offline (local assets, no telemetry)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.ui.common import UsageError, printable


def dashboard_command(host: str, port: int) -> list[str]:
    """The Solara server command line; the host is never widened implicitly, and the
    server does not ask pypi.org for a newer Solara (a workshop room may be offline)."""
    app = Path(__file__).resolve().parent / "app.py"
    return [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port",
            str(port), "--production", "--no-check-version"]


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# A workshop room often has no internet: Solara serves its JavaScript and CSS from the
# files solara-assets installed (its asset proxy reads them from the local cache before
# it would ask a CDN), and sends no usage data.
OFFLINE_ENV = {"SOLARA_ASSETS_PROXY": "True", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
               "SOLARA_THEME_SHOW_BANNER": "False"}


def dashboard_env(base: dict[str, str], scenario: Path | None, lang: str) -> dict[str, str]:
    """The server's environment: offline assets, no telemetry, scenario and language."""
    env = {**base, **OFFLINE_ENV, "JAMBI_SIM_LANG": lang}
    if scenario is not None:
        env["JAMBI_SIM_SCENARIO"] = str(scenario.resolve())
    return env


def cmd_dashboard(args: argparse.Namespace) -> int:
    import importlib.util
    import subprocess

    from sim.scenario import Scenario

    for module in ("solara", "solara_assets"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(f"the dashboard needs {module.replace('_', '-')}: pip install "
                             f"-e '.[dashboard]'.")
    if args.scenario is None:  # the calibrated baseline, not the schema's bare defaults
        shipped = Path(__file__).resolve().parents[2] / "scenarios" / "online_2021.toml"
        if shipped.exists():
            args.scenario = shipped
        else:
            print("jambi-sim: warning: scenarios/online_2021.toml (the calibrated baseline) "
                  "is not beside this installation; the dashboard starts from the schema's "
                  "uncalibrated defaults. Give --scenario FILE.", file=sys.stderr)
    if args.scenario is not None:
        Scenario.from_toml(args.scenario)  # validate before starting the server
    env = dashboard_env(dict(os.environ), args.scenario, args.lang)
    if not _is_loopback(args.host):
        print(f"jambi-sim: warning: --host {printable(args.host)} makes the dashboard reachable "
              f"from other machines; anyone who can reach port {args.port} can run "
              f"simulations here. Use --host 127.0.0.1 to keep it on this machine.",
              file=sys.stderr)
    print(f"Dashboard on http://{args.host}:{args.port}/ (Ctrl-C to stop).", flush=True)
    cmd = dashboard_command(args.host, args.port)
    if os.name == "posix":  # become the server, so a signal to us reaches it
        os.execve(cmd[0], cmd, env)
    return subprocess.call(cmd, env=env)
