"""Model-as-judge prompts and verdict parsing for judged benchmarks, as pure functions.

Each module builds the judge's prompt from a request state's parts and parses the judge's answer
into a verdict; the annotators (`helm_lite.annotation`) send the requests and write HELM's
annotation keys, and metrics read the annotation.
"""
