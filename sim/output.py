"""Crash-safe output folders.

A run never leaves a half-written results folder that looks complete:

1. Everything is written into a sibling staging folder ``DIR.partial-<pid>/`` that
   holds ``INCOMPLETE.txt`` from the moment it appears; each file in it is written to a
   temporary name and renamed when complete.
2. When every file is written, the staging folder replaces ``DIR`` in one step
   (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames), and only then is
   the marker removed.

A run killed at any moment leaves ``DIR`` as it was (the previous complete results, or
nothing) plus the ``DIR.partial-<pid>/`` folder with its ``INCOMPLETE.txt`` marker. (Where
``renameat2`` is missing, e.g. off Linux, the swap is two renames, and for that instant
``DIR`` is absent while the previous results sit in ``DIR.old-<pid>/``.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

MARKER = "INCOMPLETE.txt"
RESULT_FILES = ("summary.json",)


class OutputError(ValueError):
    """The output folder cannot be used; the message is for the user."""


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths on Linux; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _our_files(out: Path) -> set[str] | None:
    """The files a jambi-sim results folder may hold, from its summary.json; None if the
    folder is not one of ours."""
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        files = set(summary["provenance"]["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return files | {"summary.json", MARKER}


def check_out_dir(out: Path) -> None:
    """Refuse folders we must not replace: files, links, the working folder or one above
    it, and folders holding anything a jambi-sim run did not write."""
    if out.is_symlink():
        raise OutputError(f"--out {out}: is a symbolic link; give the folder it points to.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is a file; give a folder path.")
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputError(f"--out {out}: is the current folder or contains it; it would be "
                          f"replaced. Give a new folder, e.g. runs/my_run.")
    if out.is_dir():
        present = {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()}
        if not present:
            return
        ours = _our_files(out)
        if ours is None:
            raise OutputError(
                f"--out {out}: the folder exists, is not empty and holds no jambi-sim "
                f"summary.json; it would be replaced. Choose a new or empty folder.")
        foreign = sorted(present - ours)
        if foreign:
            raise OutputError(
                f"--out {out}: holds files jambi-sim did not write ({', '.join(foreign[:3])}"
                f"{' ...' if len(foreign) > 3 else ''}); they would be lost when the folder "
                f"is replaced. Move them, or choose another folder.")


class StagedOutput:
    """Write files into a staging folder, then swap it into place on success."""

    def __init__(self, final: Path, note: str = ""):
        self.final = Path(final)
        check_out_dir(self.final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out {self.final}: cannot create its parent folder "
                              f"({exc.strerror}).") from None
        self.staging = self.final.parent / f"{self.final.name}.partial-{os.getpid()}"
        self.files: dict[str, dict[str, Any]] = {}
        # The staging folder appears under its visible name only once it holds the marker.
        fresh = self.final.parent / f".{self.final.name}.partial-{os.getpid()}.new"
        for old in (self.staging, fresh):
            if old.exists():
                shutil.rmtree(old)
        fresh.mkdir()
        (fresh / MARKER).write_text("This run did not finish: these files are incomplete.\n"
                                    f"{note}\nThe previous results, if any, are untouched in "
                                    f"{self.final.name}/.\n", encoding="utf-8")
        os.rename(fresh, self.staging)

    def path(self, name: str) -> Path:
        p = self.staging / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def _commit(self, tmp: Path, name: str, record: bool) -> None:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.staging / name)
        if record:
            data = (self.staging / name).read_bytes()
            self.files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def write_text(self, name: str, text: str, record: bool = True) -> None:
        tmp = self.path(name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        self._commit(tmp, name, record)

    def write_json(self, name: str, data: Any) -> None:
        self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

    def write_csv(self, name: str, df: Any) -> None:
        tmp = self.path(name + ".tmp")
        df.to_csv(tmp, index=False)
        self._commit(tmp, name, True)

    def save_figure(self, name: str, fig: Any) -> None:
        tmp = self.path(name + ".tmp.png")
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        self._commit(tmp, name, True)

    def finish(self) -> Path:
        """Put the folder in place of the old one, then remove the marker.

        The marker goes last, so at no moment does an unfinished folder lack it (for an
        instant the new, complete folder still carries it: a false alarm, never false trust).
        """
        if not self.final.exists():
            os.rename(self.staging, self.final)
        elif _renameat2_exchange(self.staging, self.final):
            shutil.rmtree(self.staging)  # now holds the previous results
        else:
            old = self.final.parent / f"{self.final.name}.old-{os.getpid()}"
            os.rename(self.final, old)
            os.rename(self.staging, self.final)
            shutil.rmtree(old)
        (self.final / MARKER).unlink()
        return self.final


def stale_attempts(final: Path) -> list[Path]:
    """Staging folders left by runs that were killed."""
    parent = Path(final).parent
    if not parent.is_dir():
        return []
    name = Path(final).name
    pattern = re.compile(rf"^\.?{re.escape(name)}\.partial-(\d+)(\.new)?$")
    return sorted(p for p in parent.iterdir() if pattern.match(p.name) and p.is_dir()
                  and not p.is_symlink())


def attempt_pid(path: Path) -> int:
    """The process id in a staging folder's name."""
    return int(re.search(r"\.partial-(\d+)", path.name).group(1))
