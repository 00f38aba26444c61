"""The README's examples run as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def python_block_after(marker: str) -> str:
    """Return the first ```python block after ``marker`` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(marker)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, f"no python block after {marker!r}"
    return textwrap.dedent(match.group(1))


def test_the_serving_test_example_passes(tmp_path: Path) -> None:
    source = python_block_after("5. Drive it from your own tests.")
    namespace: dict[str, Any] = {"__file__": str(ROOT / "tests" / "example.py")}

    exec(compile(source, "README.md (serving example)", "exec"), namespace)
    namespace["test_cart_push"](tmp_path)
