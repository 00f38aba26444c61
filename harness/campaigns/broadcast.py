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

from ..files import load_numbered
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
    return load_numbered(
        directory,
        Broadcast,
        "broadcast",
        id_rule="the App API finds a broadcast by its id, so ",
    )
