"""Small WildBench and Omni-MATH files in their upstream formats (HF parquet with WildBench's nested
columns, Omni-MATH's JSON lines), written into a data-mirror layout for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WILDBENCH_FILE = "wildbench/v2/test-00000-of-00001.parquet"
OMNI_MATH_FILE = "omni_math/test.jsonl"


def _turn(role: str, content: str) -> dict[str, Any]:
    # Every field of an upstream turn, not only the two HELM reads.
    return {
        "content": content,
        "language": "English",
        "redacted": False,
        "role": role,
        "timestamp": None,
        "toxic": False,
    }


WILDBENCH_ROWS: list[dict[str, Any]] = [
    {
        "session_id": "a1",
        "conversation_input": [_turn("user", "Write a haiku about {$checklist} and autumn.")],
        "checklist": ["Is it a haiku (5-7-5)?", "Does it mention autumn?"],
        "primary_tag": "Creative Writing",
    },
    {
        "session_id": "b2",
        "conversation_input": [
            _turn("user", "What is 2+2?"),
            _turn("assistant", "4"),
            _turn("user", "And times 3?\nExplain briefly."),
        ],
        "checklist": ["Is the answer 12?"],
        "primary_tag": "Math",
    },
    {
        "session_id": "c3",
        "conversation_input": [_turn("user", "Summarise WildBench.")],
        "checklist": [],
        "primary_tag": "Information seeking",
    },
]

OMNI_MATH_ROWS: list[dict[str, Any]] = [
    {
        "domain": ["Mathematics -> Algebra"],
        "difficulty": 5.0,
        "problem": "Find the minimum $m$ such that $x^2 \\ge m$ for all real $x$.",
        "solution": "Squares are non-negative.",
        "answer": "0",
        "source": "test_olympiad",
    },
    {
        "domain": ["Mathematics -> Number Theory"],
        "difficulty": 6.5,
        "problem": "How many primes are below 10?\nGive a number.",
        "solution": "2, 3, 5, 7.",
        "answer": "4",
        "source": "test_olympiad",
    },
    {
        "domain": ["Mathematics -> Geometry"],
        "difficulty": 7.0,
        "problem": "What is the sum of the angles of a triangle, in degrees?",
        "solution": "Classic.",
        "answer": "180",
        "source": "test_olympiad",
    },
]


def wildbench_bytes(rows: list[dict[str, Any]] = WILDBENCH_ROWS) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    turn = pa.struct(
        [
            ("content", pa.string()),
            ("language", pa.string()),
            ("redacted", pa.bool_()),
            ("role", pa.string()),
            ("timestamp", pa.null()),
            ("toxic", pa.bool_()),
        ]
    )
    schema = pa.schema(
        [
            ("session_id", pa.string()),
            ("conversation_input", pa.list_(turn)),
            ("checklist", pa.list_(pa.string())),
            ("primary_tag", pa.string()),
        ]
    )
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), out)
    return out.getvalue()


def omni_math_bytes(rows: list[dict[str, Any]] = OMNI_MATH_ROWS) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")


def write_mirror(root: Path) -> Path:
    for relative, data in ((WILDBENCH_FILE, wildbench_bytes()), (OMNI_MATH_FILE, omni_math_bytes())):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root
