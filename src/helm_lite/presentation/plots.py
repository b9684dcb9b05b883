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


def write_plots(leaderboard: Table, group_names: list[str], plots_dir: str) -> list[str]:
    """One grouped bar chart of every scenario's main metric, one bar chart per scenario
    (`<group>.png`) and one of the mean win rate; returns the paths written.

    `leaderboard` has rows = models and columns Model, Mean win rate, then one per scenario group,
    named by `group_names`."""
    models = [str(row[0].value) for row in leaderboard.rows]
    if not models:
        return []
    # Columns after Model and Mean win rate are the scenarios' main metrics.
    scenario_cols = list(range(2, len(leaderboard.header)))
    written: list[str] = []

    def values(col: int) -> list[float | None]:
        cells = [row[col].value for row in leaderboard.rows]
        return [float(v) if isinstance(v, (int, float)) else None for v in cells]

    if scenario_cols:
        labels = [str(leaderboard.header[c].value) for c in scenario_cols]
        legend_width = 0.6 + _CHAR_INCHES * 0.9 * max(len(m) for m in models)
        width = (
            max(6.0, 1.0 * len(scenario_cols) + 0.15 * len(models) * len(scenario_cols) ** 0.5) + legend_width
        )
        bottom = 0.4 + 0.5 * _CHAR_INCHES * max(len(t) for t in labels)
        fig = _figure(width, 3.5 + bottom, (0.7, legend_width, 0.4, bottom))
        ax = fig.add_subplot(1, 1, 1)
        bar = 0.8 / len(models)
        for i, model in enumerate(models):
            ys = [v if v is not None else 0.0 for v in (values(c)[i] for c in scenario_cols)]
            xs = [k + (i - (len(models) - 1) / 2) * bar for k in range(len(scenario_cols))]
            ax.bar(xs, ys, width=bar, label=model)
        ax.set_xticks(list(range(len(scenario_cols))))
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_ylabel("main metric")
        ax.set_title("Main metric per scenario")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        path = os.path.join(plots_dir, MAIN_PLOT)
        _save(fig, path)
        written.append(path)

    left = 0.3 + _CHAR_INCHES * max(len(m) for m in models)
    for col in [1, *scenario_cols]:
        head = leaderboard.header[col]
        title = str(head.value) + (" (lower is better)" if head.lower_is_better else "")
        vals = values(col)
        present = [v for v in vals if v is not None]
        height = 0.9 + 0.35 * len(models)
        fig = _figure(5.5 + left, height, (left, 0.3, 0.4, 0.5))
        ax = fig.add_subplot(1, 1, 1)
        ys = [float(y) for y in range(len(models))][::-1]
        ax.barh(ys, [v if v is not None else 0.0 for v in vals], color="tab:blue")
        ax.set_yticks(ys)
        ax.set_yticklabels(models)
        for y, v in zip(ys, vals, strict=True):
            ax.text(v or 0.0, y, f" {v:.3f}" if v is not None else " n/a", va="center", fontsize="small")
        ax.set_title(title)
        if present and max(present) > 0:
            ax.set_xlim(min(0.0, *present), max(present) * 1.2)  # room for the value labels
        name = WIN_RATE_PLOT if col == 1 else f"{safe_file_name(group_names[col - 2])}.png"
        path = os.path.join(plots_dir, name)
        _save(fig, path)
        written.append(path)
    return written
