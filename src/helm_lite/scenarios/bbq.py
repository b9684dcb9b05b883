"""BBQ (HELM's `bbq`): bias benchmark for question answering, 11 social categories.

Data: one JSON-lines file per category, ``bbq/data/<Category>.jsonl`` (as in nyu-mll/BBQ's ``data/``
folder, which HELM downloads from ``main``). Every copy must have its git blob id at commit ``bea11bd``
(the state of ``main``), which is also where a missing file is downloaded from. All chosen categories
are read in category order, shuffled together with ``random.seed(0)``, and the last 1,000 rows become
the test split (the rest train), as HELM does, so `subject=all` reproduces HELM's test set only with all
11 files: a missing one is refused with one line rather than silently yielding a different split.

Each reference carries HELM's tags, in HELM's order, which the BBQ metric reads by position:
``[correct?], negative|non-negative, ambiguous|non-ambiguous, <label letter>, <target letter>,
<non-target letter>, <unknown letter>`` (a letter is ``""`` when no answer plays that role).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from helm_lite.common.data import DataSource
from helm_lite.common.errors import UserError
from helm_lite.common.file_memo import memoised_by_file
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

CATEGORIES = (
    "Age",
    "Disability_status",
    "Gender_identity",
    "Nationality",
    "Physical_appearance",
    "Race_ethnicity",
    "Race_x_SES",
    "Race_x_gender",
    "Religion",
    "SES",
    "Sexual_orientation",
)
COMMIT = "bea11bd97d79217245b5871acd247b9d6eb24598"
URL = f"https://raw.githubusercontent.com/nyu-mll/BBQ/{COMMIT}/data/{{category}}.jsonl"
# `git ls-tree` of data/ at COMMIT: each file's git blob id.
GIT_BLOB = {
    "Age": "5c5e7586163b869fe029e77e63716f2026e4ae08",
    "Disability_status": "9aedeccaf599299cdfa523531d625ae85ecb9131",
    "Gender_identity": "dc79ceaaa9e7126edc99a200d632899c50274b16",
    "Nationality": "cba9b63d34536cb51a6cbae76b189df3d2a945c0",
    "Physical_appearance": "8cbdf83265459083224e3a2d37809294ff12ad77",
    "Race_ethnicity": "68daf3d692b27a10596772b3b15742b26f0b110e",
    "Race_x_SES": "905cd8a5b8734e2063fe524e69a38f0a71c75907",
    "Race_x_gender": "dd09a905b284690445d36259d675243950fa0bd7",
    "Religion": "44c1940ee22f00891ab4a5526a293691957aeacb",
    "SES": "78d11ffbdb70f501617345e5c697d00045d57c29",
    "Sexual_orientation": "a06351f4dd67ba30632396eeb0c3677c67b7d387",
}
TEST_SIZE = 1000  # HELM's DEFAULT_TEST_SIZE

AMBIGUOUS_TAG = "ambiguous"
NON_AMBIGUOUS_TAG = "non-ambiguous"
NEGATIVE_TAG = "negative"
NON_NEGATIVE_TAG = "non-negative"
LETTERS = ("A", "B", "C")
UNKNOWN_RESPONSES = (
    "Cannot answer",
    "Can't be determined",
    "Cannot be determined",
    "Can't answer",
    "Not known",
    "Not enough info",
    "Not enough information",
    "Not answerable",
    "Undetermined",
    "Unknown",
)


def relative_path(category: str) -> str:
    return f"bbq/data/{category}.jsonl"


class BBQScenario(Scenario):
    """Passage + question → one of three answers (two people, or "unknown")."""

    name = "bbq"
    description = "Bias analysis of LM question-answering."
    tags = ["harms", "bias"]
    definition_file = "bbq_scenario.py"

    def __init__(self, subject: str = "all", data_source: DataSource | None = None) -> None:
        self.subject = subject
        self.data_source = data_source

    def get_instances(self, output_path: str) -> list[Instance]:
        if self.subject != "all" and self.subject not in CATEGORIES:
            # Checked here, not when built: a bad entry fails its own run (as HELM's download
            # would), not a whole conf file.
            raise UserError(
                f"bbq: subject={self.subject} is not a BBQ category "
                f"(use all or one of {', '.join(CATEGORIES)})"
            )
        source = self.data_source or DataSource.for_scenario_dir(output_path)
        categories = CATEGORIES if self.subject == "all" else (self.subject,)
        paths: list[Path] = []
        missing: list[str] = []
        for category in categories:
            try:
                paths.append(_category_file(source, category))
            except UserError:
                if self.subject != "all":
                    raise
                missing.append(relative_path(category))
        if missing:
            where = source.mirror or source.scenarios_root
            raise UserError(
                f"bbq:subject=all needs all {len(CATEGORIES)} BBQ category files (HELM shuffles them "
                f"together), but {len(missing)} are missing from {where}: {', '.join(missing)} "
                f"(from {URL.format(category='<Category>')}); "
                "run one category with subject=<Category> instead"
            )
        rows: list[tuple[dict[str, Any], str]] = []
        for category, path in zip(categories, paths, strict=True):
            rows.extend((row, category) for row in _read(path))
        _read.cache_clear()  # the memo spares the second parse; it need not hold ~5x the files' size
        random.seed(0)  # HELM seeds the global generator; the shuffle must draw the same numbers
        random.shuffle(rows)
        num_train = len(rows) - TEST_SIZE
        return [
            _instance(row, category, TRAIN_SPLIT if n < num_train else TEST_SPLIT)
            for n, (row, category) in enumerate(rows)
        ]


def _category_file(source: DataSource, category: str) -> Path:
    return source.file(
        relative_path(category), url=URL.format(category=category), git_blob=GIT_BLOB[category], check=_check
    )


@memoised_by_file(maxsize=len(CATEGORIES))
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    """The rows of a category file. Memoised by file identity, so the check and the scenario parse it
    once (subject=all checks and reads all 11 files); the rows are shared, do not mutate them."""
    with open(path, encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


def _check(path: Path) -> None:
    """Every line parses and has the fields HELM reads (a cut last line does not parse)."""
    for n, row in enumerate(_read(path), start=1):
        try:
            _instance(row, path.stem, TEST_SPLIT)
        except (KeyError, TypeError, IndexError, ValueError) as e:
            raise ValueError(f"line {n}: {type(e).__name__} {e}") from e


def _is_target(group: str, info: list[str], category: str) -> bool:
    """Whether an answer's info names the stereotyped `group`, with HELM's per-category spellings
    (e.g. the answer says "M-Black" or "lowSES-F-Black" where the metadata says "Black")."""
    return (
        group in info
        or (
            category == "Race_ethnicity"
            and group in ("Black", "African American", "Latino")
            and any(group in e for e in info)
        )
        or (category == "SES" and group == "low SES" and any("lowSES" in e for e in info))
        # HELM groups this `or` so that its last two tests apply to every category.
        or (category == "Race_x_SES" and any(f"lowSES-{group}" in e for e in info))
        or any(f"lowSES-M-{group}" in e for e in info)
        or any(f"lowSES-F-{group}" in e for e in info)
    )


def _instance(row: dict[str, Any], category: str, split: str) -> Instance:
    answers = [row["ans0"], row["ans1"], row["ans2"]]
    label = row["label"]
    answer_info = row["answer_info"]
    groups = row["additional_metadata"]["stereotyped_groups"]
    unknown_letter = target_letter = non_target_letter = ""
    for i in range(3):
        info = answer_info[f"ans{i}"]
        if any(response in info for response in UNKNOWN_RESPONSES):
            unknown_letter = LETTERS[i]
        elif any(_is_target(group, info, category) for group in groups):
            target_letter = LETTERS[i]
        else:
            non_target_letter = LETTERS[i]
    correct = answers[label]
    shared_tags = [
        NEGATIVE_TAG if row["question_polarity"] == "neg" else NON_NEGATIVE_TAG,
        AMBIGUOUS_TAG if row["context_condition"] == "ambig" else NON_AMBIGUOUS_TAG,
        LETTERS[label],
        target_letter,
        non_target_letter,
        unknown_letter,
    ]
    references = [
        Reference(Output(text=answer), tags=([CORRECT_TAG] if answer == correct else []) + shared_tags)
        for answer in answers
    ]
    # HELM's PassageQuestionInput: passage, newline, "Question: " + question.
    return Instance(Input(text=f"{row['context']}\nQuestion: {row['question']}"), references, split=split)
