"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.runner.replications import die_with_parent  # noqa: F401 (preexec_fn of the servers tests start)
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def small(**sections: Any) -> Scenario:
    """A tenth of the city over two years (website from mid-2019), with section overrides."""
    data: dict[str, Any] = {
        "name": "small",
        "time": {"start": "2018-01-01", "end": "2019-12-31", "online_from": "2019-01-01"},
        "population": {"uninsured_people_start": 3000, "n_rt": 160, "n_kelurahan": 8,
                       "n_kelurahan_new": 2, "n_kecamatan": 3, "split_date": "2019-06-01",
                       "arrivals_per_year": 60, "lapas_residents": 80, "panti_asuhan": 1,
                       "panti_jompo": 1},
        "program": {"target": 3000},
    }
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
    return Scenario.from_dict(data, origin="test scenario")


@pytest.fixture
def small_scenario() -> Scenario:
    return small()
