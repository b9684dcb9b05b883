"""The table `helm-run --dry-run` prints: per run, the requests and tokens it would send, and what
that would cost where the deployment declares a `price:`.

The numbers come from each run's `stats.json` (written by `DryRunMetric`), so the table and the
files never disagree. The cost is an upper bound: every request is charged its full `max_tokens`
of completion, which a model that stops early does not use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from helm_lite.registry.loader import Registry
from helm_lite.registry.schema import ModelPrice
from helm_lite.run_specs.run_spec import RunSpec


@dataclass(frozen=True)
class DryRunRow:
    run: str
    deployment: str
    requests: int
    prompt_tokens: int
    max_completion_tokens: int
    price: ModelPrice | None
    prompts_counted: bool  # False when the deployment has no tokenizer to count prompt tokens with

    @property
    def cost(self) -> float | None:
        if self.price is None:
            return None
        prompt_tokens = self.prompt_tokens if self.prompts_counted else 0
        return self.price.cost(prompt_tokens, self.max_completion_tokens)


def read_rows(suite_dir: str, run_specs: Iterable[RunSpec], registry: Registry) -> list[DryRunRow]:
    """One row per run of `run_specs` (the runs this dry run wrote) with a readable `stats.json`."""
    rows = []
    for spec in run_specs:
        sums = _stat_sums(os.path.join(suite_dir, spec.name, "stats.json"))
        if sums is None:
            continue
        name = spec.adapter_spec.model_deployment
        deployment = registry.get_deployment(name) if registry.has_deployment(name) else None
        rows.append(
            DryRunRow(
                run=spec.name,
                deployment=name,
                requests=int(sums.get("num_requests", 0)),
                prompt_tokens=int(sums.get("num_prompt_tokens", 0)),
                max_completion_tokens=int(sums.get("max_num_completion_tokens", 0)),
                price=deployment.price if deployment else None,
                prompts_counted=deployment is None or deployment.tokenizer_name is not None,
            )
        )
    return rows


def _stat_sums(path: str) -> dict[str, float] | None:
    try:
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError):
        return None
    return {s["name"]["name"]: s.get("sum", 0) for s in stats if not s["name"].get("split")}


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.6f} {currency}" if amount < 1 else f"{amount:,.2f} {currency}"


def format_report(rows: Sequence[DryRunRow]) -> str:
    """A plain-text table with a totals line, then what the cost means."""
    header = ("run", "deployment", "requests", "prompt tokens", "max completion tokens", "cost (at most)")
    body: list[tuple[str, ...]] = []
    totals: dict[str, float] = {}
    for r in rows:
        cost = "no price" if r.price is None else _money(r.cost or 0.0, r.price.currency)
        if r.price is not None:
            totals[r.price.currency] = totals.get(r.price.currency, 0.0) + (r.cost or 0.0)
        prompts = f"{r.prompt_tokens:,}" if r.prompts_counted else "not counted"
        body.append((r.run, r.deployment, f"{r.requests:,}", prompts, f"{r.max_completion_tokens:,}", cost))
    total_cost = " + ".join(_money(v, c) for c, v in sorted(totals.items())) or "-"
    body.append(
        (
            f"total ({len(rows)} run{'s' if len(rows) != 1 else ''})",
            "",
            f"{sum(r.requests for r in rows):,}",
            f"{sum(r.prompt_tokens for r in rows if r.prompts_counted):,}",
            f"{sum(r.max_completion_tokens for r in rows):,}",
            total_cost,
        )
    )
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]

    def render(line: tuple[str, ...]) -> str:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(line[2:], widths[2:], strict=True)]
        return "  ".join(cells).rstrip()

    lines = [render(header), *(render(line) for line in body[:-1])]
    lines += ["-" * len(render(header)), render(body[-1])]
    notes = [
        "Dry run: no model was called. The cost is an upper bound: prompt tokens x input price + "
        "max completion tokens x output price, from each deployment's `price:`."
    ]
    if any(not r.prompts_counted for r in rows):
        notes.append(
            "'not counted': the deployment has no tokenizer, so its cost covers completion tokens only."
        )
    return "\n".join(lines + notes)


def print_dry_run_report(suite_dir: str, run_specs: Iterable[RunSpec], registry: Registry) -> None:
    rows = read_rows(suite_dir, run_specs, registry)
    if rows:
        print(format_report(rows), flush=True)
