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
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MARKER = "INCOMPLETE.txt"
OWNER_TAG = "jambi-sim-owner: "
FILES_TAG = "jambi-sim-files: "


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------- whose folder is it
def _proc_start(pid: int) -> str | None:
    """A process's start time (clock ticks since boot, /proc/<pid>/stat), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()[19]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def owner_record() -> dict[str, Any]:
    """Who made a staging folder: host, boot, PID namespace, PID and the PID's start time,
    so a later run can tell a dead run's folder from a live one (even across containers)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "boot_id": _boot_id(), "pid_ns": _pid_namespace(),
            "pid": pid, "start": _proc_start(pid)}


def read_owner(folder: Path) -> dict[str, Any] | None:
    """The owner record in a folder's INCOMPLETE.txt, or None if it has none of ours."""
    try:
        with open(folder / MARKER, encoding="utf-8") as fh:
            text = fh.read(65536)
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith(OWNER_TAG):
            try:
                rec = json.loads(line[len(OWNER_TAG):])
            except ValueError:
                return None
            return rec if isinstance(rec, dict) else None
    return None


def owner_is_dead(rec: dict[str, Any]) -> bool:
    """True only when the run that wrote ``rec`` surely ended: same host, boot and PID
    namespace, and its PID is gone or now belongs to a process started at another time."""
    if not rec or rec.get("host") != socket.gethostname() or not rec.get("boot_id") \
            or rec.get("boot_id") != _boot_id() or rec.get("pid_ns") != _pid_namespace():
        return False
    pid = rec.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return rec.get("start") != _proc_start(pid)
    start = _proc_start(pid)
    return start is None or start != rec.get("start")


# ------------------------------------------------------------------ --out rules
STAGING = re.compile(r"^\.\.?partial-(\d+)(?:\.new)?$")  # in-place staging, inside --out


