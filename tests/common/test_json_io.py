"""HELM-JSON writer: byte-identical to ``json.dumps(to_jsonable(obj), indent=2)``, streamed to files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from helm_lite.common.json_io import dumps, to_jsonable, write_json_atomic


@dataclass(frozen=True)
class Inner:
    text: str
    score: float | None = None


@dataclass(frozen=True)
class Outer:
    name: str
    items: list[Inner] = field(default_factory=list)
    extra: dict[Any, Any] | None = None
    flag: bool = False


class StrSub(str):
    pass


SAMPLES: list[Any] = [
    0,
    -3,
    1.5,
    1e-7,
    1e300,
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    False,
    None,
    "plain",
    'quote " backslash \\ newline \n tab \t é \u2028 \U0001f600',
    "",
    [],
    {},
    (),
    [None, True, False, float("nan"), [], {}, [[]]],
    {1: "int key", 1.5: "float key", None: "none key", False: "bool key", "k": [1, 2]},
    Inner("a"),
    Inner("b", 0.25),
    Outer("o", [Inner("x"), Inner("y", -1.0)], {"nested": (Inner("z"),), "none": None}, True),
    [StrSub("sub")],
]


@pytest.mark.parametrize(
    "obj", SAMPLES + [SAMPLES, {"all": SAMPLES}, [[SAMPLES]], Outer("deep", extra={"s": SAMPLES})]
)
def test_dumps_matches_json_module(obj: Any) -> None:
    assert dumps(obj) == json.dumps(to_jsonable(obj), indent=2)


def test_write_json_atomic_streams_the_same_text(tmp_path) -> None:
    obj = {"request_states": [Outer(f"o{i}", [Inner(str(j), j / 3) for j in range(5)]) for i in range(3000)]}
    path = tmp_path / "out.json"
    write_json_atomic(str(path), obj)
    assert path.read_text() == json.dumps(to_jsonable(obj), indent=2)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_unserialisable_object_raises_type_error() -> None:
    with pytest.raises(TypeError):
        dumps([object()])
