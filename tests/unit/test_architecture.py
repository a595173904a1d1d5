"""The architecture rules of DESIGN.md, checked so they cannot quietly erode.

import-linter (``make lint``) enforces the layers and the public faces; these tests
make sure its contracts still cover every module, and check what it cannot see:
``importlib`` wiring, events recorded by bare names, missing public faces.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hub import event_registry
from hub.bootstrap import bootstrap
from hub.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"
FEATURES = ("accounts", "tickets", "web", "mail", "wiki", "search", "runbooks", "ops")


def _contracts_script() -> object:
    spec = importlib.util.spec_from_file_location("import_contracts",
                                                  ROOT / "scripts" / "import-contracts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_contracts_protect_every_private_module() -> None:
    script = _contracts_script()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    protected = {c["name"]: set(c["protected_modules"]) for c in config["contracts"]
                 if c["type"] == "protected"}
    for feature in FEATURES:
        expected = set(script.private_modules(feature, ROOT))  # type: ignore[attr-defined]
        name = f"Only {feature}'s public face (commands, events, queries) is used outside it"
        assert protected.get(name) == expected, (
            f"{feature}: run scripts/import-contracts.py and update pyproject.toml")


@pytest.mark.parametrize("feature", FEATURES)
def test_every_feature_has_its_public_face(feature: str) -> None:
    faces = ("queries",) if feature == "search" else ("commands", "events", "queries")
    for face in faces:  # search only reads: it has neither commands nor events
        assert (HUB / feature / f"{face}.py").is_file(), f"hub/{feature}/{face}.py is missing"


def _python_files() -> list[Path]:
    return sorted(HUB.rglob("*.py"))


def test_no_importlib_outside_the_feature_registry() -> None:
    offenders = []
    for path in _python_files():
        if path == HUB / "features.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "importlib" or n.startswith("importlib.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_event_is_recorded_by_a_bare_string() -> None:
    pattern = re.compile(r"_record\(\s*[\"']")
    offenders = [str(p.relative_to(ROOT)) for p in _python_files()
                 if pattern.search(p.read_text())]
    assert offenders == []


def test_registered_events_are_frozen_dataclasses_with_explicit_fields(tmp_path: Path) -> None:
    settings = load_settings(env={"HUB_DATA_DIR": str(tmp_path / "var"),
                                  "HUB_SECRET_KEY": "test-secret"})
    hub = bootstrap(settings)  # fails when a handler names an unknown event type
    hub.engine.dispose()
    names = event_registry.known_types()
    assert {"TicketCreated", "UserCreated", "PageRevised", "RunStarted", "AlertReceived"} <= names
    for name in names:
        cls = event_registry.lookup(name)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert cls.__module__.endswith(".events"), f"{name} is declared outside an events.py"


def test_an_unknown_event_name_in_a_handler_fails_at_start_up() -> None:
    with pytest.raises(event_registry.UnknownEventError, match="TicketCorespnded"):
        event_registry.check_handled("projection x", {"TicketCreated", "TicketCorespnded"})


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]


def test_each_feature_declares_the_features_it_imports() -> None:
    import grimp

    from hub import features

    graph = grimp.build_graph("hub", exclude_type_checking_imports=True)
    for module in features.modules():
        name = features.feature_name(module)
        used = set()
        for own in graph.find_descendants(f"hub.{name}") | {f"hub.{name}"}:
            for imported in graph.find_modules_directly_imported_by(own):
                parts = imported.split(".")
                if len(parts) > 1 and parts[1] in FEATURES and parts[1] != name:
                    used.add(parts[1])
        assert used <= set(module.NEEDS), f"{name} uses {sorted(used - set(module.NEEDS))}"


def test_a_feature_needing_one_that_is_not_wired_stops_the_hub() -> None:
    import types

    from hub import features

    lonely = types.ModuleType("hub.wiki.feature")
    lonely.NEEDS = ("tickets",)  # type: ignore[attr-defined]
    with pytest.raises(features.FeatureWiringError, match="needs tickets"):
        features.check_needs([lonely])
