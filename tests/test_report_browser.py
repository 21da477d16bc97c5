"""The HTML report in a real headless browser: it renders, its script runs, it asks the network for
nothing (every request the page makes is read from the DevTools protocol), and a reader sees the
verdict and the reasons for it above the fold, at 1400 and at 800 pixels wide.

Two reports: the built-in one (``parity run`` on scenarios/, READY) and a NOT READY one with a
builder error, legacy crashes, semantic differences, a waiver in use and an expired one, built here
from the planted builders of tests/planted.py and tests/hostile_builders.py. The screenshots are
kept under reports/screenshots/ (git-ignored), where CI keeps them as artifacts.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import cli
from tests.requirements import CHROMIUM, require_tool

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "reports" / "screenshots"
WIDTHS = (1400, 800)
FOLD = 900  # the viewport height: what a reader sees before scrolling

# A description long enough to spill out of its heading if the page let it, one word unbroken.
LONG_DESCRIPTION = "both builders refuse this namespace " + "-".join(["not-a-valid-rfc-1123-label"] * 12)

NOT_READY_SCENARIOS = {
    "cases/plain.yaml": f"""\
- name: plain-hello
  kind: plain
  description: the smallest job
  inputs: {{python_code: 'print("hello")'}}
- name: plain-unicode
  kind: plain
  description: non-ASCII text the planted new builder cannot encode
  inputs: {{python_code: 'print("héllo wörld")'}}
- name: namespace-refused-by-both
  kind: namespace
  description: {LONG_DESCRIPTION}
  inputs: {{python_code: 'print(1)', namespace: Not_A_Valid_Namespace}}
""",
    "cases/secrets/suite.toml": 'legacy = "harness.builders.legacy:build"\nnew = "tests.planted:inlines_secrets"\n',
    "cases/secrets/env.yaml": """\
- name: env-from-secret
  kind: env
  description: a token from a Secret
  inputs: {python_code: 'print(1)', env: {API_TOKEN: {secretKeyRef: {name: api-credentials, key: token}}}}
""",
    "cases/crash/suite.toml": (
        'legacy = "tests.hostile_builders:crashes_runtime"\nnew = "harness.builders.hera:build"\n'
    ),
    "cases/crash/volumes.yaml": """\
- name: volumes-none
  kind: volumes
  inputs: {python_code: 'print(1)', volumes: []}
- name: volumes-default
  kind: volumes
  inputs: {python_code: 'print(2)'}
""",
    "cases/echo/suite.toml": 'legacy = "harness.builders.legacy:build"\nnew = "tests.planted:echoes_more"\n',
    "cases/echo/echo.yaml": """\
- name: echo-agreed
  kind: plain
  inputs: {python_code: 'print(1)'}
- name: echo-expired
  kind: plain
  inputs: {python_code: 'print(2)'}
""",
    "cases/echo/waivers.yaml": """\
waivers:
  - id: echo-agreed
    path: "spec.templates[main].**"
    scenarios: [echo-agreed]
    reason: the extra echo is agreed
    owner: platform-team
    expires: 2999-01-01
  - id: echo-lapsed
    path: "spec.templates[main].**"
    scenarios: [echo-expired]
    reason: agreed for last year's release
    owner: platform-team
    expires: 2024-01-01
