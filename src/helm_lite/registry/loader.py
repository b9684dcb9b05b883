"""Load the three YAML registries (shipped configs, then `--local-path`) into a read-only `Registry`.

Parsing is strict, unlike HELM: an unknown field, a wrong type or a missing required field is a
one-line `UserError` naming the file, the entry and the field, so a typo never silently drops a
setting. The few keys HELM's own shipped files carry that HELM ignores are ignored here too
(`helm_compat.py`), so HELM's files load unchanged. A name defined again (in the same file or a
later one) replaces the earlier entry, as in HELM's name maps; unlike HELM's lists, the replaced
entry is not kept as a ghost (tag queries and default deployments see only the latest definition),
but a deployment (re)defined later still becomes its model's default, as in HELM. A YAML key given
twice in one mapping keeps its last value (PyYAML's rule, so HELM's) with one warning line.

yaml and dacite are imported on first load, so importing this module stays cheap.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import logging
import os
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.secrets import scrub
from helm_lite.registry.helm_compat import drop_ignored_fields
from helm_lite.registry.schema import (
    ModelDeployment,
    ModelMetadata,
    TokenizerConfig,
    placeholder_metadata,
)

logger = logging.getLogger(__name__)

# One copy of the shipped YAML, inside the package so that `pip install` users get it too.
SHIP_DIR = Path(__file__).resolve().parent.parent / "configs"

MODEL_METADATA_FILE = "model_metadata.yaml"
TOKENIZER_CONFIGS_FILE = "tokenizer_configs.yaml"
MODEL_DEPLOYMENTS_FILE = "model_deployments.yaml"
# HELM's per-directory loading order: deployments last, so they can refer to models and tokenizers.
_REGISTRY_FILES: tuple[tuple[str, str, type[Any]], ...] = (
    (MODEL_METADATA_FILE, "models", ModelMetadata),
    (TOKENIZER_CONFIGS_FILE, "tokenizer_configs", TokenizerConfig),
    (MODEL_DEPLOYMENTS_FILE, "model_deployments", ModelDeployment),
)
# The client of the deployments derived from `serve:` blocks (see `served_client_deployment`).
OPENAI_COMPATIBLE_CLIENT = "helm_lite.clients.openai_client.OpenAICompatibleClient"
_POSITIVE_INT_FIELDS = (
    "max_sequence_length",
    "max_request_length",
    "max_sequence_and_generated_tokens_length",
)

T = TypeVar("T")


def suggest(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean: a, b?)` for near-misses of `name`, or "" when nothing is close."""
    # A model and its same-named deployment are one suggestion, not two.
    close = difflib.get_close_matches(name, list(dict.fromkeys(candidates)), n=3, cutoff=0.75)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