def _swap_listed(out: Path) -> set[str] | None:
    """Files named by our own INCOMPLETE.txt at the top of ``out`` (a swap in place that was
    cut short), or None if there is no such marker."""
    if read_owner(out) is None:
        return None
    try:
        text = (out / MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith(FILES_TAG):
            try:
                return set(json.loads(line[len(FILES_TAG):]))
            except (ValueError, TypeError):
                return None
    return set()


def _recorded(out: Path) -> dict[str, Any] | None:
    """The files and checksums recorded in ``out/summary.json``; None if it is not ours."""
    try:
        with open(out / "summary.json", encoding="utf-8") as fh:
            summary = json.loads(fh.read(64 * 1024 * 1024))
        files = summary["provenance"]["files"]
        if not isinstance(files, dict):
            return None
        return files
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _contents(out: Path) -> set[str]:
    """Files under ``out``, except our own in-place staging folders."""
    present = set()
    ours = {d.name for d in out.iterdir() if STAGING.match(d.name) and d.is_dir()
            and not d.is_symlink() and (read_owner(d) is not None or not any(d.iterdir()))}
    for p in out.rglob("*"):
        rel = p.relative_to(out)
        if rel.parts[0] in ours:
            continue
        if not p.is_dir() or p.is_symlink():
            present.add(rel.as_posix())
    return present


def check_out_dir(out: Path) -> None:
    """Refuse folders we must not replace: files, links, the working folder or one above
    it, folders holding anything a jambi-sim run did not write, and results a user edited
    (a checksum that differs from the one recorded in summary.json)."""
    if out.is_symlink():
        raise OutputError(f"--out {out}: is a symbolic link; give the folder it points to.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is a file; give a folder path.")
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputError(f"--out {out}: is the current folder or contains it; it would be "
                          f"replaced. Give a new folder, e.g. runs/my_run.")
    if not out.is_dir():
        return
    present = _contents(out)
    if not present:
        return
    swapping = _swap_listed(out) or set()
    recorded = _recorded(out)
    if recorded is None and not swapping:
        raise OutputError(
            f"--out {out}: the folder exists, is not empty and holds no jambi-sim "
            f"summary.json; it would be replaced. Choose a new or empty folder.")
    recorded = recorded or {}
    ours = set(recorded) | swapping | {"summary.json", MARKER, MARKER + ".tmp"}
    foreign = sorted(present - ours)
    if foreign:
        raise OutputError(
            f"--out {out}: holds files jambi-sim did not write ({', '.join(foreign[:3])}"
            f"{' ...' if len(foreign) > 3 else ''}); they would be lost when the folder "
            f"is replaced. Move them, or choose another folder.")
    for name in sorted(present & set(recorded) - swapping):
        meta = recorded[name]
        want = meta.get("sha256") if isinstance(meta, dict) else None
        try:
            same = want is not None and _sha256(out / name) == want
        except OSError:
            same = False
        if not same:
            raise OutputError(
                f"--out {out}: {name} differs from the file this run wrote earlier (its "
                f"checksum does not match summary.json), so it may hold your edits and would "
                f"be lost. Copy it elsewhere (or delete it if the change is not wanted), or "
                f"choose another --out.")


def _marker_text(note: str, final: Path, files: list[str] | None = None) -> str:
    text = ("This run did not finish: these files are incomplete.\n"
            f"{note}\nThe previous results, if any, are untouched in {final.name}/.\n"
            f"{OWNER_TAG}{json.dumps(owner_record())}\n")
    if files is not None:
        text += f"{FILES_TAG}{json.dumps(sorted(files))}\n"
    return text


def _same_owner(rec: dict[str, Any] | None) -> bool:
    """True for an owner record written by this very process."""
    me = owner_record()
    return rec is not None and all(rec.get(k) == me[k] for k in me)


class _DirLock:
    """An exclusive flock on a folder while a run swaps its results in, so two runs that
    finish together into the same --out take turns (the later one replaces the earlier)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> _DirLock:
        try:
            import fcntl

            self.fd = os.open(self.folder, os.O_RDONLY)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock


class StagedOutput:
    """Write files into a staging folder, then swap it into place on success.

    The staging folder is ``DIR.partial-<pid>/`` beside ``DIR``; when ``DIR`` is a mount
    point (it cannot be renamed) it is ``DIR/.partial-<pid>/`` inside it, and the files are
    moved in one by one under an ``INCOMPLETE.txt`` marker in ``DIR`` itself.
    """

    def __init__(self, final: Path, note: str = ""):
        self.final = Path(final)
        self.note = note
        check_out_dir(self.final)
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"--out {self.final}: cannot create its parent folder "
                              f"({exc.strerror}).") from None
        self.in_place = self.final.is_dir() and os.path.ismount(self.final)
        home = self.final if self.in_place else self.final.parent
        stem = "" if self.in_place else self.final.name
        self.staging = home / f"{stem}.partial-{os.getpid()}"
        self.files: dict[str, dict[str, Any]] = {}
        # The staging folder appears under its visible name only once it holds the marker.
        fresh = home / f".{stem}.partial-{os.getpid()}.new"
        for old in (self.staging, fresh):
            if old.exists() and (abandoned(old) or _same_owner(read_owner(old))):
                shutil.rmtree(old)  # a dead run's, or an earlier attempt in this process
        try:
            fresh.mkdir()
        except FileExistsError:
            raise OutputError(f"--out {self.final}: {fresh} exists and is not this run's; "
                              f"remove it if no run is using it.") from None
        (fresh / MARKER).write_text(_marker_text(note, self.final), encoding="utf-8")
        os.rename(fresh, self.staging)

    def path(self, name: str) -> Path:
        """Where ``name`` is staged. A name that would land outside the staging folder
        ('..', an absolute path, an empty name) is refused: file names derived from a
        user's names (a scenario's, a study's) must not write beyond --out."""
        p = self.staging / name
        home = self.staging.resolve()
        if home not in p.resolve().parents:
            raise OutputError(f"--out {self.final}: the file name {str(name)!r:.80} would be "
                              f"written outside the output folder; a name that makes a file "
                              f"takes letters, digits, '_', '-' and '.'.")
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def _commit(self, tmp: Path, name: str, record: bool) -> None:
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.staging / name)
        if record:
            p = self.staging / name
            self.files[name] = {"bytes": p.stat().st_size, "sha256": _sha256(p)}

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

    def append_csv(self, name: str, df: Any) -> None:
        """Add rows to ``name`` (header with the first rows); ``finish_csv`` records it."""
        tmp = self.path(name + ".tmp")
        first = not tmp.exists()
        df.to_csv(tmp, index=False, mode="w" if first else "a", header=first)

    def finish_csv(self, name: str) -> None:
        """Commit a file built with ``append_csv``."""
        self._commit(self.path(name + ".tmp"), name, True)

    def save_figure(self, name: str, fig: Any) -> None:
        tmp = self.path(name + ".tmp.png")
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
        self._commit(tmp, name, True)

    def finish(self) -> Path:
        """Put the folder in place of the old one, then remove the marker.

        The marker goes last, so at no moment does an unfinished folder lack it (for an
        instant the new, complete folder still carries it: a false alarm, never false trust).
        The --out checks run again under a lock on the folder, so results edited during the
        run, or written meanwhile by another run, are checked before they are replaced.
        """
        with _DirLock(self.final if self.in_place else self.final.parent):
            check_out_dir(self.final)
            if self.in_place:
                self._swap_in_place()
                return self.final
            try:
                if not self.final.exists():
                    os.rename(self.staging, self.final)
                    (self.final / MARKER).unlink()
                    return self.final
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            if _renameat2_exchange(self.staging, self.final):
                shutil.rmtree(self.staging)  # now holds the previous results
            else:
                old = self.final.parent / f"{self.final.name}.old-{os.getpid()}"
                os.rename(self.final, old)
                os.rename(self.staging, self.final)
                shutil.rmtree(old)
            (self.final / MARKER).unlink()
        return self.final

    def _swap_in_place(self) -> None:
        """Move the staged files into ``final`` (a mount point), marked incomplete meanwhile."""
        new = sorted(set(self.files) | {"summary.json"})
        old = sorted(_contents(self.final) - {MARKER})
        marker = self.final / MARKER
        tmp = self.final / (MARKER + ".tmp")
        tmp.write_text(_marker_text(self.note, self.final, new + old), encoding="utf-8")
        os.replace(tmp, marker)
        for name in [n for n in new if n != "summary.json"] + ["summary.json"]:
            dest = self.final / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / name, dest)
        for name in set(old) - set(new):
            (self.final / name).unlink(missing_ok=True)
        for d in sorted({p for n in old for p in Path(n).parents if str(p) != "."},
                        key=lambda p: -len(p.parts)):
            try:
                (self.final / d).rmdir()
            except OSError:
                pass  # not empty: it still holds new files
        shutil.rmtree(self.staging)
        marker.unlink()


