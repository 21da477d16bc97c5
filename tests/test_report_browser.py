"""The HTML report in a real headless browser: it renders, its script runs, and it asks the
network for nothing (every request the page makes is read from the DevTools protocol).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.requirements import CHROMIUM, require_tool

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_tool(CHROMIUM, "chromium", "chromium-browser", "google-chrome")


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture
def report_site(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    result = CliRunner().invoke(
        cli,
        ["run", "--scenarios", str(ROOT / "scenarios"), "--report-dir", str(tmp_path), "--no-progress",
         "--new", "tests.planted:raises_on_unicode"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    served: list[str] = []

    class Site(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            served.append(self.path)

    for server in _serve(Site):
        yield f"http://127.0.0.1:{server.server_address[1]}/parity-report.html", served


def test_report_renders_in_chromium_and_requests_nothing_external(
    chromium: str, tmp_path: Path, report_site: tuple[str, list[str]]
) -> None:
    from PIL import Image

    from tests.cdp import load_page

    url, served = report_site
    requested, dom, png = load_page(chromium, tmp_path / "profile", url)
    assert requested == [url], f"the page asked the network for more than itself: {requested}"
    assert set(served) <= {"/parity-report.html", "/favicon.ico"}, served

    assert 'data-rendered="yes"' in dom, "the report's script did not run to the end"
    assert "NOT READY for phase dev" in dom
    assert 'id="s-plain-unicode"' in dom

    screenshot = tmp_path / "report.png"
    screenshot.write_bytes(png)
    image = Image.open(screenshot).convert("RGB")
    assert image.width >= 1000
    # the NOT READY banner across the top, in the report's red
    assert image.getpixel((image.width // 2, 20)) == (0xCF, 0x22, 0x2E)
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 50, "the page looks blank"
