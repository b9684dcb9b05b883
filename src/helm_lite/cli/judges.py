"""helm-run's judge flags (`--judge-deployment`); nothing heavy is imported here."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helm_lite.annotation.judges import JudgeSelection


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--judge-deployment",
        default=None,
        metavar="NAME",
        help="model deployment (or model, through its default deployment) that plays every model "
        "judge (annotator) of the runs, instead of "
        "HELM's judges or those named in judges.yaml (see docs/judges.md)",
    )


def judge_selection(args: argparse.Namespace) -> JudgeSelection:
    """The invocation's judges: the flag, then ``judges.yaml`` in ``--local-path``."""
    from helm_lite.annotation.judges import load_judge_selection

    return load_judge_selection(args.local_path, args.judge_deployment)
