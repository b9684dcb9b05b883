"""Nothing outside the served suite can be read: every traversal trick gets 403/404, never the file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SECRET = b"TOPSECRET-do-not-serve"
SUITE = "s"
RUN = "run:model=m"


@pytest.fixture
def url(tmp_path: Path, serve) -> str:
    """A suite with one run, plus secrets next to it, above it and in an unserved suite, and symlinks out."""
    output = tmp_path / "out"
    suite = output / "runs" / SUITE
    run = suite / RUN
    run.mkdir(parents=True)
    (run / "stats.json").write_text(
        json.dumps([{"name": {"name": "exact_match", "split": "test"}, "count": 1, "mean": 1}])
    )
    (run / "run_spec.json").write_text(json.dumps({"name": RUN, "adapter_spec": {"model": "m"}}))
    (suite / "summary.json").write_text(json.dumps({"suite": SUITE}))
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (output / "secret.txt").write_bytes(SECRET)
    (output / "runs" / "secret.txt").write_bytes(SECRET)
    other = output / "runs" / "other" / "x"
    other.mkdir(parents=True)
    (other / "stats.json").write_bytes(SECRET)
    (other / "run_spec.json").write_bytes(SECRET)
    (other / "scenario_state.json").write_bytes(SECRET)
    (other / "secret.json").write_bytes(SECRET)
    os.symlink(tmp_path / "secret.txt", suite / "link_out.txt")
    os.symlink(tmp_path, suite / "linkdir")
    os.symlink(other, suite / "evil:model=m")  # a "run" that is a symlink to another suite's run
    os.symlink(output / "runs" / "other", suite / "groups")
    os.symlink(other / "secret.json", suite / "groups.json")
    os.symlink(suite / "summary.json", suite / "alias.json")  # inside the suite: allowed
    return serve(output, [SUITE])


ATTACKS = [
    "/files/s/../secret.txt",
    "/files/s/../../secret.txt",
    "/files/s/../../../secret.txt",
    "/files/s/..%2fsecret.txt",
    "/files/s/..%2F..%2Fsecret.txt",
    "/files/s/..%2f..%2f..%2fsecret.txt",
    "/files/s/%2e%2e/secret.txt",
    "/files/s/%2e%2e/%2e%2e/secret.txt",
    "/files/s/%2E%2E%2Fsecret.txt",
    "/files/s/.%2e/secret.txt",
    "/files/s/%252e%252e%252fsecret.txt",
    "/files/s/%252e%252e/%252e%252e/secret.txt",
    "/files/s/%25252e%25252e%25252fsecret.txt",
    "/files/s/..%5csecret.txt",
    "/files/s/..%5c..%5csecret.txt",
    "/files/s/..\\secret.txt",
    "/files/s/..\\..\\secret.txt",
    "/files/s/%2fetc%2fpasswd",
    "/files/s//etc/passwd",
    "/files/s/%2F" + "tmp%2Fsecret.txt",
    "/files//etc/passwd",
    "/files/s/%00../secret.txt",
    "/files/s/secret.txt%00.png",
    "/files/s/..%00/secret.txt",
    "/files/s/link_out.txt",
    "/files/s/linkdir/secret.txt",
    "/files/s/linkdir",
    "/files/s/evil:model=m/stats.json",
    "/files/s/groups/x/secret.json",
    "/files/s/groups.json",
    "/files/other/x/stats.json",
    "/files/..%2fother/x/stats.json",
    "/files/../secret.txt",
    "/files/%2e%2e/secret.txt",
    "/files/s/./../secret.txt",
    "/files/s/run:model=m/../../secret.txt",
    "/files/s/run:model=m/..%2f..%2fsecret.txt",
    "/api/suites/..%2fother/runs",
    "/api/suites/%2e%2e/runs",
    "/api/suites/other/runs",
    "/api/suites/s/runs/..",
    "/api/suites/s/runs/..%2fother%2fx",
    "/api/suites/s/runs/..%2f..%2fsecret.txt",
    "/api/suites/s/runs/%2e%2e%2fother%2fx/instances",
    "/api/suites/s/runs/evil:model=m",
    "/api/suites/s/runs/evil:model=m/instances",
    "/api/suites/s/runs/linkdir",
    "/api/suites/s/runs/%2Ftmp",
    "/api/suites/s/groups/..%2f..%2fsecret",
    "/api/suites/s/groups/%2e%2e",
    "/api/suites/s/groups/x",
    "/static/../secret.txt",
    "/static/..%2f..%2fstore.py",
    "/static/..%2fapp.py",
    "/static/%2e%2e%2f%2e%2e%2f__init__.py",
    "/..%2f..%2fetc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/etc/passwd",
    "//etc/passwd",
    "/secret.txt",
]


@pytest.mark.parametrize("target", ATTACKS)
def test_traversal_attempts_are_refused(url: str, http, target: str) -> None:
    response = http.raw(url, target)
    assert response.status in (403, 404), (target, response.status, response.body[:200])
    assert SECRET not in response.body and b"root:" not in response.body
    assert b"def " not in response.body  # no package source either
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.body)["error"]


@pytest.mark.parametrize(
    "target",
    [
        b"/files/s/\x00/secret.txt",  # a raw NUL byte in the request line
        b"/files/s/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for '..'
        b"/files/s/%ff%fe",
        b"http://evil.example/files/s/../secret.txt",  # absolute-form target
        b"files/s/../secret.txt",
    ],
)
def test_malformed_targets_are_rejected(url: str, http, target: bytes) -> None:
    response = http.raw(url, target)
    assert response.status in (400, 403, 404)
    assert SECRET not in response.body


def test_the_api_never_lists_runs_outside_the_suite(url: str, http) -> None:
    runs = http.json(url, f"/api/suites/{SUITE}/runs")
    assert [r["name"] for r in runs["runs"]] == [RUN]
    board = json.dumps(http.json(url, f"/api/suites/{SUITE}/leaderboard"))
    assert "evil" not in board and SECRET.decode() not in board
    overview = http.json(url, f"/api/suites/{SUITE}")
    assert overview["groups"] is None  # groups.json is a symlink leading outside
    assert "refused path" in " ".join(overview["problems"])


def test_files_inside_the_suite_are_served(url: str, http) -> None:
    assert http.json(url, f"/files/{SUITE}/summary.json") == {"suite": SUITE}
    assert http.json(url, f"/files/{SUITE}/alias.json") == {"suite": SUITE}  # symlink staying inside
    assert http.get(url, f"/files/{SUITE}/run%3Amodel%3Dm/stats.json").status == 200
    assert http.get(url, f"/files/{SUITE}/run:model=m").status == 404  # a folder, not a file
