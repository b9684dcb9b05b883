"""LegalBench run spec (HELM Lite): the subset's own instructions and output noun, five examples.

HELM downloads the prompt settings file (from the legalbench repository's moving ``main`` branch)
while *building* the run spec. Run-spec functions here see only their arguments, so the instructions
and output nouns of the five Lite subsets are kept below, copied from that file at commit
ce482446b8eac4403b6db2c17223af4514bb24e3 (the copy HELM caches; a test checks it against the data
mirror). The scenario still reads the file itself for field order and label keys, as HELM's does.
"""

from __future__ import annotations

from helm_lite.common.errors import UserError
from helm_lite.run_specs.helpers import exact_match_metric_specs, generation_adapter_spec
from helm_lite.run_specs.run_spec import RunSpec, ScenarioSpec

_DECISION_SECTIONS = (
    "Classify the following text using the following definitions.\n\n"
    "- Facts: The paragraph describes the factual background that led up to the present lawsuit.\n"
    "- Procedural History: The paragraph describes the course of litigation that led to the current "
    "proceeding before the court.\n"
    "- Issue: The paragraph describes the legal or factual issue that must be resolved by the court.\n"
    "- Rule: The paragraph describes a rule of law relevant to resolving the issue.\n"
    "- Analysis: The paragraph analyzes the legal issue by applying the relevant legal principles to the "
    "facts of the present dispute.\n"
    "- Conclusion: The paragraph presents a conclusion of the court.\n"
    "- Decree: The paragraph constitutes a decree resolving the dispute."
)

# subset -> (instructions, output noun)
PROMPT_SETTINGS: dict[str, tuple[str, str]] = {
    "abercrombie": (
        "A mark is generic if it is the common name for the product. A mark is descriptive if it "
        "describes a purpose, nature, or attribute of the product. A mark is suggestive if it suggests or "
        "implies a quality or characteristic of the product. A mark is arbitrary if it is a real English "
        "word that has no relation to the product. A mark is fanciful if it is an invented word. Label the "
        "type of mark for the following products.",
        "Type",
    ),
    "corporate_lobbying": (
        "You are a lobbyist analyzing Congressional bills for their impacts on companies. Given the title "
        "and summary of the bill, plus information on the company from its 10K SEC filing, it is your job "
        "to determine if a bill is at least somewhat relevant to a company in terms of whether it could "
        "impact the company's bottom-line if it was enacted (by saying Yes or No).",
        "Label",
    ),
    "international_citizenship_questions": (
        "Answer the following questions considering the state of international law on January 1st, 2020. "
        "Answer Yes or No.",
        "Answer",
    ),
    "function_of_decision_section": (_DECISION_SECTIONS, "Function"),
    "proa": (
        "A private right of action is when a regular person, a private citizen, is legally entitled to "
        "enforce their rights under a given statute. Does the clause specify a private right of action? "
        "Answer Yes or No.",
        "Answer",
    ),
}


def legalbench(subset: str) -> RunSpec:
    if subset not in PROMPT_SETTINGS:
        raise UserError(
            f"Unknown LegalBench subset {subset!r} (expected one of: {', '.join(PROMPT_SETTINGS)})"
        )
    instructions, output_noun = PROMPT_SETTINGS[subset]
    return RunSpec(
        name=f"legalbench:subset={subset}",
        scenario_spec=ScenarioSpec(
            "helm.benchmark.scenarios.legalbench_scenario.LegalBenchScenario", {"subset": subset}
        ),
        adapter_spec=generation_adapter_spec(
            instructions=instructions,
            input_noun=None,
            output_noun=output_noun,
            max_tokens=30,
            max_train_instances=5,
        ),
        metric_specs=exact_match_metric_specs(),
        groups=["legalbench"],
    )
