"""App profiles: how an app integrates the SDK, declared in ``fixtures/apps/``.

The same scenario plays differently on an app that identifies on login with a
stable id and one that never identifies; the app profile is where that lives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import NotApplicable, UnknownName
from .faults import FAULTS, FaultName
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
    """SDK settings the app passes at initialisation.

    ``generation`` picks the SDK line the build ships: ``current`` is iOS 4.x
    and Android 4.x over Data Pipelines; ``legacy`` is iOS 2.x and Android 3.x
    over Track API v1.
    """

    @field_validator("flush_interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(
                "flush_interval must be longer than 0s; the SDKs default to 30s"
            )
        return value

    generation: Literal["current", "legacy"] = "current"
    flush_at: Annotated[int, Field(ge=1, le=1000)] = 20
    flush_interval: Duration = timedelta(seconds=30)
    track_lifecycle: bool = True
    auto_track_push: bool = True
    api_host: str = "cdp.customer.io/v1"
    cdn_host: str = "cdp.customer.io/v1"


Property = Literal["sku", "name", "price", "currency", "qty", "items", "cart_total"]
PROPERTIES: tuple[Property, ...] = (
    "sku", "name", "price", "currency", "qty", "items", "cart_total",
)  # fmt: skip


def _link(value: str) -> str:
    if not re.match(r"[a-z][a-z0-9+.-]*://", value):
        raise ValueError(
            f"{value!r} is not a deep link; write the route the app handles as a "
            "URL with its scheme, like shop://cart"
        )
    return value


def _unique_properties(names: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed twice; list each once")
    return names


def _event_shorthand(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


class EventSpec(_Strict):
    """One shopping action's event: its name, properties and who sends it.

    ``properties`` lists what the app puts on the event (default: everything it
    knows of the product and cart); ``sent_by: backend`` means the shop's server
    tracks it at the moment it happens, not the app. A plain string is the name.
    """

    name: Annotated[str, Field(min_length=1, max_length=100)]
    properties: Annotated[tuple[Property, ...], AfterValidator(_unique_properties)] = (
        PROPERTIES
    )
    sent_by: Literal["app", "backend"] = "app"

    def pick(self, values: dict[str, object]) -> dict[str, object]:
        """Return the properties of ``values`` this event carries."""
        return {k: v for k, v in values.items() if k in self.properties}


_Event = Annotated[EventSpec, BeforeValidator(_event_shorthand)]


class Events(_Strict):
    """The events the app sends for each shopping action; one name per action."""

    product_viewed: _Event = EventSpec(name="product_viewed")
    add_to_cart: _Event = EventSpec(name="added_to_cart")
    checkout_started: _Event = EventSpec(name="checkout_started")
    order_completed: _Event = EventSpec(name="order_completed")

    @model_validator(mode="after")
    def _one_name_per_action(self) -> Events:
        names: dict[str, str] = {}
        for action, spec in self:
            other = names.setdefault(spec.name, action)
            if other != action:
                raise ValueError(
                    f"{action} and {other} both send {spec.name!r}, so the two "
                    "actions cannot be told apart; give each its own event name"
                )
        return self


def _unique_faults(faults: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({f for f in faults if faults.count(f) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed twice; list each fault once")
    return faults


class AppProfile(_Strict):
    """One app's integration of the Customer.io SDK."""

    name: str
    title: str
    bundle_id: str
    version: str = "1.0.0"
    build: int = 1
    sdk: Sdk = Sdk()
    identify: Identify | None = Identify()
    anonymous_activity: Literal["carry_over", "discard"] = "carry_over"
    permission_prompt: Literal[
        "first_launch", "after_login", "after_order", "never"
    ] = "after_login"
    provisional_on_ios: bool = False
    logout: Literal["clear_identify", "nothing"] = "clear_identify"
    register_rotated_token: bool = True
    web_handoff: Literal["alias", "none"] = "alias"
    events: Events = Events()
    deep_links: dict[
        Annotated[str, Field(min_length=1)], Annotated[str, AfterValidator(_link)]
    ] = {"cart": "shop://cart"}
    faults: Annotated[tuple[FaultName, ...], AfterValidator(_unique_faults)] = ()

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

    @model_validator(mode="after")
    def _faults_fit_the_sdk(self) -> AppProfile:
        for name in self.faults:
            why = FAULTS[name].misfit(self.sdk.generation)
            if why:
                raise ValueError(f"fault {name} does not apply: {why}")
        return self

    def has_fault(self, name: FaultName) -> bool:
        """Tell whether the field fault ``name`` is switched on for this app."""
        return name in self.faults

    def with_faults(self, names: Sequence[str]) -> AppProfile:
        """Return this profile with the faults ``names`` switched on as well.

        Raises UnknownName for a name harness/faults.py does not know and
        NotApplicable for a fault this app's SDK generation cannot have, as
        the ``faults:`` list of an app profile file is checked.
        """
        added: list[FaultName] = []
        for name in dict.fromkeys(names):
            if name not in FAULTS:
                raise UnknownName("field fault", name, FAULTS)
            fault = FAULTS[name]
            why = fault.misfit(self.sdk.generation)
            if why:
                raise NotApplicable("field fault", name, f"{why} ({self.name})")
            if fault.name not in self.faults:
                added.append(fault.name)
        return self.model_copy(update={"faults": self.faults + tuple(added)})

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
