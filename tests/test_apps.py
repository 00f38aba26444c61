"""App profile files: SDK settings are checked when the file loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.apps import load_app
from harness.errors import ConfigError

HEAD = "name: shop\ntitle: Shop\nbundle_id: com.example.shop\n"


@pytest.fixture
def apps_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``apps/shop.yaml``."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "apps"
    directory.mkdir()
    return directory


def load_with_sdk(apps_dir: Path, sdk: str) -> ConfigError:
    path = apps_dir / "shop.yaml"
    path.write_text(f"{HEAD}sdk: {sdk}\n")
    with pytest.raises(ConfigError) as caught:
        load_app(path)
    return caught.value


@pytest.mark.parametrize("flush_at", [0, -5])
def test_flush_at_below_one_is_a_file_key_path_problem(
    apps_dir: Path, flush_at: int
) -> None:
    error = load_with_sdk(apps_dir, f"{{flush_at: {flush_at}}}")

    [line] = str(error).splitlines()
    assert line.startswith("apps/shop.yaml: sdk.flush_at: ")
    assert "equal to 1" in line
    assert f"the number {flush_at}" in line


def test_zero_flush_interval_is_a_file_key_path_problem(apps_dir: Path) -> None:
    error = load_with_sdk(apps_dir, "{flush_interval: 0s}")

    [line] = str(error).splitlines()
    assert line.startswith("apps/shop.yaml: sdk.flush_interval: ")
    assert "longer than 0s" in line


def test_positive_flush_settings_load(apps_dir: Path) -> None:
    path = apps_dir / "shop.yaml"
    path.write_text(f"{HEAD}sdk: {{flush_at: 1, flush_interval: 1s}}\n")

    assert load_app(path).sdk.flush_at == 1
