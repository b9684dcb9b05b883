"""`language_modeling`: how likely is the model to produce this text? (perplexity, bits per byte)

Each eval instance's text is cut into windows that fit the model's context; each window is one
echo request, and the metric sums the logprobs of the window's *predicted* tokens, skipping the
first `num_conditioning_tokens` (the context carried over from the previous window, which was
already scored there). The first window starts with the tokenizer's prefix token instead.

Windowing reproduces HELM token for token, including its quirks: the first window takes
at most `max_sequence_length` tokens and any of them that do not fit next to the prefix token are
never scored, and leading/trailing U+FFFD characters (partial multi-byte tokens) are stripped from
prompts, with the conditioning count estimated against the window length.
"""

from __future__ import annotations

from helm_lite.adaptation.adapter import Adapter
from helm_lite.adaptation.request_state import RequestState
from helm_lite.common.errors import UserError
from helm_lite.common.request import Request
from helm_lite.scenarios.base import EVAL_SPLITS, Instance

REPLACEMENT_CHARACTER = "\ufffd"


class LanguageModelingAdapter(Adapter):
    def adapt(self, instances: list[Instance]) -> list[RequestState]:
        others = sorted({str(i.split) for i in instances if i.split not in EVAL_SPLITS})
        if others:
            raise UserError(
                "the language_modeling method scores evaluation text only, but the scenario gave "
                f"instances of split(s) {', '.join(others)}; use valid/test instances only"
            )
        return [state for instance in instances for state in self.instance_states(instance)]

    @property
    def max_window_tokens(self) -> int:
        """Tokens per request: the request limit, leaving room for `max_tokens` generated ones."""
        w = self.window
        return min(w.max_request_length, w.max_sequence_and_generated_tokens_length - self.spec.max_tokens)

    def instance_states(self, instance: Instance) -> list[RequestState]:
        """One request per window, in text order; only the first carries the adapter's `random`."""
        limit = self.max_window_tokens
        tokens = self.window.encode(instance.input.text)
        first = tokens[: min(self.window.max_sequence_length, len(tokens))]
        prefix_tokens = self.window.encode(self.window.prefix_token) if self.window.prefix_token else []
        prompt, _ = self.fit(prefix_tokens, first, limit)  # the first window ignores the fitted count
        states = [self._state(instance, prompt, 1 if self.window.prefix_token else 0, self.spec.random)]

        done = len(first)
        while done < len(tokens):
            width = min(len(tokens) - done, limit - 1)
            if width <= 0:  # HELM would loop forever here
                raise ValueError(
                    f"a window of {limit} token(s) cannot hold a conditioning and a predicted token"
                )
            end = done + width
            # As in HELM, a negative start (window longer than what precedes) wraps around.
            conditioning = tokens[end - limit : done]
            prompt, num_conditioning = self.fit(conditioning, tokens[done:end], limit)
            states.append(self._state(instance, prompt, num_conditioning, None))
            done += width
        return states

    def fit(self, conditioning: list[int], predicted: list[int], limit: int) -> tuple[str, int]:
        """The window's prompt (at most `limit` tokens, cutting predicted tokens from the end) and
        how many of its leading tokens are conditioning only."""
        raw, predicted = self._fit_tokens(conditioning, predicted, limit)
        prompt = raw.strip(REPLACEMENT_CHARACTER)
        if len(prompt) == len(raw):
            return prompt, len(conditioning)
        # Partial characters were stripped; HELM estimates the counts against `limit`, not the prompt.
        leading = limit - self._num_tokens(raw.lstrip(REPLACEMENT_CHARACTER))
        trailing = limit - self._num_tokens(raw.rstrip(REPLACEMENT_CHARACTER))
        if trailing >= len(predicted):
            return prompt, self._num_tokens(prompt)
        if leading >= len(conditioning):
            return prompt, 1
        return prompt, len(conditioning) - leading

    def _fit_tokens(self, conditioning: list[int], predicted: list[int], limit: int) -> tuple[str, list[int]]:
        raw = self.window.decode(conditioning + predicted)
        length = self._num_tokens(raw)
        # Re-encoding the decoded text can give more tokens than went in, hence the loop.
        while length > limit:
            predicted = predicted[: -(length - limit)]
            raw = self.window.decode(conditioning + predicted)
            length = self._num_tokens(raw)
            if not predicted:
                raise ValueError(
                    "Truncating pred_tokens to fit them in the context window, "
                    "got len(pred_tokens) == 0, which will lead to an infinite loop."
                )
        return raw, predicted

    def _num_tokens(self, text: str) -> int:
        # Not the window service's memoised count: windows are long and seen once.
        return len(self.window.encode(text))

    def _state(
        self, instance: Instance, prompt: str, num_conditioning_tokens: int, random: str | None
    ) -> RequestState:
        s = self.spec
        request = Request(
            model_deployment=s.model_deployment,
            model=s.model,
            prompt=prompt,
            temperature=0,  # an int literal, as in HELM (JSON `0`)
            num_completions=1,
            max_tokens=s.max_tokens,
            stop_sequences=list(s.stop_sequences),
            echo_prompt=True,
            random=random,
        )
        return RequestState(
            instance=instance,
            reference_index=None,
            request_mode=None,
            train_trial_index=0,
            output_mapping=None,
            request=request,
            result=None,
            num_train_instances=s.max_train_instances,
            prompt_truncated=False,
            num_conditioning_tokens=num_conditioning_tokens,
        )
