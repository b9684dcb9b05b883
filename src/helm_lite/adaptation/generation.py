"""`generation`: the model writes the answer after the output prefix."""

from __future__ import annotations

from helm_lite.adaptation.adapter import InContextLearningAdapter, gold_text
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.request import Request
from helm_lite.scenarios.base import Instance


class GenerationAdapter(InContextLearningAdapter):
    def example_block(self, instance: Instance, include_output: bool) -> str:
        s = self.spec
        block = s.input_prefix + (instance.input.text or "") + s.input_suffix
        if include_output:
            return block + s.output_prefix + gold_text(s, instance) + s.output_suffix
        return block + s.output_prefix.rstrip()

    def request_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str]
    ) -> list[RequestState]:
        s = self.spec
        prompt = self.fitted_prompt(train_blocks, self.example_block(eval_instance, include_output=False))
        request = Request(
            model_deployment=s.model_deployment,
            model=s.model,
            prompt=prompt.text,
            num_completions=s.num_outputs,
            temperature=s.temperature,
            max_tokens=s.max_tokens,
            stop_sequences=list(s.stop_sequences),
            random=s.random,
        )
        return [self.state(eval_instance, train_trial_index, prompt, request)]
