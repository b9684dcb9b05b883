"""PNG plots of the leaderboard: the main metric per model and scenario, and the mean win rate.

matplotlib is optional (`pip install 'helm-lite[summarize]'`) and imported only here, on first use,
with the non-interactive Agg backend and no pyplot: no display is needed and no global figure state is
touched, so summarize stays importable and fast when plots are off.
"""

from __future__ import annotations

import io
import logging
import os
from typing import Any

from helm_lite.presentation.files import write_bytes_atomic
from helm_lite.presentation.tables import Table, safe_file_name

logger = logging.getLogger(__name__)

MAIN_PLOT = "main_metrics.png"
WIN_RATE_PLOT = "mean_win_rate.png"


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


_CHAR_INCHES = 0.075  # about one character of 10 pt text; margins are sized from label lengths


def _figure(width: float, height: float, margins: tuple[float, float, float, float]) -> Any:
    """A pyplot-free Agg figure whose margins (left, right, top, bottom, in inches) are set up front:
    `bbox_inches="tight"` would render every plot twice."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    left, right, top, bottom = margins
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height
    )
    return fig


def _save(fig: Any, path: str) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    write_bytes_atomic(path, buffer.getvalue())


def _values(leaderboard: Table, col: int) -> list[float | None]:
    cells = [row[col].value for row in leaderboard.rows]
    return [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in cells]


def _errors(leaderboard: Table, col: int) -> list[tuple[float, float]]:
    """(below, above) distances from each value to its interval's ends; (0, 0) without one."""
    out = []
    for row in leaderboard.rows:
        cell, value = row[col], row[col].value
        if cell.interval is not None and isinstance(value, (int, float)):
            lo, hi = cell.interval
            out.append((max(0.0, value - lo), max(0.0, hi - value)))
        else:
            out.append((0.0, 0.0))
    return out


def unit_groups(leaderboard: Table, columns: list[int]) -> list[tuple[str, list[int]]]:
    """Scenario columns grouped by unit, one axis each: all higher-is-better scores share a 0–1 axis;
    each lower-is-better metric (bits per byte, …) gets its own, labelled with its name."""
    groups: dict[str, list[int]] = {}
    for col in columns:
        head = leaderboard.header[col]
        if head.lower_is_better:
            metric = head.metadata.get("metric") or str(head.value)
            unit = f"{metric} (lower is better)"
        else:
            unit = "score (higher is better)"
        groups.setdefault(unit, []).append(col)
    return list(groups.items())


def main_figure(leaderboard: Table) -> Any:
    """Grouped bars of every scenario's main metric with 95% error bars, one axis per unit."""
    import math

    models = [str(row[0].value) for row in leaderboard.rows]
    groups = unit_groups(leaderboard, list(range(2, len(leaderboard.header))))
    labels = {c: str(leaderboard.header[c].value) for _, cols in groups for c in cols}
    slope = math.cos(math.radians(30))
    legend_width = 0.6 + _CHAR_INCHES * 0.9 * max(len(m) for m in models)
    per_column = 1.0 + 0.15 * len(models)
    # A label rotated 30 degrees reaches left of its tick by its length times cos 30: the first
    # label of each axis must fit in the space left of that axis.
    reach = [_CHAR_INCHES * len(labels[cols[0]]) * slope for _, cols in groups]
    gaps = [max(0.9, r - 0.3) for r in reach]
    widths = [per_column * len(cols) for _, cols in groups]
    width = sum(gaps) + sum(widths) + legend_width + 0.2
    bottom = 0.5 + _CHAR_INCHES * 0.55 * max(len(t) for t in labels.values())
    fig = _figure(max(6.0, width), 3.5 + bottom, (0.0, 0.0, 0.4, bottom))
    scale = fig.get_figwidth()
    x = 0.0
    bar = 0.8 / len(models)
    for (unit, cols), gap, axis_width in zip(groups, gaps, widths, strict=True):
        x += gap
        ax = fig.add_axes(
            (x / scale, bottom / fig.get_figheight(), axis_width / scale, 3.1 / fig.get_figheight())
        )
        x += axis_width
        for i, model in enumerate(models):
            ys = [_values(leaderboard, c)[i] for c in cols]
            errs = [_errors(leaderboard, c)[i] for c in cols]
            xs = [k + (i - (len(models) - 1) / 2) * bar for k in range(len(cols))]
            ax.bar(
                xs,
                [y if y is not None else 0.0 for y in ys],
                width=bar,
                label=model,
                yerr=[[e[0] for e in errs], [e[1] for e in errs]],
                capsize=2,
                error_kw={"elinewidth": 0.8},
            )
        ax.set_xticks(list(range(len(cols))))
        ax.set_xticklabels([labels[c] for c in cols], rotation=30, ha="right")
        ax.set_ylabel(unit)
        ax.set_xlim(-0.6, len(cols) - 0.4)
    fig.suptitle("Main metric per scenario (bars: 95% bootstrap intervals)")
    axes = fig.get_axes()
    axes[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def bar_figure(leaderboard: Table, col: int) -> Any:
    """One column as horizontal bars (one per model), with 95% error bars and the values written."""
    models = [str(row[0].value) for row in leaderboard.rows]
    head = leaderboard.header[col]
    title = str(head.value) + (" (lower is better)" if head.lower_is_better else "")
    vals = _values(leaderboard, col)
    errs = _errors(leaderboard, col)
    present = [v + e[1] for v, e in zip(vals, errs, strict=True) if v is not None]
    left = 0.3 + _CHAR_INCHES * max(len(m) for m in models)
    height = 0.9 + 0.35 * len(models)
    fig = _figure(5.5 + left, height, (left, 0.3, 0.4, 0.5))
    ax = fig.add_subplot(1, 1, 1)
    ys = [float(y) for y in range(len(models))][::-1]
    ax.barh(
        ys,
        [v if v is not None else 0.0 for v in vals],
        color="tab:blue",
        xerr=[[e[0] for e in errs], [e[1] for e in errs]],
        capsize=2,
        error_kw={"elinewidth": 0.8},
    )
    ax.set_yticks(ys)
    ax.set_yticklabels(models)
    for y, v, e in zip(ys, vals, errs, strict=True):
        text = f" {v:.3f}" if v is not None else " n/a"
        ax.text((v or 0.0) + e[1], y, text, va="center", fontsize="small")
    ax.set_title(title)
    if present and max(present) > 0:
        ax.set_xlim(min(0.0, *present), max(present) * 1.25)  # room for the value labels
    return fig


def write_plots(leaderboard: Table, group_names: list[str], plots_dir: str) -> list[str]:
    """One grouped bar chart of every scenario's main metric, one bar chart per scenario
    (`<group>.png`) and, with at least two models, one of the mean win rate; returns the paths.

    `leaderboard` has rows = models and columns Model, Mean win rate, then one per scenario group,
    named by `group_names`; cells may carry a bootstrap `interval`, drawn as error bars."""
    if not leaderboard.rows:
        return []
    scenario_cols = list(range(2, len(leaderboard.header)))
    written: list[str] = []
    if scenario_cols:
        path = os.path.join(plots_dir, MAIN_PLOT)
        _save(main_figure(leaderboard), path)
        written.append(path)
    # A win rate needs two models: with one there is nothing to plot.
    for col in ([1] if len(leaderboard.rows) > 1 else []) + scenario_cols:
        name = WIN_RATE_PLOT if col == 1 else f"{safe_file_name(group_names[col - 2])}.png"
        path = os.path.join(plots_dir, name)
        _save(bar_figure(leaderboard, col), path)
        written.append(path)
    return written
