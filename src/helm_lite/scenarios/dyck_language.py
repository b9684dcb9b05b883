"""Dyck-n language (HELM's `dyck_language`): predict the closing brackets of a Dyck-n prefix.

Words come from the grammar S -> (_k S )_k | S S | empty. HELM seeds the *global* numpy and Python
generators; this module uses private `numpy.random.RandomState(seed)` and `random.Random(seed)` instead,
which produce the same streams, so the instances match HELM's exactly without disturbing global state.
The grammar is expanded with an explicit stack (same pre-order draw sequence as the recursive form),
so nesting depth never depends on Python's recursion limit.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from helm_lite.common.errors import UserError
from helm_lite.scenarios.base import (
    CORRECT_TAG,
    TEST_SPLIT,
    TRAIN_SPLIT,
    Input,
    Instance,
    Output,
    Reference,
    Scenario,
)

DEFAULT_PARENTHESIS_PAIRS: tuple[tuple[str, str], ...] = (("(", ")"), ("[", "]"), ("{", "}"), ("<", ">"))
# Length cap of every nested word; only the top-level call gets the split's own maximum length.
NESTED_LENGTH_LIMIT = 100


# Stack actions of the iterative grammar expansion.
_EXPAND, _CLOSE, _END = 0, 1, 2
_RAW_CHUNK = 4096


class _BoundedIntStream:
    """`RandomState.randint(n)` values, bit-identical but without numpy's per-call overhead.

    Legacy numpy draws a bounded integer below n <= 2**32 by taking 32-bit outputs, masking them to the
    next power of two minus one and rejecting values >= n. Raw 32-bit outputs fetched in bulk are the
    same outputs, so repeating the masking here yields the same values. Fetching ahead is harmless
    because this private generator serves nothing else.
    """

    def __init__(self, rng: np.random.RandomState, n: int) -> None:
        self._rng = rng
        self._n = n
        self._mask = (1 << (n - 1).bit_length()) - 1
        self._raw: list[int] = []
        self._pos = 0

    def draw(self) -> int:
        if self._n == 1:
            return 0  # numpy returns the only value without drawing
        while True:
            if self._pos == len(self._raw):
                self._raw = self._rng.randint(0, 1 << 32, size=_RAW_CHUNK, dtype=np.uint64).tolist()
                self._pos = 0
            value = self._raw[self._pos] & self._mask
            self._pos += 1
            if value < self._n:
                return value


class DyckLanguageScenario(Scenario):
    """Dyck-n prefixes whose last 1-3 unclosed brackets must be closed, as HELM generates them."""

    name = "dyck_language"
    description = "Generate the closing parentheses of a Dyck-n prefix"
    tags = ["reasoning", "language", "hierarchy"]
    definition_file = "dyck_language_scenario.py"

    def __init__(
        self,
        num_parenthesis_pairs: int,
        num_train_instances: int = 3,
        num_test_instances: int = 500,
        parenthesis_pairs: Sequence[Sequence[str]] = DEFAULT_PARENTHESIS_PAIRS,
        prob_p: float = 0.5,
        prob_q: float = 0.25,
        max_recursive_depth: int = 100,
        min_seq_train_length: int = 4,
        max_seq_train_length: int = 50,
        min_seq_test_length: int = 52,
        max_seq_test_length: int = 100,
        max_output_size: int = 3,
        seed: int = 42,
    ) -> None:
        if not 1 <= num_parenthesis_pairs <= 4:
            raise UserError("The number of parenthesis pairs should be a number between 1 and 4 (inclusive).")
        pairs = [tuple(pair) for pair in parenthesis_pairs][:num_parenthesis_pairs]
        if len(pairs) < num_parenthesis_pairs or any(len(pair) != 2 for pair in pairs):
            raise UserError(
                f"Need {num_parenthesis_pairs} (open, close) parenthesis pairs, got {parenthesis_pairs!r}"
            )
        self.num_parenthesis_pairs = num_parenthesis_pairs
        self.num_train_instances = num_train_instances
        self.num_test_instances = num_test_instances
        self.opening = [pair[0] for pair in pairs]
        self.closing = [pair[1] for pair in pairs]
        self.prob_p = prob_p
        self.prob_q = prob_q
        self.max_recursive_depth = max_recursive_depth
        self.min_seq_train_length = min_seq_train_length
        self.max_seq_train_length = max_seq_train_length
        self.min_seq_test_length = min_seq_test_length
        self.max_seq_test_length = max_seq_test_length
        self.max_output_size = max_output_size
        self.seed = seed
        self._py_rng = random.Random(seed)
        self._kinds = _BoundedIntStream(np.random.RandomState(seed), num_parenthesis_pairs)

    def get_instances(self, output_path: str) -> list[Instance]:
        # Reseed per call, as HELM does, so repeated calls return identical instances.
        self._py_rng = random.Random(self.seed)
        self._kinds = _BoundedIntStream(np.random.RandomState(self.seed), self.num_parenthesis_pairs)
        train_inputs, train = self._corpus(
            TRAIN_SPLIT, self.num_train_instances, self.min_seq_train_length, self.max_seq_train_length, set()
        )
        _, test = self._corpus(
            TEST_SPLIT,
            self.num_test_instances,
            self.min_seq_test_length,
            self.max_seq_test_length,
            set(train_inputs),
        )
        instances = train + test
        return [
            Instance(input=inst.input, references=inst.references, split=inst.split, id=f"id{n}")
            for n, inst in enumerate(instances)
        ]

    def _corpus(
        self, split: str, size: int, min_len: int, max_len: int, forbidden: set[str]
    ) -> tuple[list[str], list[Instance]]:
        """`size` instances with distinct inputs, none of them in `forbidden`."""
        seen: list[str] = []
        seen_set: set[str] = set()
        out: list[Instance] = []
        while len(out) < size:
            prompt, answer = self._pair(min_len, max_len)
            if prompt in seen_set or prompt in forbidden:
                continue
            seen.append(prompt)
            seen_set.add(prompt)
            reference = Reference(output=Output(text=" " + answer), tags=[CORRECT_TAG])
            out.append(Instance(input=Input(text=prompt), references=[reference], split=split))
        return seen, out

    def _pair(self, min_len: int, max_len: int) -> tuple[str, str]:
        """Draw words until one is long enough and can be cut; return (prefix, its closers)."""
        while True:
            word = self._word(max_len)
            if len(word) < min_len:
                continue
            num_unclosed = self._py_rng.randint(1, self.max_output_size)
            prefix = self._cut(word, num_unclosed)
            if prefix:
                return " ".join(prefix), " ".join(self._closers(prefix))

    def _word(self, top_limit: int) -> list[str]:
        """Expand the grammar with an explicit stack, drawing in the recursive version's pre-order.

        Symbols go straight into one flat list; each finished sub-word that exceeds its length limit is
        cut back out (HELM returns an empty word then, after all of its draws were made).
        """
        out: list[str] = []
        stack: list[tuple[int, int, int, int]] = [(_EXPAND, 0, top_limit, 0)]
        while stack:
            action, a, limit, start = stack.pop()
            if action == _EXPAND:
                depth = a
                if depth > self.max_recursive_depth:
                    continue
                u = self._py_rng.random()
                if u < self.prob_p:
                    kind = self._kinds.draw()  # drawn before the inner word, as in HELM
                    stack.append((_CLOSE, kind, limit, len(out)))
                    out.append(self.opening[kind])
                    stack.append((_EXPAND, depth + 1, NESTED_LENGTH_LIMIT, 0))
                elif u < self.prob_p + self.prob_q:
                    stack.append((_END, 0, limit, len(out)))
                    stack.append((_EXPAND, depth, NESTED_LENGTH_LIMIT, 0))  # right half
                    stack.append((_EXPAND, depth, NESTED_LENGTH_LIMIT, 0))  # left half, expanded first
                continue
            if action == _CLOSE:
                out.append(self.closing[a])
            if len(out) - start > limit:
                del out[start:]
        return out

    def _cut(self, word: list[str], num_unclosed: int) -> list[str]:
        """Longest prefix of `word` that leaves exactly `num_unclosed` brackets open ([] if none)."""
        count = 0
        for i in range(len(word) - 1, -1, -1):
            count += 1 if word[i] in self.closing else -1
            if count == num_unclosed:
                return word[:i]
        return []

    def _closers(self, prefix: list[str]) -> list[str]:
        """Closing symbols for the open brackets of `prefix`, innermost first."""
        stack = []
        for symbol in prefix:
            if symbol in self.opening:
                stack.append(self.closing[self.opening.index(symbol)])
            else:
                stack.pop()
        return stack[::-1]
