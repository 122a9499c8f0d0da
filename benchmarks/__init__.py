"""The benchmark suite of ``jambi-sim bench`` (issues 6 and 21): one replication's time and
memory, scaling with population, a sweep on all cores and a plain SimPy peer of the same
pathway, in one run. See :mod:`benchmarks.suite` for what is measured and
:mod:`benchmarks.report` for how it is shown.

SimPy is a benchmark-only dependency (``pip install -e '.[bench]'``); the model never
imports this package.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class BenchError(ValueError):
    """A flag the user can fix (an output path that cannot be written, SimPy missing)."""


def check_output(path: Path, flag: str) -> Path:
    """Refuse, before anything runs, an output file that cannot be written: a missing or
    unwritable folder, a folder or link in place of the file, a read-only file."""
    where = f"{flag} {path}"
    if path.is_symlink():
        raise BenchError(f"{where}: is a symbolic link; give the file it points to.")
    if path.is_dir():
        raise BenchError(f"{where}: is a folder; give a file name, e.g. {path}/benchmarks.md.")
    folder = path.parent
    if not folder.exists():
        raise BenchError(f"{where}: the folder {folder} does not exist; create it first.")
    if not folder.is_dir():
        raise BenchError(f"{where}: {folder} is not a folder.")
    if path.exists() and not os.access(path, os.W_OK):
        raise BenchError(f"{where}: the file is read-only; it will not be overwritten.")
    try:  # the only reliable test of a folder (root, read-only mounts, /proc)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BenchError(f"{where}: cannot write in {folder} ({exc.strerror or exc}).") from None
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so a failed
    write leaves the previous file as it was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(quick: bool = False, out: Path | None = None, json_path: Path | None = None,
         command: str = "jambi-sim bench") -> int:
    """Run the suite, print its table on stdout, write the files asked for; 0 when done."""
    if importlib.util.find_spec("simpy") is None:
        raise BenchError("the benchmark suite needs SimPy: pip install -e '.[bench]'.")
    paths = [(p, f) for p, f in ((out, "--out"), (json_path, "--json")) if p is not None]
    for p, flag in paths:
        check_output(p, flag)
    if out is not None and json_path is not None and out.resolve() == json_path.resolve():
        raise BenchError(f"--out and --json name the same file ({out}); give two files.")
    from benchmarks import report, suite

    res: dict[str, Any] = {"command": command,
                           "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           "machine": report.machine()}
    res.update(suite.run_suite(quick))
    if out is not None:  # files first: a closed stdout (| head) must not lose them
        write_atomic(out, report.markdown(res))
    if json_path is not None:
        write_atomic(json_path, json.dumps(res, indent=2) + "\n")
    print(report.text(res), flush=True)
    return 0
