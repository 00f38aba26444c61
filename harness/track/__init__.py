"""The emulated Track API (v1 and v2), as server libraries and legacy SDKs use it."""

from .routes import create_app

__all__ = ["create_app"]
