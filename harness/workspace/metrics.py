"""Delivery metrics and unsubscribes reported against a delivery id.

A metric lands on ``Delivery.metrics`` under its name, stamped with the
reported timestamp (or the arrival time). A metric for a delivery the workspace
never sent, or a push metric other than delivered, opened or converted on a
push delivery, is dropped and kept on ``Workspace.rejections``.

An unsubscribe sets the recipient's ``unsubscribed`` attribute to true and
credits the delivery with an ``unsubscribed`` metric.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..journal import Entry
from .commands import ReportMetric, Unsubscribe
from .records import Delivery

if TYPE_CHECKING:
    from .model import Workspace

PUSH_METRICS = ("delivered", "opened", "converted")


def report(workspace: Workspace, command: ReportMetric, source: str) -> None:
    """Record a metric on its delivery."""
    metric, delivery_id = command.metric, command.delivery_id
    delivery = _delivery(workspace, delivery_id, f"{metric} metric", source)
    if delivery is None:
        return
    if delivery.channel == "push" and metric not in PUSH_METRICS:
        workspace.reject(
            f"{metric} metric for push delivery {delivery_id} dropped: push "
            f"deliveries take {', '.join(PUSH_METRICS)}",
            source=source,
        )
        return
    delivery.metrics.setdefault(metric, []).append(
        command.timestamp or workspace.clock.now()
    )
    details = [
        f"{key} {value}"
        for key, value in (("href", command.href), ("reason", command.reason))
        if value
    ]
    extra = f" ({'; '.join(details)})" if details else ""
    token = command.recipient if delivery.channel == "push" else None
    _journal(
        workspace,
        delivery,
        f"{metric} metric for delivery {delivery_id}{extra} ({source})",
        token=token,
    )


def unsubscribe(workspace: Workspace, command: Unsubscribe, source: str) -> None:
    """Unsubscribe the person a delivery went to."""
    delivery_id = command.delivery_id
    delivery = _delivery(workspace, delivery_id, "unsubscribe", source)
    if delivery is None:
        return
    if not command.unsubscribe:
        _journal(
            workspace,
            delivery,
            f"unsubscribe for delivery {delivery_id} without "
            '"unsubscribe": true; nothing changed',
        )
        return
    person = workspace.people.get(delivery.person)
    if person is None:
        workspace.reject(
            f"unsubscribe for delivery {delivery_id} dropped: its recipient "
            f"cio_{delivery.person} no longer exists",
            source=source,
        )
        return
    person.attributes["unsubscribed"] = True
    delivery.metrics.setdefault("unsubscribed", []).append(workspace.clock.now())
    _journal(
        workspace,
        delivery,
        f"{person.label} unsubscribed through delivery {delivery_id} ({source})",
    )


def _delivery(
    workspace: Workspace, delivery_id: str, what: str, source: str
) -> Delivery | None:
    delivery = workspace.deliveries.get(delivery_id)
    if delivery is None:
        workspace.reject(
            f"{what} for delivery {delivery_id} dropped: this workspace sent no "
            "such delivery. Use the CIO-Delivery-ID of a message it sent",
            source=source,
        )
    return delivery


def _journal(
    workspace: Workspace, delivery: Delivery, text: str, token: str | None = None
) -> None:
    workspace.journal.record(
        Entry(
            workspace.clock.now(),
            "workspace",
            "metric",
            text,
            person=delivery.person,
            delivery_id=delivery.id,
            token=token,
        )
    )
