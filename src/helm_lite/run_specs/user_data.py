"""`user_data:path=…`: evaluate on the user's own JSONL/CSV questions without writing code."""

from __future__ import annotations

from helm_lite.run_specs.helpers import (
    exact_match_metric_specs,
    generation_adapter_spec,
    multiple_choice_joint_adapter_spec,
)
from helm_lite.run_specs.registry import run_spec_function
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec


@run_spec_function("user_data")
def user_data(
    path: str,
    instructions: str = "",
    max_train_instances: int = 5,
    max_tokens: int = 20,
) -> RunSpec:
    from helm_lite.scenarios.user_data import is_multiple_choice

    if is_multiple_choice(path):
        adapter_spec = multiple_choice_joint_adapter_spec(
            instructions=instructions or "The following are multiple choice questions (with answers).",
            input_noun="Question",
            output_noun="Answer",
            max_train_instances=int(max_train_instances),
        )
    else:
        adapter_spec = generation_adapter_spec(
            instructions=instructions,
            input_noun="Question",
            output_noun="Answer",
            max_train_instances=int(max_train_instances),
            max_tokens=int(max_tokens),
        )
    return RunSpec(
        name=f"user_data:path={path}",
        scenario_spec=ScenarioSpec("helm_lite.scenarios.user_data.UserDataScenario", {"path": path}),
        adapter_spec=adapter_spec,
        metric_specs=exact_match_metric_specs(),
        groups=["user_data"],
    )
