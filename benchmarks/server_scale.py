"""How fast is helm-server's page on a large suite? Generates one and times the API calls the page makes.

    .venv/bin/python benchmarks/server_scale.py [--runs 200] [--models 8] [--instances 1000] [--keep DIR]

The suite is `summarize_scale.generate`'s (HELM Lite's run groups and main metrics, `--instances`
evaluated instances per run). A real server (`create_server`, 127.0.0.1, a thread) answers real HTTP
requests; every time is cold (a fresh server, nothing cached) unless it says "warm":

* first paint: what the leaderboard page needs before it draws (`/api/suites`, the overview and the
  leaderboard), fetched in parallel as the page does;
* instance page: one instance of a run never opened before (parses its `scenario_state.json`), then
  a second instance of the same run (warm).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from summarize_scale import generate  # noqa: E402

from helm_lite.server.app import create_server  # noqa: E402


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def timed(fn: object) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()  # type: ignore[operator]
    return time.perf_counter() - started, value


def measure(root: str) -> None:
    server = create_server(os.path.join(root, "benchmark_output"), ["bench"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = server.url
    try:
        board = "/api/suites/bench/leaderboard"
        paths = ["/api/suites", "/api/suites/bench", board + "?uncertainty=0"]
        with ThreadPoolExecutor(3) as pool:
            seconds, _ = timed(lambda: list(pool.map(lambda p: get(base + p), paths)))
        print(f"first paint (suites + overview + plain leaderboard, cold): {seconds * 1000:.0f} ms")
        seconds, _ = timed(lambda: get(base + board))
        print(f"leaderboard with intervals and ranks (cold: reads every instance): {seconds * 1000:.0f} ms")
        seconds, _ = timed(lambda: get(base + board))
        print(f"leaderboard with intervals (warm, cached until a run changes): {seconds * 1000:.0f} ms")
        seconds, _ = timed(lambda: get(base + board + "?uncertainty=0"))
        print(f"first paint leaderboard (warm): {seconds * 1000:.0f} ms")
        runs = get(base + "/api/suites/bench/runs")["runs"]  # type: ignore[index]
        run = quote(runs[len(runs) // 2]["name"], safe="")
        page = get(f"{base}/api/suites/bench/runs/{run}/instances?limit=2")
        ids = [i["id"] for i in page["instances"]]  # type: ignore[index]
        seconds, _ = timed(lambda: get(f"{base}/api/suites/bench/runs/{run}"))
        print(f"run header: {seconds * 1000:.0f} ms")
        server.shutdown()
        server.server_close()
        server = create_server(os.path.join(root, "benchmark_output"), ["bench"], port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = server.url
        seconds, _ = timed(
            lambda: get(f"{base}/api/suites/bench/runs/{run}/instances?id={quote(ids[0])}&limit=500")
        )
        print(f"instance page (cold: parses scenario_state.json): {seconds * 1000:.0f} ms")
        seconds, _ = timed(
            lambda: get(f"{base}/api/suites/bench/runs/{run}/instances?id={quote(ids[1])}&limit=500")
        )
        print(f"instance page (warm): {seconds * 1000:.0f} ms")
    finally:
        server.shutdown()
        server.server_close()


def measure_browser(root: str) -> None:
    """The same in Debian's chromium (Playwright, kept off the network): from navigation until the
    leaderboard's rows, and an instance page, are in the page. Skipped without chromium/Playwright."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: skipped (playwright is not installed)")
        return
    if not os.path.exists(chromium):
        print(f"browser: skipped ({chromium} is missing)")
        return
    server = create_server(os.path.join(root, "benchmark_output"), ["bench"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        runs = get(server.url + "/api/suites/bench/runs")["runs"]  # type: ignore[index]
        run = runs[len(runs) // 3]["name"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            started = time.perf_counter()
            page.goto(server.url + "/")
            page.wait_for_selector("#leaderboard tbody tr")
            print(
                f"browser: leaderboard drawn {(time.perf_counter() - started) * 1000:.0f} ms after navigation"
            )
            page.wait_for_selector("#uncertainty-status", state="detached", timeout=120000)
            print(
                f"browser: intervals drawn {(time.perf_counter() - started) * 1000:.0f} ms after navigation"
            )
            page.goto(server.url + "/#/s/bench/runs")
            page.wait_for_selector("#runs tbody tr")
            instance = get(f"{server.url}/api/suites/bench/runs/{quote(run, safe='')}/instances?limit=1")
            instance_id = instance["instances"][0]["id"]  # type: ignore[index]
            started = time.perf_counter()
            page.goto(
                server.url + f"/#/s/bench/run/{quote(run, safe='')}/instance/{quote(instance_id, safe='')}"
            )
            page.wait_for_selector("article.instance")
            print(
                f"browser: instance page (cold run) drawn in {(time.perf_counter() - started) * 1000:.0f} ms"
            )
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--models", type=int, default=8)
    p.add_argument("--instances", type=int, default=1000)
    p.add_argument("--keep", default=None, help="generate into this directory and keep it")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        if not os.path.isdir(os.path.join(root, "benchmark_output", "runs", "bench")):
            started = time.perf_counter()
            generate(root, args.runs, args.models, args.instances)
            print(
                f"generated {args.runs} runs × {args.instances} instances "
                f"in {time.perf_counter() - started:.1f} s"
            )
        measure(root)
        measure_browser(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
