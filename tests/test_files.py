"""Reading fixture files: every failure is a located problem, never a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from harness.errors import ConfigError
from harness.files import DOCUMENT, Duration, load_model, parse_duration


class Timing(BaseModel):
    """A one-field model to load durations through."""

    wait: Duration


@pytest.fixture
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``files/x.yaml``."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "files"
    directory.mkdir()
    return directory


def problem_of(path: Path) -> tuple[str, str]:
    with pytest.raises(ConfigError) as caught:
        load_model(path, Timing)
    [problem] = caught.value.problems
    assert problem.file == f"files/{path.name}"
    return problem.path, problem.message


def test_parse_duration_past_timedelta_range_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too long a duration"):
        parse_duration("99999999999999d")


def test_duration_past_timedelta_range_in_a_file_is_a_problem(
    files_dir: Path,
) -> None:
    path = files_dir / "long.yaml"
    path.write_text("wait: 99999999999999d\n")

    where, message = problem_of(path)

    assert where == "wait"
    assert "'99999999999999d' is too long a duration" in message


def test_largest_duration_in_range_still_parses() -> None:
    assert parse_duration("999999999d") == timedelta(days=999_999_999)


def test_yaml_nested_3000_deep_is_a_document_problem(files_dir: Path) -> None:
    path = files_dir / "deep.yaml"
    path.write_text("wait: " + "[" * 3000 + "]" * 3000 + "\n")

    where, message = problem_of(path)

    assert where == DOCUMENT
    assert "nests too deeply" in message


def test_unterminated_quote_reports_where_the_scalar_started(
    files_dir: Path,
) -> None:
    path = files_dir / "quote.yaml"
    path.write_text('# a comment\nwait: "30m\nother: 1\n')

    where, message = problem_of(path)

    assert where == DOCUMENT
    assert "while scanning a quoted scalar at line 2" in message
