"""The ``jambi-sim`` command (also ``python -m sim``).

    jambi-sim run SCENARIO.toml [--reps N] [--seed S] [--out DIR] [--workers W] [--lang id]
    jambi-sim validate FILE.toml ...
    jambi-sim params [--format markdown|csv]
    jambi-sim golden [--update]
    jambi-sim sweep EXPERIMENT.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim sensitivity EXPERIMENT.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim discover EXPERIMENT.toml [--workers N] [--runs DIR] [--out DIR] [--quiet]
    jambi-sim whatif SCENARIO.toml --param turf --values 0,0.5,1 [--reps 20] [--lang id]
    jambi-sim compare A.toml B.toml [...] [--reps 10] [--lang id]
    jambi-sim calibrate CALIBRATION.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim heldout HELDOUT.toml [--reps N] [--workers N] [--out DIR]
    jambi-sim sustainability SCENARIO.toml ... [--reps N] [--sets FILE.csv] [--out DIR]
    jambi-sim odd [--check]
    jambi-sim evidence EVIDENCE.toml [--mapping MAPPING.toml] [--out DIR]
    jambi-sim dashboard [--scenario FILE] [--lang id|en] [--host 127.0.0.1] [--port 8765]
    jambi-sim bench [--quick] [--out FILE.md] [--json FILE.json]

Mistakes in files or flags print one paragraph and exit with code 2, without a
traceback; a failed or killed run never touches the previous results.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from sim.ui import stops
from sim.ui.stops import Terminated


def _int_in(lo: int, hi: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number from {lo} to {hi}, got '{text}'") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{what} must be from {lo} to {hi}, got {value}")
        return value
    return parse


def _ensemble_flags(parser: argparse.ArgumentParser, reps: int) -> None:
    """--sets / --set / --ensemble-reps: which of a calibrated scenario's ensemble to run."""
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--sets", choices=("interactive", "all", "none"), default="interactive",
                   help="sets of the scenario's calibrated ensemble to answer from: "
                        "interactive (its seeded subsample of 30, default), all, or none "
                        "(this file's own values only)")
    g.add_argument("--set", type=_int_in(0, 100_000, "--set"), default=None, metavar="N",
                   help="run set N of the ensemble alone (faster; the answer then rests on "
                        "one set, and the output says so)")
    parser.add_argument("--ensemble-reps", type=_int_in(1, 1000, "--ensemble-reps"),
                        default=reps, help=f"replications of each ensemble set (default "
                                           f"{reps})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jambi-sim", description=__doc__.split("\n")[0])
    from sim._version import __version__

    p.add_argument("--version", action="version", version=f"jambi-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run replications of a scenario and write tables and figures")
    r.add_argument("scenario", type=Path, help="scenario TOML file (see scenarios/)")
    r.add_argument("--reps", type=_int_in(1, 10000, "--reps"), default=10,
                   help="replications (default 10)")
    r.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=20240331,
                   help="root seed (default 20240331)")
    r.add_argument("--out", type=Path, default=None,
                   help="output folder (default runs/<scenario file name>)")
    r.add_argument("--workers", type=_int_in(1, 256, "--workers"), default=os.cpu_count() or 1,
                   help="worker processes; results do not depend on it (default: all cores)")
    r.add_argument("--lang", choices=("en", "id"), default="en",
                   help="language of figures and summary: en (English) or id (Bahasa "
                        "Indonesia)")
    r.add_argument("--no-cases", action="store_true", help="do not write cases.csv")
    r.add_argument("--no-figures", action="store_true", help="do not draw figures")
    r.add_argument("--no-attribution", action="store_true",
                   help="do not attribute the gap to its causes (paired runs, one cause "
                        "removed at a time)")
    r.add_argument("--attribution-reps", type=_int_in(1, 10000, "--attribution-reps"),
                   default=None, help="paired replications of each removed cause (default: "
                                      "the run's reps, at most 3)")
    r.add_argument("--attribution-sets", action="store_true",
                   help="also attribute the gap set by set over the ensemble (each cause "
                        "removed in every set, --ensemble-reps paired runs each: 7 x sets x "
                        "reps more runs); writes attribution_sets.csv")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _ensemble_flags(r, 2)
    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", type=Path, nargs="+")
    pa = sub.add_parser("params", help="print every parameter with unit, range and source")
    pa.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    d = sub.add_parser("dashboard", help="start the live SolaraViz dashboard in a browser tab")
    d.add_argument("--scenario", type=Path, default=None,
                   help="scenario TOML file (default: the calibrated historical baseline, "
                        "scenarios/online_2021.toml)")
    d.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    d.add_argument("--port", type=_int_in(1, 65535, "--port"), default=8765,
                   help="port (default 8765)")
    d.add_argument("--lang", choices=("id", "en"), default="id",
                   help="first language of the page: id (Bahasa Indonesia, default) or en; "
                        "switchable on the page")
    w = sub.add_parser("whatif", help="one parameter at several values, under the same seeds: "
                                      "fan chart and table")
    w.add_argument("scenario", type=Path, help="scenario TOML file (see scenarios/)")
    w.add_argument("--param", required=True,
                   help="parameter to vary: a leaf name such as turf, or a path such as "
                        "offices__dinsos__staff")
    w.add_argument("--values", required=True, help="values separated by commas, e.g. "
                                                   "0,0.25,0.5,0.75,1")
    c = sub.add_parser("compare", help="scenarios side by side under the same seeds: "
                                       "coverage, funnel, days to card, cost, budget")
    c.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.toml",
                   help="two or more scenario files; the first is the reference")
    for x in (w, c):
        x.add_argument("--reps", type=_int_in(1, 10000, "--reps"), default=20 if x is w else 10,
                       help=f"replications per run (default {20 if x is w else 10})")
        x.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=20240331,
                       help="root seed, the same for every run (default 20240331)")
        x.add_argument("--out", type=Path, default=None,
                       help=f"output folder (default runs/{'whatif' if x is w else 'compare'}"
                            "_<name>)")
        x.add_argument("--workers", type=_int_in(1, 256, "--workers"),
                       default=os.cpu_count() or 1, help="worker processes (default: all cores)")
        x.add_argument("--lang", choices=("en", "id"), default="en",
                       help="language of figures and tables: en or id (Bahasa Indonesia)")
        x.add_argument("--quiet", action="store_true", help="print nothing but errors")
        _ensemble_flags(x, 3)
    for name, what in (("sweep", "run every point of an experiment file (resumable)"),
                       ("sensitivity", "Sobol' or Morris indices of an experiment (SALib)"),
                       ("discover", "scenario discovery: where an outcome meets a threshold "
                                    "(PRIM, EMA Workbench)")):
        e = sub.add_parser(name, help=what)
        e.add_argument("experiment", type=Path, help="experiment TOML file (see experiments/)")
        e.add_argument("--workers", type=_int_in(1, 256, "--workers"),
                       default=os.cpu_count() or 1,
                       help="local worker processes; results do not depend on it "
                            "(default: all cores)")
        e.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://host:8786")
        if name == "discover":
            e.add_argument("--runs", type=Path, default=None,
                           help="folder for runs.jsonl and the table (default "
                                "runs/<name>); running again resumes")
            e.add_argument("--out", type=Path, default=None,
                           help="folder for the report, replaced as a whole (default "
                                "runs/<name>/discovery)")
        else:
            e.add_argument("--out", type=Path, default=None,
                           help="folder for runs.jsonl and the table (default runs/<name>); "
                                "running again resumes")
        e.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                       help="table format (default parquet)")
        e.add_argument("--retry-failed", action="store_true",
                       help="run again the runs that raised in an earlier attempt")
        e.add_argument("--quiet", action="store_true", help="print nothing but errors")
        e.add_argument("--no-figures", action="store_true", help="do not draw figures")
    ca = sub.add_parser("calibrate", help="history matching of a calibration file on the "
                                          "experiment engine (resumable)")
    ca.add_argument("calibration", type=Path, help="calibration TOML file "
                                                   "(experiments/calibration.toml)")
    ca.add_argument("--workers", type=_int_in(1, 256, "--workers"), default=1,
                    help="local worker processes; results do not depend on it (default 1)")
    ca.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    ca.add_argument("--out", type=Path, default=None,
                    help="folder for the small report (default runs/<name>/report)")
    ca.add_argument("--runs", type=Path, default=None,
                    help="folder for the runs of each wave (default runs/<name>); running "
                         "again resumes")
    ca.add_argument("--apply", type=Path, nargs="+", default=[], metavar="SCENARIO.toml",
                    help="write the calibrated set into the marked block of these scenario "
                         "files (e.g. scenarios/online_2021.toml)")
    ca.add_argument("--quiet", action="store_true", help="print nothing but errors")
    ca.add_argument("--no-figures", action="store_true", help="do not draw figures")
    ca.add_argument("--redraw", action="store_true",
                    help="run nothing: rewrite the report in --out (a finished calibration's "
                         "folder) from its own tables, with the figures drawn again by this "
                         "version's code")
    ho = sub.add_parser("heldout", help="held-out validation: patterns the calibration did "
                                        "not use, pass or fail")
    ho.add_argument("file", type=Path, help="held-out patterns file (experiments/heldout.toml)")
    ho.add_argument("--reps", type=_int_in(1, 10000, "--reps"), default=None,
                    help="replications (default: the file's)")
    ho.add_argument("--workers", type=_int_in(1, 256, "--workers"), default=1,
                    help="worker processes; results do not depend on it (default 1)")
    ho.add_argument("--out", type=Path, default=None,
                    help="output folder (default runs/<name>)")
    ho.add_argument("--quiet", action="store_true", help="print nothing but errors")
    ho.add_argument("--no-figures", action="store_true", help="do not draw figures")
    ho.add_argument("--sets", choices=("interactive", "all", "none"), default="interactive",
                    help="also judge each pattern under these sets of the scenario's "
                         "calibrated ensemble: interactive (default), all or none")
    ho.add_argument("--ensemble-reps", type=_int_in(1, 1000, "--ensemble-reps"), default=3,
                    help="replications of each ensemble set (default 3)")
    su = sub.add_parser("sustainability", help="each scenario with and without a standing Tim "
                                               "Koordinasi: coverage, waiting and trust to "
                                               "the end, with the sustainability indicators")
    su.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.toml")
    su.add_argument("--reps", type=_int_in(1, 10000, "--reps"), default=5,
                    help="replications per scenario, variant and set (default 5)")
    su.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=20240331,
                    help="root seed (default 20240331)")
    su.add_argument("--workers", type=_int_in(1, 256, "--workers"), default=1,
                    help="worker processes; results do not depend on it (default 1)")
    su.add_argument("--sets", type=Path, default=None, metavar="FILE.csv",
                    help="parameter sets, one a row (e.g. results/calibration/accepted.csv): "
                         "bands across sets and replications")
    su.add_argument("--max-sets", type=_int_in(1, 100000, "--max-sets"), default=10,
                    help="use at most this many rows of --sets, the first ones (default 10)")
    su.add_argument("--out", type=Path, default=None,
                    help="output folder (default runs/sustainability)")
    su.add_argument("--quiet", action="store_true", help="print nothing but errors")
    od = sub.add_parser("odd", help="regenerate the parameter table of docs/ODD.md from the "
                                    "schema (--check: only compare)")
    od.add_argument("--check", action="store_true",
                    help="exit 1 if the file differs from the code, change nothing")
    od.add_argument("--file", type=Path, default=None, help="ODD file (default docs/ODD.md)")
    ev = sub.add_parser("evidence", help="turn an evidence file's ratings into a scenario "
                        "and parameter ranges (prior), checking triangulation")
    ev.add_argument("file", type=Path, help="evidence TOML file (see evidence/)")
    ev.add_argument("--mapping", type=Path, default=None,
                    help="rating -> range mapping (default: mapping.toml beside the file)")
    ev.add_argument("--out", type=Path, default=None,
                    help="output folder (default runs/evidence_<file name>)")
    g = sub.add_parser("golden", help="compare the baseline with the committed golden summary")
    g.add_argument("--update", action="store_true",
                   help="rewrite tests/golden/baseline_summary.json from the current model")
    b = sub.add_parser("bench", help="benchmark suite: time, memory, scaling, sweep, SimPy peer")
    b.add_argument("--quick", action="store_true", help="1x and 2x only, 8-run sweep (~1 min)")
    b.add_argument("--out", type=Path, default=None, help="also write the report as Markdown")
    b.add_argument("--json", type=Path, default=None, help="also write the raw figures as JSON")
    return p


