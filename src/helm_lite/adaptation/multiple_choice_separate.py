"""`multiple_choice_separate_original` / `_calibrated`: score each option by its likelihood.

Instead of asking the model to name an option, every option is appended to the question in its own
request and the model echoes the prompt with log probabilities (`max_tokens=0`); the metric
(`BasicReferenceMetric`) then picks the option whose tokens are likeliest. The calibrated variant
also asks how likely each option is after a content-free "Answer:", to cancel the model's prior for
an option's wording.
"""

from __future__ import annotations

from helm_lite.adaptation.adapter import InContextLearningAdapter, gold_text
from helm_lite.adaptation.prompt import Prompt
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.request import Request
from helm_lite.scenarios.base import Input, Instance

ORIGINAL = "original"
CALIBRATION = "calibration"
# The eval input of a calibration request: no question, so the score is the option's prior.
CALIBRATION_INPUT = "Answer:"


class MultipleChoiceSeparateAdapter(InContextLearningAdapter):
    """One echo request per option: in-context examples, then the question followed by that option."""

    def example_block(
        self, instance: Instance, include_output: bool, reference_index: int | None = None
    ) -> str:
        s = self.spec
        block = s.input_prefix + (instance.input.text or "") + s.input_suffix
        if include_output:
            return block + s.output_prefix + gold_text(s, instance, reference_index) + s.output_suffix
        return block + s.output_prefix.rstrip()

    def request_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str]
    ) -> list[RequestState]:
        states: list[RequestState] = []
        for i in range(len(eval_instance.references)):
            states.extend(self.reference_states(eval_instance, train_trial_index, train_blocks, i))
        return states

    def reference_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str], reference_index: int
    ) -> list[RequestState]:
        """The request states scoring option `reference_index` (just the original one here)."""
        eval_block = self.example_block(eval_instance, include_output=True, reference_index=reference_index)
        prompt = self.fitted_prompt(train_blocks, eval_block)
        return [self.scoring_state(eval_instance, train_trial_index, prompt, reference_index, ORIGINAL)]

    def scoring_state(
        self, instance: Instance, train_trial_index: int, prompt: Prompt, reference_index: int, mode: str
    ) -> RequestState:
        """An echo-only request: the logprobs of the prompt's own tokens are the score; no sampling."""
        s = self.spec
        request = Request(
            model_deployment=s.model_deployment,
            model=s.model,
            prompt=prompt.text,
            temperature=0,  # an int literal, as in HELM (JSON `0`)
            num_completions=1,
            max_tokens=0,
            stop_sequences=[],
            echo_prompt=True,
        )
        return self.state(
            instance, train_trial_index, prompt, request, reference_index=reference_index, request_mode=mode
        )


class MultipleChoiceSeparateCalibratedAdapter(MultipleChoiceSeparateAdapter):
    """As the original method, plus after each option a calibration request: "Answer:" then the option."""

    def reference_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str], reference_index: int
    ) -> list[RequestState]:
        states = super().reference_states(eval_instance, train_trial_index, train_blocks, reference_index)
        # No examples and no question; instructions and global prefix/suffix still apply.
        content_free = Instance(Input(text=CALIBRATION_INPUT), eval_instance.references)
        eval_block = self.example_block(content_free, include_output=True, reference_index=reference_index)
        prompt = self.fitted_prompt([], eval_block)
        states.append(
            self.scoring_state(eval_instance, train_trial_index, prompt, reference_index, CALIBRATION)
        )
        return states
