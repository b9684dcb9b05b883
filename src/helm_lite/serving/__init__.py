"""Serving a deployment over HTTP: the server's command line (`launch_plan`) and its process
(`supervisor`). `helm-serve` (`cli/serve.py`) puts them together."""
