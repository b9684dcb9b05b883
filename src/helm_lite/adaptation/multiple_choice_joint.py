"""`multiple_choice_joint`: all options in the prompt, the model answers with a letter."""

from __future__ import annotations

from helm_lite.adaptation.adapter import InContextLearningAdapter
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.request import Request
from helm_lite.scenarios.base import Instance


class MultipleChoiceJointAdapter(InContextLearningAdapter):
    def label(self, index: int) -> str:
        """The bare option label: A, B, C … (or `reference_prefix_characters[index]`)."""
        s = self.spec
        if s.reference_prefix_characters:
            return s.reference_prefix_characters[index]
        first = next((c for c in s.reference_prefix if c.isalnum()), "A")
        return chr(ord(first) + index)

    def rendered_prefix(self, index: int) -> str:
        s = self.spec
        first = next((c for c in s.reference_prefix if c.isalnum()), None)
        if first is None:
            return s.reference_prefix
        return s.reference_prefix.replace(first, self.label(index))

    def example_block(self, instance: Instance, include_output: bool) -> str:
        s = self.spec
        block = s.input_prefix + instance.input.text + s.input_suffix
        for i, ref in enumerate(instance.references):
            block += self.rendered_prefix(i) + ref.output.text + s.reference_suffix
        if not include_output:
            return block + s.output_prefix.rstrip()
        correct = [self.label(i) for i, r in enumerate(instance.references) if r.is_correct]
        gold = (", ".join(correct) if s.multi_label else correct[0]) if correct else "n/a"
        return block + s.output_prefix + gold + s.output_suffix

    def request_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str]
    ) -> list[RequestState]:
        s = self.spec
        prompt = self.fitted_prompt(train_blocks, self.example_block(eval_instance, include_output=False))
        request = Request(
            model_deployment=s.model_deployment,
            model=s.model,
            prompt=prompt.text,
            num_completions=1,
            top_k_per_token=s.num_outputs,
            temperature=s.temperature,
            max_tokens=s.max_tokens,
            stop_sequences=[],
            random=s.random,
        )
        mapping = {self.label(i): r.output.text for i, r in enumerate(eval_instance.references)}
        return [self.state(eval_instance, train_trial_index, prompt, request, output_mapping=mapping)]
