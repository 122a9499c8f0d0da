"""The workshop dashboard in a real browser: headless Chromium driven by Playwright, with
every request to a host other than 127.0.0.1 blocked (a workshop room without internet).

Needs Debian's chromium (``.ci/run`` installs it) and Playwright for Python (test extra);
Playwright's own browser download is not used. Screenshots go to the test's temporary
folder; the README's screenshot also goes to ``$JAMBI_SIM_SCREENSHOTS`` if set:
``JAMBI_SIM_SCREENSHOTS=docs/img python -m pytest -m integration tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import die_with_parent

from sim.scenario import Scenario

pytestmark = pytest.mark.integration  # a real server and a real browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
README_SHOTS = ("dashboard_changed.png",)
# The page starts from the calibrated baseline (jambi-sim dashboard's default scenario).
TURF = f"{Scenario.from_toml(ROOT / 'scenarios' / 'online_2021.toml').barriers.turf:.2f}" \
    .replace(".", ",")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("solara")
    port = _free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"jambi-dashboard-{port}.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=die_with_parent)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, "dashboard server exited"
            assert time.monotonic() < deadline, "dashboard server did not answer"
            time.sleep(0.5)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def offline_context(browser, blocked: list[str]):
    """A browser session that can reach 127.0.0.1 only."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    return ctx


# A checksum of the PNG the <img> shows (its blob: URL changes on every re-render, so the
# picture itself is compared).
PIXELS = """async e => { const b = new Uint8Array(await (await fetch(e.src)).arrayBuffer());
  let h = 7; for (let i = 0; i < b.length; i++) { h = (h * 31 + b[i]) >>> 0; }
  return b.length + ':' + h; }"""


def plot_src(page, key: str, kind: str = "jb-final", timeout_s: float = 120) -> str:
    """The checksum of the plot's picture once it is shown full size. The page may replace
    the <img> while it is read (a re-render): then it is read again, until the timeout."""
    img = page.locator(f".jb-plot-{key}.{kind} img").first
    t0, seen = time.monotonic(), None
    while time.monotonic() - t0 < timeout_s:
        try:
            img.wait_for(state="visible", timeout=timeout_s * 1000)
            seen = img.bounding_box()
            if seen and seen["width"] > 300 and seen["height"] > 200 and img.evaluate(
                    "e => e.complete && e.naturalWidth > 300 && e.naturalHeight > 200"):
                return img.evaluate(PIXELS)
        except Exception:  # the image was replaced while being read
            pass
        page.wait_for_timeout(100)
    raise AssertionError(f"plot {key} was not shown full size within {timeout_s} s "
                         f"(last box: {seen})")


