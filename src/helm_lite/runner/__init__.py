"""Executes run specs end to end: scenario → adapter → client (through the cache) → metrics → files.

`pipeline` holds the stages of one run, `scheduler` decides which runs execute and how many at once,
`provenance` builds `run_info.json`, and `run_directory.write_run` writes a run whole.
"""

from helm_lite.runner.config import RunnerConfig
from helm_lite.runner.pipeline import downsample
from helm_lite.runner.scheduler import Runner

__all__ = ["Runner", "RunnerConfig", "downsample"]
