"""Inputs of the ``jambi-sim`` commands, read once as bytes.

A scenario file is read once: the bytes are validated, simulated and hashed, so a file
edited or deleted during a long command cannot change what its provenance records, and
``/dev/stdin`` (or a pipe) is read, hashed and passed on once, never re-read empty.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.ui.common import printable


@dataclass(frozen=True)
class ScenarioInput:
    """A scenario file as it was read: its path, its bytes and the Scenario they make."""

    path: Path
    data: bytes
    scenario: Any

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def text(self) -> str:
        from sim.scenario.source import decode

        return decode(self.data, printable(str(self.path)))


def read_scenario(path: str | Path) -> ScenarioInput:
    """Read and validate a scenario file once (ScenarioError, one paragraph, otherwise)."""
    from sim.scenario import Scenario
    from sim.scenario.source import read_bytes

    path = Path(path)
    data = read_bytes(path)
    return ScenarioInput(path, data, Scenario.from_bytes(data, origin=printable(str(path))))


def hashes(inputs: list[ScenarioInput]) -> dict[str, str]:
    """``{path: sha256}`` of the bytes that ran, for a summary's provenance."""
    return {str(i.path): i.sha256 for i in inputs}