class Registry:
    """Read-only view of models, deployments and tokenizer configs, built once per process."""

    def __init__(
        self,
        models: Mapping[str, ModelMetadata],
        deployments: Mapping[str, ModelDeployment],
        tokenizer_configs: Mapping[str, TokenizerConfig],
    ) -> None:
        # Mapping order is registration order; it decides default deployments and wildcard order.
        self._models = types.MappingProxyType(dict(models))
        self._deployments = types.MappingProxyType(dict(deployments))
        self._tokenizer_configs = types.MappingProxyType(dict(tokenizer_configs))
        by_model: dict[str, list[ModelDeployment]] = {}
        for deployment in self._deployments.values():
            by_model.setdefault(deployment.model_name or deployment.name, []).append(deployment)
        self._deployments_by_model = by_model
        # Entries made up by HELM's generators (registry/generators.py), once per name.
        self._generated: dict[str, ModelDeployment | None] = {}
        self._generated_tokenizers: dict[str, TokenizerConfig | None] = {}

    def get_deployment(self, name: str) -> ModelDeployment:
        deployment = self._deployments.get(name) or self._generate_deployment(name)
        if deployment is None:
            raise UserError(f"Model deployment {name} not found{suggest(name, self._deployments)}")
        return deployment

    def has_deployment(self, name: str) -> bool:
        """Registered, or made by the generator for the name's first part (as HELM looks them up)."""
        return name in self._deployments or self._generate_deployment(name) is not None

    def get_model(self, name: str) -> ModelMetadata | None:
        return self._models.get(name)

    def get_tokenizer_config(self, name: str) -> TokenizerConfig | None:
        config = self._tokenizer_configs.get(name)
        if config is None and name not in self._generated_tokenizers:
            from helm_lite.registry.generators import TOKENIZER_GENERATORS, generator_for

            if not self._generate_huggingface_pair(name, what=f"tokenizer {name}"):
                generate = generator_for(TOKENIZER_GENERATORS, name)
                self._generated_tokenizers[name] = generate(name) if generate is not None else None
        return config or self._generated_tokenizers.get(name)

    def has_tokenizer_config(self, name: str) -> bool:
        """Registered, or one a generator makes; cheap (a generator reads the tokenizer's files only
        when the config is first asked for)."""
        from helm_lite.registry.generators import TOKENIZER_GENERATORS, generator_for

        return name in self._tokenizer_configs or generator_for(TOKENIZER_GENERATORS, name) is not None

    def _generate_deployment(self, name: str) -> ModelDeployment | None:
        """HELM's fallback for an unregistered name; a generator's ValueError means "no such deployment"."""
        if name not in self._generated:
            from helm_lite.registry.generators import DEPLOYMENT_GENERATORS, generator_for

            try:
                if not self._generate_huggingface_pair(name, what=f"model deployment {name}"):
                    generate = generator_for(DEPLOYMENT_GENERATORS, name)
                    self._generated[name] = generate(name) if generate is not None else None
            except ValueError:
                self._generated[name] = None
        return self._generated[name]

    def _generate_huggingface_pair(self, name: str, *, what: str) -> bool:
        """When the default generators make both the deployment and the tokenizer config of `name`
        (`huggingface/ORG/NAME`), make and keep both from one reading of the model's files (which,
        for a Hub model, may mean downloads); False, with nothing kept, when they do not."""
        from helm_lite.registry import generators as gen

        if (
            gen.generator_for(gen.DEPLOYMENT_GENERATORS, name) is not gen.huggingface_deployment
            or gen.generator_for(gen.TOKENIZER_GENERATORS, name) is not gen.huggingface_tokenizer
        ):
            return False
        deployment, config = gen.huggingface_pair(name, what=what)
        self._generated.setdefault(name, deployment)
        self._generated_tokenizers.setdefault(config.name, config)
        return True

    def extended(
        self,
        models: Iterable[ModelMetadata] = (),
        deployments: Iterable[ModelDeployment] = (),
        tokenizer_configs: Iterable[TokenizerConfig] = (),
    ) -> Registry:
        """A new registry with these entries registered after the existing ones (same rules as files);
        a deployment's model without metadata gets HELM's placeholder metadata (silently, as HELM
        registers the models of --enable-huggingface-models)."""
        return _assemble(
            self._models,
            self._deployments,
            self._tokenizer_configs,
            [*models, *deployments, *tokenizer_configs],
            warn_placeholders=False,
        )

    def deployments_for(self, model: str) -> list[str]:
        """Names of the deployments serving `model`, in registration order."""
        return [d.name for d in self._deployments_by_model.get(model, [])]

    def default_deployment_for(self, model: str) -> str | None:
        """As in HELM: the last non-deprecated deployment of `model`, else its last deprecated one.

        Like HELM, a model that no deployment serves falls back to the deployment named like it: a
        registered one (which then fails the model/deployment pair check if it serves another model)
        or one a generator makes (`openai/x`, `huggingface/org/x` …, see registry/generators.py).
        """
        candidates = self._deployments_by_model.get(model)
        if candidates:
            live = [d for d in candidates if not d.deprecated]
            return (live or candidates)[-1].name
        return model if self.has_deployment(model) else None

    def models_with_tag(self, tag: str) -> list[str]:
        return [m.name for m in self._models.values() if tag in m.tags]

    def all_models(self) -> list[str]:
        return list(self._models)

    def all_deployments(self) -> list[str]:
        return list(self._deployments)

    def all_tokenizer_configs(self) -> list[str]:
        return list(self._tokenizer_configs)


# ---------------------------------------------------------------------------------------------
# Loading


_cache_lock = threading.Lock()
# (ship dir, local dir) -> (file stamps, registry): files are read again only when they change.
_cache: dict[tuple[str, str], tuple[tuple[Any, ...], Registry]] = {}


def load_registry(
    local_path: str | os.PathLike[str] = "prod_env", *, ship_dir: str | os.PathLike[str] | None = None
) -> Registry:
    """Shipped configs, then same-named files under `local_path`; cached per process and file mtimes."""
    dirs = [Path(ship_dir) if ship_dir is not None else SHIP_DIR, Path(local_path)]
    key = (str(dirs[0].resolve()), str(dirs[1].resolve()))
    stamps = tuple(_stamp(d / name) for d in dirs for name, _, _ in _REGISTRY_FILES)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamps:
            return hit[1]
        registry = _build_registry(dirs, display_dirs=[str(dirs[0]), os.fspath(local_path)])
        _cache[key] = (stamps, registry)
        return registry


