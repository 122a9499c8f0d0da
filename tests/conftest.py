"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from sim.runner.replications import die_with_parent  # noqa: F401 (preexec_fn of the servers tests start)
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def small_data(name: str = "small", **sections: Any) -> dict[str, Any]:
    """The small scenario as data: a tenth of the city over two years (website from
    2019), with section overrides merged in (``time={"end": "2018-12-31"}``)."""
    data: dict[str, Any] = {
        "time": {"start": "2018-01-01", "end": "2019-12-31", "online_from": "2019-01-01"},
        "population": {"uninsured_people_start": 3000, "n_rt": 160, "n_kelurahan": 8,
                       "n_kelurahan_new": 2, "n_kecamatan": 3, "split_date": "2019-06-01",
                       "arrivals_per_year": 60, "lapas_residents": 80, "panti_asuhan": 1,
                       "panti_jompo": 1},
        "program": {"target": 3000},
    }
    data["name"] = name
    for sec, values in sections.items():
        if isinstance(values, dict):
            node = data.setdefault(sec, {})
            for k, v in values.items():
                if isinstance(v, dict):
                    node.setdefault(k, {}).update(v)
                else:
                    node[k] = v
        else:
            data[sec] = values
    return data


def small(**sections: Any) -> Scenario:
    """The small scenario (:func:`small_data`) as a :class:`Scenario`."""
    return Scenario.from_dict(small_data(**sections), origin="test scenario")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return str(value)  # a TOML date, not a string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def small_toml(name: str = "small", **sections: Any) -> str:
    """The small scenario as the text of a scenario file, for tests of files and commands."""
    data = small_data(name, **sections)
    lines = [f"{k} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]

    def table(path: str, node: dict[str, Any]) -> None:
        lines.append(f"[{path}]")
        lines.extend(f"{k} = {_toml(v)}" for k, v in node.items() if not isinstance(v, dict))
        for k, v in node.items():
            if isinstance(v, dict):
                table(f"{path}.{k}", v)

    for k, v in data.items():
        if isinstance(v, dict):
            table(k, v)
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_scenario() -> Scenario:
    return small()


@pytest.fixture(autouse=True)
def _no_worker_pool_left_running():
    """Fail the test that leaves a process pool's manager thread running: at exit the
    interpreter joins it, and a pool whose workers were lost can hang there for ever (the
    integration tier once ran out its budget after its last test had passed)."""
    import threading
    from concurrent.futures.process import _ExecutorManagerThread

    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 10
    while True:
        left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                and isinstance(t, _ExecutorManagerThread)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"process pools left running: {[t.name for t in left]}"
