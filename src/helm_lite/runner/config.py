"""The settings of one helm-run invocation that the runner needs (the CLI builds them from its flags)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helm_lite.annotation.judges import JudgeSelection


@dataclass(frozen=True)
class RunnerConfig:
    output_path: str = "benchmark_output"
    suite: str = "default"
    num_threads: int = 4
    skip_completed_runs: bool = False
    dry_run: bool = False
    exit_on_error: bool = False
    show_progress: bool = True
    data_mirror: str | None = None
    judges: JudgeSelection = field(default_factory=JudgeSelection)  # who plays each model judge
