"""`prompt=NAME`: HELM's prompt-format ablation, which relabels the input and output of every example.

HELM's `run_entries_extra.conf` uses it (`natural_qa:…,prompt=i_o`, group `ablation_prompts`). Each
name sets the adapter fields listed below (the rest stay as the run-spec function set them) and the
run name gains `,prompt=NAME`, as in HELM, so the runs land in the same folders.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry
from helm_lite.run_specs.run_spec import RunSpec

PROMPT_FORMATS: dict[str, dict[str, Any]] = {
    "human_assistant": {
        "input_prefix": 'Human: What is the answer to "',
        "input_suffix": '"?\n',
        "output_prefix": 'Assistant: The answer is "',
        "output_suffix": '".\n',
        "stop_sequences": ['".'],
    },
    "question_answer": {"input_prefix": "Question: ", "output_prefix": "Answer: "},
    "qa": {"input_prefix": "Q: ", "output_prefix": "A: "},
    "input_output_html": {
        "input_prefix": "<input>",
        "input_suffix": "</input>\n",
        "output_prefix": "<output>",
        "output_suffix": "</output>\n",
    },
    "input_output": {"input_prefix": "Input: ", "output_prefix": "Output: "},
    "i_o": {"input_prefix": "I: ", "output_prefix": "O: "},
}


def expand_prompt(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    changes = PROMPT_FORMATS.get(str(value))
    if changes is None:
        raise UserError(f"prompt={value}: must be one of {', '.join(PROMPT_FORMATS)}")
    adapter_spec = replace(spec.adapter_spec, **changes)
    return [replace(spec, name=f"{spec.name},prompt={value}", adapter_spec=adapter_spec)]
