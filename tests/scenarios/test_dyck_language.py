"""dyck_language must reproduce HELM's instances byte for byte."""

from __future__ import annotations

import pickle
import random
from functools import cache

import numpy as np
import pytest

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import Instance
from helm_lite.scenarios.dyck_language import DyckLanguageScenario, _BoundedIntStream


@cache
def instances(n: int) -> list[Instance]:
    return DyckLanguageScenario(n).get_instances("")


def pair(instance: Instance) -> tuple[str, str]:
    assert len(instance.references) == 1 and instance.references[0].tags == ["correct"]
    return instance.input.text, instance.references[0].output.text


@pytest.mark.parametrize(
    ("n", "index", "text", "answer"),
    [
        (3, 0, "( { { ( { ( ) } ) }", " } )"),
        (3, 1, "[ { [ ( { ( [ ( { } ) ] ) { [ ( ) ] } { } } ) ] } [ { { } } ] { } ( ) ( { }", " ) ]"),
        (3, 2, "[ ( { { }", " } ) ]"),
        (
            3,
            3,
            "( [ ( ) ( { { ( ( { { } } ) ) } { [ ( { } ( [ ] ) [ { } ] ) ] } }"
            " [ ( { ( ( [ [ [ [ [ ] ] ] ] ] ) ) } ) ] { [ ] } { ( ( ) ) } ( )",
            " ) ] )",
        ),
        (1, 0, "( ( ( ( ( ( ) ) ) )", " ) )"),
        (2, 0, "[ [ [ [ [ [ ] ] ] ]", " ] ]"),
        (4, 0, "< [ [ [ < [ ] > ] ]", " ] >"),
        # Eval instance id93 of HELM's dyck_language prompt (n=3).
        (
            3,
            93,
            "[ { [ [ [ ] ] ] ( [ { [ ( [ ( ) ( ( [ ] ) ) [ [ ] ] ] { { } ( { } ) } ) ] } ] )"
            " [ [ ] [ { } ] ] ( ) } ] [ [ { { { [ ( { ( ) } ) ] } ( { { [ { } ] [ ] } [ ] } ) } }",
            " ] ]",
        ),
    ],
)
def test_spec_vectors(n: int, index: int, text: str, answer: str) -> None:
    instance = instances(n)[index]
    assert instance.id == f"id{index}"
    assert pair(instance) == (text, answer)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_splits_and_uniqueness(n: int) -> None:
    result = instances(n)
    assert [i.split for i in result] == ["train"] * 3 + ["test"] * 500
    assert [i.id for i in result] == [f"id{k}" for k in range(503)]
    texts = [i.input.text for i in result]
    assert len(set(texts)) == len(texts)
    assert not set(texts[:3]) & set(texts[3:])
    for instance in result:
        assert len(instance.input.text.split(" ")) < (50 if instance.split == "train" else 100)
        assert 1 <= len(instance.references[0].output.text.split()) <= 3


def _reference_generator(n: int, num_train: int, num_test: int) -> list[tuple[str, str]]:
    """HELM's recursive generator, written out literally, with numpy's own scalar `randint` as oracle."""
    opening, closing = "([{<"[:n], ")]}>"[:n]
    np_rng, py_rng = np.random.RandomState(42), random.Random(42)

    def word(depth: int, limit: int = 100) -> list[str]:
        if depth > 100:
            return []
        u = py_rng.random()
        if u < 0.5:
            k = np_rng.randint(n)
            w = [opening[k], *word(depth + 1), closing[k]]
        elif u < 0.75:
            w = word(depth) + word(depth)
        else:
            w = []
        return w if len(w) <= limit else []

    def make_pair(min_len: int, max_len: int) -> tuple[str, str]:
        while True:
            w = word(0, max_len)
            if len(w) < min_len:
                continue
            d, count = py_rng.randint(1, 3), 0
            for i in range(len(w) - 1, -1, -1):
                count += 1 if w[i] in closing else -1
                if count == d:
                    stack = []
                    for s in w[:i]:
                        if s in opening:
                            stack.append(closing[opening.index(s)])
                        else:
                            stack.pop()
                    return " ".join(w[:i]), " " + " ".join(reversed(stack))

    def corpus(size: int, min_len: int, max_len: int, forbidden: list[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        while len(out) < size:
            x, y = make_pair(min_len, max_len)
            if x not in [o[0] for o in out] and x not in forbidden:
                out.append((x, y))
        return out

    train = corpus(num_train, 4, 50, [])
    return train + corpus(num_test, 52, 100, [x for x, _ in train])


def test_matches_recursive_reference() -> None:
    scenario = DyckLanguageScenario(3, num_test_instances=40)
    assert [pair(i) for i in scenario.get_instances("")] == _reference_generator(3, 3, 40)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7])
def test_bounded_int_stream_matches_numpy(n: int) -> None:
    expected = np.random.RandomState(7)
    stream = _BoundedIntStream(np.random.RandomState(7), n)
    assert [stream.draw() for _ in range(10000)] == [int(expected.randint(n)) for _ in range(10000)]


def global_rng_state() -> tuple[bytes, object]:
    return pickle.dumps(np.random.get_state()), random.getstate()


def test_deterministic_and_global_rng_untouched() -> None:
    np.random.seed(123)
    random.seed(123)
    before = global_rng_state()
    scenario = DyckLanguageScenario(2)
    first = [pair(i) for i in scenario.get_instances("")]
    assert first == [pair(i) for i in instances(2)]
    assert [pair(i) for i in scenario.get_instances("")] == first
    assert global_rng_state() == before


@pytest.mark.parametrize("n", [-1, 0, 5])
def test_bad_number_of_pairs(n: int) -> None:
    message = r"^The number of parenthesis pairs should be a number between 1 and 4 \(inclusive\)\.$"
    with pytest.raises(UserError, match=message):
        DyckLanguageScenario(n)


def test_metadata() -> None:
    meta = DyckLanguageScenario(3).metadata()
    assert meta.name == "dyck_language"
    assert meta.description == "Generate the closing parentheses of a Dyck-n prefix"
    assert meta.tags == ["reasoning", "language", "hierarchy"]
    assert meta.definition_path.endswith("/dyck_language_scenario.py")
