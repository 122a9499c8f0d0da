"""The project stands alone: no tracked file cites a document outside the repository.

Every figure and its source is recorded in ``docs/sources.md``; the project once cited a
domain brief beside the checkout, which a user who clones the project cannot read. This test
lists every tracked text file and fails on such a reference, and checks that every
``docs/sources.md#<anchor>`` cited anywhere names a heading of ``docs/sources.md``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"

# Built from pieces so that this file does not match its own needles.
NEEDLES = ("../" + "shared", "shared" + "/context", "DOMAIN" + ".md")
ANCHOR = re.compile(r"docs/sources\.md#([a-z0-9-]+)")


def tracked_files() -> list[Path]:
    """Every file git tracks in this checkout; skips the test where that cannot be known."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot list the tracked files")
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True,
                             capture_output=True, timeout=60).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        pytest.skip(f"not a git checkout (git ls-files failed: {exc})")
    return [ROOT / name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary or unreadable file (a NUL byte, not UTF-8)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def outside_references(path: Path) -> list[str]:
    """``"<line>: <text>"`` for each line of a text file that cites a file outside the
    repository."""
    text = read_text(path)
    if text is None:
        return []
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
            if any(needle in line for needle in NEEDLES)]


def slug(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lower case, punctuation dropped, spaces
    to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", markdown,
                                                  re.MULTILINE)}


def test_no_tracked_file_cites_a_file_outside_the_repository() -> None:
    found = {}
    for path in tracked_files():
        hits = outside_references(path)
        if hits:
            found[str(path.relative_to(ROOT))] = hits[:3]
    assert not found, ("these files cite a document outside the repository; cite "
                       f"docs/sources.md instead: {found}")


@pytest.mark.parametrize("needle", NEEDLES)
def test_the_scan_finds_a_bad_reference(tmp_path: Path, needle: str) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(f"# A doc\n\nFigures: see `{needle}`.\n", encoding="utf-8")
    assert outside_references(bad) == [f"3: Figures: see `{needle}`."]
    good = tmp_path / "good.md"
    good.write_text("Figures: see docs/sources.md#budgets.\n", encoding="utf-8")
    assert outside_references(good) == []
    binary = tmp_path / "bad.bin"
    binary.write_bytes(b"\0\1" + needle.encode())
    assert outside_references(binary) == []  # binary files are skipped


def test_every_cited_anchor_is_a_heading_of_sources_md() -> None:
    have = anchors(SOURCES.read_text(encoding="utf-8"))
    assert {"the-source-thesis", "budgets", "premiums", "assumptions"} <= have
    missing = {}
    for path in tracked_files():
        text = read_text(path)
        if text is None:
            continue
        bad = sorted(set(ANCHOR.findall(text)) - have)
        if bad:
            missing[str(path.relative_to(ROOT))] = bad
    assert not missing, f"anchors cited but not headings of docs/sources.md: {missing}"


def test_slug_matches_github() -> None:
    assert slug("Central PBI-JK") == "central-pbi-jk"
    assert slug("BPJS activation and UHC Prioritas") == "bpjs-activation-and-uhc-prioritas"
    assert anchors("# Top\n\n## Enrollment in March 2024\ntext\n") == {
        "top", "enrollment-in-march-2024"}
