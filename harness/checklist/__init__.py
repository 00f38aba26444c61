"""The push implementation checklist, as a built-in scenario suite.

``harness run --suite checklist`` plays :mod:`.items` instead of the project's
scenarios: one check per checklist item, each a plain ``@scenario`` on the
public API, so it runs on every device profile against any app profile (and
its switchable faults). A check says what it saw with ``world.saw`` and fails
through ``world.expect``, naming the item and printing the shopper's timeline.

The checks use the project's fixtures: the cart-recovery campaign, the
order-shipped and account-notice transactional messages, the internal-test
broadcast and the tracking plan; docs/checklist.md lists what each needs.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SUITES"]

SUITES: dict[str, Path] = {"checklist": Path(__file__).parent}
