"""report.html in a real headless browser (Debian's chromium): it loads without a console
message, every section is there, nothing is fetched from elsewhere, and it is not blank.

``.ci/run`` installs chromium; outside CI the tests skip when it is absent, in CI
(``CI=true``) they fail instead, so a broken install cannot pass unseen.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from cleanpipe.config import Config
from cleanpipe.pipeline import run
from cleanpipe.review import SECTIONS, report
from tests.unit.test_review import write_review_dump

_CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
# A console line of chromium's log: a console.* call, an uncaught error, a blocked load.
_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?:?\d*\] (.*)")


@pytest.fixture(scope="module")
def chromium() -> str:
    if _CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed, and CI=true: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium); CI=true fails instead")
    return _CHROMIUM


def _browse(
    chromium: str, page: Path, tmp_path: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    argv = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        # Any name lookup fails: a page that needs the network shows it.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *flags,
        page.as_uri(),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)


def _console(stderr: str) -> list[str]:
    return [m.group(1) for m in map(_CONSOLE.search, stderr.splitlines()) if m]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    write_review_dump(base / "raw")
    run(base / "raw", base / "out", config=Config(workers=1))
    return report(base / "out", raw=base / "raw")


def test_the_page_loads_without_console_messages_and_has_every_section(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    done = _browse(chromium, page, tmp_path, "--dump-dom")
    assert _console(done.stderr) == []
    dom = done.stdout
    for key, title in SECTIONS:
        assert re.search(rf'<section id="{key}"><h2>{re.escape(title)}</h2>', dom), key
    assert dom.count("<svg") >= 6
    assert "inputs " in dom
    assert "✓" in dom
    assert 'class="diff"' in dom


def test_the_harness_sees_a_broken_page(chromium: str, tmp_path: Path) -> None:
    """The check above can fail: a script error and a blocked load are console messages."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'\"></head><body><img src='http://example.invalid/a.png'>"
        "</body></html>"
    )
    messages = _console(_browse(chromium, bad, tmp_path, "--dump-dom").stderr)
    assert any("example.invalid" in m for m in messages), messages


def test_a_screenshot_is_not_blank(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _browse(chromium, page, tmp_path, "--hide-scrollbars", "--window-size=1200,1800",
            f"--screenshot={shot}")  # fmt: skip
    pixels = imread(shot)
    assert pixels.shape[:2] == (1800, 1200)
    rgb = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    assert len(colours) > 100, "too few colours: an empty or failed render"
    assert counts.max() / counts.sum() < 0.8, "one colour covers most of the page"
    # The header band (dark blue) and the plots' bars are there, not only white.
    assert ((rgb[:, 2] > 60) & (rgb[:, 0] < 70)).mean() > 0.02
