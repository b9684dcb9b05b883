"""Boolean run-entry arguments: one parser (`run_specs/arguments.py`), HELM's spelling only."""

from __future__ import annotations

from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import load_registry
from helm_lite.run_entries.construct import construct_run_specs_for
from helm_lite.run_entries.description import parse_description


def _name(description: str, tmp_path: Path) -> str:
    (spec,) = construct_run_specs_for(parse_description(description), load_registry(tmp_path), description)
    return spec.name


def test_capabilities_flags_are_converted_from_run_entries(tmp_path: Path) -> None:
    assert _name("mmlu_pro:use_chain_of_thought=FALSE,use_few_shot=True,model=simple/model1", tmp_path) == (
        "mmlu_pro:subset=all,use_chain_of_thought=false,use_few_shot=true,model=simple_model1"
    )
    assert _name("gpqa:subset=main,model=simple/model1", tmp_path) == (
        "gpqa:subset=gpqa_main,use_chain_of_thought=true,use_few_shot=false,model=simple_model1"
    )


@pytest.mark.parametrize("value", ["yes", "1", "no", "0", "sometimes"])
def test_a_flag_helm_would_read_differently_is_an_error(tmp_path: Path, value: str) -> None:
    description = f"gpqa:subset=main,use_few_shot={value},model=simple/model1"
    with pytest.raises(
        UserError, match=f"^run entry '{description}': use_few_shot={value}: expected true or false$"
    ):
        _name(description, tmp_path)