def wait_for_change(page, key: str, old: str, kind: str = "jb-plot", timeout_s: float = 120
                    ) -> tuple[str, float]:
    """Wait until the plot shows a different picture; returns it and the seconds taken."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        loc = page.locator(f".jb-plot-{key}.{kind} img")
        try:
            if loc.count() and loc.first.evaluate("e => e.complete && e.naturalWidth > 0"):
                now = loc.first.evaluate(PIXELS)
                if now != old:
                    return now, time.monotonic() - t0
        except Exception:  # the image was replaced while being read
            pass
        page.wait_for_timeout(50)
    raise AssertionError(f"plot {key} did not change within {timeout_s} s")


def shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path))
    extra = os.environ.get("JAMBI_SIM_SCREENSHOTS")
    if extra and name in README_SHOTS:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / name)
    return path


def summary(page, which: str) -> str:
    return page.locator(f".jb-summary-{which}").first.inner_text()


def test_dashboard_end_to_end(server, browser, tmp_path) -> None:
    url, log = server
    blocked: list[str] = []
    ctx1 = offline_context(browser, blocked)
    page = ctx1.new_page()
    page.goto(url)
    # 1. the page renders its plots, in Bahasa Indonesia by default
    first = plot_src(page, "coverage")
    assert first
    assert "Skenario dasar" in page.content() and "Skenario Anda" in page.content()
    page.get_by_text(f"Wilayah kerja (turf): {TURF}").wait_for(timeout=30_000)
    base_line = summary(page, "base")
    assert summary(page, "changed").split(":", 1)[1] == base_line.split(":", 1)[1]
    shot(page, tmp_path, "dashboard_id.png")

    # 2. move the turf slider to the right end: the plots change without any Reset
    track = page.locator(".jb-turf .v-slider").first
    box = track.bounding_box()
    t0 = time.monotonic()
    page.mouse.click(box["x"] + box["width"] * 0.98, box["y"] + box["height"] / 2)
    _, first_redraw = wait_for_change(page, "coverage", first)  # growing or complete
    page.get_by_text("Wilayah kerja (turf): 1,00").wait_for(timeout=10_000)
    final, _ = wait_for_change(page, "coverage", first, kind="jb-final")
    full_redraw = time.monotonic() - t0
    assert page.locator(".jb-running").count() == 0
    changed_line = summary(page, "changed")
    assert changed_line.split(":", 1)[1] != base_line.split(":", 1)[1]
    assert summary(page, "base") == base_line  # the baseline stays put
    print(f"\nredraw after a slider change: first (growing) plot {first_redraw:.1f} s, "
          f"complete {full_redraw:.1f} s")
    shot(page, tmp_path, "dashboard_changed.png")
    # the other tabs draw the changed run too
    page.get_by_role("tab", name="Corong").click()
    plot_src(page, "funnel")
    page.get_by_role("tab", name="Satu rumah tangga").click()
    plot_src(page, "replay")
    shot(page, tmp_path, "dashboard_replay.png")
    # the band over the calibrated sets: the single-set answer is already shown; the band
    # comes when asked (every interactive set, baseline and changed, one replication each)
    t0 = time.monotonic()
    page.locator(".jb-ens-ask").click()
    page.locator(".jb-ens-result").wait_for(timeout=600_000)
    to_band = time.monotonic() - t0
    band = page.locator(".jb-ens-result").inner_text()
    assert "dari 30 set" in band and "rentang 95%" in band, band
    print(f"time to the ensemble band after a change (30 sets x 2 scenarios, "
          f"{os.cpu_count()} cores): {to_band:.0f} s")
    shot(page, tmp_path, "dashboard_ensemble.png")
    # the gap by cause of the changed scenario: seven more runs, only when asked
    page.get_by_role("tab", name="Per penyebab").click()
    assert page.locator(".jb-plot-attribution").count() == 0
    page.get_by_role("button", name="Hitung kekurangan per penyebab").click()
    plot_src(page, "attribution")
    shot(page, tmp_path, "dashboard_attribution.png")
    page.get_by_role("tab", name="Cakupan").click()

    # 3. a second browser session starts from the baseline, not from the first one's state
    ctx2 = offline_context(browser, blocked)
    page2 = ctx2.new_page()
    page2.goto(url)
    plot_src(page2, "coverage")
    page2.get_by_text(f"Wilayah kerja (turf): {TURF}").wait_for(timeout=30_000)
    assert summary(page2, "changed").split(":", 1)[1] == base_line.split(":", 1)[1]
    shot(page2, tmp_path, "second_session.png")
    assert page.get_by_text("Wilayah kerja (turf): 1,00").count() == 1  # first one kept
    assert summary(page, "changed") == changed_line

    # 4. switch the language on the page
    page.get_by_role("button", name="en", exact=True).click()
    page.get_by_text("Your scenario", exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("Turf (guarding staff): 1.00").wait_for(timeout=30_000)
    english, _ = wait_for_change(page, "coverage", final, kind="jb-final")
    assert english != final
    assert "Skenario Anda" not in page.content()
    assert page2.get_by_text("Skenario Anda").count() >= 1  # the other session keeps id
    shot(page, tmp_path, "dashboard_en.png")

    # nothing tried to reach the internet (assets local, no telemetry)
    assert blocked == [], blocked[:5]
    log.seek(0)
    assert "Traceback" not in log.read()
    ctx1.close()
    ctx2.close()
    for name in ("dashboard_id.png", "dashboard_changed.png", "second_session.png",
                 "dashboard_en.png", "dashboard_replay.png"):
        assert (tmp_path / name).stat().st_size > 20_000
