"""The one layer every ``jambi-sim`` command goes through (issue 19).

Each ``cmd_<name>`` function is wrapped by :func:`entry` and receives a :class:`Command`,
which gives it, in one place, what ``jambi-sim run`` first had alone:

- **inputs read once** (:meth:`Command.read`, :meth:`Command.scenario`): every input file
  (scenario, experiment, calibration, held-out, evidence, mapping, parameter sets) is read
  once as bytes; checks and runs use those bytes, and their SHA-256 is what the command
  records (``provenance.inputs``), so a file edited or deleted during a long command
  changes nothing, and ``/dev/stdin`` is read once;
- **size before any run**: :meth:`Command.check_memory` (a scenario's runs) refuses what
  the machine cannot hold; a study's design is sized by its loader
  (:func:`sim.studies.design.check_size`) before it is drawn, and a command that keeps
  many runs' results (``whatif``, ``compare``, ``sustainability``) by
  :meth:`Command.check_study`, with the same message;
- **outputs staged** (:meth:`Command.check_out`, :meth:`Command.stage`,
  :meth:`Command.finish`): written into a staging folder and swapped into place at the
  end, as :class:`sim.runner.staging.StagedOutput` does; a folder holding files
  jambi-sim did not write is refused, a failed run leaves the previous results as they
  were, and an input mistake leaves no staging folder behind;
- **workers owned** (:meth:`Command.pool`): one warm :class:`sim.runner.WorkerPool` for
  all of a command's runs, closed when the command ends; its workers die with the
  command, SIGKILL included;
- **one paragraph for a mistake**: any user error (a bad file, key, value, flag or folder)
  prints ``jambi-sim: error: ...`` naming the file, the key and what is allowed, and
  exits with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.ui.common import EXIT_USAGE, UsageError, printable

SETS_MAX_BYTES = 64 * 2**20  # a parameter-set table may hold many rows; a spec is small


def user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the user can fix this": one paragraph, exit code 2."""
    from sim.runner.replications import ResourceError
    from sim.runner.staging import OutputError
    from sim.scenario import ScenarioError
    from sim.studies.evidence import EvidenceError
    from sim.studies.workshop import WorkshopError

    return (ScenarioError, OutputError, UsageError, ResourceError, EvidenceError,
            WorkshopError)


