"""The baseline matches the committed golden summary, so behaviour changes are decisions.

After an intended change: ``jambi-sim golden --update`` and commit
``tests/golden/baseline_summary.json`` with the change.
"""

from __future__ import annotations

import json

import pytest

from sim.ui.golden import GOLDEN, compare, golden_summary

pytestmark = pytest.mark.integration  # city-scale replications


def test_baseline_matches_golden_summary() -> None:
    assert GOLDEN.exists(), "run 'jambi-sim golden --update' to create the golden summary"
    expected = json.loads(GOLDEN.read_text())
    current = json.loads(json.dumps(golden_summary()))
    diffs = compare(expected, current)
    assert not diffs, "baseline changed; if intended run 'jambi-sim golden --update':\n" + \
        "\n".join(diffs[:20])


def test_compare_notices_a_change() -> None:
    assert compare({"a": {"b": 1.0}}, {"a": {"b": 1.0}}) == []
    assert compare({"a": {"b": 1.0}}, {"a": {"b": 1.001}}) != []
    assert compare({"a": 1}, {"a": 1, "c": 2}) != []
