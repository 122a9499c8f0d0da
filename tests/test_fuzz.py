"""Mutation fuzz test of the shipped scenario files (``scenarios/*.toml``).

Each mutation takes one shipped file and changes it in one way: drops a key, changes a
value's type, sets a huge, negative, non-finite or boundary value, puts dates out of
order, sets an unknown ``pathway_mode``, adds an unknown key, breaks the
``program.budget_idr_by_year`` table or the ``exits.central_pbi_*`` pair, or cuts the
text at a random byte. Keys come from ``sim.scenario.parameter_table()``, so keys that
a small file does not set (``offices.dinsos.staff``, ``population.n_rt``) are hit too.
Mutations are built from a seeded ``numpy.random.Generator`` only, so every run tries
the same files.

* In-process (``Scenario.from_toml``): every mutated file either validates or raises
  :class:`ScenarioError` with a one-paragraph message naming the file and, when the
  mutation targeted a key, that key. Default tier: ``N_QUICK`` mutations; ``-m slow``:
  ``N_SLOW``.
* CLI (``python -m sim run`` in a subprocess, with a timeout): a smaller sample, with a
  90-day horizon added unless the mutation is about ``[time]``. The run exits 0 with a
  readable ``summary.json``, or exits 2 with one ``jambi-sim: error:`` paragraph, no
  traceback and no output folder.

Inputs this fuzzing once found to break the contract (control characters in keys, deep
nesting, scenarios that validated but crashed the run) are pinned as regression tests at
the end (``KNOWN_*``).
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import hashlib
import inspect
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.scenario import Scenario, ScenarioError, parameter_table

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.toml"))
SEED = 20240331
N_QUICK, N_SLOW = 600, 5000  # in-process mutations per tier
CLI_QUICK, CLI_SLOW = (8, 4), (40, 20)  # CLI runs per tier: (valid, rejected)
CLI_TIMEOUT_S = 120
HORIZON_DAYS = 90
DEFAULT_START = dt.date(2018, 1, 1)

# ------------------------------------------------------------------ the schema
ROWS = {row["parameter"]: row for row in parameter_table()}
LEAVES = sorted(ROWS)
SECTIONS = sorted({".".join(p.split(".")[:i]) for p in LEAVES for i in range(1, p.count(".") + 1)})


def _kind(row: dict[str, Any]) -> str:
    """The TOML type a parameter takes: int, float, bool, str, date, list or table."""
    d = row["default"]
    if row["unit"] == "date" or isinstance(d, dt.date):
        return "date"
    if isinstance(d, bool):
        return "bool"
    if isinstance(d, int):
        return "int"
    if isinstance(d, float):
        return "float"
    if isinstance(d, str):
        return "str"
    if isinstance(d, (list, tuple)):
        return "list"
    if isinstance(d, dict):
        return "table"
    raise AssertionError(f"unknown parameter type {row}")


KIND = {p: _kind(ROWS[p]) for p in LEAVES}
NUMERIC = [p for p in LEAVES if KIND[p] in ("int", "float")]
BOUNDED = [p for p in NUMERIC if ROWS[p]["lo"] is not None or ROWS[p]["hi"] is not None]
DATE_LEAVES = [p for p in LEAVES if KIND[p] == "date"]
DATE_LISTS = [p for p in LEAVES if KIND[p] == "list" and ROWS[p]["unit"] == "dates"]


def _children(section: str) -> set[str]:
    """Keys allowed directly inside a section ('' = top level)."""
    pre = section + "." if section else ""
    return {p[len(pre):].split(".")[0] for p in LEAVES if p.startswith(pre)}


# ----------------------------------------------------------------- TOML writer
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _toml_key(k: str) -> str:
    return k if _BARE.fullmatch(k) else _toml_str(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (dt.date, dt.time)):  # dt.datetime is a dt.date
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps(data: dict[str, Any]) -> str:
    """A TOML document for a dict of scalars, dates, lists and (nested) tables."""
    lines: list[str] = []

    def table(node: dict[str, Any], path: list[str]) -> None:
        if path:
            lines.append("[" + ".".join(_toml_key(k) for k in path) + "]")
        for k, v in node.items():
            if not isinstance(v, dict):
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in node.items():
            if isinstance(v, dict):
                table(v, path + [k])

    table(data, [])
    return "\n".join(lines) + "\n"


def _normal(v: Any) -> Any:
    """A comparable form (NaN equal to itself, dict order ignored)."""
    if isinstance(v, dict):
        return sorted((k, _normal(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [_normal(x) for x in v]
    if isinstance(v, float):
        return ("float", repr(v))
    return (type(v).__name__, repr(v))


# ------------------------------------------------------------------ value pools
NAN, INF = float("nan"), float("inf")
POOLS: dict[str, list[Any]] = {
    "str": ["", "x", "switch", "2018-01-01", "1e9", "nan", "true", " ", "a'b\"c\\d",
            "Kota Jambi \u2013 ünïcödé ✓", "line1\nline2", "tab\there", "🙂🙂",
            "__import__('os').system('false')"],
    "int": [0, 1, -1, -3, 7, 42, 10**6, 10**30, -(10**30), 2**63 - 1, -(2**63), 2**64],
    "float": [0.0, -0.0, 0.5, -0.5, 1.5, 1e308, -1e308, 1.7976931348623157e308, 5e-324, 1e-9,
              NAN, INF, -INF],
    "bool": [True, False],
    "date": [dt.date(2018, 1, 1), dt.date(2021, 3, 1), dt.date(1999, 12, 31), dt.date(2100, 1, 1),
             dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(9999, 12, 31),
             dt.datetime(2018, 1, 1, 0, 0), dt.datetime(2018, 1, 1, 10, 30), dt.time(10, 0)],
    "list": [[], [1, 2], ["a"], [0.5, "x"], [[1], [2]], [dt.date(2018, 1, 1)], [{"a": 1}],
             [NAN, INF]],
    "table": [{}, {"x": 1}, {"staff": 2}, {"start": dt.date(2018, 1, 1)}, {"a": {"b": 1}}],
}
HUGE = [1e308, -1e308, 1.7976931348623157e308, 10**30, -(10**30), 2**63, 2**64 - 1]
NEGATIVE = [-1, -3, -0.5, -1e-9, -100000, -2.5e9]
NONFINITE = [NAN, INF, -INF]
BAD_MODES = ["hybrid", "Switch", "ONLINE", "", " online", "manual ", "switch\t", "onlin", "web",
             1, True, 0.5, ["switch"], {"mode": "switch"}, dt.date(2021, 3, 1)]
GOOD_MODES = ["switch", "manual", "online"]
BAD_YEARS = ["20x8", "18", "2018.0", "02018", " 2018", "abcd", "", "year2018", "-201", "2018 "]
ODD_YEARS = ["٢٠١٨", "1999", "2100"]  # valid 4-digit keys (Arabic-Indic digits parse with int)
WEIRD_KEYS = ["a b", "ключ", "x.y", "", "🙂", "a'b", "UPPER", "0", "-", "time ", "staff_"]


def _pick(rng: np.random.Generator, seq: list[Any]) -> Any:
    return seq[int(rng.integers(len(seq)))]


# -------------------------------------------------------------------- mutations
@dataclass(frozen=True)
class Mutation:
    """One mutated scenario file."""

    source: str  # shipped file name
    op: str  # mutation kind
    key: tuple[str, ...] | None  # the key it targets, as path parts (None: whole file)
    text: bytes  # the file as written
    data: dict[str, Any] | None  # the parsed data, when the mutation was made on the data
    about_time: bool  # touches [time]: the CLI tier keeps the horizon as is

    @property
    def dotted(self) -> str:
        return ".".join(self.key) if self.key else ""


def _get(data: dict[str, Any], parts: tuple[str, ...], default: Any = None) -> Any:
    node: Any = data
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return default
        node = node[p]
    return node


def _set(data: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _present(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for k, v in node.items():
        out.append(prefix + (k,))
        if isinstance(v, dict):
            out += _present(v, prefix + (k,))
    return out


def _current(data: dict[str, Any], path: str) -> Any:
    """The value a key has in the file, or its schema default."""
    value = _get(data, tuple(path.split(".")), None)
    return ROWS[path]["default"] if value is None else value


def _typo(rng: np.random.Generator, name: str) -> str:
    i = int(rng.integers(len(name)))
    how = int(rng.integers(5))
    if how == 0:
        return name[:i] + name[i + 1:]
    if how == 1:
        return name[:i] + name[i] + name[i:]
    if how == 2 and len(name) > 1:
        i = min(i, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if how == 3:
        return name.upper()
    return name.replace("_", "-") if "_" in name else name + "s"


def _unknown_name(rng: np.random.Generator, section: str) -> str:
    allowed = _children(section)
    for _ in range(20):
        how = int(rng.integers(4))
        if how == 0:
            name = _typo(rng, _pick(rng, sorted(allowed)))
        elif how == 1:  # a real key from another level
            name = _pick(rng, LEAVES).split(".")[-1]
        elif how == 2:
            letters = "abcdefghijklmnopqrstuvwxyz_"
            name = "".join(_pick(rng, list(letters)) for _ in range(int(rng.integers(3, 13))))
        else:
            name = _pick(rng, WEIRD_KEYS)
        if name not in allowed:
            return name
    return "no_such_key_at_all"


def _op_drop(rng, data):
    parts = _pick(rng, _present(data))
    node = _get(data, parts[:-1]) if len(parts) > 1 else data
    del node[parts[-1]]
    return parts, None  # dropping is never about a bad value; the key may be absent after


def _op_retype(rng, data):
    path = _pick(rng, LEAVES + SECTIONS)
    kind = KIND.get(path, "table")
    other = _pick(rng, [k for k in POOLS if k != kind])
    _set(data, tuple(path.split(".")), copy.deepcopy(_pick(rng, POOLS[other])))
    return tuple(path.split(".")), path


def _op_huge(rng, data):
    path = _pick(rng, NUMERIC)
    _set(data, tuple(path.split(".")), _pick(rng, HUGE))
    return tuple(path.split(".")), path


def _op_negative(rng, data):
    path = _pick(rng, NUMERIC)
    v = _pick(rng, NEGATIVE)
    _set(data, tuple(path.split(".")), int(v) if KIND[path] == "int" and rng.random() < 0.7 else v)
    return tuple(path.split(".")), path


def _op_nonfinite(rng, data):
    if rng.random() < 0.15:
        path = "exits.central_pbi_share"
        shares = list(_current(data, path))
        shares[int(rng.integers(len(shares)))] = _pick(rng, NONFINITE)
        _set(data, ("exits", "central_pbi_share"), shares)
    else:
        path = _pick(rng, NUMERIC)
        _set(data, tuple(path.split(".")), _pick(rng, NONFINITE))
    return tuple(path.split(".")), path


def _op_boundary(rng, data):
    path = _pick(rng, BOUNDED)
    lo, hi, is_int = ROWS[path]["lo"], ROWS[path]["hi"], KIND[path] == "int"
    choices = []
    if lo is not None:
        choices += [lo, (lo - 1) if is_int else float(np.nextafter(lo, -INF))]
    if hi is not None:
        choices += [hi, (hi + 1) if is_int else float(np.nextafter(hi, INF))]
    if lo is not None and hi is not None:  # a random valid value
        choices.append(int(rng.integers(int(lo), int(hi) + 1)) if is_int
                       else float(rng.uniform(lo, hi)))
    v = _pick(rng, choices)
    _set(data, tuple(path.split(".")), int(v) if is_int else float(v))
    return tuple(path.split(".")), path


def _op_date_order(rng, data):
    start = _current(data, "time.start")
    end = _current(data, "time.end")
    how = int(rng.integers(4))
    if how == 0:  # end on or before start
        _set(data, ("time", "end"), start - dt.timedelta(days=int(rng.integers(0, 3650))))
        return ("time", "end"), "time.end"
    if how == 1:  # start on or after end
        _set(data, ("time", "start"), end + dt.timedelta(days=int(rng.integers(0, 3650))))
        return ("time", "start"), "time.start"
    if how == 2:  # longer than 40 years
        _set(data, ("time", "end"), start + dt.timedelta(days=366 * 40 + int(rng.integers(1, 400))))
        return ("time", "end"), "time.end"
    path = _pick(rng, DATE_LISTS)  # an unsorted date list
    dates = list(_current(data, path))
    if len(set(dates)) < 2:
        dates = [dt.date(2020, 1, 1), dt.date(2019, 1, 1)]
    else:
        i, j = (int(x) for x in rng.choice(len(dates), size=2, replace=False))
        while dates[i] == dates[j]:
            i, j = (int(x) for x in rng.choice(len(dates), size=2, replace=False))
        i, j = min(i, j), max(i, j)
        if dates[i] < dates[j]:
            dates[i], dates[j] = dates[j], dates[i]
    _set(data, tuple(path.split(".")), dates)
    return tuple(path.split(".")), path


def _op_date_value(rng, data):
    path = _pick(rng, DATE_LEAVES)
    if rng.random() < 0.5:
        v: Any = _pick(rng, POOLS["date"])
    elif rng.random() < 0.5:
        v = dt.date(1900, 1, 1) + dt.timedelta(days=int(rng.integers(0, 200 * 365)))
    else:
        v = _pick(rng, ["2018-01-01", "2018-02-30", "01/03/2021", "2021-3-1", "yesterday"])
    _set(data, tuple(path.split(".")), v)
    return tuple(path.split(".")), path


def _op_pathway_mode(rng, data):
    v = _pick(rng, BAD_MODES) if rng.random() < 0.85 else _pick(rng, GOOD_MODES)
    _set(data, ("time", "pathway_mode"), copy.deepcopy(v))
    return ("time", "pathway_mode"), "time.pathway_mode"


def _op_unknown_key(rng, data):
    section = "" if rng.random() < 0.3 else _pick(rng, SECTIONS)
    name = _unknown_name(rng, section)
    parts = (tuple(section.split(".")) if section else ()) + (name,)
    scalar = _pick(rng, ["int", "float", "str", "bool", "date"])
    _set(data, parts, copy.deepcopy(_pick(rng, POOLS[scalar])))
    return parts, ".".join(parts)


def _op_budget(rng, data):
    budget = dict(_current(data, "program.budget_idr_by_year"))
    how = int(rng.integers(5))
    if how == 0:
        budget[_pick(rng, BAD_YEARS)] = 1e9
    elif how == 1:
        budget[_pick(rng, sorted(budget) or ["2018"])] = _pick(rng, NEGATIVE + NONFINITE + HUGE)
    elif how == 2:
        budget[_pick(rng, sorted(budget) or ["2018"])] = _pick(rng, ["1e9", True, [1.0], {"x": 1}])
    elif how == 3:
        budget[_pick(rng, ODD_YEARS)] = float(rng.uniform(0, 2e10))
    else:
        budget = {}  # rejected: at least one year is needed
    _set(data, ("program", "budget_idr_by_year"), budget)
    return ("program", "budget_idr_by_year"), "program.budget_idr_by_year"


def _op_pbi_length(rng, data):
    shares = list(_current(data, "exits.central_pbi_share"))
    n = int(rng.integers(0, 12))
    if n == len(shares):
        n += 1
    _set(data, ("exits", "central_pbi_share"), [round(float(x), 3) for x in rng.uniform(0, 0.1, n)])
    return ("exits", "central_pbi_share"), "exits.central_pbi_share"


DATA_OPS: dict[str, Callable[..., Any]] = {
    "drop": _op_drop, "retype": _op_retype, "huge": _op_huge, "negative": _op_negative,
    "nonfinite": _op_nonfinite, "boundary": _op_boundary, "date_order": _op_date_order,
    "date_value": _op_date_value, "pathway_mode": _op_pathway_mode,
    "unknown_key": _op_unknown_key, "budget": _op_budget, "pbi_length": _op_pbi_length,
}
OP_WEIGHTS = {"drop": 6, "retype": 16, "huge": 8, "negative": 7, "nonfinite": 8, "boundary": 12,
              "date_order": 10, "date_value": 5, "pathway_mode": 6, "unknown_key": 10,
              "budget": 4, "pbi_length": 3, "truncate": 10, "duplicate_line": 3}
OPS = list(OP_WEIGHTS)
OP_P = np.array([OP_WEIGHTS[o] for o in OPS], dtype=float) / sum(OP_WEIGHTS.values())


def _originals() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for p in SCENARIO_FILES:
        text = p.read_text(encoding="utf-8")
        out.append((p.name, text, tomllib.loads(text)))
    return out


ORIGINALS = _originals()


def mutate(rng: np.random.Generator) -> Mutation:
    """One random mutation of one random shipped file."""
    name, text, data = ORIGINALS[int(rng.integers(len(ORIGINALS)))]
    op = str(rng.choice(OPS, p=OP_P))
    if op == "truncate":
        base = text.encode("utf-8")
        if rng.random() < 0.3:  # cut a mutated file (may hold multi-byte characters)
            inner = mutate(rng)
            name, base = inner.source, inner.text
        cut = int(rng.integers(0, max(1, len(base))))
        return Mutation(name, op, None, base[:cut], None, False)
    if op == "duplicate_line":
        lines = text.splitlines(keepends=True)
        idx = [i for i, line in enumerate(lines) if line.strip()]
        i = _pick(rng, idx)
        lines.insert(i + 1, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        return Mutation(name, op, None, "".join(lines).encode("utf-8"), None, False)
    data = copy.deepcopy(data)
    parts, named = DATA_OPS[op](rng, data)
    about_time = parts[0] == "time"
    key = parts if named else None
    return Mutation(name, op, key, dumps(data).encode("utf-8"), data, about_time)


def mutations(n: int, seed: int) -> list[Mutation]:
    """``n`` mutations, the same for the same seed."""
    rng = np.random.default_rng(seed)
    return [mutate(rng) for _ in range(n)]


# ------------------------------------------------------------------- checking
def _names_key(msg: str, key: tuple[str, ...]) -> bool:
    dotted, last = ".".join(key), key[-1]
    return any(s in msg for s in (dotted, last, repr(last)[1:-1]))


def check_validation(m: Mutation, path: Path) -> tuple[str, str | None]:
    """Validate one written mutation: ('ok' | 'rejected', problem or None)."""
    try:
        Scenario.from_toml(path)
    except ScenarioError as exc:
        msg = str(exc)
        if "\n" in msg or "\r" in msg:
            return "rejected", f"message is not one paragraph: {msg!r}"
        if str(path) not in msg:
            return "rejected", f"message does not name the file {path}: {msg!r}"
        if m.key is not None and not _names_key(msg, m.key):
            return "rejected", f"message does not name key '{m.dotted}': {msg!r}"
        return "rejected", None
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        return "crashed", f"{type(exc).__name__} instead of ScenarioError: {exc!r}"[:400]
    return "ok", None


def _fuzz(n: int, seed: int, workdir: Path) -> tuple[dict[str, int], list[str]]:
    counts = {"tried": 0, "ran": 0, "rejected": 0}
    problems: list[str] = []
    for i, m in enumerate(mutations(n, seed)):
        path = workdir / f"m{i:05d}_{m.op}_{m.source}"
        path.write_bytes(m.text)
        outcome, problem = check_validation(m, path)
        counts["tried"] += 1
        counts["ran" if outcome == "ok" else "rejected"] += 1
        if problem:
            problems.append(f"{path.name} ({m.op} {m.dotted or '-'} of {m.source}): {problem}")
    return counts, problems


def fuzz_counts(n: int = N_QUICK, seed: int = SEED) -> dict[str, int]:
    """Run the in-process tier; return {'tried', 'ran', 'rejected'} (ran = validated).

    Raises AssertionError listing the mutations whose validation misbehaved.
    """
    with tempfile.TemporaryDirectory(prefix="jambi-fuzz-") as tmp:
        counts, problems = _fuzz(n, seed, Path(tmp))
    if problems:
        raise AssertionError(f"{len(problems)} bad validations:\n" + "\n".join(problems[:20]))
    return counts


# ------------------------------------------------------------------- the CLI
def _env() -> dict[str, str]:
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + extra if extra else ""),
            "MPLBACKEND": "Agg"}


def _with_horizon(m: Mutation) -> bytes:
    """The file the CLI runs: a 90-day horizon unless the mutation is about [time]."""
    if m.about_time:
        return m.text
    if m.data is not None:
        data = copy.deepcopy(m.data)
    else:
        try:
            data = tomllib.loads(m.text.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return m.text
    t = data.setdefault("time", {})
    if not isinstance(t, dict):
        return m.text
    start = t.get("start", DEFAULT_START)
    if not isinstance(start, dt.date):
        return m.text
    t["end"] = start + dt.timedelta(days=HORIZON_DAYS)
    return dumps(data).encode("utf-8")


@dataclass
class CliCase:
    mutation: Mutation
    file: Path
    expect_ok: bool


def cli_cases(n_valid: int, n_rejected: int, seed: int, workdir: Path) -> list[CliCase]:
    """Mutations for the CLI tier: n_valid that validate and n_rejected that do not."""
    rng = np.random.default_rng(seed)
    cases: list[CliCase] = []
    want = {True: n_valid, False: n_rejected}
    for i in range(100 * (n_valid + n_rejected)):
        if not any(want.values()):
            break
        m = mutate(rng)
        case_dir = workdir / f"c{i:04d}"
        case_dir.mkdir()
        f = case_dir / f"{m.op}_{m.source}"
        f.write_bytes(_with_horizon(m))
        try:
            Scenario.from_toml(f)
            ok = True
        except ScenarioError:
            ok = False
        if want[ok] > 0:
            want[ok] -= 1
            cases.append(CliCase(m, f, ok))
    assert not any(want.values()), f"could not draw enough CLI cases: still need {want}"
    return cases


def run_cli(case: CliCase) -> list[str]:
    """Run one case through ``python -m sim run``; return the problems found."""
    out = case.file.parent / "out"
    cmd = [sys.executable, "-m", "sim", "run", str(case.file), "--reps", "1", "--seed", "7",
           "--workers", "1", "--no-figures", "--no-cases", "--quiet", "--out", str(out),
           "--sets", "none"]  # the copy's ensemble path is relative to scenarios/
    label = f"{case.file.parent.name}/{case.file.name} ({case.mutation.op} {case.mutation.dotted})"
    try:
        p = subprocess.run(cmd, cwd=case.file.parent, env=_env(), capture_output=True, text=True,
                           timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [f"{label}: no exit within {CLI_TIMEOUT_S} s (hang)"]
    problems = []
    if "Traceback" in p.stderr:
        problems.append(f"{label}: traceback, exit {p.returncode}: {p.stderr[-600:]}")
    if p.returncode == 0:
        try:
            summary = json.loads((out / "summary.json").read_text())
            for name, meta in summary["provenance"]["files"].items():
                if hashlib.sha256((out / name).read_bytes()).hexdigest() != meta["sha256"]:
                    problems.append(f"{label}: {name} does not match its sha256")
        except (OSError, ValueError, KeyError) as exc:
            problems.append(f"{label}: exit 0 but no readable summary.json ({exc!r})")
        if not case.expect_ok:
            problems.append(f"{label}: exit 0 for a file that does not validate")
    elif p.returncode == 2:
        err = p.stderr.strip()
        if not err.startswith("jambi-sim: error: ") or "\n" in err:
            problems.append(f"{label}: stderr is not one 'jambi-sim: error:' paragraph: {err!r}")
        if out.exists():
            problems.append(f"{label}: exit 2 but the output folder {out} exists")
        if case.expect_ok:
            problems.append(f"{label}: exit 2 for a file that validates: {err!r}")
    else:
        problems.append(f"{label}: exit {p.returncode}: {p.stderr[-600:]}")
    if list(out.parent.glob("out.partial-*")) and p.returncode == 0:
        problems.append(f"{label}: a staging folder was left behind by a finished run")
    return problems


def _cli_tier(n_valid: int, n_rejected: int, seed: int, workdir: Path) -> None:
    cases = cli_cases(n_valid, n_rejected, seed, workdir)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_cli, cases))
    problems = [p for r in results for p in r]
    ran = sum(c.expect_ok for c in cases)
    print(f"fuzz cli: tried={len(cases)} ran={ran} rejected={len(cases) - ran}")
    assert not problems, "\n".join(problems)


# -------------------------------------------------------------------- tests
def test_toml_writer_round_trips() -> None:
    """The emitter writes what tomllib reads back, for the shipped files and odd values."""
    odd = {"a": NAN, "b": -INF, "c": 10**30, "d": [dt.date(1, 1, 1), dt.datetime(2018, 1, 1, 10)],
           "e": "line\n\"q\" \\ ✓", "f": {"x y": {"": [{"k": 1}]}, "g": {}}, "h": dt.time(9, 30)}
    for name, _, data in ORIGINALS + [("odd", "", odd)]:
        assert _normal(tomllib.loads(dumps(data))) == _normal(data), name


def test_shipped_scenarios_validate() -> None:
    """The unmutated files are valid (otherwise every mutation would be rejected)."""
    assert len(SCENARIO_FILES) >= 6
    for p in SCENARIO_FILES:
        assert isinstance(Scenario.from_toml(p), Scenario)


def test_mutations_are_deterministic_and_cover_every_section() -> None:
    """Same seed, same files; the keys hit span every schema section and absent keys."""
    a, b = mutations(150, 7), mutations(150, 7)
    assert [m.text for m in a] == [m.text for m in b]
    assert [m.text for m in a] != [m.text for m in mutations(150, 8)]
    sample = mutations(N_QUICK, SEED)
    hit = {m.key[0] for m in sample if m.key}
    top_sections = {s for s in SECTIONS if "." not in s}
    assert top_sections <= hit, top_sections - hit
    assert {m.op for m in sample} == set(OPS)
    originals = {name: data for name, _, data in ORIGINALS}
    absent = [m for m in sample if m.key and m.op != "unknown_key"
              and _get(originals[m.source], m.key) is None]
    assert len(absent) > N_QUICK // 4, "too few mutations of keys the files do not set"


def test_checker_flags_bad_messages(tmp_path: Path) -> None:
    """The validation check itself fails on a message naming another key or a crash."""
    f = tmp_path / "x.toml"
    f.write_text("[population]\nn_rt = -1\n")
    wrong = Mutation("x.toml", "negative", ("offices", "dinsos", "staff"), b"", None, False)
    right = Mutation("x.toml", "negative", ("population", "n_rt"), b"", None, False)
    assert check_validation(wrong, f)[1] is not None
    assert check_validation(right, f) == ("rejected", None)
    f.write_text("description = " + "[" * 50 + "]" * 50 + "\n")
    assert check_validation(right, f)[1] is not None  # rejected, but names no n_rt


def test_fuzz_in_process() -> None:
    """A few hundred mutations: validation succeeds or raises a one-paragraph ScenarioError."""
    counts = fuzz_counts(N_QUICK, SEED)
    print(f"fuzz: tried={counts['tried']} ran={counts['ran']} rejected={counts['rejected']}")
    assert counts["tried"] == N_QUICK and counts["ran"] > 0 and counts["rejected"] > 0


@pytest.mark.slow
def test_fuzz_in_process_slow() -> None:
    """Thousands of mutations, other seeds."""
    counts = fuzz_counts(N_SLOW, SEED + 1)
    print(f"fuzz: tried={counts['tried']} ran={counts['ran']} rejected={counts['rejected']}")
    assert counts["tried"] == N_SLOW and counts["ran"] > 0 and counts["rejected"] > 0


@pytest.mark.integration  # CLI subprocesses
def test_fuzz_cli(tmp_path: Path) -> None:
    """A small sample through the real CLI: exit 0 with results, or exit 2 and no folder."""
    _cli_tier(*CLI_QUICK, seed=SEED, workdir=tmp_path)


@pytest.mark.slow
def test_fuzz_cli_slow(tmp_path: Path) -> None:
    """A larger CLI sample."""
    _cli_tier(*CLI_SLOW, seed=SEED + 2, workdir=tmp_path)


def test_loader_uses_no_eval_or_pickle() -> None:
    """No eval/exec/compile calls and no pickle-like imports in sim/; tomllib parses scenarios."""
    banned_calls = {"eval", "exec", "compile", "__import__", "literal_eval"}
    banned_modules = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "yaml",
                      "jsonpickle"}
    found = []
    sources = sorted((ROOT / "sim").glob("*.py"))
    assert sources
    for src in sources:
        text = src.read_text(encoding="utf-8")
        for pattern in ("eval(", "exec(", "pickle.load"):
            if pattern in text:
                found.append(f"{src.name}: text '{pattern}'")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                f = node.func
                # builtins by bare name, or spelled builtins.eval / ast.literal_eval;
                # re.compile and the like are not code execution
                if isinstance(f, ast.Name):
                    name = f.id
                elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                        f.value.id in ("builtins", "ast"):
                    name = f.attr
                else:
                    name = ""
                if name in banned_calls:
                    found.append(f"{src.name}:{node.lineno}: call {name}()")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                found += [f"{src.name}:{node.lineno}: import {m}" for m in mods
                          if m.split(".")[0] in banned_modules]
    assert not found, found
    loader = inspect.getsource(Scenario.from_bytes)
    assert "tomllib.loads(" in loader


# ------------------------------------------------------- regressions found by fuzzing
# Inputs that once broke the contract (fixed in sim/scenario/); kept as regressions.

KNOWN_MESSAGE_BUGS = {
    # sim/scenario/errors.py explain(): the unknown key is put in the message unescaped.
    "newline_in_unknown_key": '"a\\nb" = 1\n',
    "carriage_return_in_nested_unknown_key": '[offices.dinsos]\n"sta\\rff" = 1\n',
    # sim/scenario/schema.py Scenario._dates_in_order(): "got '{year}'" unescaped.
    "newline_in_budget_year_key": '[program.budget_idr_by_year]\n"20\\n18" = 1.0\n',
}


@pytest.mark.parametrize("case", sorted(KNOWN_MESSAGE_BUGS))
def test_control_characters_in_keys_give_one_paragraph(case: str, tmp_path: Path) -> None:
    """Keys holding control characters still give a one-paragraph message."""
    f = tmp_path / "bad.toml"
    f.write_text(KNOWN_MESSAGE_BUGS[case], encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_toml(f)
    assert "\n" not in str(exc.value) and "\r" not in str(exc.value), str(exc.value)


def test_deeply_nested_array_is_a_clear_error(tmp_path: Path) -> None:
    """A deeply nested array is a ScenarioError, not a RecursionError."""
    f = tmp_path / "deep.toml"
    f.write_text("description = " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="deep.toml"):
        Scenario.from_toml(f)


KNOWN_RUN_BUGS = {
    # sim/model/program.py _yearly_caps line ~109: int('²⁰²¹') raises (str.isdigit() accepts it).
    "non_ascii_year_key": '[program.budget_idr_by_year]\n"²⁰²¹" = 1e9\n',
    # sim/model/program.py _yearly_caps line ~115: no budget -> inf // bill = nan -> int(nan) raises.
    "empty_budget_table": "[program]\nbudget_idr_by_year = {}\n",
    # sim/engine/worktime.py public_holidays line ~39: fromisoformat(f'{year}-..') needs 4 digits.
    "year_before_1000": "[time]\nstart = 0999-01-01\nend = 0999-04-01\nonline_from = 0999-02-01\n",
    # sim/engine/worktime.py Clock.date line ~57 via coordination.py _freeze_windows: end + 3*366
    # margin days passes 9999-12-31.
    "year_near_9999": "[time]\nstart = 9999-09-01\nend = 9999-12-31\nonline_from = 9999-10-01\n",
}


@pytest.mark.parametrize("case", sorted(KNOWN_RUN_BUGS))
def test_inputs_that_once_crashed_runs_are_refused(case: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Every scenario that validates runs (exit 0), or the run is refused (exit 2)."""
    from sim.ui.cli import main

    text = KNOWN_RUN_BUGS[case]
    if "[time]" not in text:
        text += "[time]\nstart = 2018-01-01\nend = 2018-04-01\n"
    f = tmp_path / "bug.toml"
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["run", str(f), "--reps", "1", "--no-figures", "--no-cases", "--quiet",
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err  # now refused when the file is loaded
    assert not out.exists() and err.startswith("jambi-sim: error: ") and err.count("\n") == 1
    assert str(f) in err
