"""The layering rules hold: models never see HTTP or JSON; the public API is tidy."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import harness

PACKAGE = Path(harness.__file__).resolve().parent
MODELS = sorted(
    [
        *PACKAGE.glob("workspace/*.py"),
        *PACKAGE.glob("campaigns/*.py"),
        *PACKAGE.glob("push/*/model.py"),
        *(PACKAGE / "push/fcm" / f"{name}.py" for name in ("targets", "topics")),
        PACKAGE / "push/fcm/quota.py",
        PACKAGE / "push/webpush/vapid.py",
        PACKAGE / "push/apns/auth.py",
        PACKAGE / "push/_store.py",
        PACKAGE / "push/_provider.py",
        PACKAGE / "transactional.py",
        PACKAGE / "tracking.py",
        PACKAGE / "faults.py",
    ]
)
FORBIDDEN = {"starlette", "httpx", "json", "hypercorn"}
WIRE_LAYERS = {"transport", "routes", "wire", "asgi", "schema", "bodies"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Return (line, dotted name) of every import in ``path``, relative ones dotted."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def test_import_scan_sees_plain_from_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import json\nfrom httpx import Client\nfrom ..wire import x\n")

    names = [name for _, name in imports_of(source)]

    assert names == ["json", "httpx", "httpx.Client", "..wire", "..wire.x"]


def shown(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_model_files_are_found() -> None:
    names = {shown(p) for p in MODELS}
    assert "harness/workspace/model.py" in names
    assert "harness/campaigns/engine.py" in names
    assert any(n.startswith("harness/push/") for n in names)


@pytest.mark.parametrize("path", MODELS, ids=shown)
def test_model_never_imports_the_web_framework_httpx_or_json(path: Path) -> None:
    bad = [
        f"line {line}: {name}"
        for line, name in imports_of(path)
        if name.split(".")[0] in FORBIDDEN
    ]

    assert bad == [], f"{shown(path)} imports the wire's libraries: {bad}"


@pytest.mark.parametrize("path", MODELS, ids=shown)
def test_model_never_imports_a_wire_layer(path: Path) -> None:
    bad = [
        f"line {line}: {name}"
        for line, name in imports_of(path)
        if set(name.strip(".").split(".")) & WIRE_LAYERS
    ]

    assert bad == [], f"{shown(path)} imports a wire layer: {bad}"


def test_public_names_are_sorted() -> None:
    assert harness.__all__ == sorted(harness.__all__)


def test_every_public_name_resolves() -> None:
    missing = [name for name in harness.__all__ if not hasattr(harness, name)]

    assert missing == []


def test_public_names_have_no_duplicates() -> None:
    assert len(harness.__all__) == len(set(harness.__all__))


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from harness import *", namespace)  # noqa: S102

    assert sorted(k for k in namespace if k != "__builtins__") == sorted(
        harness.__all__
    )


@pytest.mark.parametrize(
    "module", ["harness.workspace", "harness.campaigns", "harness.pipelines"]
)
def test_subpackage_public_names_resolve(module: str) -> None:
    package = importlib.import_module(module)

    assert [n for n in package.__all__ if not hasattr(package, n)] == []