def _stopped_line(args: argparse.Namespace, why: str) -> str:
    """The one line printed when a run is stopped; notes the stop in its staging marker."""
    staging = getattr(args, "staging", None)
    if staging is not None:
        try:
            with open(Path(staging) / "INCOMPLETE.txt", "a", encoding="utf-8") as fh:
                fh.write(f"stopped: {why} at {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n")
        except OSError:
            pass
    where = (f"; the unfinished run is in {staging}/, marked {'INCOMPLETE.txt'}"
             if staging is not None and Path(staging).exists() else "")
    return f"jambi-sim: {why}; previous results are untouched{where}."


def main(argv: list[str] | None = None) -> int:
    args = argparse.Namespace()
    command_line = argv is None  # a real process, not a call from Python
    with stops.installed():  # and out again: a call from Python keeps the caller's handlers
        try:
            argv = sys.argv[1:] if argv is None else list(argv)
            args = build_parser().parse_args(argv)
            args.argv = argv
            code = _dispatch(args)
            stops.act_on_waiting()
            return code
        except KeyboardInterrupt:
            print(_stopped_line(args, "interrupted (Ctrl-C)"), file=sys.stderr)
            return _stopped(130, command_line)
        except Terminated as exc:
            name = signal.Signals(exc.signum).name
            print(_stopped_line(args, f"stopped by {name}"), file=sys.stderr)
            return _stopped(128 + exc.signum, command_line)
        except BrokenPipeError:  # e.g. 'jambi-sim params | head': the reader has what it wanted
            _silence_stdout()
            return 0


