"""Campaign fixture files: a trigger and the steps a journey takes.

A campaign is data (``fixtures/campaigns/*.yaml``), not code::

    name: cart-recovery
    trigger: {event: added_to_cart}
    steps:
      - wait: 30m
      - exit_if: {event: order_completed}
      - send:
          push: {title: ..., body: "{{ event.items[0].name }} ...", link: ...}
          otherwise_email: {subject: ..., body: ...}

Templates are Liquid, rendered with ``event`` (the trigger's properties) and
``customer`` (the profile's attributes plus id and email).
"""

from __future__ import annotations

import difflib
import functools
from datetime import timedelta
from typing import Annotated, Any

from liquid import BoundTemplate, Environment
from liquid.exceptions import LiquidError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    field_validator,
    model_validator,
)

from ..files import Duration

TEMPLATES = Environment()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _liquid(value: str) -> str:
    try:
        analysis = TEMPLATES.from_string(value).analyze(include_partials=False)
    except LiquidError as error:
        first = str(error).splitlines()[0]
        raise ValueError(f"not a valid Liquid template: {first}") from None
    for name in analysis.filters:
        if name not in TEMPLATES.filters:
            near = difflib.get_close_matches(name, list(TEMPLATES.filters), n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            raise ValueError(f"unknown Liquid filter {name!r}{hint}")
    for tag in analysis.tags:
        if tag in ("include", "render"):
            raise ValueError(
                f"campaign templates cannot {tag} other templates; write the text "
                "inline"
            )
    return value


Template = Annotated[str, AfterValidator(_liquid)]


class Trigger(_Strict):
    """The event that starts a journey."""

    event: str
    anonymous_window: Duration = timedelta(hours=72)


class PushMessage(_Strict):
    """A push: title, body and an optional deep link, all templates."""

    title: Template
    body: Template
    link: Template | None = None
    image_url: str | None = None


class EmailMessage(_Strict):
    """An email: subject and body, both templates."""

    subject: Template
    body: Template


class Send(_Strict):
    """Send a push to reachable devices, or the email when there are none."""

    push: PushMessage | None = None
    otherwise_email: EmailMessage | None = None


class ExitIf(_Strict):
    """Leave the journey if the person did ``event`` after the trigger."""

    event: str


class Step(_Strict):
    """One step: exactly one of wait, exit_if or send."""

    wait: Duration | None = None
    exit_if: ExitIf | None = None
    send: Send | None = None

    @field_validator("send")
    @classmethod
    def _send_has_a_message(cls, value: Send | None) -> Send | None:
        if value is not None and value.push is None and value.otherwise_email is None:
            raise ValueError("send needs push, otherwise_email or both")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        chosen = [
            k for k in ("wait", "exit_if", "send") if getattr(self, k) is not None
        ]
        if len(chosen) != 1:
            raise ValueError(
                "a step has exactly one of wait, exit_if or send; "
                f"this one has {', '.join(chosen) or 'none'}"
            )
        return self


class Campaign(_Strict):
    """A triggered campaign as declared in its fixture file."""

    name: str
    description: str = ""
    trigger: Trigger
    steps: list[Step]


def render(template: str, **context: Any) -> str:
    """Render a Liquid template with the journey's context."""
    return _parsed(template).render(**context)


@functools.lru_cache(maxsize=512)
def _parsed(template: str) -> BoundTemplate:
    """Parse a template once: every send of a message renders the same few."""
    return TEMPLATES.from_string(template)
