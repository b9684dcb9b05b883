"""`helm-server`: a local, read-only web view of one or more suites under `<output>/runs/`.

`store` reads run directories (safely, cached by file modification time); `app` is the standard-library
HTTP server with a small JSON API and a static vanilla-JS page in `static/`.
"""
