"""Seeded identifiers, so a run is reproducible from its seed.

Each part of the harness takes its own stream with :meth:`Ids.child`, so adding a
call in one layer never shifts the ids another layer hands out.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid


class Ids:
    """Hand out ids from a seeded stream."""

    def __init__(self, seed: int | str = 0) -> None:
        self.seed = seed
        self._random = random.Random(str(seed))

    def child(self, name: str) -> Ids:
        """Return an independent stream derived from this one's seed and ``name``."""
        digest = hashlib.sha256(f"{self.seed}/{name}".encode()).hexdigest()
        return Ids(digest[:16])

    def bytes(self, count: int) -> bytes:
        """Return ``count`` random bytes."""
        return self._random.randbytes(count)

    def uuid4(self) -> str:
        """Return a version 4 UUID in lowercase."""
        return str(uuid.UUID(bytes=self.bytes(16), version=4))

    def hex(self, count: int) -> str:
        """Return ``count`` random bytes as lowercase hex."""
        return self.bytes(count).hex()

    def b64url(self, count: int) -> str:
        """Return ``count`` random bytes as unpadded base64url."""
        return base64.urlsafe_b64encode(self.bytes(count)).rstrip(b"=").decode()

    def choice(self, options: str, length: int) -> str:
        """Return ``length`` characters drawn from ``options``."""
        return "".join(self._random.choice(options) for _ in range(length))
