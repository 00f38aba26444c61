"""The emulated Data Pipelines API (the current SDKs' backend)."""

from .routes import create_app

__all__ = ["create_app"]
