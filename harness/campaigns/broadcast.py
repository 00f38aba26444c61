"""Broadcast fixture files: a push the shop's backend triggers for a segment.

A broadcast is data (``fixtures/broadcasts/*.yaml``), addressed by its number as
the App API addresses it (``POST /v1/campaigns/{id}/triggers``)::

    id: 1
    name: internal-test
    audience: {segment: internal-testers}     # a manual segment's id
    push:
      title: "{{ trigger.headline }}"
      body: "Hi {{ customer.first_name | default: 'there' }}, ..."
      link: "shop://news/{{ trigger.slug }}"
    otherwise_email: {subject: ..., body: ...}

Templates are Liquid, rendered with ``trigger`` (the request's ``data``, with a
person's ``per_user_data`` laid over it) and ``customer`` (the profile's
attributes plus id, email and cio_id), as Customer.io's API-triggered
broadcasts render them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..errors import ConfigError, Problem
from ..files import load_directory, shown
from .spec import EmailMessage, PushMessage


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _segment_id(value: object) -> object:
    # A numeric id in YAML reads as a number; segments are named by text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value == "":
        raise ValueError("is empty; name the manual segment the broadcast goes to.")
    return value


SegmentId = Annotated[str, BeforeValidator(_segment_id)]


class Audience(_Strict):
    """Who a trigger without its own recipients reaches: one manual segment."""

    segment: SegmentId


class Broadcast(_Strict):
    """An API-triggered broadcast as declared in its fixture file."""

    id: int = Field(gt=0, strict=True)
    name: str = Field(min_length=1)
    description: str = ""
    audience: Audience
    push: PushMessage
    otherwise_email: EmailMessage | None = None


def load_broadcasts(directory: Path) -> list[Broadcast]:
    """Load every broadcast in ``directory``, ordered by id; ids and names are unique.

    Raises ConfigError listing every file problem and every clash at once.
    """
    loaded = load_directory(directory, Broadcast, "broadcast")
    problems: list[Problem] = []
    ids: dict[int, str] = {}
    names: dict[str, str] = {}
    for stem, broadcast in loaded.items():
        file = shown(directory / f"{stem}.yaml")
        other = ids.setdefault(broadcast.id, stem)
        if other != stem:
            text = (
                f"{broadcast.id} is also the id of {other}.yaml; the App API finds a "
                "broadcast by its id, so give each its own."
            )
            problems.append(Problem(file, "id", text))
        other = names.setdefault(broadcast.name.lower(), stem)
        if other != stem:
            text = (
                f"{broadcast.name!r} is also the name of {other}.yaml (names match "
                "in any case); rename one."
            )
            problems.append(Problem(file, "name", text))
    if problems:
        raise ConfigError(problems)
    return sorted(loaded.values(), key=lambda b: b.id)