def _stopped(code: int, command_line: bool) -> int:
    """Leave a stopped run's process now. Its workers are already killed and its staging
    folder marked; but a worker killed while sending a result leaves half a message in
    the pool's pipe, and the interpreter's exit would then wait for ever on the pool's
    manager thread (concurrent.futures joins it at exit). So a stopped command exits at
    once, after flushing its output; from Python, the code is returned as usual."""
    if not command_line:
        return code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


COMMANDS = {  # command -> module of its cmd_<command> function
    "run": "commands", "validate": "commands", "params": "commands", "whatif": "commands",
    "compare": "commands", "odd": "commands", "evidence": "commands", "bench": "commands",
    "sweep": "study_commands", "sensitivity": "study_commands", "calibrate": "study_commands",
    "discover": "study_commands",
    "heldout": "study_commands", "sustainability": "study_commands", "golden": "golden",
    "dashboard": "serve"}


def command(name: str) -> Any:
    """The function behind ``jambi-sim NAME`` (imported when it is run)."""
    import importlib

    return getattr(importlib.import_module(f"sim.ui.{COMMANDS[name]}"), f"cmd_{name}")


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; its layer (sim.ui.command) turns a user's mistake into one
    paragraph and exit code 2."""
    return command(args.command)(args)


if __name__ == "__main__":
    raise SystemExit(main())