class Command:
    """One command's inputs, checks, outputs and workers (see the module's docstring)."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.line = " ".join(shlex.quote(a) for a in
                             ["jambi-sim", *getattr(args, "argv", [args.command])])
        self.inputs: dict[str, str] = {}  # every input file -> sha256 of the bytes used
        self._bytes: dict[str, bytes] = {}
        self._staged: list[Any] = []
        self._pools = contextlib.ExitStack()
        self.quiet = bool(getattr(args, "quiet", False))
        self.t0 = time.perf_counter()

    # ------------------------------------------------------------ messages
    def say(self, *parts: Any) -> None:
        if not self.quiet:
            print(*parts, flush=True)

    def warn(self, message: str) -> None:
        if not self.quiet:
            print(f"jambi-sim: warning: {message}", file=sys.stderr)

    # ------------------------------------------------------------ inputs
    def read(self, path: str | Path, limit: int | None = None) -> bytes:
        """The bytes of an input file, read from disk once per command (later calls get
        the same bytes); their hash goes into ``self.inputs``. A missing file raises
        FileNotFoundError (each loader says what to use instead)."""
        from sim.scenario.source import MAX_BYTES, read_bytes

        key = str(path)
        if key not in self._bytes:
            if not Path(path).exists() and not Path(path).is_symlink():
                raise FileNotFoundError(2, "No such file", key)
            data = read_bytes(path, limit or MAX_BYTES)
            self._bytes[key] = data
            self.inputs[key] = hashlib.sha256(data).hexdigest()
        return self._bytes[key]

    def read_sets(self, path: str | Path) -> bytes:
        return self.read(path, SETS_MAX_BYTES)

    def scenario(self, path: str | Path) -> Any:
        """A scenario file, read once and validated (ScenarioError otherwise)."""
        from sim.scenario import Scenario
        from sim.scenario.source import read_bytes

        key = str(path)
        if key not in self._bytes:  # read_bytes: a scenario's own messages (missing, pipe)
            data = read_bytes(path)
            self._bytes[key] = data
            self.inputs[key] = hashlib.sha256(data).hexdigest()
        return Scenario.from_bytes(self._bytes[key], origin=printable(key))

    def ensemble(self, path: str | Path, scenario: Any) -> Any:
        """The ensemble a scenario file names (``ensemble = "..."``, relative to it), read
        once and checked against the scenario; None if it names none."""
        from sim.runner.ensemble import ensemble_path, read_ensemble
        from sim.scenario import ScenarioError

        where = ensemble_path(scenario, path)
        if where is None:
            return None
        try:
            data = self.read(where, SETS_MAX_BYTES)
        except FileNotFoundError:
            raise ScenarioError(
                f"{printable(str(path))}: key 'ensemble': no such file {printable(str(where))} "
                f"(it is written by 'jambi-sim calibrate ... --apply'); run the calibration, "
                f"or use --sets none to run this file's own values.") from None
        except ScenarioError as exc:  # a folder, a file too large, a dangling link
            raise ScenarioError(f"{printable(str(path))}: key 'ensemble': "
                                f"{printable(str(where))} cannot be read as an ensemble file "
                                f"({exc}).") from None
        return read_ensemble(data, printable(str(where)), base=scenario)

    def sha256(self, path: str | Path) -> str:
        return self.inputs[str(path)]

    # ------------------------------------------------------------ size
    def check_memory(self, scenario: Any, workers: int, notes: bool = True) -> int:
        """Refuse (exit 2) runs of ``scenario`` the machine cannot hold; warn about
        large ones and about more workers than cores (``notes``); return the workers to
        use."""
        import os

        from sim.runner.replications import check_memory

        note = check_memory(scenario, workers)
        if not notes:
            return workers
        if note:
            self.warn(note)
        cores = os.cpu_count() or 1
        if workers > cores:
            self.warn(f"{workers} workers on {cores} cores is no faster than {cores}, and "
                      f"each worker holds its own model in memory.")
        return workers

    def check_study(self, what: str, count: str, runs: int, need: int, use: str) -> None:
        """Refuse (exit 2), before any run, a study of ``runs`` runs that would need about
        ``need`` bytes in this process: the message of
        :func:`sim.studies.design.size_refusal` (the same as an experiment's), naming how
        the runs are counted (``count``) and what to reduce (``use``)."""
        from sim.studies.design import size_refusal

        refusal = size_refusal(what, count, runs, need, use)
        if refusal:
            raise UsageError(refusal)

    # ------------------------------------------------------------ outputs
    def check_out(self, out: Path) -> None:
        """Refuse a bad output folder now, before any run (exit 2)."""
        from sim.runner.staging import check_out_dir

        check_out_dir(Path(out))

    def stage(self, out: Path) -> Any:
        """A staging folder for ``out`` (see :class:`sim.runner.staging.StagedOutput`),
        after removing abandoned attempts of earlier commands into it."""
        from sim.runner.staging import StagedOutput, abandoned, stale_attempts

        out = Path(out)
        self.check_out(out)  # before tidying anything near it
        for old in stale_attempts(out):
            if abandoned(old):
                if not self.quiet:
                    print(f"Removing an earlier run's incomplete attempt: {old}",
                          file=sys.stderr)
                shutil.rmtree(old, ignore_errors=True)
        staged = StagedOutput(out, note=f"command: {self.line}")
        self._staged.append(staged)
        self.args.staging = staged.staging  # named by the stop message of sim.ui.cli
        return staged

    def provenance(self, **extra: Any) -> dict[str, Any]:
        """What every summary records: version, command, each input's hash, wall time."""
        from sim._version import __version__

        return {"package_version": __version__, "command": self.line,
                "inputs": dict(self.inputs),
                "wall_time_s": round(time.perf_counter() - self.t0, 3), **extra}

    def finish(self, staged: Any, summary: dict[str, Any], **provenance: Any) -> Path:
        """Write ``summary.json`` (with the provenance and the files' hashes) and swap the
        staged folder into place; returns the final folder."""
        summary["provenance"] = self.provenance(**provenance) | {"files": staged.files}
        staged.write_json("summary.json", summary)
        return self.done(staged)

    def done(self, staged: Any) -> Path:
        final = staged.finish() if staged.staging.exists() else staged.final
        self.args.staging = None
        return final

    # ------------------------------------------------------------ workers
    def pool(self, workers: int, runs: int = 1_000_000) -> Any:
        """One warm pool for all of the command's runs, closed when the command ends
        (killed if it fails); None for a single worker (runs stay in this process)."""
        from sim.runner.replications import WorkerPool

        n = min(workers, runs)
        return self._pools.enter_context(WorkerPool(n)) if n > 1 else None

    # ------------------------------------------------------------ the end
    def close(self, failed: bool, input_mistake: bool) -> None:
        if failed:  # a running replication cannot be cancelled: stop the workers now
            self._pools.__exit__(RuntimeError, RuntimeError("stopped"), None)
        else:
            self._pools.close()
        if input_mistake:  # nothing useful was written: leave no staging folder behind
            for staged in self._staged:
                shutil.rmtree(staged.staging, ignore_errors=True)
            self.args.staging = None


def entry(fn: Callable[[Command], int]) -> Callable[[argparse.Namespace], int]:
    """Run a ``cmd_<name>`` function through the layer: it gets a :class:`Command`; a user
    error becomes one paragraph on stderr and exit code 2."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        cmd = Command(args)
        failed = mistake = True
        try:
            code = fn(cmd)
            failed = mistake = False
            return code
        except BrokenPipeError:
            mistake = False
            raise
        except Exception as exc:
            # user_errors() imports the runner; it is called here, not for Ctrl-C or SIGTERM,
            # which can land in the middle of start-up's imports and would interrupt it again
            if isinstance(exc, user_errors()):
                print(f"jambi-sim: error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            if isinstance(exc, OSError):  # unreadable input, unwritable output: say what
                where = f" ({printable(str(exc.filename))})" \
                    if getattr(exc, "filename", None) else ""
                print(f"jambi-sim: error: {exc.strerror or exc}{where}.", file=sys.stderr)
                return EXIT_USAGE
            mistake = False  # a crash: the staging folder is kept, marked
            raise
        except BaseException:  # Ctrl-C, SIGTERM: the staging folder is kept, marked
            mistake = False
            raise
        finally:
            cmd.close(failed, mistake)

    run.through_layer = True  # type: ignore[attr-defined]
    return run