def clear_registry_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _build_registry(dirs: list[Path], display_dirs: list[str]) -> Registry:
    def entries() -> Iterator[ModelMetadata | ModelDeployment | TokenizerConfig]:
        for directory, shown in zip(dirs, display_dirs, strict=True):
            for filename, top_key, cls in _REGISTRY_FILES:
                path = directory / filename
                if not os.path.lexists(path):
                    continue  # a missing file adds nothing; one that cannot be read is an error below
                yield from read_registry_file(path, top_key, cls, shown=os.path.join(shown, filename))

    return _assemble({}, {}, {}, entries(), warn_placeholders=True)


def _assemble(
    models: Mapping[str, ModelMetadata],
    deployments: Mapping[str, ModelDeployment],
    tokenizers: Mapping[str, TokenizerConfig],
    entries: Iterable[ModelMetadata | ModelDeployment | TokenizerConfig],
    *,
    warn_placeholders: bool,
) -> Registry:
    """A registry of the given entries (left unchanged) with `entries` registered after them, in order.

    A name registered again replaces its entry; a deployment moves to the end (so a later definition
    becomes its model's default), metadata keeps its first position (HELM's name map). Then every
    `serve:` block adds its served twin, a served model without metadata gets HELM's placeholder
    metadata (with a warning if `warn_placeholders`), and each model's `deployment_names` gains the
    deployments serving it.
    """
    new_models = dict(models)
    new_deployments = dict(deployments)
    new_tokenizers = dict(tokenizers)
    for entry in entries:
        if isinstance(entry, ModelDeployment):
            new_deployments.pop(entry.name, None)
            new_deployments[entry.name] = entry
        elif isinstance(entry, ModelMetadata):
            new_models[entry.name] = entry
        else:
            new_tokenizers[entry.name] = entry
    new_deployments = _with_served_deployments(new_deployments)

    served: dict[str, list[str]] = {}
    for deployment in new_deployments.values():
        model_name = deployment.model_name or deployment.name
        if model_name not in new_models:
            new_models[model_name] = placeholder_metadata(model_name)
            if warn_placeholders:
                logger.warning(
                    "Could not find model metadata for model %s of model deployment %s; "
                    "using placeholder metadata (tags %s)",
                    model_name,
                    deployment.name,
                    ", ".join(new_models[model_name].tags),
                )
        served.setdefault(model_name, []).append(deployment.name)
    for model_name, names in served.items():
        meta = new_models[model_name]
        merged = list(meta.deployment_names) + [n for n in names if n not in meta.deployment_names]
        if merged != meta.deployment_names:
            new_models[model_name] = dataclasses.replace(meta, deployment_names=merged)
    return Registry(new_models, new_deployments, new_tokenizers)


def served_client_deployment(source: ModelDeployment) -> ModelDeployment:
    """The OpenAI-compatible deployment that reaches `source` once `helm-serve` runs it.

    It describes the same model and engine limits (tokenizer, window, chat formatting, stops), so a
    run gets the same prompts whichever route it takes; only the client differs.
    """
    if source.serve is None:
        raise ValueError(f"model deployment {source.name} has no serve block")
    return ModelDeployment(
        name=source.client_deployment_name or "",
        model_name=source.model_name,
        tokenizer_name=source.tokenizer_name,
        window_service_spec=source.window_service_spec,
        max_sequence_length=source.max_sequence_length,
        max_request_length=source.max_request_length,
        max_sequence_and_generated_tokens_length=source.max_sequence_and_generated_tokens_length,
        deprecated=source.deprecated,
        prompt_format=source.prompt_format,
        chat_template=source.chat_template,
        stop_sequences=list(source.stop_sequences),
        thinking=source.thinking,
        client_spec=ObjectSpec(
            OPENAI_COMPATIBLE_CLIENT,
            {"base_url": source.serve.base_url, "model": source.served_model_name, "api": "completions"},
        ),
    )


def _with_served_deployments(deployments: dict[str, ModelDeployment]) -> dict[str, ModelDeployment]:
    """Add the served twin of every deployment with `serve:`, unless one of that name is defined.

    Each twin goes just before its source, so a model's default deployment (the last one
    registered) is never a twin the user did not write.
    """
    derived_from: dict[str, str] = {}
    result: dict[str, ModelDeployment] = {}
    for deployment in deployments.values():
        twin = deployment.client_deployment_name
        if twin is not None and twin not in deployments:
            if twin in derived_from:
                raise UserError(
                    f"model deployments {derived_from[twin]} and {deployment.name} both derive the "
                    f"served deployment {twin} (give one of them another serve.client_deployment)"
                )
            derived_from[twin] = deployment.name
            result[twin] = served_client_deployment(deployment)
        result[deployment.name] = deployment
    return result


