"""Console scripts end with `run_and_exit_fast`: skipping interpreter teardown must not lose output,
atexit work or the exit status."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import atexit, logging, sys
    from helm_lite.cli.common import run_and_exit_fast

    def main():
        atexit.register(lambda: open(sys.argv[1], "w").write("atexit ran"))
        logging.basicConfig(stream=sys.stderr, level=logging.INFO)
        logging.getLogger("x").info("logged")
        print("printed")  # block-buffered: stdout is a pipe
        return {outcome}

    run_and_exit_fast(main)
    """
)


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        ("0", 0, ""),
        ("None", 0, ""),
        ("3", 3, ""),
        ("sys.exit(2)", 2, ""),
        ("sys.exit('one-line error')", 1, "one-line error"),
    ],
)
def test_status_output_and_atexit_survive_the_fast_exit(tmp_path, outcome, status, message) -> None:
    marker = tmp_path / "marker"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(outcome=outcome), str(marker)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == status
    assert marker.read_text() == "atexit ran"
    assert "logged" in proc.stderr and message in proc.stderr
    assert proc.stdout == "printed\n"
