"""App profiles: how an app integrates the SDK, declared in ``fixtures/apps/``.

The same scenario plays differently on an app that identifies on login with a
stable id and one that never identifies; the app profile is where that lives.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from .errors import UnknownName
from .files import Duration, load_directory, load_model

__all__ = ["AppProfile", "find_app", "load_app", "load_apps"]

Moment = Literal["login", "account_creation", "checkout", "order_tracking"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Identify(_Strict):
    """When the app calls identify, and with which id."""

    when: list[Moment] = ["login"]
    id: Literal["user_id", "email"] = "user_id"
    traits: list[Literal["email", "first_name", "last_name"]] = ["email", "first_name"]


class Sdk(_Strict):
    """SDK settings the app passes at initialisation."""

    @field_validator("flush_interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(
                "flush_interval must be longer than 0s; the SDKs default to 30s"
            )
        return value

    flush_at: Annotated[int, Field(ge=1, le=1000)] = 20
    flush_interval: Duration = timedelta(seconds=30)
    track_lifecycle: bool = True
    auto_track_push: bool = True
    api_host: str = "cdp.customer.io/v1"
    cdn_host: str = "cdp.customer.io/v1"


class Events(_Strict):
    """The event names the app sends for each shopping action."""

    product_viewed: str = "product_viewed"
    add_to_cart: str = "added_to_cart"
    checkout_started: str = "checkout_started"
    order_completed: str = "order_completed"


class AppProfile(_Strict):
    """One app's integration of the Customer.io SDK."""

    name: str
    title: str
    bundle_id: str
    version: str = "1.0.0"
    build: int = 1
    sdk: Sdk = Sdk()
    identify: Identify | None = Identify()
    permission_prompt: Literal["first_launch", "after_login", "never"] = "after_login"
    provisional_on_ios: bool = False
    logout: Literal["clear_identify", "nothing"] = "clear_identify"
    register_rotated_token: bool = True
    web_handoff: Literal["alias", "none"] = "alias"
    events: Events = Events()
    deep_links: dict[str, str] = {"cart": "shop://cart"}

    @field_validator("name")
    @classmethod
    def _name_is_file_stem(cls, value: str, info: ValidationInfo) -> str:
        path = (info.context or {}).get("file")
        if isinstance(path, Path) and path.stem != value:
            raise ValueError(
                f"name {value!r} differs from the file name {path.stem!r}; "
                "rename one so they match"
            )
        return value

    def identifies_on(self, moment: str) -> bool:
        """Tell whether the app calls identify at ``moment``."""
        return self.identify is not None and moment in self.identify.when


def load_app(path: Path) -> AppProfile:
    """Load one app profile file."""
    return load_model(path, AppProfile)


def load_apps(directory: Path) -> dict[str, AppProfile]:
    """Load every app profile in ``directory``, reporting all problems at once."""
    return load_directory(directory, AppProfile)


def find_app(apps: dict[str, AppProfile], name: str) -> AppProfile:
    """Return the app profile called ``name``."""
    if name not in apps:
        raise UnknownName("app profile", name, apps)
    return apps[name]
