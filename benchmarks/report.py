"""The benchmark results as a table for the terminal and as a Markdown file, with the
machine they were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and package versions, and OpenBLAS overrides."""
    mem = _first("/proc/meminfo", "MemTotal")
    info: dict[str, Any] = {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.split()[0]) / 1024**2, 1) if mem else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        **{name: _version(name) for name in ("jambi-sim", "numpy", "mesa", "pandas", "simpy")},
        "commit": _commit(),
    }
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


# ----------------------------------------------------------------- formatting
def _n(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _spread(row: dict[str, Any]) -> str:
    """The fastest and slowest of a row's repeated runs: how far this machine's noise
    moves the median that the ratios use."""
    runs = row.get("runtime_all_s") or [row["runtime_s"]]
    return f"{min(runs):.2f}-{max(runs):.2f}" if len(runs) > 1 else "one run"


def _against(res: dict[str, Any], key: str, label: str) -> list[list[str]]:
    """Rows comparing a reference run (``res[key]``: the pure-Python core) with the
    measured one at the same population, by CPU time."""
    return [[f"{r['factor']:g}x", r.get(label, "unknown"), f"{r['cpu_s']:.2f}",
             f"{c['cpu_s']:.2f}" if c else "n/a",
             f"{r['cpu_s'] / c['cpu_s']:.2f}" if c else "n/a",
             f"{r['cpu_ratio']:.2f}", _n(r["handoffs"] / r["cpu_s"])]
            for r in res.get(key, [])
            for c in [next((x for x in res["scaling"] if x["factor"] == r["factor"]), None)]]


def _status(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "NOT MET")


def sections(res: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every table of the report."""
    rep, peer, sw = res["replication"], res["simpy"], res["sweep"]
    runs = f"median of {rep['runs']} fresh processes" if rep["runs"] > 1 else "one fresh process"
    one = [["run time (run_one)", f"{rep['runtime_s']:.2f} s"],
           ["CPU time of the run", f"{rep['cpu_s']:.2f} s"],
           ["process wall time (with start-up and imports)", f"{rep['process_wall_s']:.2f} s"],
           ["peak memory (RSS)", f"{rep['peak_rss_kib'] / 1024:,.0f} MiB"],
           ["memory after imports, before the run", f"{_n(rep['rss_before_kib'] / 1024)} MiB"
            if rep["rss_before_kib"] else "n/a"],
           ["households", _n(rep["households"])],
           ["hand-offs", _n(rep["handoffs"])], ["events", _n(rep["events"])],
           ["hand-offs per second", _n(rep["handoffs_per_s"])],
           ["events per second", _n(rep["events_per_s"])]]
    scale = [[f"{r['factor']:g}x", _n(r["households"]), _n(r["handoffs"]), _n(r["events"]),
              f"{r['runtime_s']:.2f}", _spread(r), f"{r['time_ratio']:.2f}", f"{r['cpu_s']:.2f}",
              f"{r['cpu_ratio']:.2f}",
              _n(r["peak_rss_kib"] / 1024), _n(r["kib_per_household"], 2),
              _n(r["handoffs_per_s"])] for r in res["scaling"]]
    simpy = [["cases", _n(peer["cases"])], ["completed", _n(peer["completed"])],
             ["hand-offs", _n(peer["handoffs"])], ["run time", f"{peer['runtime_s']:.2f} s"],
             ["CPU time", f"{peer['cpu_s']:.2f} s"],
             ["hand-offs per second", _n(peer["handoffs_per_s"])],
             ["model hand-offs per second (1x)", _n(rep["handoffs_per_s"])],
             ["ratio model / SimPy", f"{res['simpy_ratio']:.3f}"],
             ["ratio model / SimPy by CPU time", f"{res['simpy_ratio_cpu']:.3f}"]]
    sweep = [["replications", str(sw["reps"])], ["workers", str(sw["workers"])],
             ["wall time", f"{sw['wall_s']:.1f} s"],
             ["replication time in the workers, summed (build, run, outcomes, free)",
              f"{sw['model_time_s']:.1f} s"],
             ["of which the simulation itself", f"{sw.get('simulation_time_s', 0.0):.1f} s"],
             ["share outside model runs", f"{100 * sw['outside_share']:.1f}%"],
             ["share outside the simulation itself",
              f"{100 * sw.get('outside_simulation_share', float('nan')):.1f}%"],
             ["this process's first import of the runner, before the clock (once a "
              "process)", f"{sw['parent_import_s']:.2f} s" if "parent_import_s" in sw
              else "within the wall time"],
             ["worker start method", sw["start_method"]]]
    bt, en = res["pool"]["batch"], res["pool"]["ensemble"]
    pool = [["workers", str(bt["workers"])],
            ["starting the workers (once, before the calls)", f"{bt['start_s']:.1f} s"],
            [f"batch of {bt['reps']} replications: first call, wall", f"{bt['first_wall_s']:.1f} s"],
            [f"batch of {bt['reps']} replications: second call, wall", f"{bt['wall_s']:.1f} s"],
            ["second call: replication time in the workers, summed", f"{bt['model_time_s']:.1f} s"],
            ["second call: share outside replications", f"{100 * bt['outside_share']:.1f}%"],
            [f"ensemble of {en['sets']} parameter sets x 1 replication ({en['sets_file']}), "
             f"wall", f"{en['wall_s']:.1f} s"],
            ["ensemble: replication time in the workers, summed", f"{en['model_time_s']:.1f} s"],
            ["ensemble: wall over summed replication time / workers", f"{en['ratio']:.2f}"]]
    ref = res["reference"]
    pure = _against(res, "pure", "core")
    if res.get("pure"):
        pure.append(["SimPy ratio (CPU)", "", "", "", "", "",
                     f"{res['pure_simpy_ratio_cpu']:.3f} pure, {res['simpy_ratio_cpu']:.3f} "
                     f"{res.get('core', 'measured')}"])
    tgt = [[t["target"],
            "n/a" if t.get("before") is None else f"{t['before']:.2f} {t['unit']}",
            "n/a" if t["value"] is None else f"{t['value']:.2f} {t['unit']}",
            "" if t["value_cpu"] is None else f"{t['value_cpu']:.2f} {t['unit']}",
            "" if t.get("value_speed") is None else f"{t['value_speed']:.2f} {t['unit']}",
            f"{t['op']} {t['goal']:g} {t['unit']}", _status(t["met"])] for t in res["targets"]]
    return [
        (f"One city-scale replication of {res['scenario']} (1x, {runs})", ["measure", "value"],
         one),
        ("Scaling: population, RTs, staff, target and budget together (sim.scenario.scaled)",
         ["population", "households", "hand-offs", "events", "run time (s)",
          "fastest-slowest run (s)", "time vs 1x",
          "CPU (s)", "CPU vs 1x",
          "peak RSS (MiB)", "memory per household (KiB)", "hand-offs/s"], scale),
        (f"Compiled core against the pure-Python reference (JAMBI_SIM_PURE=1); the tables "
         f"above measured the {res.get('core', 'installed')} core",
         ["population", "reference core", "reference CPU (s)", "measured CPU (s)",
          "reference / measured", "reference vs 1x", "reference hand-offs/s (CPU)"], pure),
        ("SimPy peer: six-office chain, same offices (benchmarks/simpy_peer.py)",
         ["measure", "value"], simpy),
        ("Sweep on all cores (sim.run)", ["measure", "value"], sweep),
        ("A warm worker pool (sim.runner.WorkerPool): a small batch and an ensemble",
         ["measure", "value"], pool),
        (f"Targets of issue 21 (ratios in this run, not timed tests; reference: "
         f"{ref['cpu_s']:.2f} s CPU per city replication at {ref['commit']}, {ref['date']}, "
         f"when the SimPy peer took {ref.get('peer_cpu_s', float('nan')):.2f} s CPU)",
         ["target", "before (issue 21 opened)", "now (wall)", "now by CPU time",
          "now, for this machine's speed", "goal", "status"], tgt),
    ]


def _text_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(headers, *rows)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*headers), fmt.format(*("-" * w for w in widths)),
            *(fmt.format(*r) for r in rows)]


def text(res: dict[str, Any]) -> str:
    """The readable table printed on stdout."""
    m = res["machine"]
    head = (f"jambi-sim bench{' --quick' if res['quick'] else ''}: seed {res['seed']}, "
            f"{m['cores']} cores, {m['cpu']}, Python {m['python']}, numpy {m['numpy']}, "
            f"mesa {m['mesa']}, simpy {m['simpy']} ({res['bench_wall_s']:.0f} s in all; load "
            f"{_n(res['load_average']['start'], 1)} at start, {_n(res['load_average']['end'], 1)} "
            f"at end)")
    out = [head]
    for title, headers, rows in sections(res):
        out += ["", title, *("  " + line for line in _text_table(headers, rows))]
    return "\n".join(out)


def _md_table(headers: list[str], rows: list[list[str]], numbers: bool = True) -> list[str]:
    align = ["---"] + ["---:" if numbers else "---"] * (len(headers) - 1)
    return ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(r) + " |" for r in rows)]


def markdown(res: dict[str, Any]) -> str:
    """The Markdown report: command, machine, every table and the notes."""
    m = res["machine"]
    machine_rows = [["CPU", m["cpu"]], ["cores", str(m["cores"])],
                    ["memory", f"{m['memory_gib']} GiB" if m["memory_gib"] else "n/a"],
                    ["OS", m["os"]], ["Python", m["python"]]]
    machine_rows += [[k, m[k]] for k in ("numpy", "mesa", "pandas", "simpy", "jambi-sim")]
    if m.get("commit"):
        machine_rows.append(["commit measured", f"`{m['commit']}`"])
    load = res["load_average"]
    machine_rows.append(["load average (1 min) at start / end",
                         f"{_n(load['start'], 2)} / {_n(load['end'], 2)} (on {m['cores']} cores: "
                         "above that, other work shared the machine)"])
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in m:
            machine_rows.append([var, f"`{m[var]}` (set on this machine; it can slow numpy)"])
    out = ["# Benchmarks", "",
           f"Generated by `{res['command']}` on {res['date_utc']} "
           f"({res['bench_wall_s']:.0f} s). Regenerate with the same command; "
           f"`jambi-sim bench --quick` is the short smoke run.", "",
           "Figures are indicative: the machine may have been shared with other work while "
           "they were measured. Each replication ran in a fresh Python process, so its peak "
           "memory (`ru_maxrss`) is its own; run time is `run_one`'s own timer (model "
           "construction and the run, as a study runs it: `tables=False`, so no case table "
           "or journey log is built), without interpreter start-up. The two "
           "time ratios among the targets are given by wall time and by CPU time and judged "
           "on CPU time: on an idle machine they agree, and other work on a shared machine "
           "barely moves CPU time. The CPU target's reference was measured on another day, "
           "and this machine's speed drifts between days by more than a lever moves it "
           "(the SimPy peer, unchanged, has taken from 1.8 to 2.7 s of CPU): that target is "
           "judged for this machine's speed, the replication's CPU time over the peer's in "
           "this run against the same quotient in the reference run.", "",
           "## Machine", "", *_md_table(["item", "value"], machine_rows, numbers=False)]
    for title, headers, rows in sections(res):
        out += ["", f"## {title}", "", *_md_table(headers, rows)]
    out += ["", "## Notes", "",
            "- Memory per household is (peak RSS at kx - peak RSS at 1x) / (households at kx "
            "- households at 1x), in KiB (1,024 bytes).",
            "- The SimPy peer is a plain SimPy program of the six-office chain (RT, Lurah, "
            "Camat, Dinas Sosial, Dinas Kesehatan, BPJS) with the scenario's staff, "
            "lognormal service times, rework and drop-out, and no calendars, barriers, "
            "quotas or households; it runs until every case has finished. With its 40,000 "
            "cases Dinas Kesehatan and BPJS are over capacity, so their queues grow until "
            "the arrivals stop.",
            "- Sweep overhead is 1 - sum(replication times) / (wall time x workers), a "
            "replication's time being all its worker does for it (build the model, run it, "
            "compute the outcome scalars, free the model): what is left is the workers' "
            "start and imports, sending scenarios and results, and summarising. The share "
            "outside the bare simulation (model construction and run) is given beside it. "
            "The measuring process imports the runner (and with it the model) before the "
            "clock starts, as a command or a study has imported it when it starts a sweep; "
            "that import is timed on its own. Earlier versions of this benchmark timed it "
            "within the sweep's wall time (about 0.85 s, 1.4 points of the share).",
            "- `sim.run` starts its workers with 'spawn' (a forked worker could hang on a "
            "half-sent result when a run is stopped; see issue 7): each `sim.run` call pays "
            "an interpreter start and the package import per worker, once, not per run.",
            ""]
    return "\n".join(out)
