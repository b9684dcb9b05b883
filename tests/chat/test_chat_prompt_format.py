"""PromptFormat: RayLLM's rendering rules, its documented llama-2 example, and validation."""

from __future__ import annotations

import pytest

from helm_lite.chat import PromptFormat
from helm_lite.common.errors import UserError

LLAMA2 = PromptFormat(
    system="<<SYS>>\n{instruction}\n<</SYS>>\n\n",
    assistant=" {instruction} </s><s>",
    trailing_assistant="",
    user="[INST] {system}{instruction} [/INST]",
    system_in_user=True,
    default_system_message="",
)

TAGS = PromptFormat(
    system="[system] {instruction} [/system] ",
    assistant="[assistant] {instruction} [/assistant] ",
    trailing_assistant="[assistant]",
    user="[user] {instruction} [/user] ",
)


def msgs(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": r, "content": c} for r, c in pairs]


def test_llama2_worked_example() -> None:
    conversation = msgs(
        ("system", "You are a helpful assistant."),
        ("user", "What is the capital of France?"),
        ("assistant", "The capital of France is Paris."),
        ("user", "What about Germany?"),
    )
    assert LLAMA2.render(conversation) == (
        "[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nWhat is the capital of France? [/INST]"
        " The capital of France is Paris. </s><s>[INST] What about Germany? [/INST]"
    )


def test_llama2_system_only_in_first_user_message() -> None:
    prompt = LLAMA2.render(msgs(("system", "S"), ("user", "u1"), ("assistant", "a1"), ("user", "u2")))
    assert prompt.count("<<SYS>>") == 1
    assert prompt == "[INST] <<SYS>>\nS\n<</SYS>>\n\nu1 [/INST] a1 </s><s>[INST] u2 [/INST]"


def test_no_system_message() -> None:
    assert TAGS.render(msgs(("user", "hello1"))) == "[user] hello1 [/user] [assistant]"
    assert LLAMA2.render(msgs(("user", "hello1"))) == "[INST] hello1 [/INST]"
    assert (
        TAGS.render(msgs(("user", "hello1"), ("assistant", "hello2"), ("user", "hello3")))
        == "[user] hello1 [/user] [assistant] hello2 [/assistant] [user] hello3 [/user] [assistant]"
    )


def test_system_message_moves_to_front() -> None:
    assert (
        TAGS.render(msgs(("user", "hello1"), ("system", "hello2")))
        == "[system] hello2 [/system] [user] hello1 [/user] [assistant]"
    )


def test_two_system_messages_are_an_error() -> None:
    with pytest.raises(UserError, match="one system message"):
        TAGS.render(msgs(("system", "a"), ("user", "b"), ("system", "c")))


def test_unknown_role_is_an_error() -> None:
    with pytest.raises(UserError, match="role"):
        TAGS.render(msgs(("tool", "x")))


def test_empty_system_message_is_left_out() -> None:
    assert TAGS.render(msgs(("system", ""), ("user", "u"))) == "[user] u [/user] [assistant]"
    assert LLAMA2.render(msgs(("system", "  "), ("user", "u"))) == "[INST] u [/INST]"


def test_empty_system_message_with_tags_forced() -> None:
    tags = PromptFormat(**{**TAGS.__dict__, "add_system_tags_even_if_message_is_empty": True})
    assert tags.render(msgs(("user", "hello1"))) == "[system]  [/system] [user] hello1 [/user] [assistant]"
    assert (
        tags.render(msgs(("system", ""), ("user", "hello1")))
        == "[system]  [/system] [user] hello1 [/user] [assistant]"
    )
    llama = PromptFormat(**{**LLAMA2.__dict__, "add_system_tags_even_if_message_is_empty": True})
    assert llama.render(msgs(("user", "hello1"))) == "[INST] <<SYS>>\n\n<</SYS>>\n\nhello1 [/INST]"


def test_default_system_message() -> None:
    fmt = PromptFormat(**{**TAGS.__dict__, "default_system_message": "Test"})
    assert fmt.render(msgs(("user", "hello1"))) == "[system] Test [/system] [user] hello1 [/user] [assistant]"
    # An explicit system message replaces the default.
    assert (
        fmt.render(msgs(("system", "hello1"), ("user", "hello2")))
        == "[system] hello1 [/system] [user] hello2 [/user] [assistant]"
    )
    llama = PromptFormat(**{**LLAMA2.__dict__, "default_system_message": "Test"})
    assert (
        llama.render(msgs(("user", "hello1"), ("assistant", "hello2"), ("user", "hello3")))
        == "[INST] <<SYS>>\nTest\n<</SYS>>\n\nhello1 [/INST] hello2 </s><s>[INST] hello3 [/INST]"
    )


def test_strip_whitespace_on_and_off() -> None:
    conversation = msgs(("user", "hello1 "), ("assistant", " hello2"), ("user", "hello3"))
    assert (
        TAGS.render(conversation)
        == "[user] hello1 [/user] [assistant] hello2 [/assistant] [user] hello3 [/user] [assistant]"
    )
    keep = PromptFormat(**{**TAGS.__dict__, "strip_whitespace": False})
    assert (
        keep.render(conversation)
        == "[user] hello1  [/user] [assistant]  hello2 [/assistant] [user] hello3 [/user] [assistant]"
    )


def test_trailing_assistant() -> None:
    chatml = PromptFormat(
        system="<|im_start|>system\n{instruction}<|im_end|>\n",
        user="<|im_start|>user\n{instruction}<|im_end|>\n",
        assistant="<|im_start|>assistant\n{instruction}<|im_end|>\n",
        trailing_assistant="<|im_start|>assistant\n",
        default_system_message="You are helpful.",
    )
    assert chatml.render(msgs(("user", "Hi"))) == (
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_defaults_render_plain_concatenation() -> None:
    assert PromptFormat().render(msgs(("user", " Q "))) == "Q"


def test_braces_in_content_are_kept() -> None:
    assert TAGS.render(msgs(("user", "{x} {instruction}"))) == "[user] {x} {instruction} [/user] [assistant]"


@pytest.mark.parametrize("field", ["system", "user", "assistant"])
def test_templates_must_contain_instruction(field: str) -> None:
    with pytest.raises(UserError, match=f"prompt_format.{field} must contain"):
        PromptFormat(**{field: "no placeholder"})


def test_system_in_user_needs_system_slot() -> None:
    with pytest.raises(UserError, match=r"\{system\}"):
        PromptFormat(user="[user] {instruction}", system_in_user=True)


def test_bad_template_and_types() -> None:
    with pytest.raises(UserError, match="not a valid template"):
        PromptFormat(user="{instruction} {oops}")
    with pytest.raises(UserError, match="true or false"):
        PromptFormat(system_in_user="yes")  # type: ignore[arg-type]


def test_from_dict() -> None:
    fmt = PromptFormat.from_dict(
        {
            "system": "<<SYS>>\n{instruction}\n<</SYS>>\n\n",
            "assistant": " {instruction} </s><s>",
            "trailing_assistant": "",
            "user": "[INST] {system}{instruction} [/INST]",
            "system_in_user": True,
            "default_system_message": "",
        },
        where="x.yaml: llama",
    )
    assert fmt == LLAMA2


def test_from_dict_errors_name_where_and_field() -> None:
    with pytest.raises(UserError, match=r"^deployments\.yaml: a/b: unknown prompt_format field\(s\) bos"):
        PromptFormat.from_dict({"bos": "<s>"}, where="deployments.yaml: a/b")
    with pytest.raises(UserError, match=r"^here: prompt_format.user must contain"):
        PromptFormat.from_dict({"user": "x"}, where="here")
    with pytest.raises(UserError, match="must be a mapping"):
        PromptFormat.from_dict(["x"], where="here")  # type: ignore[arg-type]