def stale_attempts(final: Path) -> list[Path]:
    """Staging folders named like this --out's, beside it or (for a mount point) inside it.
    Whether one is abandoned is for :func:`abandoned` to say."""
    final = Path(final)
    found = []
    for home, stem in ((final.parent, final.name), (final, "")):
        if not home.is_dir() or home.is_symlink():
            continue
        pattern = re.compile(rf"^\.?{re.escape(stem)}\.partial-(\d+)(\.new)?$")
        found += [p for p in home.iterdir() if pattern.match(p.name) and p.is_dir()
                  and not p.is_symlink()]
    return sorted(found)


def abandoned(path: Path) -> bool:
    """True for a staging folder this program made (it holds our INCOMPLETE.txt with an owner
    record) whose run has surely ended; or for an empty, unmarked hidden one (a run killed
    between making the folder and writing its marker), which holds nothing to lose."""
    rec = read_owner(path)
    if rec is not None:
        return owner_is_dead(rec)
    try:
        if not (path.name.startswith(".") and path.name.endswith(".new")) or any(path.iterdir()):
            return False
    except OSError:
        return False
    try:
        os.kill(attempt_pid(path), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False  # its process is alive: keep it


def attempt_pid(path: Path) -> int:
    """The process id in a staging folder's name."""
    return int(re.search(r"\.partial-(\d+)", path.name).group(1))


@contextmanager
def stops_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while worker processes may be spawned, and let them act when
    the block ends. A worker half-way through reading its start-up data from a parent that
    was interrupted prints a traceback (``EOFError``). Blocking the signals in this thread
    alone does not hold them: Python runs a handler in the main thread whenever any thread
    takes the signal (a progress bar's monitor thread, say). So the handlers are replaced
    for the block, and a stop that arrived is raised again at its end. The mask stays too:
    the workers inherit it until they ignore the signals (``_worker_init``)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set in the main thread (the dashboard's calls)
        return
    held: list[int] = []
    stops = (signal.SIGINT, signal.SIGTERM)
    saved = {sig: signal.signal(sig, lambda signum, frame: held.append(signum))
             for sig in stops}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, set(stops))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        for sig, handler in saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in held[:1]:
            signal.raise_signal(sig)
