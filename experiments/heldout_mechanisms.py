"""What moves each held-out pattern: the calibrated set with one mechanism of the open
system switched off at a time, paired with it under common random numbers.

    python experiments/heldout_mechanisms.py [--reps 10] [--workers 2]

writes ``results/validation/mechanisms.md``. The patterns stay held out: nothing here is
fitted, and no input is chosen to make a pattern pass; this only says which mechanism,
with which source, moves the two patterns that fail (``experiments/heldout.toml``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "online_2021.toml"
OUT = ROOT / "results" / "validation" / "mechanisms.md"
SEED = 20240331  # the held-out study's seed (experiments/heldout.toml)

# each variant: what it removes, and the parameters it sets (section.key -> value)
VARIANTS: dict[str, dict[str, object]] = {
    "as calibrated": {},
    "no front door (kuota penuh)": {"rationing.front_door": False},
    "no cap (target and budget)": {"policy.target_is_cap": False,
                                   "program.budget_idr_by_year": {"2018": 1e15}},
    "no 2020-21 rise in inflow": {"demand.inflow_factor_from": {}},
    "no launch socialisation or RT recruitment": {"demand.website_reach": 0.0,
                                                  "demand.rt_recruit_per_year": 0.0},
    "no illness-triggered applications": {"demand.illness_per_year": 0.0},
    "no people dropped from PBI-JK": {"demand.pbi_drop_eligible_share": 0.0},
    "no members moved to PBI-JK": {"exits.central_pbi_scale": 0.0},
    "manual pathway only (no website)": {"time.online_from": "2099-01-01"},
}
OUTPUTS = ["citizen_applications_2019", "citizen_applications_2020",
           "citizen_applications_2021", "citizen_applications_2022",
           "jkn_coverage_end", "active_members_end"]


def _scenario(name: str):
    from sim.scenario import Scenario

    base = Scenario.from_toml(SCENARIO)
    over = {k.replace(".", "__"): v for k, v in VARIANTS[name].items()}
    return base.with_overrides(**over) if over else base


def _shown(value: object) -> str:
    """A value as a reader wants it: no 1e+15 budgets, no Python reprs."""
    if isinstance(value, bool):
        return "off" if not value else "on"
    if isinstance(value, dict):
        return "none" if not value else "every year unlimited"
    return str(value)


def _sources() -> dict[str, str]:
    from sim.scenario.schema import parameter_table

    return {row["parameter"]: row["source"] for row in parameter_table()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if args.reps < 1 or args.workers < 1:
        print("heldout_mechanisms: --reps and --workers must be at least 1", file=sys.stderr)
        return 2
    from sim.runner.replications import WorkerPool

    scenarios = {name: _scenario(name) for name in VARIANTS}  # all valid before any run
    names = [n for n in VARIANTS for _ in range(args.reps)]
    jobs = [(scenarios[n], SEED, r, False) for n in VARIANTS for r in range(args.reps)]
    rows: dict[str, list[list[float]]] = {n: [] for n in VARIANTS}
    # the project's pool: its workers die with this process, also on SIGKILL
    with WorkerPool(args.workers) as pool:
        for i, (name, res) in enumerate(zip(names, pool.replications(jobs)), 1):
            rows[name].append([float(res.stats["scalars"][o]) for o in OUTPUTS])
            print(f"\r{i}/{len(jobs)} runs", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    src = _sources()
    lines = [
        "# What moves the held-out patterns",
        "",
        f"Regenerate: `python experiments/heldout_mechanisms.py --reps {args.reps}`. "
        f"Scenario `scenarios/online_2021.toml` (the calibrated set alone, not the "
        f"ensemble), seed {SEED}, replications 0-{args.reps - 1} of every variant "
        "(common random numbers). Each variant switches one mechanism of the open system "
        "off; nothing is fitted and no input is chosen to make a pattern pass. "
        "`website_step` = citizen applications 2021-22 over 2019-20 (passes above 1); "
        "`jkn_coverage_2024` passes in 97.99-98.99%.",
        "",
        "| variant | citizen applications 2019 | 2020 | 2021 | 2022 | website_step | "
        "JKN coverage March 2024 | active members March 2024 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, vals in rows.items():
        a = np.array(vals)
        step = (a[:, 2] + a[:, 3]).sum() / (a[:, 0] + a[:, 1]).sum()
        m = a.mean(axis=0)
        lines.append(f"| {name} | {m[0]:,.0f} | {m[1]:,.0f} | {m[2]:,.0f} | {m[3]:,.0f} | "
                     f"{step:.3f} | {100 * m[4]:.2f}% | {m[5]:,.0f} |")
    lines += ["", "What each variant sets, and the source of the value it removes:", ""]
    for name, sets in VARIANTS.items():
        if sets:
            lines.append(f"- **{name}**: " + "; ".join(
                f"`{k}` = {_shown(v)} (source of the calibrated value: {src.get(k, 'the scenario file')})"
                for k, v in sets.items()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
