"""The ``jambi-sim`` command (also ``python -m sim``).

    jambi-sim run SCENARIO.toml [--reps N] [--seed S] [--out DIR] [--workers W] [--lang id]
    jambi-sim validate FILE.toml ...
    jambi-sim params [--format markdown|csv]
    jambi-sim golden [--update]
    jambi-sim sweep EXPERIMENT.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim sensitivity EXPERIMENT.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim whatif SCENARIO.toml --param turf --values 0,0.5,1 [--reps 20] [--lang id]
    jambi-sim compare A.toml B.toml [...] [--reps 10] [--lang id]
    jambi-sim calibrate CALIBRATION.toml [--workers N] [--scheduler ADDRESS] [--out DIR]
    jambi-sim heldout HELDOUT.toml [--reps N] [--workers N] [--out DIR]
    jambi-sim odd [--check]
    jambi-sim evidence EVIDENCE.toml [--mapping MAPPING.toml] [--out DIR]
    jambi-sim dashboard [--scenario FILE] [--lang id|en] [--host 127.0.0.1] [--port 8765]
    jambi-sim bench [--quick] [--out FILE.md] [--json FILE.json]

Mistakes in files or flags print one paragraph and exit with code 2, without a
traceback; a failed or killed run never touches the previous results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "baseline_summary.json"
GOLDEN_ARGS = {"reps": 2, "seed": 20240331}
GOLDEN_KEYS = ("enrolled_end", "gap_end", "days_to_card", "visits_per_enrollee",
               "citizen_cost_idr_per_enrollee", "by_pathway", "cases", "dropout_by_stage",
               "premium_idr_by_year", "handoffs", "events", "escalated_by_review")


def printable(text: str) -> str:
    """User text safe to print on one line (see sim.scenario.errors.printable)."""
    from sim.scenario.errors import printable as _printable

    return _printable(text)


class UsageError(Exception):
    """A mistake the user can fix; printed as one paragraph, exit code 2."""


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
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")
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
    for name, what in (("sweep", "run every point of an experiment file (resumable)"),
                       ("sensitivity", "Sobol' or Morris indices of an experiment (SALib)")):
        e = sub.add_parser(name, help=what)
        e.add_argument("experiment", type=Path, help="experiment TOML file (see experiments/)")
        e.add_argument("--workers", type=_int_in(1, 256, "--workers"),
                       default=os.cpu_count() or 1,
                       help="local worker processes; results do not depend on it "
                            "(default: all cores)")
        e.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://host:8786")
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


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (stopping the workers) and exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: Any) -> None:
    raise Terminated(signum)


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
    import signal

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                signal.signal(sig, _on_signal)
    args = argparse.Namespace()
    command_line = argv is None  # a real process, not a call from Python
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = build_parser().parse_args(argv)
        args.argv = argv
        return _dispatch(args)
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


def _dispatch(args: argparse.Namespace) -> int:
    from sim.output import OutputError
    from sim.runner import ResourceError
    from sim.scenario import ScenarioError

    try:
        return {"run": cmd_run, "validate": cmd_validate, "params": cmd_params,
                "golden": cmd_golden, "dashboard": cmd_dashboard, "sweep": cmd_sweep,
                "sensitivity": cmd_sensitivity, "bench": cmd_bench, "whatif": cmd_whatif,
                "compare": cmd_compare, "evidence": cmd_evidence,
                "calibrate": cmd_calibrate, "heldout": cmd_heldout,
                "odd": cmd_odd}[args.command](args)
    except (ScenarioError, OutputError, UsageError, ResourceError) as exc:
        print(f"jambi-sim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as exc:  # unreadable input, unwritable output: say what, no traceback
        where = f" ({printable(str(exc.filename))})" if getattr(exc, "filename", None) else ""
        print(f"jambi-sim: error: {exc.strerror or exc}{where}.", file=sys.stderr)
        return EXIT_USAGE


# ------------------------------------------------------------------------ run
def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.output import StagedOutput, abandoned, check_out_dir, stale_attempts
    from sim.runner import RepResult, check_memory, run
    from sim.scenario import Scenario
    from sim.scenario.source import read_bytes

    data = read_bytes(args.scenario)  # read once: hashed and simulated, never re-read
    scenario = Scenario.from_bytes(data, origin=printable(str(args.scenario)))
    out = args.out or Path("runs") / args.scenario.stem
    say = (lambda *a: None) if args.quiet else print
    warn = (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    workers = min(args.workers, args.reps)
    note = check_memory(scenario, workers)  # refuses (exit 2) before anything is written
    if note:
        warn(f"jambi-sim: warning: {note}")
    if workers > (os.cpu_count() or 1):
        warn(f"jambi-sim: warning: {workers} workers on {os.cpu_count()} cores is no faster "
             f"than {os.cpu_count()}, and each worker holds its own model in memory.")
    check_out_dir(out)  # before tidying anything near it
    for old in stale_attempts(out):
        if abandoned(old):
            if not args.quiet:
                print(f"Removing an earlier run's incomplete attempt: {old}", file=sys.stderr)
            shutil.rmtree(old, ignore_errors=True)
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    staged = StagedOutput(out, note=f"command: {command}")
    args.staging = staged.staging
    from sim.i18n import tr

    say(tr("c_running", args.lang, name=printable(scenario.name),
           file=printable(str(args.scenario)), reps=args.reps, seed=args.seed, workers=workers))

    def sink(res: RepResult) -> None:  # tables go straight to disk, rep by rep
        staged.append_csv("timeseries.csv", res.timeseries)
        if not args.no_cases:
            staged.append_csv("cases.csv", res.cases)
            staged.append_csv("journey.csv", res.journey)

    t0 = time.perf_counter()
    with tqdm(total=args.reps, unit="rep", disable=args.quiet or None, file=sys.stderr) as bar:
        result = run(scenario, reps=args.reps, seed=args.seed, workers=workers,
                     progress=bar.update, sink=sink)
    elapsed = time.perf_counter() - t0
    staged.finish_csv("timeseries.csv")
    if not args.no_cases:
        staged.finish_csv("cases.csv")
        staged.finish_csv("journey.csv")
    if not args.no_figures:
        from sim.plots import all_figures, save_figures

        save_figures(staged, all_figures(result, args.lang))
    summary = dict(result.summary)
    summary["provenance"] = _provenance(args.scenario, data, command, elapsed, staged.files)
    staged.write_json("summary.json", summary)
    final = staged.finish()
    args.staging = None
    say(report(summary, args.lang))
    say(tr("c_wrote", args.lang, dir=final) + ": summary.json, timeseries.csv"
        + ("" if args.no_cases else ", cases.csv, journey.csv")
        + ("" if args.no_figures else ", figures/") + f" ({elapsed:.1f} s).")
    return 0


def _provenance(scenario_path: Path, data: bytes, command: str, elapsed: float,
                files: dict[str, Any]) -> dict[str, Any]:
    """Provenance of a run; ``data`` are the scenario bytes that were simulated."""
    import mesa
    import numpy

    from sim._version import __version__

    return {"package_version": __version__, "command": command,
            "scenario_file": str(scenario_path),
            "scenario_sha256": hashlib.sha256(data).hexdigest(),
            "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": numpy.__version__, "wall_time_s": round(elapsed, 3), "files": files}


def report(s: dict[str, Any], lang: str = "en") -> str:
    """The short summary printed after a run, in English or Bahasa Indonesia."""
    from sim.i18n import console_summary

    return console_summary(s, lang)


# ----------------------------------------------------------- whatif, compare
def _workshop_output(args: argparse.Namespace, default: Path):
    from sim.output import StagedOutput, stale_attempts

    out = args.out or default
    for old in stale_attempts(out):
        _remove_if_dead(old, args.quiet)
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    return StagedOutput(out, note=f"command: {command}"), command


def _finish_workshop(args, staged, command: str, files: list[Path], elapsed: float,
                     table: str) -> int:
    from sim._version import __version__

    staged.write_json("summary.json", {
        "command": args.command, "reps": args.reps, "seed": args.seed,
        "provenance": {"package_version": __version__, "command": command,
                       "scenario_files": {str(f): hashlib.sha256(f.read_bytes()).hexdigest()
                                          for f in files},
                       "wall_time_s": round(elapsed, 3), "files": staged.files}})
    final = staged.finish()
    if not args.quiet:
        from sim.i18n import tr

        print(table, end="")
        print(tr("c_wrote", args.lang, dir=final) + f" ({elapsed:.1f} s).")
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.scenario import Scenario
    from sim.workshop import WorkshopError, check_param, parse_values, whatif, write_whatif

    try:
        scenario = Scenario.from_toml(args.scenario)
        values = parse_values(args.values)
        check_param(scenario, args.param, values)  # before any folder or run
    except WorkshopError as exc:
        raise UsageError(str(exc)) from None
    staged, command = _workshop_output(
        args, Path("runs") / f"whatif_{args.scenario.stem}_{args.param}")
    t0 = time.perf_counter()
    with tqdm(total=args.reps * len(values), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = whatif(scenario, args.param, values, args.reps, args.seed, args.workers,
                         bar.update)
    table = write_whatif(staged, scenario, args.param, values, results, args.reps, args.seed,
                         args.lang)
    return _finish_workshop(args, staged, command, [args.scenario],
                            time.perf_counter() - t0, table)


def cmd_compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.runner import run
    from sim.scenario import Scenario
    from sim.workshop import labels_for, write_compare

    if len(args.scenarios) < 2:
        raise UsageError("compare: give at least two scenario files, e.g. "
                         "scenarios/online_2021.toml scenarios/manual_only.toml.")
    scenarios = [Scenario.from_toml(p) for p in args.scenarios]  # all checked before running
    staged, command = _workshop_output(args, Path("runs") / ("compare_" + "_".join(
        p.stem for p in args.scenarios[:3])))
    t0 = time.perf_counter()
    with tqdm(total=args.reps * len(scenarios), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = [run(sc, reps=args.reps, seed=args.seed, workers=args.workers,
                       progress=bar.update) for sc in scenarios]
    table = write_compare(staged, results, labels_for(results, args.scenarios), args.lang)
    return _finish_workshop(args, staged, command, args.scenarios,
                            time.perf_counter() - t0, table)


# ------------------------------------------------------------ experiments
def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiments.cli import sweep_command

    return sweep_command(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.cli import calibrate_command

    return calibrate_command(args)


def cmd_odd(args: argparse.Namespace) -> int:
    from sim.odd import ODD, OddError, check, update

    path = args.file or ODD
    if not path.is_file():
        raise UsageError(f"--file {printable(str(path))}: no such file.")
    try:
        if args.check:
            if check(path):
                print(f"{printable(str(path))}: the parameter table matches the code.")
                return 0
            print(f"{printable(str(path))}: the parameter table differs from the code; run "
                  f"'jambi-sim odd' and commit it.")
            return 1
        changed = update(path)
    except OddError as exc:
        raise UsageError(f"{printable(str(path))}: {exc}") from None
    print(f"{'Updated' if changed else 'Unchanged:'} {printable(str(path))}")
    return 0


def cmd_heldout(args: argparse.Namespace) -> int:
    from sim.experiments.cli import heldout_command

    return heldout_command(args)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.experiments.cli import sensitivity_command

    return sensitivity_command(args)


# ------------------------------------------------------------------- others
def cmd_validate(args: argparse.Namespace) -> int:
    """Check every file; report each bad one (not just the first); exit 2 if any is bad."""
    from sim.scenario import Scenario, ScenarioError

    bad = 0
    for path in args.files:
        try:
            sc = Scenario.from_toml(path)
        except ScenarioError as exc:
            print(f"jambi-sim: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"{printable(str(path))}: ok ({printable(sc.name)})")
    if bad and len(args.files) > 1:
        print(f"jambi-sim: {bad} of {len(args.files)} files are not valid.", file=sys.stderr)
    return EXIT_USAGE if bad else 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.scenario import parameter_table

    rows = parameter_table()
    if args.format == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return 0
    print(parameters_markdown(rows))
    return 0


def parameters_markdown(rows: list[dict[str, Any]]) -> str:
    out = ["# Parameters", "",
           "Generated by `jambi-sim params > docs/parameters.md`; every default, unit, range, "
           "meaning and source comes from the schema (`sim/scenario/schema.py` and its sections in "
           "`sim/scenario/demand.py` and `governance.py`). A source is a figure from a "
           "document recorded in `docs/sources.md`, or the word `assumption`.", "",
           "The range is what the model accepts; the plausible range is what studies sample "
           "(`sim.scenario.bounds()`, `jambi-sim sweep` and `sensitivity`), with its own source. "
           "A plausible range with equal ends is a fact the studies keep fixed.", "",
           "| parameter | default | unit | range | plausible range | meaning | source | "
           "plausible source |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rng = "" if r["lo"] is None and r["hi"] is None else f"{r['lo']} to {r['hi']}"
        p_lo, p_hi = r.get("plausible_lo"), r.get("plausible_hi")
        plausible = "" if p_lo is None else f"{p_lo} to {p_hi}"
        default = r["default"]
        if isinstance(default, (list, tuple)) and len(default) > 4:
            default = f"{list(default[:3])} ... ({len(default)} values)"
        text = str(default).replace("|", "/")
        out.append(f"| `{r['parameter']}` | {text} | {r['unit']} | {rng} | {plausible} | "
                   f"{r['meaning']} | {r['source']} | {r.get('plausible_source', '')} |")
    return "\n".join(out)


def dashboard_command(host: str, port: int) -> list[str]:
    """The Solara server command line; the host is never widened implicitly, and the
    server does not ask pypi.org for a newer Solara (a workshop room may be offline)."""
    app = Path(__file__).resolve().parent / "app.py"
    return [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port",
            str(port), "--production", "--no-check-version"]


def cmd_evidence(args: argparse.Namespace) -> int:
    from sim.evidence import EvidenceError, build

    mapping = args.mapping or args.file.parent / "mapping.toml"
    out = args.out or Path("runs") / f"evidence_{args.file.stem}"
    try:
        res = build(args.file, mapping, out)
    except EvidenceError as exc:
        raise UsageError(str(exc)) from None
    for row in res["triangulation"]:
        flag = f"  [{row['flags']}]" if row["flags"] else ""
        print(f"{row['item']:<36} {row['rating']:<8} sources {row['sources'] or '-':<10} "
              f"{row['kinds'] or '-'}{flag}")
    for param, p in sorted(res["prior"].items()):
        print(f"{param} in [{p['lo']:.4g}, {p['hi']:.4g}] from {', '.join(p['evidence'])}")
    print(f"Wrote {out}/ (scenario, prior, experiment, triangulation).")
    return 0


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
        shipped = Path(__file__).resolve().parents[1] / "scenarios" / "online_2021.toml"
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


def cmd_bench(args: argparse.Namespace) -> int:
    import benchmarks  # top-level package beside sim/; the model never imports it

    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    try:
        return benchmarks.main(quick=args.quick, out=args.out, json_path=args.json,
                               command=command)
    except benchmarks.BenchError as exc:
        raise UsageError(str(exc)) from None


def golden_summary() -> dict[str, Any]:
    from sim.runner import run

    root = Path(__file__).resolve().parent.parent
    res = run(root / "scenarios" / "online_2021.toml", **GOLDEN_ARGS)
    return {"args": GOLDEN_ARGS, **{k: res.summary[k] for k in GOLDEN_KEYS}}


def cmd_golden(args: argparse.Namespace) -> int:
    current = json.loads(json.dumps(golden_summary()))
    if args.update:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        tmp = GOLDEN.with_suffix(".tmp")
        tmp.write_text(json.dumps(current, indent=2) + "\n")
        os.replace(tmp, GOLDEN)
        print(f"Updated {GOLDEN}")
        return 0
    if not GOLDEN.exists():
        raise UsageError(f"{GOLDEN} is missing; create it with 'jambi-sim golden --update'.")
    diffs = compare(json.loads(GOLDEN.read_text()), current)
    if diffs:
        print("Baseline differs from the golden summary:\n  " + "\n  ".join(diffs[:30]))
        print("If the change is intended, run 'jambi-sim golden --update' and commit it.")
        return 1
    print("Baseline matches the golden summary.")
    return 0


def compare(expected: Any, actual: Any, path: str = "", rel: float = 1e-9) -> list[str]:
    """Differences between two JSON-like values (numbers within a relative tolerance)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in sorted(set(expected) | set(actual)):
            if k not in expected or k not in actual:
                out.append(f"{path}/{k}: only in {'golden' if k in expected else 'current'}")
            else:
                out += compare(expected[k], actual[k], f"{path}/{k}", rel)
        return out
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if abs(expected - actual) <= rel * max(1.0, abs(expected)):
            return []
    elif expected == actual:
        return []
    return [f"{path}: golden {expected!r}, now {actual!r}"]


if __name__ == "__main__":
    raise SystemExit(main())