def read_registry_file(path: Path, top_key: str, cls: type[T], *, shown: str | None = None) -> list[T]:
    """Parse one registry file strictly; every problem is a one-line `UserError` naming file/entry/field."""
    shown = shown or str(path)
    data = _read_yaml(path, shown)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise UserError(f"{shown}: expected a mapping with top-level key '{top_key}', got {_kind(data)}")
    extra = [str(k) for k in data if k != top_key]
    if extra:
        raise UserError(f"{shown}: unknown top-level key '{extra[0]}' (expected '{top_key}')")
    raw_entries = data.get(top_key)
    if raw_entries is None:
        return []
    if not isinstance(raw_entries, list):
        raise UserError(f"{shown}: '{top_key}' must be a list, got {_kind(raw_entries)}")

    # A name defined twice is registered twice, in file order, as HELM registers it: the later
    # definition replaces the earlier one (HELM's own files define 21 names twice).
    entries: list[T] = []
    for index, raw in enumerate(raw_entries, start=1):
        label = _entry_label(raw, index)
        if not isinstance(raw, dict):
            raise UserError(f"{shown}: {label}: expected a mapping, got {_kind(raw)}")
        entry = _convert(drop_ignored_fields(raw, cls.__name__), cls)
        problem = entry if isinstance(entry, str) else _semantic_problem(entry)
        if problem is not None:
            raise UserError(f"{shown}: {label}: {problem}")
        entries.append(typing.cast(T, entry))
    return entries


def _read_yaml(path: Path, shown: str) -> Any:
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            loader = _strict_loader()(f)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        # PyYAML (HELM's parser) keeps the last value of a key given twice in one mapping; so does
        # helm_lite, saying so once per key (HELM's model_metadata.yaml repeats a display_name).
        for key, line in loader.duplicate_keys:
            logger.warning(
                "%s: line %d: key '%s' is given twice in one entry; using the last value", shown, line, key
            )
        return data
    except FileNotFoundError:
        raise UserError(f"{shown}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{shown}: is a directory, expected a YAML file") from None
    except OSError as e:
        raise UserError(f"{shown}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{shown}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = _one_line(e.problem or e.context or "syntax error")
        raise UserError(f"{shown}: invalid YAML{where}: {what}") from None
    except yaml.YAMLError as e:
        raise UserError(f"{shown}: invalid YAML: {_one_line(str(e))}") from None


_loader_class: type | None = None


def _strict_loader() -> type:
    """A safe YAML loader (C-accelerated when available) that records duplicate mapping keys
    (`duplicate_keys`: key and line of each repeat); the last value is kept, as PyYAML keeps it."""
    global _loader_class
    if _loader_class is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class StrictLoader(base):  # type: ignore[valid-type,misc]
            def __init__(self, stream: Any) -> None:
                super().__init__(stream)
                self.duplicate_keys: list[tuple[str, int]] = []

            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=deep)
                    if isinstance(key, typing.Hashable) and key in seen:
                        self.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
                    seen.add(key)
                return super().construct_mapping(node, deep=deep)

        _loader_class = StrictLoader
    return _loader_class


def _entry_label(raw: Any, index: int) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"entry '{name}'" if isinstance(name, str) and name else f"entry {index}"


def _unknown_field(raw: dict[Any, Any], cls: type, prefix: str = "") -> str | None:
    """Unknown keys, including inside nested dataclasses (dacite reports those without a path)."""
    names = {f.name for f in dataclasses.fields(cls)}
    extra = [str(k) for k in raw if k not in names]
    if extra:
        return f"unknown field '{prefix}{extra[0]}'{suggest(extra[0], names)}"
    hints = typing.get_type_hints(cls)
    for key, value in raw.items():
        nested = _nested_dataclass(hints[key])
        if isinstance(value, dict) and nested is not None:
            problem = _unknown_field(value, nested, prefix=f"{prefix}{key}.")
            if problem is not None:
                return problem
    return None


def _nested_dataclass(tp: Any) -> type | None:
    """The dataclass a field holds (`ObjectSpec`, `ServeConfig` …), if it holds one."""
    for member in _flatten_union(tp):
        if dataclasses.is_dataclass(member) and isinstance(member, type):
            return member
    return None


