"""HELM Capabilities run specs: `mmlu_pro`, `gpqa` and `ifeval`, with HELM's prompts and metrics.

Each takes HELM's arguments as HELM spells them (`use_chain_of_thought=true|false`,
`use_few_shot=true|false`) and names its run as HELM does. Zero-shot prompts ask for the answer as
"The correct answer is (insert answer here)", scored by `chain_of_thought_correctness` when the model
reasons first and by exact match otherwise. HELM's adapter settings are kept as they are, including
the defaults it leaves in place (temperature 1 and five top tokens for the multiple-choice runs).
"""

from __future__ import annotations

from dataclasses import replace

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.run_specs.arguments import to_bool
from helm_lite.run_specs.helpers import basic_metric_specs, exact_match_metric_specs, format_instructions
from helm_lite.run_specs.run_spec import MetricSpec, RunSpec, ScenarioSpec

JOINT = "multiple_choice_joint"
JOINT_COT = "multiple_choice_joint_chain_of_thought"
COT_METRIC = MetricSpec("helm.benchmark.metrics.gpqa_chain_of_thought_metric.GPQAChainOfThoughtMetric", {})
IFEVAL_METRIC = MetricSpec("helm.benchmark.metrics.ifeval_metrics.IFEvalMetric", {})

QUESTION_PREFIX = "What is the correct answer to this question: "
ANSWER_FORMAT = 'Format your response as follows: "The correct answer is (insert answer here)".'
STEP_BY_STEP = (
    "Let’s think step by step. Based on your reasoning, what is the single, most likely answer choice? "
    + ANSWER_FORMAT
)
EXPERT_EXAMPLES = (
    "Here are some example questions from experts. An explanation is given before the final answer. "
    "Answer the final question yourself, giving your reasoning beforehand."
)


def _cot_metrics(chain_of_thought: bool) -> list[MetricSpec]:
    return basic_metric_specs([]) + [COT_METRIC] if chain_of_thought else exact_match_metric_specs()


def _plain(method: str, max_train_instances: int, reference_prefix: str = "A. ") -> AdapterSpec:
    """Question, options, then the answer format (reasoning first for CoT). MMLU-Pro's few-shot
    variant is the same prompt after five validation questions with their letters."""
    return AdapterSpec(
        method=method,
        max_train_instances=max_train_instances,
        max_tokens=4096,
        input_prefix=QUESTION_PREFIX,
        input_suffix="\nChoices:\n",
        reference_prefix=reference_prefix,
        output_prefix="",
        global_suffix=STEP_BY_STEP if method == JOINT_COT else ANSWER_FORMAT,
    )


def mmlu_pro(subject: str = "all", use_chain_of_thought: bool = True, use_few_shot: bool = False) -> RunSpec:
    # A run entry's flags arrive converted (`bind_arguments`); a Python caller may pass HELM's strings.
    cot = to_bool("use_chain_of_thought", use_chain_of_thought)
    few_shot = to_bool("use_few_shot", use_few_shot)
    return RunSpec(
        name=f"mmlu_pro:subset={subject},use_chain_of_thought={str(cot).lower()},"
        f"use_few_shot={str(few_shot).lower()}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.mmlu_pro_scenario.MMLUProScenario", {"subject": subject}
        ),
        adapter_spec=_plain(JOINT_COT if cot else JOINT, 5 if few_shot else 0),
        metric_specs=_cot_metrics(cot),
        groups=["mmlu_pro"],
    )


def _gpqa_few_shot(cot: bool) -> AdapterSpec:
    """HELM's few-shot GPQA prompt: expert examples, each with its explanation when reasoning."""
    plain = AdapterSpec(
        method=JOINT,
        instructions=format_instructions(EXPERT_EXAMPLES),
        input_prefix="Question: ",
        input_suffix="\nChoices: \n",
        reference_prefix="(A) ",
        output_prefix="The correct answer is ",
        output_suffix="\n",
        max_train_instances=5,
        num_outputs=5,
        max_tokens=1,
        temperature=0.0,
        stop_sequences=["\n"],
    )
    if not cot:
        return plain
    return replace(
        plain,
        method=JOINT_COT,
        output_prefix="",
        max_tokens=2000,
        chain_of_thought_prefix="Let's think step by step: ",
        chain_of_thought_suffix="The correct answer is ",
        global_suffix="Give step by step reasoning before you answer, and when you’re ready to answer, "
        'please use the format "The correct answer is (insert answer here)":',
    )


def gpqa(subset: str, use_chain_of_thought: bool = True, use_few_shot: bool = False) -> RunSpec:
    cot = to_bool("use_chain_of_thought", use_chain_of_thought)
    few_shot = to_bool("use_few_shot", use_few_shot)
    if not subset.startswith("gpqa_"):
        subset = "gpqa_" + subset
    plain = _plain(JOINT_COT if cot else JOINT, 0, "(A) ")
    adapter_spec = _gpqa_few_shot(cot) if few_shot else plain
    return RunSpec(
        name=f"gpqa:subset={subset},use_chain_of_thought={str(cot).lower()},use_few_shot={str(few_shot).lower()}",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.gpqa_scenario.GPQAScenario", {"subset": subset}),
        adapter_spec=adapter_spec,
        metric_specs=_cot_metrics(cot),
        groups=["gpqa"],
    )


def ifeval() -> RunSpec:
    return RunSpec(
        name="ifeval",
        scenario_spec=ScenarioSpec("helm.benchmark.scenarios.ifeval_scenario.IFEvalScenario", {}),
        adapter_spec=AdapterSpec(
            method="generation",
            input_prefix="",
            output_prefix="",
            max_tokens=4096,
            num_outputs=1,
            temperature=0.0,
        ),
        metric_specs=basic_metric_specs([]) + [IFEVAL_METRIC],
        groups=["ifeval"],
    )
