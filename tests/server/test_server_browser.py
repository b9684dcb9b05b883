"""helm-server in a real browser (Playwright + Debian's /usr/bin/chromium, kept off the network).

Skipped with a reason when chromium or Playwright is missing, unless $CI is set (then it fails). Screenshots
of the leaderboard and a run page go to <repo>/benchmark_output/screenshots/ as CI artefacts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helm_lite.server.app import create_server

pytestmark = pytest.mark.slow  # a real chromium per module

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "benchmark_output" / "screenshots"
SUITE = "s"
PATTERN_MATCH = "synthetic_reasoning:mode=pattern_match,model=simple_model1"
DYCK = "dyck_language_np=3:model=simple_model1"
# No network, no first-run or background services: the browser talks only to our 127.0.0.1 server.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One chromium per module with a fresh profile directory (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[server-test]')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The suite built by `helm-run` exactly as a user would, served from a background thread."""
    root = tmp_path_factory.mktemp("browser-suite")
    proc = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r"]
        + [
            "synthetic_reasoning:mode=pattern_match,model=simple/model1",
            "dyck_language:num_parenthesis_pairs=3,model=simple/model1",
        ]
        + ["--suite", SUITE, "-m", "10"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    server = create_server(str(root / "benchmark_output"), [SUITE], host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.url, root / "benchmark_output" / "runs" / SUITE
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def browser_url(served: tuple[str, Path]) -> str:
    return served[0]


@pytest.fixture
def suite_dir(served: tuple[str, Path]) -> Path:
    return served[1]


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A fresh tab that records console errors and uncaught exceptions in `page.errors`."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on(
        "console",
        lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.errors = errors
    yield tab
    tab.close()


def _main_metric(run_dir: Path, name: str) -> float:
    for stat in json.loads((run_dir / "stats.json").read_text()):
        if stat["name"] == {"name": name, "split": "test"}:
            return float(stat["mean"])
    raise AssertionError(name)


def _screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_leaderboard_shows_the_stats_json_means(page: Any, browser_url: str, suite_dir: Path) -> None:
    page.goto(browser_url + "/")
    page.wait_for_selector("#leaderboard tbody tr")
    headers = page.locator("#leaderboard thead th a").all_inner_texts()
    # The presentation schema's order and display names.
    assert headers == ["Synthetic reasoning (abstract symbols)", "Dyck"]
    cells = page.locator("#leaderboard tbody tr").first.locator("td.metric")
    expected = [
        _main_metric(suite_dir / PATTERN_MATCH, "quasi_exact_match"),
        _main_metric(suite_dir / DYCK, "exact_match_indicator"),
    ]
    for i, mean in enumerate(expected):
        assert float(cells.nth(i).get_attribute("data-value")) == mean
        # `mean ± standard error`, the interval on hover.
        text = cells.nth(i).inner_text().strip()
        assert text == f"{mean:.3f}" or text.startswith(f"{mean:.3f} ± "), text
    # Intervals follow the plain table: `mean ± stderr`, the interval in the cell's title.
    page.wait_for_selector("#uncertainty-status", state="detached")
    dyck = page.locator("#leaderboard tbody tr").first.locator("td.metric").nth(1)
    assert " ± " in dyck.inner_text() and "interval: [" in dyck.get_attribute("title")
    assert page.locator("#leaderboard tbody th").inner_text() == "Simple Model 1"  # the registry's name
    assert page.locator("#leaderboard").count() == 1  # one leaderboard, not two
    assert page.locator("#nav a.active").inner_text() == "Leaderboard"
    _screenshot(page, "leaderboard.png")
    assert page.errors == []


def test_navigate_to_a_run_and_one_instance(page: Any, browser_url: str, suite_dir: Path) -> None:
    run_dir = suite_dir / DYCK
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    per_instance = json.loads((run_dir / "per_instance_stats.json").read_text())
    correct_ids = {
        row["instance_id"]
        for row in per_instance
        for s in row["stats"]
        if s["name"] == {"name": "exact_match_indicator", "split": "test"} and s["mean"] == 1
    }

    page.goto(browser_url + "/")
    page.click("#leaderboard td.metric >> nth=1 >> a")  # the dyck_language cell opens its run
    page.wait_for_selector("article.instance")
    assert page.locator("h1.run-title").inner_text() == DYCK
    cards = page.locator("article.instance")
    assert cards.count() == len(states) == 10
    first = cards.first
    assert first.get_attribute("data-instance-id") == states[0]["instance"]["id"]
    # The exact prompt, input and completion (pre elements keep every space and newline).
    assert first.locator("pre.prompt-text").text_content() == states[0]["request"]["prompt"]
    assert first.locator("pre.input-text").text_content() == states[0]["instance"]["input"]["text"]
    completion = states[0]["result"]["completions"][0]["text"]
    assert first.locator("pre.completion-text").text_content() == completion
    assert (
        first.locator("li.ref.correct pre").text_content()
        == states[0]["instance"]["references"][0]["output"]["text"]
    )
    shown_correct = {
        c.get_attribute("data-instance-id")
        for c in page.locator("article.instance[data-status=correct]").all()
    }
    assert shown_correct == correct_ids
    assert page.locator("article.instance[data-status=incorrect]").count() == 10 - len(correct_ids)
    _screenshot(page, "run.png")

    target = states[3]["instance"]["id"]
    page.click(f"article.instance[data-instance-id='{target}'] a.instance-link")
    page.wait_for_selector("h1:has-text('Instance')")
    assert page.locator("h1").inner_text() == f"Instance {target}"
    assert page.locator("pre.prompt-text").is_visible()  # opened on the instance page
    assert page.locator("pre.prompt-text").text_content() == states[3]["request"]["prompt"]
    assert page.locator("details.inst-stats table tbody tr").count() > 5
    _screenshot(page, "instance.png")
    assert page.errors == []


def test_runs_list_filters(page: Any, browser_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(browser_url + f"/#/s/{SUITE}/runs")
    page.wait_for_selector("#runs tbody tr")
    assert page.locator("#runs tbody tr").count() == 2
    page.select_option("#filter-group", "synthetic_reasoning_pattern_match")
    expect(page.locator("#runs tbody tr")).to_have_count(1)  # polls; the page's CSP forbids eval
    assert page.locator("#runs a.run-link").inner_text() == PATTERN_MATCH
    assert "group=synthetic_reasoning_pattern_match" in page.url
    page.fill("#filter-q", "no such run")
    expect(page.locator("#runs tbody tr")).to_have_count(0)
    assert page.errors == []


def test_failing_api_shows_an_error_message(page: Any, browser_url: str) -> None:
    page.route(
        "**/api/suites/*/leaderboard*",
        lambda route: route.fulfill(
            status=500, content_type="application/json", body='{"error": "disk on fire"}'
        ),
    )
    page.goto(browser_url + "/")
    error = page.wait_for_selector(".notice.error")
    assert "disk on fire" in error.inner_text() and "500" in error.inner_text()
    assert page.locator("main .loading").count() == 0  # no spinner left behind

    page.route("**/api/suites/*/runs", lambda route: route.abort())
    page.goto(browser_url + f"/#/s/{SUITE}/runs")
    error = page.wait_for_selector(".notice.error")
    assert "Could not load the runs" in error.inner_text()
    assert page.locator("main .loading").count() == 0


def test_a_half_written_run_shows_a_message(page: Any, browser_url: str, suite_dir: Path) -> None:
    broken = suite_dir / "broken:model=simple_model1"
    shutil.copytree(suite_dir / DYCK, broken)
    (broken / "scenario_state.json").write_text('{"request_states": [')
    try:
        page.goto(browser_url + f"/#/s/{SUITE}/run/broken%3Amodel%3Dsimple_model1")
        error = page.wait_for_selector("#instances .notice.error")
        assert "scenario_state.json is not valid JSON" in error.inner_text()
        assert page.locator("h1.run-title").inner_text() == "broken:model=simple_model1"
    finally:
        shutil.rmtree(broken)


def test_after_helm_summarize_the_page_shows_its_leaderboard_and_plots(
    page: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The whole chain a user runs: `helm-run … && helm-summarize --suite S && helm-server --suite S`."""
    root = tmp_path_factory.mktemp("summarized-suite")
    for module, args in (
        (
            "helm_lite.cli.run",
            ["--no-progress", "-r", "dyck_language:num_parenthesis_pairs=3,model=simple/model1"]
            + ["--suite", SUITE, "-m", "10"],
        ),
        ("helm_lite.cli.summarize", ["--suite", SUITE]),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=root, capture_output=True, text=True, timeout=180
        )
        assert proc.returncode == 0, proc.stderr
    suite_dir = root / "benchmark_output" / "runs" / SUITE
    csv_lines = (suite_dir / "leaderboard.csv").read_text().splitlines()
    server = create_server(str(root / "benchmark_output"), [SUITE], host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("#leaderboard tbody tr")
        assert page.locator("#summarize-current").is_visible()  # the files are up to date
        assert page.locator("table").count() == 1
        text = page.locator("#leaderboard").inner_text()
        assert "Simple Model 1" in text and csv_lines[1].split(",")[0] in text
        page.goto(server.url + f"/#/s/{SUITE}/plots")
        page.wait_for_selector("figure img")
        assert page.locator("figure img").count() >= 1
        assert page.errors == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Cells that overflow their box (text cut off) or overlap their neighbour; scroll containers are exempt.
GEOMETRY_JS = """
() => {
  const problems = [];
  for (const table of document.querySelectorAll("main table")) {
    for (const row of table.rows) {
      const cells = Array.from(row.cells);
      cells.forEach((cell, i) => {
        const style = getComputedStyle(cell);
        const scrolls = ["auto", "scroll"].includes(style.overflowX);
        if (!scrolls && cell.scrollWidth > cell.clientWidth + 1)
          problems.push(`clipped ${table.id || table.className}: ${cell.textContent.slice(0, 40)}`);
        if (i > 0) {
          const a = cells[i - 1].getBoundingClientRect();
          const b = cell.getBoundingClientRect();
          if (a.right > b.left + 1) problems.push(`overlap ${table.id}: ${cell.textContent.slice(0, 40)}`);
        }
      });
    }
  }
  const names = Array.from(document.querySelectorAll("td.run-name")).map((c) => c.getBoundingClientRect().width);
  return { problems, runNameWidths: names };
}
"""


@pytest.mark.parametrize("width", [1400, 800])
def test_columns_are_neither_clipped_nor_overlapping(page: Any, browser_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for route, selector in (("", "#leaderboard tbody tr"), ("/runs", "#runs tbody tr")):
        page.goto(browser_url + f"/#/s/{SUITE}{route}")
        page.wait_for_selector(selector)
        result = page.evaluate(GEOMETRY_JS)
        assert result["problems"] == [], (width, route)
        # Run names keep a readable width (no letter-by-letter wrapping), at 800 px too.
        assert all(w >= 250 for w in result["runNameWidths"]), result["runNameWidths"]
        _screenshot(page, f"{route.strip('/') or 'leaderboard'}-{width}.png")
    assert page.errors == []


def test_sorting_a_column(page: Any, browser_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(browser_url + f"/#/s/{SUITE}/runs")
    page.wait_for_selector("#runs tbody tr")
    names = page.locator("#runs a.run-link").all_inner_texts()
    header = page.locator("#runs thead th").first
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert page.locator("#runs a.run-link").all_inner_texts() == sorted(names)
    assert "▲" in header.inner_text()
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert page.locator("#runs a.run-link").all_inner_texts() == sorted(names, reverse=True)
    # Numeric: by data-value, not text.
    metric = page.locator("#runs thead th", has_text="Main metric")
    metric.click()
    values = [
        float(v)
        for v in page.locator("#runs tbody td.num[data-value]").evaluate_all(
            "(cells) => cells.map((c) => c.getAttribute('data-value'))"
        )
    ]
    assert values == sorted(values)
    assert page.errors == []


def test_descriptions_render_markdown_links(page: Any, browser_url: str) -> None:
    page.goto(browser_url + "/")
    page.wait_for_selector("#leaderboard tbody tr")
    page.click("#column-legend summary")
    link = page.locator("#column-legend a[href='https://aclanthology.org/W19-3905/']")
    assert link.inner_text() == "(Suzgun et al., 2019)"
    assert "](" not in page.locator("#column-legend").inner_text()  # no raw markdown left
    assert page.errors == []


def test_new_runs_and_suites_appear_after_reload(page: Any, tmp_path: Path, served: tuple[str, Path]) -> None:
    """Served without --suite: a run or a suite written while the server runs shows on reload."""
    output = tmp_path / "benchmark_output"
    shutil.copytree(served[1], output / "runs" / SUITE)
    server = create_server(str(output), None, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page.goto(server.url + f"/#/s/{SUITE}/runs")
        page.wait_for_selector("#runs tbody tr")
        assert page.locator("#runs tbody tr").count() == 2
        new_run = "dyck_language_np=4:model=simple_model1"
        shutil.copytree(output / "runs" / SUITE / DYCK, output / "runs" / SUITE / new_run)
        page.reload()
        page.wait_for_selector("#runs tbody tr >> nth=2")
        assert new_run in page.locator("#runs").inner_text()
        shutil.copytree(output / "runs" / SUITE, output / "runs" / "nightly")
        page.reload()
        page.wait_for_selector("#runs tbody tr")
        assert page.locator("#suite-select option").all_inner_texts() == ["nightly", SUITE]
        page.goto(server.url + "/#/s/nightly")
        page.wait_for_selector("#leaderboard tbody tr")
        assert page.errors == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_head_to_head_links_to_both_instance_views(page: Any, tmp_path: Path, served, second_model) -> None:
    output = tmp_path / "benchmark_output"
    shutil.copytree(served[1], output / "runs" / SUITE)
    original = second_model(output / "runs" / SUITE)
    server = create_server(str(output), [SUITE], host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page.goto(server.url + "/")
        page.click("#h2h-link")
        page.wait_for_selector("section.h2h-column[data-group=dyck_language] .h2h-summary")
        dyck = page.locator("section.h2h-column[data-group=dyck_language]")
        right = sorted(i for i, v in original.items() if v == 1)
        shown = dyck.locator("[data-side=a] .instance-link").all_inner_texts()
        assert sorted(shown) == right and "10 instances compared" in dyck.inner_text()
        page.click("section.h2h-column[data-group=dyck_language] [data-side=b] a.h2h-b >> nth=0")
        page.wait_for_selector("h1:has-text('Instance')")
        assert "model=simple_model2" in page.locator("nav.crumbs").inner_text()
        assert page.errors == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_groups_page_renders_markdown_safely(page: Any, tmp_path: Path, served) -> None:
    """helm-summarize's description cells: links and emphasis become elements; HTML and script links
    stay text."""
    suite = tmp_path / "benchmark_output" / "runs" / SUITE
    shutil.copytree(served[1], suite)
    text = (
        "See [the paper](https://example.org/p) and [run](#/s/s/runs), **bold** *em* `code`; "
        "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    table = {
        "title": "Scenarios",
        "header": [{"value": "Group"}, {"value": "Description"}],
        "rows": [[{"value": "dyck_language"}, {"value": text, "markdown": True}]],
    }
    (suite / "groups.json").write_text(json.dumps([table]))
    server = create_server(str(tmp_path / "benchmark_output"), [SUITE], host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        page.goto(server.url + f"/#/s/{SUITE}/groups")
        cell = page.wait_for_selector("td.md")
        links = cell.query_selector_all("a")
        assert [(a.inner_text(), a.get_attribute("href")) for a in links] == [
            ("the paper", "https://example.org/p"),
            ("run", "#/s/s/runs"),
        ]
        assert cell.query_selector("strong").inner_text() == "bold"
        assert cell.query_selector("em").inner_text() == "em"
        assert cell.query_selector("code").inner_text() == "code"
        assert cell.query_selector("img") is None
        shown = cell.inner_text()
        assert "[bad](javascript:alert(1))" in shown and "<img src=x onerror=alert(1)>" in shown
        assert page.errors == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
