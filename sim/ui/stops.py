"""How the ``jambi-sim`` command takes Ctrl-C, SIGTERM and SIGHUP.

Python's own Ctrl-C handler raises ``KeyboardInterrupt`` wherever it lands. A command
imports NumPy, pandas, pyarrow, SciPy and Mesa in its first second, and an exception raised
while a compiled module initialises can be turned into another error (SciPy's
``ImportError: initialization failed``, with a traceback) or lost (caught as a missing
optional dependency: the run went on to the end and exited 0). So a stop that lands in an
import waits for the import's end: the handler notes it and sets a 20 ms alarm (SIGALRM),
and the alarm sends the same signal again once the main thread is out of the import,
through whatever handler is in place then (``sim.runner.staging.stops_held`` may be holding
stops). One stop waits at a time (a second Ctrl-C meanwhile adds nothing), and none waits
longer than ``LONGEST_WAIT_S``: an import that never ends must not make Ctrl-C useless.

:func:`installed` puts the handlers in (main thread only) and, when its block ends, takes
them out again with any waiting stop and alarm: a call of ``main()`` from Python leaves the
caller's handlers as they were.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LONGEST_WAIT_S = 10.0  # seconds a stop may wait for an import to end
RETRY_S = 0.02  # how often a waiting stop looks again

# The stop waiting for an import to end ([] when none), and since when it waits (kept while
# it is sent again, so that a stop whose wait is over does not wait once more).
_WAITING: list[int] = []
_SINCE: list[float] = []


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (stopping the workers) and exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def importing(frame: Any) -> bool:
    """True if the stack ending at ``frame`` runs through importlib's bootstrap."""
    while frame is not None:
        name = frame.f_code.co_filename
        if "importlib._bootstrap" in name or name.endswith(
                ("importlib/_bootstrap.py", "importlib/_bootstrap_external.py")):
            return True
        frame = frame.f_back
    return False


def _may_wait(frame: Any) -> bool:
    return importing(frame) and not (_SINCE and time.monotonic() - _SINCE[0] > LONGEST_WAIT_S)


def _forget() -> None:
    """No stop waits any more: clear the note and the alarm."""
    _WAITING.clear()
    _SINCE.clear()
    signal.setitimer(signal.ITIMER_REAL, 0)


def on_stop(signum: int, frame: Any) -> None:
    """Ctrl-C (``KeyboardInterrupt``), SIGTERM or SIGHUP (:class:`Terminated`), unless the
    main thread is importing: then the stop waits (see the module's docstring)."""
    if _may_wait(frame):
        if not _WAITING:
            _WAITING.append(signum)
            _SINCE[:] = _SINCE or [time.monotonic()]
            signal.setitimer(signal.ITIMER_REAL, RETRY_S)
        return
    _forget()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _on_alarm(signum: int, frame: Any) -> None:
    """The waiting stop looks again: still in the import, another 20 ms; else the signal is
    sent again, to whatever handler is in place now."""
    if not _WAITING:
        return
    if _may_wait(frame):
        signal.setitimer(signal.ITIMER_REAL, RETRY_S)
        return
    sig = _WAITING.pop()
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        signal.raise_signal(sig)
    finally:
        _SINCE.clear()


def act_on_waiting() -> None:
    """A stop still waiting when the command is done (it finished within 20 ms of its last
    import) acts now rather than being lost."""
    if _WAITING:
        on_stop(_WAITING[0], None)


@contextmanager
def installed() -> Iterator[None]:
    """The handlers, for the block (in the main thread; elsewhere nothing changes). Ctrl-C's
    only if it is not ignored (a job started in the background with '&'), and first, so
    that a caught SIGTERM says all are in (tests/test_reliability.py)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved: dict[int, Any] = {}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        saved[signal.SIGINT] = signal.signal(signal.SIGINT, on_stop)
    saved[signal.SIGALRM] = signal.signal(signal.SIGALRM, _on_alarm)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            saved[sig] = signal.signal(sig, on_stop)
    try:
        yield
    finally:
        _forget()
        for sig, handler in saved.items():
            if handler is not None:  # None: a handler set from C, not restorable
                signal.signal(sig, handler)
