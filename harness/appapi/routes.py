"""The App API as an ASGI app: transactional push, broadcasts and lookups.

Every route needs ``Authorization: Bearer <App API key>``; a missing or unknown
key is 401. Errors read ``{"meta": {"error": "..."}}``, except on the broadcast
routes, which answer ``{"errors": [{"detail": "...", "status": "..."}]}``
as Customer.io documents for them (see :mod:`.triggers`)::

    POST /v1/send/push                     send a transactional push
    POST /v1/campaigns/{id}/triggers       trigger an API-triggered broadcast
    GET  /v1/campaigns/{id}/triggers/{trigger_id}          its status
    GET  /v1/campaigns/{id}/triggers/{trigger_id}/errors   its errors
    GET  /v1/broadcasts                    the declared broadcasts
    GET  /v1/broadcasts/{id}               one broadcast
    GET  /v1/broadcasts/{id}/triggers      a broadcast's triggers
    GET  /v1/customers?email=              people with that email
    GET  /v1/customers/{id}/attributes     one person: attributes and devices
    POST /v1/customers/attributes          up to 100 people at once
    GET  /v1/customers/{id}/activities     events and delivery activity
    GET  /v1/customers/{id}/messages       the person's deliveries
    GET  /v1/messages/{delivery_id}        one delivery, with provider verdicts
    POST /v1/send/{email,sms,whatsapp,inbox_message,in_app}
                                           kept as deliveries, not delivered

A broadcast is triggered at most once every 10 seconds (429 inside that), as
documented; the rules are :mod:`harness.campaigns.broadcaster`'s. Not emulated,
so a suite that needs them runs against a live workspace: the other rate limits
(10 requests/s, 100/s on sends), ``sa_live_`` service-account tokens with
``X-Workspace-Id``, exports, broadcasts' ``data_file_url``, the other broadcast
routes (metrics, actions, messages), the legacy ``/v1/api/campaigns/{id}/triggers``
path, and delivering anything but push (the other send routes keep the message
on the person, marked as kept, and send nothing).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from ..campaigns.broadcaster import (
    Broadcaster,
    RateLimited,
    Trigger,
    TriggerFailed,
    UnknownBroadcast,
    UnknownTrigger,
)
from ..delivery import Messenger
from ..transactional import Transactional, TransactionalMessage, UnknownMessage
from ..wire.asgi import Handler, Reply, application, route, unmatched_text
from ..workspace import Person, UnknownPerson, Workspace, WorkspaceError
from . import triggers, wire
from .errors import AppApiError, BadRequest, NotFound, Unauthorized

logger = logging.getLogger(__name__)

Document = dict[str, Any]
NO_KEY = (
    "unknown or missing App API key; send Authorization: Bearer <key> with the "
    "App API key from the workspace's API credentials (not the Track or "
    "Pipelines key)"
)


@dataclass(frozen=True)
class AppContext:
    """What one App API key opens: a workspace, its messenger and its messages.

    ``broadcaster`` triggers the workspace's broadcasts; without one, none is
    declared.
    """

    workspace: Workspace
    messenger: Messenger
    messages: tuple[TransactionalMessage, ...] = ()
    broadcaster: Broadcaster | None = None


# Paths whose errors take the broadcast routes' shape, and the older trigger path.
BROADCAST_PATHS = ("/v1/campaigns", "/v1/broadcasts", "/v1/api/campaigns")
LEGACY_TRIGGERS = "/v1/api/campaigns"

Directory = Callable[[str], AppContext | None]
Endpoint = Callable[[AppContext, Request, bytes], Document]
Shape = Callable[[int, str], Document]


def create_app(directory: Directory) -> Starlette:
    """Build the App API over the workspaces ``directory`` finds by App API key."""

    def serve(endpoint: Endpoint, shape: Shape = _meta) -> Handler:
        def handle(request: Request, raw: bytes) -> Reply:
            reply = _answer(directory, endpoint, request, raw, shape)
            logger.debug("%s %s -> %s", request.method, request.url.path, reply.status)
            return reply

        return handle

    trigger = "/v1/campaigns/{broadcast_id}/triggers"
    as_errors = triggers.error_body
    routes = [
        route("/v1/send/push", serve(_send_push)),
        route(trigger, serve(_trigger, as_errors)),
        route(f"{trigger}/{{trigger_id}}", serve(_status, as_errors), "GET"),
        route(f"{trigger}/{{trigger_id}}/errors", serve(_errors, as_errors), "GET"),
        route("/v1/broadcasts", serve(_broadcasts, as_errors), "GET"),
        route("/v1/broadcasts/{broadcast_id}", serve(_broadcast, as_errors), "GET"),
        route(
            "/v1/broadcasts/{broadcast_id}/triggers", serve(_listed, as_errors), "GET"
        ),
        *(
            route(f"/v1/send/{channel}", serve(_recorded(channel)))
            for channel in wire.RECORDED
        ),
        route("/v1/customers", serve(_search), "GET"),
        route("/v1/customers/attributes", serve(_people)),
        route("/v1/customers/{identifier}/attributes", serve(_attributes), "GET"),
        route("/v1/customers/{identifier}/activities", serve(_activities), "GET"),
        route("/v1/customers/{identifier}/messages", serve(_messages), "GET"),
        route("/v1/messages/{delivery_id}", serve(_message), "GET"),
    ]

    def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
        text = unmatched_text(method, path, "App API", nearest)
        if path.startswith(LEGACY_TRIGGERS):
            text += (
                "; the older /v1/api/campaigns/{id}/triggers path is not served, "
                "send POST /v1/campaigns/{id}/triggers instead"
            )
        if path.startswith(BROADCAST_PATHS):
            return _json(status, triggers.error_body(status, text))
        return _error(status, text)

    return application(routes, unmatched)


def _answer(
    directory: Directory,
    endpoint: Endpoint,
    request: Request,
    raw: bytes,
    shape: Shape,
) -> Reply:
    try:
        key = wire.bearer_key(request.headers.get("authorization"))
        context = directory(key) if key else None
        if context is None:
            raise Unauthorized(NO_KEY)
        return _json(200, endpoint(context, request, raw))
    except (AppApiError, WorkspaceError) as error:
        status = _status_of(error)
        return _json(status, shape(status, str(error)))


def _status_of(error: AppApiError | WorkspaceError) -> int:
    """Map a refusal to its status; only this layer knows HTTP."""
    if isinstance(error, AppApiError):
        return error.status
    missing = (UnknownPerson, UnknownMessage, UnknownBroadcast, UnknownTrigger)
    if isinstance(error, missing):
        return 404
    if isinstance(error, RateLimited):
        return 429
    return 422 if isinstance(error, TriggerFailed) else 400


# -- endpoints -------------------------------------------------------------------


def _send_push(context: AppContext, request: Request, raw: bytes) -> Document:
    call = wire.send_push(wire.decode(raw))
    delivery = Transactional(context.messenger, context.messages).send(call)
    return wire.queued_body(delivery)


def _recorded(channel: str) -> Endpoint:
    """Answer a send of a channel the emulator keeps without delivering it."""

    def send(context: AppContext, request: Request, raw: bytes) -> Document:
        identifier, subject, text = wire.recorded_send(channel, wire.decode(raw))
        sender = Transactional(context.messenger, context.messages)
        return wire.queued_body(sender.record(identifier, channel, subject, text))

    return send


def _trigger(context: AppContext, request: Request, raw: bytes) -> Document:
    broadcast_id = triggers.number(request.path_params["broadcast_id"], "broadcast_id")
    call = triggers.trigger(broadcast_id, raw)
    return triggers.created_body(_broadcaster(context).trigger(call))


def _status(context: AppContext, request: Request, raw: bytes) -> Document:
    return triggers.status_body(_trigger_of(context, request))


def _errors(context: AppContext, request: Request, raw: bytes) -> Document:
    query = request.query_params
    start = triggers.errors_start(query.get("start"))
    limit = triggers.errors_limit(query.get("limit"))
    return triggers.errors_body(_trigger_of(context, request), start, limit)


def _listed(context: AppContext, request: Request, raw: bytes) -> Document:
    broadcast_id = triggers.number(request.path_params["broadcast_id"], "broadcast_id")
    made = _broadcaster(context).triggers_of(broadcast_id)
    return {"triggers": [triggers.status_body(t) for t in made]}


def _broadcasts(context: AppContext, request: Request, raw: bytes) -> Document:
    declared = _broadcaster(context).broadcasts.values()
    return {"broadcasts": [triggers.broadcast_body(b) for b in declared]}


def _broadcast(context: AppContext, request: Request, raw: bytes) -> Document:
    broadcast_id = triggers.number(request.path_params["broadcast_id"], "broadcast_id")
    found = _broadcaster(context).find(broadcast_id)
    return {"broadcast": triggers.broadcast_body(found)}


def _trigger_of(context: AppContext, request: Request) -> Trigger:
    path = request.path_params
    broadcast_id = triggers.number(path["broadcast_id"], "broadcast_id")
    trigger_id = triggers.number(path["trigger_id"], "trigger_id")
    return _broadcaster(context).lookup(broadcast_id, trigger_id)


def _broadcaster(context: AppContext) -> Broadcaster:
    # Without a broadcaster the workspace declares no broadcasts; an empty one
    # answers every id with the same "not declared" error a real one would.
    found = context.broadcaster
    return found or Broadcaster(context.workspace, context.messenger, ())


def _search(context: AppContext, request: Request, raw: bytes) -> Document:
    email = request.query_params.get("email")
    if not email:
        raise BadRequest(
            "GET /v1/customers needs ?email=<address>; to look a person up by id, "
            "use GET /v1/customers/{id}/attributes"
        )
    person = wire.find_person(context.workspace, email, "email")
    return {"results": [wire.result_of(person)] if person else []}


def _people(context: AppContext, request: Request, raw: bytes) -> Document:
    kind = wire.id_type(request.query_params.get("id_type"))
    workspace, found = context.workspace, dict[str, Person]()
    for identifier in wire.ids(wire.decode(raw)):
        person = wire.find_person(workspace, identifier, kind)
        if person is not None:
            found.setdefault(person.cio_id, person)
    return {"customers": [wire.customer_body(workspace, p) for p in found.values()]}


def _attributes(context: AppContext, request: Request, raw: bytes) -> Document:
    person = _person(context, request)
    return {"customer": wire.customer_body(context.workspace, person)}


def _activities(context: AppContext, request: Request, raw: bytes) -> Document:
    query = request.query_params
    listed = wire.activities(context.workspace, _person(context, request))
    kind, name = query.get("type"), query.get("name")
    listed = [
        a
        for a in listed
        if (not kind or a["type"] == kind) and (name is None or a["name"] == name)
    ]
    limit = wire.query_limit(query.get("limit"))
    chosen, following = wire.page(listed, query.get("start"), limit)
    return {"activities": chosen, "next": following}


def _messages(context: AppContext, request: Request, raw: bytes) -> Document:
    query = request.query_params
    listed = wire.messages(context.workspace, _person(context, request))
    kind = query.get("type")
    listed = [m for m in listed if not kind or m["type"] == kind]
    limit = wire.query_limit(query.get("limit"))
    chosen, following = wire.page(listed, query.get("start"), limit)
    return {"messages": chosen, "next": following}


def _message(context: AppContext, request: Request, raw: bytes) -> Document:
    delivery_id = request.path_params["delivery_id"]
    delivery = context.workspace.deliveries.get(delivery_id)
    if delivery is None:
        raise NotFound(
            f"no delivery has id {delivery_id!r} in this workspace; use the "
            "delivery_id a send answered with, or list GET "
            "/v1/customers/{id}/messages"
        )
    return {"message": wire.message_body(context.workspace, delivery, detail=True)}


def _person(context: AppContext, request: Request) -> Person:
    kind = wire.id_type(request.query_params.get("id_type"))
    identifier = request.path_params["identifier"]
    return wire.person(context.workspace, identifier, kind)


# -- replies ---------------------------------------------------------------------


def _meta(status: int, message: str) -> Document:
    return wire.error_body(message)


def _error(status: int, message: str) -> Reply:
    return _json(status, _meta(status, message))


def _json(status: int, document: Document) -> Reply:
    body = json.dumps(document, separators=(",", ":")).encode()
    return Reply(status, {"content-type": "application/json"}, body)
