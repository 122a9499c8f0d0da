"""What every ``jambi-sim`` command shares: the exit code for a user's mistake, the error
that carries one, and user text made safe to print."""

from __future__ import annotations

EXIT_USAGE = 2


def printable(text: str) -> str:
    """User text safe to print on one line (see sim.scenario.errors.printable)."""
    from sim.scenario.errors import printable as _printable

    return _printable(text)


class UsageError(Exception):
    """A mistake the user can fix; printed as one paragraph, exit code 2."""
