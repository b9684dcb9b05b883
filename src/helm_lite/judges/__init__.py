"""Model-as-judge prompts and verdict parsing for judged benchmarks, as pure functions.

Each module builds the judge's prompt from a request state's parts and turns the judge's answers
into the annotation dictionary HELM stores (same keys, same values), so that annotators only have to
send the requests and metrics only have to read the annotation.
"""
