"""HELM's command-line flags on helm-run, helm-summarize and helm-server.

A HELM command line works unchanged: every flag of HELM's `helm-run`, `helm-summarize` and
`helm-server` is either helm_lite's own flag with HELM's meaning (`same`), added here with HELM's
meaning (`accepted`), accepted with no effect because results cannot differ (`ignored`, one note on
stderr saying why), or `refused` with one line naming the flag and the reason (exit status 2) when
it would change what runs in a way helm_lite cannot do. The tables below are the single list; the
docs (docs/migrating-from-helm.md) and the tests read them. Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from helm_lite.registry.loader import Registry

SAME, ACCEPTED, IGNORED, REFUSED = "same", "accepted", "ignored", "refused"
_STORE_TRUE: Mapping[str, Any] = {"action": "store_true", "default": None}
_LOG_CONFIG_HELP = "HELM's --log-config: a YAML logging configuration (logging.config.dictConfig)"


class HelmFlag(NamedTuple):
    """One HELM flag: how helm_lite treats it, and why (shown in notes, errors and docs).

    A NamedTuple rather than a dataclass: `dataclasses` imports `inspect`, which would cost
    `helm-run --help` a measurable share of its start-up."""

    names: tuple[str, ...]
    status: str
    reason: str
    kwargs: Mapping[str, Any] = {}  # argparse keywords (not for `same`); never mutated

    @property
    def dest(self) -> str:
        return str(self.kwargs.get("dest") or self.names[-1].lstrip("-").replace("-", "_"))


def _same(*names: str) -> HelmFlag:
    return HelmFlag(names, SAME, "helm_lite's own flag, with HELM's meaning")


RUN_FLAGS: tuple[HelmFlag, ...] = (
    _same("-c", "--conf-paths"),
    _same("-r", "--run-entries"),
    _same("--models-to-run"),
    _same("--groups-to-run"),
    _same("--priority"),
    _same("--exit-on-error"),
    _same("--skip-completed-runs"),
    _same("--plugins"),
    _same("-o", "--output-path"),
    _same("-n", "--num-threads"),
    _same("-d", "--dry-run"),
    _same("-m", "--max-eval-instances"),
    _same("-t", "--num-train-trials"),
    _same("--suite"),
    _same("--local-path"),
    _same("--disable-cache"),
    HelmFlag(
        ("--run-specs",),
        ACCEPTED,
        "HELM's deprecated name of --run-entries",
        {"nargs": "*", "default": [], "metavar": "DESC", "dest": "helm_run_specs"},
    ),
    HelmFlag(
        ("--enable-huggingface-models",),
        ACCEPTED,
        "HuggingFace Hub models ORG/NAME[@REVISION], each its own model and deployment named as given, "
        "on helm_lite's HuggingFace client (no YAML needed)",
        {"nargs": "+", "default": [], "metavar": "ORG/NAME[@REVISION]"},
    ),
    HelmFlag(
        ("--enable-local-huggingface-models",),
        ACCEPTED,
        "local HuggingFace model folders, each registered as huggingface/<folder name>",
        {"nargs": "+", "default": [], "metavar": "PATH"},
    ),
    HelmFlag(
        ("--skip-instances",),
        ACCEPTED,
        "read every run entry and build its run spec (unknown names and values still stop it), then "
        "stop: no scenario is loaded, nothing is run or written",
        _STORE_TRUE,
    ),
    HelmFlag(("--log-config",), ACCEPTED, _LOG_CONFIG_HELP, {"metavar": "PATH"}),
    HelmFlag(
        ("--cache-instances",),
        IGNORED,
        "it only saves prepared instances for later runs; results are the same without it, and "
        "helm_lite keeps the downloaded scenario data anyway",
        _STORE_TRUE,
    ),
    HelmFlag(
        ("--api-key-path",),
        IGNORED,
        "it is the key for --server-url, which helm_lite does not support",
        {"metavar": "PATH"},
    ),
    HelmFlag(
        ("--cache-instances-only",),
        REFUSED,
        "helm_lite keeps no instance cache (--skip-instances checks the entries; --dry-run builds "
        "every prompt without calling a model)",
        _STORE_TRUE,
    ),
    HelmFlag(
        ("--server-url",),
        REFUSED,
        "helm_lite calls model clients itself; it has no HELM proxy server client",
        {"metavar": "URL"},
    ),
    HelmFlag(
        ("--mongo-uri",),
        REFUSED,
        "the request cache is SQLite only (<local-path>/cache/<host>.sqlite, in the layout HELM reads)",
        {"metavar": "URI"},
    ),
    HelmFlag(
        ("--runner-class-name",),
        REFUSED,
        "helm_lite's runner cannot be replaced by a class; use --plugins to register run specs, "
        "scenarios, clients or executors (--executor)",
        {"metavar": "CLASS"},
    ),
)

SUMMARIZE_FLAGS: tuple[HelmFlag, ...] = (
    _same("-o", "--output-path"),
    _same("--schema-path"),
    _same("--suite"),
    _same("--release"),
    _same("--suites"),
    _same("-n", "--num-threads"),
    _same("--skip-completed-run-display-json"),
    _same("--local-path"),
    HelmFlag(
        ("--debug",), ACCEPTED, "HELM's name of -v/--verbose", {"action": "store_true", "dest": "verbose"}
    ),
    HelmFlag(("--log-config",), ACCEPTED, _LOG_CONFIG_HELP, {"metavar": "PATH"}),
    HelmFlag(
        ("--schema-validation",),
        IGNORED,
        "helm_lite reads the schema as it uses it: a schema it cannot read is an error, and groups or "
        "metrics it does not name get defaults",
        {"choices": ["error", "warn", "off"], "metavar": "{error,warn,off}"},
    ),
    HelmFlag(
        ("--allow-unknown-models",),
        IGNORED,
        "runs of models without metadata are always summarized, with placeholder metadata (HELM's default)",
        {"metavar": "BOOL"},
    ),
    HelmFlag(
        ("--auto-generate-schema",),
        IGNORED,
        "run groups and metrics the schema does not name always get generated defaults",
        _STORE_TRUE,
    ),
    HelmFlag(
        ("--summarizer-class-name",),
        REFUSED,
        "helm_lite's summarizer cannot be replaced by a class",
        {"metavar": "CLASS"},
    ),
)

SERVER_FLAGS: tuple[HelmFlag, ...] = (
    _same("-p", "--port"),
    _same("-o", "--output-path"),
    _same("--suite"),
    HelmFlag(
        ("--cache-output-path",),
        IGNORED,
        "helm-server reads <output-path> directly; it keeps no cached copy",
        {"metavar": "PATH"},
    ),
    HelmFlag(("--project",), IGNORED, "the page has no per-project landing page", {"metavar": "NAME"}),
    HelmFlag(
        ("--release",),
        REFUSED,
        "helm-server serves suites, not releases: name the release's suites with --suites",
        {"metavar": "RELEASE"},
    ),
    HelmFlag(
        ("--export-path",),
        REFUSED,
        "helm-server renders pages on request; it cannot export a static website",
        {"metavar": "PATH"},
    ),
)

FLAG_TABLES: dict[str, tuple[HelmFlag, ...]] = {
    "helm-run": RUN_FLAGS,
    "helm-summarize": SUMMARIZE_FLAGS,
    "helm-server": SERVER_FLAGS,
}


def _add(parser: argparse.ArgumentParser, table: tuple[HelmFlag, ...]) -> None:
    group = parser.add_argument_group("HELM's flags", "accepted as HELM's helm tools accept them")
    for flag in table:
        if flag.status == SAME:
            continue
        kwargs = dict(flag.kwargs)
        kwargs.setdefault("help", _help(flag))
        group.add_argument(*flag.names, **kwargs)


def _help(flag: HelmFlag) -> str:
    if flag.status == ACCEPTED:
        return flag.reason
    return f"{flag.status}: {flag.reason}".replace("%", "%%")


def add_helm_run_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, RUN_FLAGS)


def add_helm_summarize_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, SUMMARIZE_FLAGS)


def add_helm_server_flags(parser: argparse.ArgumentParser) -> None:
    _add(parser, SERVER_FLAGS)


def apply_helm_flags(prog: str, args: argparse.Namespace) -> None:
    """Right after parsing: refuse what cannot apply (one line, exit 2), note what is ignored, fold
    HELM's aliases into helm_lite's flags and apply --log-config."""
    from helm_lite.cli.common import fail

    for flag in FLAG_TABLES[prog]:
        if flag.status in (SAME, ACCEPTED) or not _given(getattr(args, flag.dest, None)):
            continue
        name = flag.names[-1]
        if flag.status == REFUSED:
            fail(prog, f"{name}: not supported by helm_lite: {flag.reason}")
        print(f"{prog}: note: {name} has no effect in helm_lite: {flag.reason}", file=sys.stderr)
    if getattr(args, "helm_run_specs", None):
        args.run_entries = [*args.run_entries, *args.helm_run_specs]
    if getattr(args, "log_config", None):
        _apply_log_config(prog, args.log_config)


def _given(value: Any) -> bool:
    return value not in (None, "", False, [])


def _apply_log_config(prog: str, path: str) -> None:
    """HELM's --log-config: the file's logging configuration replaces the default set-up."""
    import logging.config

    import yaml

    from helm_lite.cli.common import fail

    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        if not isinstance(config, dict):
            raise ValueError("expected a mapping (logging.config.dictConfig's schema)")
        logging.config.dictConfig(config)
    except OSError as e:
        fail(prog, f"--log-config {path!r}: cannot read ({e.strerror or e})")
    except (ValueError, TypeError, AttributeError, ImportError, yaml.YAMLError) as e:
        fail(prog, f"--log-config {path!r}: {' '.join(str(e).split())}")


def with_enabled_huggingface_models(args: argparse.Namespace, registry: Registry) -> Registry:
    """The registry plus the models of --enable-huggingface-models / --enable-local-huggingface-models.

    Named as HELM names them: a Hub model by its flag value (ORG/NAME or ORG/NAME@REVISION), a local
    folder as huggingface/<folder name>; each is its own model (placeholder metadata unless a
    registry names it), deployment and tokenizer config. Only the model's JSON configuration files
    are read here; the model itself loads when a run first needs it.
    """
    import os

    from helm_lite.common.errors import UserError
    from helm_lite.registry.huggingface import huggingface_entries

    made = []
    for value in getattr(args, "enable_huggingface_models", None) or []:
        what = f"--enable-huggingface-models {value!r}"
        repo_id, _, revision = value.partition("@")
        if "@" in revision or len(repo_id.split("/")) != 2 or not all(repo_id.split("/")):
            raise UserError(f"{what}: expected namespace/model_name[@revision]")
        made.append(huggingface_entries(value, value, repo_id, revision or None, what=what))
    for path in getattr(args, "enable_local_huggingface_models", None) or []:
        what = f"--enable-local-huggingface-models {path!r}"
        if not os.path.isdir(path):
            raise UserError(f"{what}: not a directory")
        name = f"huggingface/{os.path.basename(os.path.normpath(path))}"
        made.append(huggingface_entries(name, name, os.path.abspath(path), what=what))
    if not made:
        return registry
    return registry.extended(deployments=[d for d, _ in made], tokenizer_configs=[t for _, t in made])
