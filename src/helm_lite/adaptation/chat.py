"""`chat`: the instance's conversation is sent as is, as chat messages (no prompt text, no examples).

For scenarios whose inputs are conversations (`ChatInput`, e.g. WildBench); the request's `prompt`
stays empty, and nothing is truncated: the conversation is the task.
"""

from __future__ import annotations

from helm_lite.adaptation.adapter import InContextLearningAdapter
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.errors import UserError
from helm_lite.common.request import Request
from helm_lite.scenarios.base import Instance
from helm_lite.scenarios.chat_input import messages_of


class ChatAdapter(InContextLearningAdapter):
    def example_block(self, instance: Instance, include_output: bool) -> str:
        return ""  # a conversation carries no in-context examples

    def request_states(
        self, eval_instance: Instance, train_trial_index: int, train_blocks: list[str]
    ) -> list[RequestState]:
        messages = messages_of(eval_instance.input)
        if not messages:
            raise UserError(
                f"the chat adaptation method needs conversations; instance {eval_instance.id} has none"
            )
        s = self.spec
        request = Request(
            model_deployment=s.model_deployment,
            model=s.model,
            messages=[dict(m) for m in messages],
            num_completions=s.num_outputs,
            temperature=s.temperature,
            max_tokens=s.max_tokens,
            stop_sequences=list(s.stop_sequences),
            random=s.random,
        )
        return [
            RequestState(
                instance=eval_instance,
                reference_index=None,
                request_mode=None,
                train_trial_index=train_trial_index,
                output_mapping=None,
                request=request,
                result=None,
                num_train_instances=0,
                prompt_truncated=False,
            )
        ]
