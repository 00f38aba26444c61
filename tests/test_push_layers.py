"""The push package keeps its layers apart and its public names in order."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from harness.ids import Ids
from harness.push import Credentials

PUSH = Path(__file__).parent.parent / "harness" / "push"
SERVICES = ("apns", "fcm", "webpush")
PACKAGES = ("harness.push", *(f"harness.push.{s}" for s in SERVICES))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_models_never_import_the_web_framework_httpx_or_json(service: str) -> None:
    names = imported(PUSH / service / "model.py")

    assert not {n for n in names if n.split(".")[0] in {"starlette", "httpx", "json"}}
    assert not {n for n in names if n.endswith((".wire", ".routes", "._asgi"))}


@pytest.mark.parametrize("service", SERVICES)
def test_wire_layers_never_import_the_web_framework(service: str) -> None:
    names = imported(PUSH / service / "wire.py")

    assert not {n for n in names if n.split(".")[0] == "starlette"}


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_every_name_exists(package: str) -> None:
    module = importlib.import_module(package)

    assert module.__all__ == sorted(module.__all__)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_credentials_draw_their_ids_from_the_seed() -> None:
    first, second = Credentials.generate(Ids(5)), Credentials.generate(Ids(5))

    assert (first.apns_key_id, first.fcm_project_id, first.fcm_access_token) == (
        second.apns_key_id,
        second.fcm_project_id,
        second.fcm_access_token,
    )
    assert len(first.apns_key_id) == len(first.apns_team_id) == 10
    assert first.apns_private_key_pem != second.apns_private_key_pem
