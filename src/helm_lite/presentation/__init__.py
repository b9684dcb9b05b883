"""helm-summarize: turn a suite's run directories into HELM's summary files, a leaderboard and plots.

One module per idea: `schema` (what to show), `read_runs` (what was run), `stats` (matching and
merging stats), `win_rate`, `tables` (HELM's group tables), `display` (per-run display files),
`writers` (JSON/CSV/Markdown/LaTeX), `plots`, and `summarize` (the pipeline).
"""
