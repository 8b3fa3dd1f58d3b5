"""The HTML report in a real headless browser (Debian's chromium): it renders, logs nothing
to the console, and a screenshot is taken. Skipped when chromium is not installed.

Chromium runs as its own process on a file:// URL, so the suite's --block-network does not
apply to it; its own background networking is switched off by the flags.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from entra_kri.analysis.report_data import ReportData
from entra_kri.analysis.report_html import render_report

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
)
CONSOLE = ":CONSOLE"  # how chromium's log marks a console message (errors and CSP reports too)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


def browse(chromium: str, page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Open `page` in headless chromium with a fresh profile; fail on a non-zero exit."""
    command = [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
               page.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def console_messages(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if CONSOLE in line]


@pytest.fixture(scope="module")
def report_page(series_report: ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("browser") / "report.html"
    page.write_text(render_report(series_report), encoding="utf-8")
    return page


def test_console_messages_are_seen(chromium, tmp_path):
    """The check below is only worth something if a broken page makes it fail."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body>'
                    "<script>undefinedFunction()</script></body></html>", encoding="utf-8")
    messages = console_messages(browse(chromium, page, tmp_path, "--dump-dom"))
    assert any("Uncaught" in m for m in messages), messages


def test_report_renders_without_console_messages(chromium, report_page, tmp_path):
    result = browse(chromium, report_page, tmp_path, "--dump-dom")
    assert console_messages(result) == []
    dom = result.stdout
    assert "<h1>Entra ID risk report: tenant " in dom
    assert 'id="integrity"' in dom and "Verified" in dom
    assert dom.count('class="chart"') == 8


def test_screenshot(chromium, report_page, tmp_path):
    png = tmp_path / "report.png"
    result = browse(chromium, report_page, tmp_path, f"--screenshot={png}",
                    "--window-size=1280,2400")
    assert console_messages(result) == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2400)
    assert len(data) > 50_000  # a blank page of that size compresses to a few kB
