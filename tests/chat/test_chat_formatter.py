"""make_chat_formatter, the two formatters, and stop-sequence merging (no transformers needed)."""

from __future__ import annotations

from typing import Any

import pytest

from helm_lite.chat import (
    PromptFormat,
    PromptFormatFormatter,
    TokenizerTemplateFormatter,
    make_chat_formatter,
    merge_stop_sequences,
)
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.registry.schema import ModelDeployment

LLAMA2_DICT = {
    "system": "<<SYS>>\n{instruction}\n<</SYS>>\n\n",
    "assistant": " {instruction} </s><s>",
    "user": "[INST] {system}{instruction} [/INST]",
    "system_in_user": True,
}


class FakeHFTokenizer:
    """Stands in for a transformers tokenizer: records what apply_chat_template was given."""

    def __init__(self, chat_template: str | None = "{{ messages }}") -> None:
        self.chat_template = chat_template
        self.name_or_path = "fake/tok"
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def apply_chat_template(self, messages: Any, **kwargs: Any) -> str:
        self.calls.append((messages, kwargs))
        return "<user>" + messages[-1]["content"] + "</user><assistant>"


def deployment(**kwargs: Any) -> ModelDeployment:
    return ModelDeployment(
        name="local/chat-model", client_spec=ObjectSpec("x.Y"), tokenizer_name="local/tok", **kwargs
    )


def never_called() -> Any:
    raise AssertionError("the HF tokenizer must not be loaded")


def test_no_chat_settings_means_no_formatter() -> None:
    assert make_chat_formatter(deployment(), never_called) is None


def test_prompt_format_formatter() -> None:
    formatter = make_chat_formatter(deployment(prompt_format=LLAMA2_DICT), never_called)
    assert isinstance(formatter, PromptFormatFormatter)
    assert formatter.prompt_format == PromptFormat.from_dict(LLAMA2_DICT, "t")
    assert formatter.format_prompt("  What is 2+2?\n") == "[INST] What is 2+2? [/INST]"


def test_bad_prompt_format_names_the_deployment() -> None:
    with pytest.raises(
        UserError, match=r"model deployment local/chat-model: unknown prompt_format field\(s\) usr"
    ):
        make_chat_formatter(deployment(prompt_format={"usr": "{instruction}"}), never_called)


def test_tokenizer_template_formatter() -> None:
    fake = FakeHFTokenizer()
    formatter = make_chat_formatter(deployment(chat_template="tokenizer"), lambda: fake)
    assert isinstance(formatter, TokenizerTemplateFormatter)
    assert formatter.format_prompt("Hi") == "<user>Hi</user><assistant>"
    assert fake.calls == [
        ([{"role": "user", "content": "Hi"}], {"tokenize": False, "add_generation_prompt": True})
    ]


def test_tokenizer_without_chat_template_is_an_error() -> None:
    with pytest.raises(UserError, match="no chat template"):
        make_chat_formatter(deployment(chat_template="tokenizer"), lambda: FakeHFTokenizer(None))


def test_unknown_chat_template_value() -> None:
    with pytest.raises(UserError, match="chat_template must be 'tokenizer'"):
        make_chat_formatter(deployment(chat_template="chatml"), never_called)


def test_both_prompt_format_and_chat_template_is_an_error() -> None:
    with pytest.raises(UserError, match="not both"):
        make_chat_formatter(deployment(prompt_format=LLAMA2_DICT, chat_template="tokenizer"), never_called)


@pytest.mark.parametrize(
    ("request_stops", "deployment_stops", "expected"),
    [
        ([], [], []),
        (["\n"], [], ["\n"]),
        ([], ["</s>"], ["</s>"]),
        (["\n", "###"], ["</s>", "\n"], ["\n", "###", "</s>"]),
        (["a", "a"], ["b", "b", "a"], ["a", "b"]),
    ],
)
def test_merge_stop_sequences(
    request_stops: list[str], deployment_stops: list[str], expected: list[str]
) -> None:
    assert merge_stop_sequences(request_stops, deployment_stops) == expected
