"""An app's sandbox: what survives a restart and what an uninstall wipes."""

from __future__ import annotations

import copy
from typing import Any


class Sandbox:
    """Key-value storage private to one install of one app.

    The SDK keeps its ids, token and unsent batches here (UserDefaults on iOS,
    SharedPreferences and files on Android), so a relaunch and an update in
    place keep them, a device backup carries them to a new phone, and an
    uninstall or clear-data loses them.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """Return the stored value for ``key``."""
        return self._values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self._values[key] = value

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        self._values.pop(key, None)

    def wipe(self) -> None:
        """Forget everything, as an uninstall or clear-data does."""
        self._values.clear()

    def backup(self) -> Sandbox:
        """Return a copy of everything stored, as a device backup takes it."""
        copied = Sandbox()
        copied._values = copy.deepcopy(self._values)
        return copied

    def restore(self, backup: Sandbox) -> None:
        """Replace everything stored with a copy of ``backup``'s contents."""
        self._values = copy.deepcopy(backup._values)

    def keys(self) -> list[str]:
        """Return the stored keys, in the order they were first set."""
        return list(self._values)

    def __contains__(self, key: str) -> bool:
        return key in self._values