def _bool_for_non_bool(raw: dict[Any, Any], cls: type, prefix: str = "") -> str | None:
    """dacite accepts true/false where an int is declared (bool subclasses int); never meant in YAML."""
    hints = typing.get_type_hints(cls)
    for key, value in raw.items():
        if isinstance(value, bool) and bool not in _flatten_union(hints[key]):
            return f"field '{prefix}{key}': expected {_type_name(hints[key])}, got {_describe(value)}"
        nested = _nested_dataclass(hints[key])
        if isinstance(value, dict) and nested is not None and nested is not ObjectSpec:
            problem = _bool_for_non_bool(value, nested, prefix=f"{prefix}{key}.")
            if problem is not None:
                return problem
    return None


def _convert(raw: dict[Any, Any], cls: type[T]) -> T | str:
    """`raw` as a `cls` via dacite (strict mode), or what is wrong with it, phrased for a user."""
    import dacite

    problem = _unknown_field(raw, cls) or _bool_for_non_bool(raw, cls)
    if problem is not None:
        return problem
    try:
        return dacite.from_dict(cls, raw, config=_dacite_config())
    except dacite.MissingValueError as e:
        return f"missing required field '{e.field_path}'"
    except dacite.WrongTypeError as e:
        # dacite may report a half-built value (a generator for a list field): show the YAML value.
        given: Any = raw
        for part in (e.field_path or "").split("."):
            given = given.get(part, e.value) if isinstance(given, dict) else e.value
        return f"field '{e.field_path}': expected {_type_name(e.field_type)}, got {_describe(given)}"
    except dacite.UnexpectedDataError as e:
        return f"unknown field '{sorted(e.keys)[0]}'"
    except dacite.DaciteError as e:
        return _one_line(str(e))


def _dacite_config() -> Any:
    import dacite

    # YAML gives dates for unquoted 2022-01-01; a quoted ISO date is accepted too.
    return dacite.Config(strict=True, type_hooks={datetime.date: _to_date})


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value  # dacite then reports the wrong type
    return value


def _semantic_problem(entry: Any) -> str | None:
    """Checks beyond types: names that HELM splits on "/" and window limits that must be positive."""
    if isinstance(entry, (ModelMetadata, ModelDeployment)):
        fields = ["name"] + (["model_name"] if isinstance(entry, ModelDeployment) else [])
        for field_name in fields:
            value = getattr(entry, field_name)
            parts = value.split("/")
            if len(parts) < 2 or not all(parts):
                return f"field '{field_name}': expected '<organization>/<name>', got '{value}'"
    elif not entry.name:
        return "field 'name': must not be empty"
    if isinstance(entry, ModelDeployment):
        for field_name in _POSITIVE_INT_FIELDS:
            value = getattr(entry, field_name)
            if value is not None and value <= 0:
                return f"field '{field_name}': must be a positive integer, got {value}"
        if entry.scaling_config is not None and (problem := entry.scaling_config.problem()):
            return problem
        if entry.price is not None and (problem := entry.price.problem()):
            return problem
        if entry.serve is not None:
            return _serve_problem(entry)
    return None


def _serve_problem(entry: ModelDeployment) -> str | None:
    serve = entry.serve
    assert serve is not None
    if not 1 <= serve.port <= 65535:
        return f"field 'serve.port': expected a port number (1-65535), got {serve.port}"
    for field_name in ("host", "served_model_name"):
        if getattr(serve, field_name) == "":
            return f"field 'serve.{field_name}': must not be empty (leave it out for the default)"
    twin = serve.client_deployment
    if twin is not None:
        parts = twin.split("/")
        if len(parts) < 2 or not all(parts):
            return f"field 'serve.client_deployment': expected '<organization>/<name>', got '{twin}'"
        if twin == entry.name:
            return "field 'serve.client_deployment': must differ from the deployment's own name"
    return None


def _flatten_union(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _type_name(tp: Any) -> str:
    members = _flatten_union(tp)
    if len(members) > 1:
        names = [_type_name(m) for m in members if m is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in members else "")
    origin = typing.get_origin(tp)
    if origin is dict:
        return "mapping"
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if tp is Any:
        return "any"
    if tp is datetime.date:
        return "date (YYYY-MM-DD)"
    if tp is ObjectSpec:
        return "mapping with class_name"
    if dataclasses.is_dataclass(tp):
        return "mapping"
    return getattr(tp, "__name__", str(tp))


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value), type(value).__name__)


def _describe(value: Any) -> str:
    text = _one_line(repr(scrub(value)))  # a wrong-typed client_spec may hold a key
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_kind(value)} {text}" if value is not None else "null"


def _one_line(text: str) -> str:
    return " ".join(text.split())
