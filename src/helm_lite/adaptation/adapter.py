"""The in-context-learning adapter flow shared by generation and multiple-choice methods.

Subclasses say how one instance becomes a block of text and a request; this class handles trials,
example selection, prompt fitting and `num_trials` copies, in HELM's order.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import replace

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.examples import sample_examples
from helm_lite.adaptation.prompt import Prompt, make_fit, make_prompt
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.request import Request
from helm_lite.scenarios.base import EVAL_SPLITS, TRAIN_SPLIT, Instance
from helm_lite.window.service import WindowService

logger = logging.getLogger(__name__)


def gold_text(spec: AdapterSpec, instance: Instance, reference_index: int | None = None) -> str:
    if reference_index is not None:
        return instance.references[reference_index].output.text
    if spec.multi_label:
        texts = [r.output.text for r in instance.all_correct_references]
        return ", ".join(texts) if texts else "n/a"
    ref = instance.first_correct_reference
    return ref.output.text if ref is not None else "n/a"


class Adapter(ABC):
    def __init__(self, adapter_spec: AdapterSpec, window_service: WindowService) -> None:
        self.spec = adapter_spec
        self.window = window_service

    @abstractmethod
    def adapt(self, instances: list[Instance]) -> list[RequestState]:
        """Turn instances into request states, in HELM's order."""


class InContextLearningAdapter(Adapter):
    @abstractmethod
    def example_block(self, instance: Instance, include_output: bool) -> str:
        """The text of one instance: a train example (with its answer) or the eval instance."""

    @abstractmethod
    def request_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str]
    ) -> list[RequestState]:
        """The request states for one eval instance, given the rendered in-context examples."""

    def adapt(self, instances: list[Instance]) -> list[RequestState]:
        train = [i for i in instances if i.split == TRAIN_SPLIT]
        if len(train) < self.spec.max_train_instances:
            logger.debug("only %d training instances, wanted %d", len(train), self.spec.max_train_instances)
        evals = [i for i in instances if i.split in EVAL_SPLITS]
        out: list[RequestState] = []
        for trial in range(self.spec.num_train_trials):
            examples = sample_examples(train, trial, self.spec.max_train_instances, self.spec.sample_train)
            blocks = [self.example_block(e, include_output=True) for e in examples]
            states = [s for e in evals for s in self.request_states(e, trial, blocks)]
            if self.spec.num_trials > 1:
                states = states + [
                    replace(s, request=replace(s.request, random=str(i)))
                    for i in range(1, self.spec.num_trials)
                    for s in states
                ]
            out.extend(states)
        return out

    def state(
        self,
        instance: Instance,
        train_trial_index: int,
        prompt: Prompt,
        request: Request,
        output_mapping: dict[str, str] | None = None,
        reference_index: int | None = None,
        request_mode: str | None = None,
    ) -> RequestState:
        """A request state for `prompt`, recording how many examples survived and whether it was cut."""
        return RequestState(
            instance=instance,
            reference_index=reference_index,
            request_mode=request_mode,
            train_trial_index=train_trial_index,
            output_mapping=output_mapping,
            request=request,
            result=None,
            num_train_instances=prompt.num_train_instances,
            prompt_truncated=prompt.truncated_text is not None,
        )

    def fitted_prompt(self, train_blocks: list[str], eval_block: str) -> Prompt:
        return make_fit(make_prompt(self.spec, train_blocks, eval_block), self.window, self.spec.max_tokens)
