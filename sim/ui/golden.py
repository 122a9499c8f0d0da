"""``jambi-sim golden``: the historical baseline's summary against the one kept in
``tests/golden/`` (numbers within a relative tolerance of 1e-9)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sim.ui.command import Command, entry
from sim.ui.common import UsageError

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden" / "baseline_summary.json"
GOLDEN_ARGS = {"reps": 2, "seed": 20240331}
GOLDEN_KEYS = ("enrolled_end", "gap_end", "days_to_card", "visits_per_enrollee",
               "citizen_cost_idr_per_enrollee", "by_pathway", "cases", "dropout_by_stage",
               "premium_idr_by_year", "handoffs", "events", "escalated_by_review")


def golden_summary() -> dict[str, Any]:
    from sim.runner.replications import run

    root = Path(__file__).resolve().parents[2]
    res = run(root / "scenarios" / "online_2021.toml", **GOLDEN_ARGS)
    return {"args": GOLDEN_ARGS, **{k: res.summary[k] for k in GOLDEN_KEYS}}


@entry
def cmd_golden(cmd: Command) -> int:
    args = cmd.args
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
