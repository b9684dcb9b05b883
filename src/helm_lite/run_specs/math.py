"""MATH run spec (HELM Lite uses chain of thought): eight examples separated by "###" lines."""

from __future__ import annotations

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.common.errors import UserError
from helm_lite.run_specs.helpers import basic_metric_specs
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

INSTRUCTIONS = (
    "Given a mathematics problem, determine the answer. Simplify your answer as much as possible.\n"
)


def _flag(value: str | bool) -> bool:
    """HELM's string flags: "True" in any case is true, anything else false."""
    return str(value).lower() == "true"


def math(
    subject: str,
    level: str | int,
    use_official_examples: str | bool = "False",
    use_chain_of_thought: str | bool = "False",
) -> RunSpec:
    official = _flag(use_official_examples)
    chain_of_thought = _flag(use_chain_of_thought)
    if chain_of_thought and official:
        raise UserError("Cannot use official examples when use_chain_of_thought is True.")
    adapter_spec = AdapterSpec(
        method="generation",
        instructions=INSTRUCTIONS,
        max_train_instances=8,
        num_outputs=1,
        temperature=0.0,
        # Chain of thought: the whole solution, up to the next "###"; otherwise just the $…$ answer.
        stop_sequences=["###"] if chain_of_thought else ["$"],
        max_tokens=400 if chain_of_thought else 20,
        input_prefix="Problem: ",
        input_suffix="\n",
        output_prefix="Answer: " if chain_of_thought else "Answer: $",
        output_suffix="\n" if chain_of_thought else "$\n",
        instance_prefix="###\n",
    )
    return RunSpec(
        name=f"math:subject={subject},level={level},"
        f"use_official_examples={official},use_chain_of_thought={chain_of_thought}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.math_scenario.MATHScenario",
            {
                "subject": subject,
                "level": level,
                "use_official_examples": official,
                "use_chain_of_thought": chain_of_thought,
            },
        ),
        adapter_spec=adapter_spec,
        metric_specs=basic_metric_specs(
            ["math_equiv_chain_of_thought" if chain_of_thought else "math_equiv"]
        ),
        groups=["math_chain_of_thought" if chain_of_thought else "math_regular"],
    )
