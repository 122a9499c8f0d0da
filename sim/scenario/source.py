"""Reading a scenario file once, as bytes: size cap, FIFOs and pipes, encodings.

The CLI hashes exactly the bytes it simulates, so a file edited or deleted during a run
cannot change what the provenance records, and ``/dev/stdin`` is read (and hashed) once.
"""

from __future__ import annotations

import os
import select
import stat
from pathlib import Path

from sim.scenario.errors import ScenarioError, printable

MAX_BYTES = 1024 * 1024  # a scenario is a few kB; 1 MiB leaves room and stops /dev/zero
FIFO_WAIT_S = 10.0  # how long to wait for a writer on a named pipe with none
BOM_UTF8 = b"\xef\xbb\xbf"


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a scenario file, read once; ScenarioError with one paragraph otherwise.

    Regular files larger than ``limit`` are refused before reading; character devices and
    pipes (``/dev/stdin``, a FIFO) are read up to ``limit`` + 1 bytes. A FIFO with no writer
    is refused after ``FIFO_WAIT_S`` seconds instead of waiting forever.
    """
    path = Path(path)
    shown = printable(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such scenario file. Shipped scenarios are in "
                            f"scenarios/ (for example scenarios/online_2021.toml).") from None
    except IsADirectoryError:
        raise ScenarioError(f"{shown}: is a folder; give a scenario .toml file.") from None
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot read the file ({exc.strerror}).") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError(f"{shown}: is a folder; give a scenario .toml file.")
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise ScenarioError(f"{shown}: is {st.st_size:,} bytes; a scenario file is at most "
                                f"{limit:,} bytes (a few kB is usual). Is it the right file?")
        if stat.S_ISFIFO(st.st_mode):
            ready, _, _ = select.select([fd], [], [], FIFO_WAIT_S)
            if not ready:
                raise ScenarioError(f"{shown}: is a pipe that nothing wrote to within "
                                    f"{FIFO_WAIT_S:g} s; start the program that writes the "
                                    f"scenario first, or give a file.")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= limit:
            try:
                chunk = os.read(fd, min(65536, limit + 1 - size))
            except BlockingIOError:  # pragma: no cover - blocking mode is set above
                select.select([fd], [], [])
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ScenarioError(f"{shown}: holds more than {limit:,} bytes; a scenario file is "
                                f"a few kB. Is it the right file?")
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(f"{shown}: cannot read the file ({exc.strerror}).") from None
    finally:
        os.close(fd)


def decode(data: bytes, origin: str) -> str:
    """UTF-8 text of a scenario; a UTF-8 byte-order mark is accepted and dropped."""
    if data.startswith(BOM_UTF8):
        data = data[len(BOM_UTF8):]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScenarioError(f"{origin}: is saved as UTF-16; save it as UTF-8 (in Notepad: "
                            f"Save as, Encoding: UTF-8).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"{origin}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                            f"line {line}); save it as UTF-8.") from None
