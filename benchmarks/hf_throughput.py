"""Generated tokens per second: helm-run's path vs raw transformers `generate`, same prompts, same batch size.

    python benchmarks/hf_throughput.py [--requests 64] [--batch-size 16] [--entry ENTRY]

(a) helm_lite: a whole run (scenario, adapter, HuggingFace client with a cold request cache, metrics,
    output files) through `Runner`, exactly what `helm-run` does;
(b) raw: the same chat-formatted prompts through `model.generate` in batches of the same size, with the
    same decoding settings (greedy, max tokens, stop strings), in the order the run produced them.
The model is loaded once before either is timed, so neither pays for loading. Prints both rates and
the ratio (a) / (b). The target is >= 0.85.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

MODEL = "huggingfacetb/smollm2-135m-instruct"
DEPLOYMENT = "huggingface/smollm2-135m-instruct"


def run_helm_lite(entry: str, requests: int, batch_size: int, workdir: str) -> tuple[float, int, list[dict]]:
    from dataclasses import replace

    from helm_lite.common.cache import CacheManager
    from helm_lite.registry.loader import load_registry
    from helm_lite.run_entries.conf import RunEntry
    from helm_lite.run_entries.construct import Selection, construct_run_specs
    from helm_lite.runner import Runner, RunnerConfig
    from helm_lite.services import Services

    local = os.path.join(workdir, "prod_env")
    registry = load_registry(local)
    specs = construct_run_specs([RunEntry(entry)], registry, Selection(max_eval_instances=requests))
    services = Services(registry, CacheManager(os.path.join(local, "cache")))
    client = services.client(DEPLOYMENT)
    client.max_batch_size = batch_size
    warm = replace(specs[0], name="warmup", adapter_spec=replace(specs[0].adapter_spec, max_eval_instances=1))
    runner = Runner(
        RunnerConfig(output_path=os.path.join(workdir, "out"), suite="bench", show_progress=False), services
    )
    runner.run_all([warm])  # loads the model and tokenizer (not timed)

    start = time.perf_counter()
    failed = runner.run_all(specs)
    elapsed = time.perf_counter() - start
    assert not failed, failed
    path = os.path.join(workdir, "out", "runs", "bench", specs[0].name, "scenario_state.json")
    with open(path) as f:
        states = json.load(f)["request_states"]
    tokens = sum(len(s["result"]["completions"][0]["tokens"]) for s in states)
    raws = [client.raw_request(_request(s["request"])) for s in states]
    return elapsed, tokens, raws


def _request(d: dict):
    from helm_lite.common.request import Request

    return Request(**{k: v for k, v in d.items() if k in Request.__dataclass_fields__})


def _count_until_stop(tokenizer, ids: list[int], stops: list[str]) -> int:
    """Generated tokens up to end-of-text or the first stop sequence, counted as helm_lite counts them."""
    if tokenizer.eos_token_id in ids:
        ids = ids[: ids.index(tokenizer.eos_token_id)]
    text = tokenizer.decode(ids, skip_special_tokens=True)
    cut = min([text.find(s) for s in stops if s and s in text], default=len(text))
    count, length = 0, 0
    for piece in tokenizer.convert_ids_to_tokens(ids):
        piece_text = tokenizer.convert_tokens_to_string([piece])
        if length + len(piece_text) > cut:
            break
        length += len(piece_text)
        count += 1
    return count


def run_raw(raws: list[dict], batch_size: int) -> tuple[float, int]:
    import torch
    from transformers import GenerationConfig

    from helm_lite.clients.huggingface.engines import ENGINES
    from helm_lite.clients.huggingface.loading import load_model, pick_device, pick_dtype
    from helm_lite.models.bundled import resolve_model_path
    from helm_lite.tokenizers.huggingface import load_hf_tokenizer

    path = resolve_model_path("bundled/smollm2-135m-instruct")
    device = pick_device("auto")
    model = load_model(path, device, pick_dtype("auto", device), False, None, ENGINES["fast"])
    tokenizer = load_hf_tokenizer(path)
    tokenizer.padding_side = "left"
    first = raws[0]
    config = GenerationConfig(
        max_new_tokens=first["max_new_tokens"],
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        stop_strings=first["stop_sequences"] or None,
    )
    tokens = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(raws), batch_size):
            prompts = [r["prompt"] for r in raws[i : i + batch_size]]
            enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
            out = model.generate(**enc, generation_config=config, tokenizer=tokenizer)
            new = out[:, enc["input_ids"].shape[1] :]
            for row in new.tolist():
                tokens += _count_until_stop(tokenizer, row, first["stop_sequences"])
    return time.perf_counter() - start, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    # stop=none: answers run to end-of-text or max_tokens (50), so decoding, not the prompt, dominates.
    parser.add_argument("--entry", default=f"synthetic_reasoning:mode=induction,model={MODEL},stop=none")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        helm_s, helm_tokens, raws = run_helm_lite(args.entry, args.requests, args.batch_size, workdir)
    raw_s, raw_tokens = run_raw(raws, args.batch_size)
    helm_rate, raw_rate = helm_tokens / helm_s, raw_tokens / raw_s
    print(f"requests={len(raws)} batch_size={args.batch_size} entry={args.entry}")
    print(f"{'path':<28}{'seconds':>10}{'tokens':>10}{'tokens/s':>12}")
    print(f"{'helm_lite (helm-run path)':<28}{helm_s:>10.2f}{helm_tokens:>10d}{helm_rate:>12.1f}")
    print(f"{'raw transformers generate':<28}{raw_s:>10.2f}{raw_tokens:>10d}{raw_rate:>12.1f}")
    print(f"ratio helm_lite / raw: {helm_rate / raw_rate:.2f} (target >= 0.85)")


if __name__ == "__main__":
    main()
