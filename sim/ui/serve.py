"""``jambi-sim dashboard``: start the workshop page's server, on this machine only unless
told otherwise, offline (local assets, no telemetry)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sim.ui.command import Command, entry
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


MAX_ENV_TEXT = 100_000  # bytes of scenario text passed in the environment (Linux: 128 KiB)


def dashboard_env(base: dict[str, str], scenario: Path | None, lang: str,
                  text: str | None = None) -> dict[str, str]:
    """The server's environment: offline assets, no telemetry, scenario and language.
    ``text``: the scenario as it was read and validated, which the server uses instead of
    reading the file again (a pipe such as /dev/stdin can be read only once)."""
    env = {**base, **OFFLINE_ENV, "JAMBI_SIM_LANG": lang}
    for key in ("JAMBI_SIM_SCENARIO_TOML", "JAMBI_SIM_ENSEMBLE_CSV", "JAMBI_SIM_ENSEMBLE_FILE"):
        env.pop(key, None)  # only what this command read
    if scenario is not None:
        env["JAMBI_SIM_SCENARIO"] = str(scenario.resolve())
    if text is not None:
        env["JAMBI_SIM_SCENARIO_TOML"] = text
    return env


def scenario_from_env(env: dict[str, str]):
    """The server's scenario: the text ``jambi-sim dashboard`` read and validated (the file
    is not read again: /dev/stdin or a pipe can be read only once), else the file, else the
    historical baseline."""
    from sim.scenario import Scenario, load_scenario

    text = env.get("JAMBI_SIM_SCENARIO_TOML")
    if text is not None:
        return Scenario.from_bytes(text.encode("utf-8"),
                                   origin=env.get("JAMBI_SIM_SCENARIO", "<scenario>"))
    return load_scenario(env.get("JAMBI_SIM_SCENARIO") or None)


@entry
def cmd_dashboard(cmd: Command) -> int:
    import importlib.util
    import subprocess

    from sim.scenario.source import decode

    args = cmd.args
    for module in ("solara", "solara_assets"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(f"the dashboard needs {module.replace('_', '-')}: pip install "
                             f"-e '.[dashboard]'.")
    if args.scenario is None:  # the calibrated baseline, not the schema's bare defaults
        shipped = Path(__file__).resolve().parents[2] / "scenarios" / "online_2021.toml"
        if shipped.exists():
            args.scenario = shipped
        else:
            cmd.warn("scenarios/online_2021.toml (the calibrated baseline) is not beside "
                     "this installation; the dashboard starts from the schema's uncalibrated "
                     "defaults. Give --scenario FILE.")
    text = None
    if args.scenario is not None:  # read once and validated here; the server gets the text
        cmd.scenario(args.scenario)
        data = cmd.read(args.scenario)
        text = decode(data, printable(str(args.scenario)))
        if len(text.encode()) > MAX_ENV_TEXT:
            raise UsageError(f"--scenario {printable(str(args.scenario))}: is "
                             f"{len(data):,} bytes; the dashboard takes a scenario "
                             f"of at most {MAX_ENV_TEXT:,} bytes (a few kB is usual).")
    env = dashboard_env(dict(os.environ), args.scenario, args.lang, text)
    if args.scenario is not None:  # the calibrated ensemble's interactive sets, read once
        from sim.ui.dashboard import ENSEMBLE_ENV, ensemble_csv

        ens = cmd.ensemble(args.scenario, cmd.scenario(args.scenario))
        if ens is not None:
            env[ENSEMBLE_ENV] = ensemble_csv(ens)
            env["JAMBI_SIM_ENSEMBLE_FILE"] = ens.origin
    if not _is_loopback(args.host):
        cmd.warn(f"--host {printable(args.host)} makes the dashboard reachable from other "
                 f"machines; anyone who can reach port {args.port} can run simulations here. "
                 f"Use --host 127.0.0.1 to keep it on this machine.")
    print(f"Dashboard on http://{args.host}:{args.port}/ (Ctrl-C to stop).", flush=True)
    command = dashboard_command(args.host, args.port)
    if os.name == "posix":  # become the server, so a signal to us reaches it
        os.execve(command[0], command, env)
    return subprocess.call(command, env=env)
