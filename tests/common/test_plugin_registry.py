"""The plug-in registry: names resolve lazily, unknown names are one clear line, and a plug-in can add
(but not silently replace) an entry of any kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import SCENARIOS, ObjectSpec, class_path, create_object, resolve_class
from helm_lite.common.plugins import Registry, UnknownNameError, load_plugins


@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_target_is_imported_on_first_use_only(module_dir: Path) -> None:
    (module_dir / "lazy_target_mod.py").write_text("def f():\n    return 42\n")
    registry: Registry[object] = Registry("thing", {"f": "lazy_target_mod:f"})
    assert "f" in registry and registry.names() == ["f"]
    assert registry.target("f") == "lazy_target_mod.f"
    assert "lazy_target_mod" not in sys.modules
    assert registry.get("f")() == 42  # type: ignore[operator]
    assert registry["f"] is sys.modules["lazy_target_mod"].f


def test_unknown_name_suggests_the_closest_and_is_a_user_error_and_a_key_error() -> None:
    registry: Registry[int] = Registry("widget", {"alpha": 1, "beta": 2})
    with pytest.raises(UnknownNameError) as e:
        registry.get("alpah")
    assert str(e.value) == "unknown widget 'alpah' (did you mean 'alpha'?)"
    assert isinstance(e.value, UserError) and isinstance(e.value, KeyError)
    with pytest.raises(UserError, match=r"^unknown widget 'zzz'$"):
        registry.get("zzz")


def test_register_refuses_a_bad_target_and_a_taken_name() -> None:
    registry: Registry[object] = Registry("widget", {"a": "json:dumps"})
    with pytest.raises(UserError, match="widget 'b': target 'json.dumps' is not 'module:attr'"):
        registry.register("b", "json.dumps")
    with pytest.raises(UserError, match=r"widget 'a' is already registered \(json:dumps\)"):
        registry.register("a", "json:loads")
    registry.register("a", "json:dumps")  # the same target again is fine
    import json

    registry.register("a", json.dumps)  # and so is the object that target names


def test_the_decorator_registers_and_returns_the_object() -> None:
    registry: Registry[object] = Registry("widget")

    @registry.decorator("double")
    def double(x: int) -> int:
        return 2 * x

    assert double(2) == 4 and registry.get("double") is double


def test_a_target_that_does_not_import_names_kind_name_and_target() -> None:
    registry: Registry[object] = Registry("widget", {"w": "nosuch_module_xyz:W", "v": "json:nosuch"})
    with pytest.raises(UserError, match=r"^widget 'w': cannot import nosuch_module_xyz:W \(No module named"):
        registry.get("w")
    with pytest.raises(UserError, match=r"^widget 'v': cannot import json:nosuch"):
        registry.get("v")


def test_object_specs_resolve_registered_names_helm_names_and_dotted_paths(module_dir: Path) -> None:
    (module_dir / "spec_plugin_mod.py").write_text(
        "class Thing:\n    def __init__(self, n: int, cache=None):\n        self.n, self.cache = n, cache\n"
    )
    helm_name = "helm.benchmark.scenarios.mmlu_scenario.MMLUScenario"
    assert class_path(helm_name) == "helm_lite.scenarios.mmlu.MMLUScenario"
    assert resolve_class(helm_name).__name__ == "MMLUScenario"
    thing = create_object(ObjectSpec("spec_plugin_mod.Thing", {"n": 1}), cache="c")
    assert (thing.n, thing.cache) == (1, "c")
    SCENARIOS.register("test_plugins_thing", "spec_plugin_mod:Thing")
    assert class_path("test_plugins_thing") == "spec_plugin_mod.Thing"
    assert create_object(ObjectSpec("test_plugins_thing", {"n": 2})).n == 2
    with pytest.raises(UserError, match="class_name 'nosuch' is not a dotted path"):
        resolve_class("nosuch")


def test_load_plugins_imports_paths_and_module_names(module_dir: Path) -> None:
    (module_dir / "path_plugin_xyz.py").write_text("LOADED = True\n")
    load_plugins([str(module_dir / "path_plugin_xyz.py")])
    assert sys.modules["path_plugin_xyz"].LOADED
    load_plugins([str(module_dir / "path_plugin_xyz.py")])  # importing it again is a no-op
    (module_dir / "named_plugin_xyz.py").write_text("LOADED = True\n")
    load_plugins(["named_plugin_xyz"])
    assert sys.modules["named_plugin_xyz"].LOADED
    (module_dir / "json.py").write_text("")
    with pytest.raises(
        UserError, match=r"--plugins '.*json.py': cannot import \(ImportError: module name 'json'"
    ):
        load_plugins([str(module_dir / "json.py")])


def test_listing_the_built_ins_imports_none_of_them() -> None:
    """Registries hold names, so a CLI that only looks names up stays fast."""
    code = (
        "import sys\n"
        "from helm_lite.run_specs.registry import all_run_spec_names\n"
        "from helm_lite.metrics.scoring import SCORERS\n"
        "from helm_lite.executors import EXECUTORS\n"
        "assert 'mmlu' in all_run_spec_names() and 'rouge_l' in SCORERS and 'ray' in EXECUTORS\n"
        "loaded = [m for m in ('helm_lite.run_specs.mmlu', 'helm_lite.metrics.text_overlap',\n"
        "          'helm_lite.metrics.math_equiv', 'helm_lite.executors.ray_executor') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