""",
    "parity.toml": 'scenarios = "cases"\nreport_dir = "out"\nnew = "tests.planted:raises_on_unicode"\n',
}


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


# --- above the fold, at two widths ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The built-in report (READY) and the NOT READY one: their HTML files."""
    base = tmp_path_factory.mktemp("browser-reports")
    result = CliRunner().invoke(
        cli, ["run", "--scenarios", str(ROOT / "scenarios"), "--report-dir", str(base / "builtin"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    project = base / "not-ready"
    (project / ".git").mkdir(parents=True)
    for name, text in NOT_READY_SCENARIOS.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    cwd = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(cli, ["run", "--no-progress"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    return {"builtin": base / "builtin" / "parity-report.html", "not-ready": project / "out" / "parity-report.html"}


# Where each element the fold must show sits, and what the page looks like to a reader (JS, run in
# the page): boxes in viewport coordinates right after loading, so "within the fold" is 0..FOLD.
_GEOMETRY = """(() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  const unmet = [...document.querySelectorAll('#criteria tr.unmet')];
  const rows = [...document.querySelectorAll('#criteria tr')].slice(1);
  return {
    innerWidth: window.innerWidth, innerHeight: window.innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    verdict: box(document.getElementById('verdict')),
    verdictText: document.querySelector('#verdict h1').textContent,
    headline: box(document.querySelector('#verdict .headline')),
    reasonsHeading: box(document.querySelector('#reasons h2')),
    criteria: (unmet.length ? unmet : rows.slice(0, 1)).map(box),
    unmetNames: unmet.map((tr) => tr.querySelector('td.criterion').textContent),
    summaries: [...document.querySelectorAll('details.scenario > summary')].map((s) => ({
      summary: box(s), parts: [...s.querySelectorAll('.desc, .name')].map(box)})),
  };
})()"""


def _screenshot_name(report: str, width: int) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{report}-{width}.png"


@pytest.mark.slow  # two `parity run`s and four browsers: ~25 s
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("report", ["builtin", "not-ready"])
def test_verdict_and_reasons_are_above_the_fold(
    chromium: str, tmp_path: Path, reports: dict[str, Path], report: str, width: int
) -> None:
    from tests.cdp import Page

    url = reports[report].resolve().as_uri()
    with Page(chromium, tmp_path / "profile", width=width, height=FOLD) as page:
        page.open(url)
        assert page.evaluate("document.documentElement.getAttribute('data-rendered')") == "yes"
        geometry: dict[str, Any] = page.evaluate(_GEOMETRY)
        _screenshot_name(report, width).write_bytes(page.screenshot())
        requested = page.requested
        links = page.evaluate("document.querySelectorAll('link, script[src], img[src^=\"http\"]').length")
    assert requested == [url], f"the page asked the network for more than itself: {requested}"
    assert links == 0
    assert (geometry["innerWidth"], geometry["innerHeight"]) == (width, FOLD)

    def within_fold(box: dict[str, float]) -> bool:
        return box["top"] >= 0 and box["bottom"] <= FOLD and box["right"] <= width + 0.5

    expected = "READY for phase dev" if report == "builtin" else "NOT READY for phase dev"
    assert geometry["verdictText"] == expected
    assert within_fold(geometry["verdict"]) and within_fold(geometry["headline"])
    assert within_fold(geometry["reasonsHeading"])
    # every criterion that is not met (or, when all are, the first one) is readable before scrolling
    assert geometry["criteria"] and all(within_fold(box) for box in geometry["criteria"]), geometry["criteria"]
    if report == "not-ready":
        assert set(geometry["unmetNames"]) >= {"manifest-parity", "waivers-current", "legacy-baseline"}
    # nothing forces the page wider than the window; a long description stays inside its heading
    assert geometry["scrollWidth"] <= width
    for summary in geometry["summaries"]:
        for part in summary["parts"]:
            assert part["right"] <= summary["summary"]["right"] + 0.5, summary


@pytest.mark.slow  # the `reports` fixture
def test_code_lines_never_wrap_and_form_only_lines_show_on_request(
    chromium: str, tmp_path: Path, reports: dict[str, Path]
) -> None:
    from tests.cdp import Page

    with Page(chromium, tmp_path / "profile", width=800, height=FOLD) as page:
        page.open(reports["builtin"].resolve().as_uri())
        page.evaluate("document.querySelectorAll('details.scenario').forEach((d) => { d.open = true; })")
        lines = page.evaluate(
            """[...document.querySelectorAll('.diff td.code > div')].filter((d) => d.textContent.trim()).map((d) => ({
                 whiteSpace: getComputedStyle(d).whiteSpace,
                 lines: d.clientHeight / parseFloat(getComputedStyle(d).lineHeight),
                 scrolls: d.scrollWidth > d.clientWidth}))"""
        )
        visible_optional = (
            "[...document.querySelectorAll('.diff tr.optional')].filter((tr) => tr.offsetParent !== null).length"
        )
        optional = page.evaluate("document.querySelectorAll('.diff tr.optional').length")
        hidden_before = page.evaluate(visible_optional)
        page.evaluate("document.getElementById('show-form').click()")
        shown_after = page.evaluate(visible_optional)
        notes = page.evaluate(
            "[...document.querySelectorAll('.diff tr.optional td.note')].map((td) => td.textContent).join(' ')"
        )
    assert lines, "no code line in the built-in report's diffs"
    # one line of code is one line on screen: it scrolls sideways rather than wrap inside a word
    assert {line["whiteSpace"] for line in lines} == {"pre"}
    assert max(line["lines"] for line in lines) < 1.5
    assert any(line["scrolls"] for line in lines), "at 800 px some long line should scroll"
    # form-only lines (the phases suite writes `dependencies` where the chain writes `depends`)
    assert optional > 0 and hidden_before == 0 and shown_after == optional
    assert "equal" in notes and "[dag-depends-form" in notes


@pytest.mark.slow  # the `reports` fixture
def test_dag_pictures_mark_the_relaxed_ordering(chromium: str, tmp_path: Path, reports: dict[str, Path]) -> None:
    from PIL import Image

    from tests.cdp import Page

    with Page(chromium, tmp_path / "profile", width=1400, height=FOLD) as page:
        page.open(reports["builtin"].resolve().as_uri())
        picture = page.evaluate(
            """(() => {
              const details = document.getElementById('s-phases-parallel-sample-provider');
              details.open = true;
              const dag = details.querySelector('.dag-picture');
              const r = dag.getBoundingClientRect();
              const dropped = [...dag.querySelectorAll('svg.dag[data-side=legacy] g.edge.dropped')];
              return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height,
                      dropped: dropped.map((g) => g.getAttribute('data-edge')),
                      tasks: [...dag.querySelectorAll('svg.dag g.task')].length,
                      stroke: dropped.length ? getComputedStyle(dropped[0].querySelector('path')).stroke : ''};
            })()"""
        )
        png = page.screenshot(clip={key: picture[key] for key in ("x", "y", "width", "height")})
    path = _screenshot_name("dag-phases-parallel", 1400)
    path.write_bytes(png)
    assert picture["dropped"] == ["sample-selection->data-provider-id"]
    assert picture["tasks"] == 14  # seven phases on each side
    assert picture["stroke"] == "rgb(207, 34, 46)"
    image = Image.open(path).convert("RGB")
    assert image.width > 300 and image.height > 300
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert (0xCF, 0x22, 0x2E) in colours, "the dropped edge is not drawn in red"
