"""helm-summarize: turn a suite's run directories into HELM's summary files, a leaderboard and plots.

One module per idea: `schema` (what to show), `read_runs` (what was run), `stats` (matching and
merging stats), `main_metric` (a group's and a run's main metric), `win_rate`, `tables` (HELM's group
tables), `leaderboard` (the leaderboard as data, for helm-server), `display` (per-run display files),
`writers` (JSON/CSV/Markdown/LaTeX), `plots`, and `summarize` (the pipeline). helm-server uses
`main_metric`, `leaderboard` and `win_rate` too, so both show one leaderboard.
"""
