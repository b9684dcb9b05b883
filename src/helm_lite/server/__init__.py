"""`helm-server`: a local, read-only web view of one or more suites under `<output>/runs/`.

`paths` confines every file access to a suite; `run_files` parses run files (cached by modification
time); `store` lists runs and shapes the API's answers, with the numbers (main metric, leaderboard,
win rate, instance status) from the shared presentation code; `instances` groups a run's request
states into instances; `app` is the standard-library HTTP server with a small JSON API and a static
vanilla-JS page in `static/`.
"""
