"""The Track API (v1 and v2) as an ASGI app: routes, credentials and answers.

Where the OpenAPI document leaves an answer open, these are the policies:

- Credentials are HTTP Basic ``site_id:api_key``. A wrong or missing pair is
  401 in the version's error shape; the document gives the 401 no body.
- A v1 request the emulator cannot apply (unreadable body, a limit, a missing
  field, a rule of the model) is 400 and changes nothing. ``merge_customers``
  answers ``{"meta": {"error": "..."}}``, as documented; every other v1 path
  answers ``{"meta": {"errors": [...]}}``, including those whose 400 the
  document leaves out. The refusal is also kept on ``Workspace.rejections``.
- What the API accepts and then drops (an unknown cio_id, a suppressed
  identifier, an unknown delivery, a merge without its primary) is 200 ``{}``
  here too; the model keeps it on ``Workspace.rejections``.
- ``/api/v1/push/events``, the legacy ``/push/events``, ``/api/v1/metrics``
  and ``/unsubscribe/{delivery_id}`` need no credentials. Their workspace is
  the one valid credentials name, else the one ``by_delivery`` finds for the
  delivery id; with neither, the call is logged and answered 200.
- v2 answers 200 ``{}``, or 400 ``{"errors": [{reason, field, message}]}`` for
  a body or an entity operation it cannot apply. A batch whose items partly
  fail answers 207 with a ``batch_index`` on each error; the other items are
  applied.
- Form submissions answer 204 with no body, as documented.

Known gaps: EU accounts (redirects, ``region: "eu"``) are not emulated and the
region answer always names the US host; the rate limit is not enforced; the
legacy in-app metrics path ``/api/v1/cio_deliveries/events`` is not served;
relationships and objects are stored but nothing reads them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request

from ..wire.asgi import Handler, Reply, application, route, unmatched_text
from ..workspace import Command, Workspace, WorkspaceError
from . import entity, limits, v1, wire
from .errors import Invalid, TooLarge, TrackError

logger = logging.getLogger(__name__)

Directory = Callable[[str, str], Workspace | None]
ByDelivery = Callable[[str], Workspace | None]
NO_CREDENTIALS = (
    "no workspace has these Track API credentials; send Basic auth as "
    "site_id:api_key from the workspace's Track API keys"
)
CHALLENGE = {"www-authenticate": 'Basic realm="Track API"'}


@dataclass(frozen=True)
class Endpoint:
    """One v1 path: its parser, its error shape and its success status."""

    method: str
    path: str
    parse: wire.Parser
    single_error: bool = False
    success: int = 200


CUSTOMER = "/api/v1/customers/{identifier}"
SEGMENT = "/api/v1/segments/{segment_id}"
AUTHENTICATED = (
    Endpoint("PUT", CUSTOMER, v1.identify),
    Endpoint("DELETE", CUSTOMER, v1.delete_person),
    Endpoint("PUT", f"{CUSTOMER}/devices", v1.add_device),
    Endpoint("DELETE", f"{CUSTOMER}/devices/{{device_id}}", v1.delete_device),
    Endpoint("POST", f"{CUSTOMER}/suppress", v1.suppress),
    Endpoint("POST", f"{CUSTOMER}/unsuppress", v1.unsuppress),
    Endpoint("POST", f"{CUSTOMER}/events", v1.person_event),
    Endpoint("POST", "/api/v1/events", v1.anonymous_event),
    Endpoint("POST", "/api/v1/merge_customers", v1.merge, single_error=True),
    Endpoint("POST", f"{SEGMENT}/add_customers", v1.add_to_segment),
    Endpoint("POST", f"{SEGMENT}/remove_customers", v1.remove_from_segment),
    Endpoint("POST", "/api/v1/forms/{form_id}/submit", v1.submit_form, success=204),
)
OPEN = (
    Endpoint("POST", "/api/v1/push/events", v1.push_metric),
    Endpoint("POST", "/push/events", v1.push_metric),
    Endpoint("POST", "/api/v1/metrics", v1.metric),
    Endpoint("POST", "/unsubscribe/{delivery_id}", v1.unsubscribe),
)


def create_app(
    directory: Directory, *, by_delivery: ByDelivery | None = None
) -> Starlette:
    """Build the Track API app over workspaces found by ``(site_id, api_key)``.

    ``by_delivery`` finds the workspace that sent a delivery, for the metric
    and unsubscribe paths, which take no credentials.
    """
    handlers = [(e, _authenticated(directory, e)) for e in AUTHENTICATED]
    handlers += [(e, _open(directory, by_delivery, e)) for e in OPEN]
    routes = [route(e.path, _logged(h), e.method) for e, h in handlers]
    routes += [
        route("/api/v1/accounts/region", _logged(_region(directory)), "GET"),
        route("/api/v2/entity", _logged(_entity(directory))),
        route("/api/v2/batch", _logged(_batch(directory))),
    ]

    def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
        text = unmatched_text(method, path, "Track API", nearest)
        if path.startswith("/api/v2/"):
            error = Invalid(text, "path", "not_found")
            return _json(status, wire.v2_errors([(None, error)]))
        return _json(status, wire.meta_errors([text]))

    return application(routes, unmatched)


# -- v1 ------------------------------------------------------------------------


def _authenticated(directory: Directory, endpoint: Endpoint) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        workspace = _workspace(directory, request)
        if workspace is None:
            return _json(401, wire.meta_errors([NO_CREDENTIALS]), CHALLENGE)
        source = _source(request)
        try:
            body = wire.decode(
                raw, request.headers.get("content-encoding"), wire.V1_BYTES
            )
            workspace.perform(endpoint.parse(_incoming(request, body)), source=source)
        except (TrackError, WorkspaceError) as error:
            workspace.reject(str(error), source=source)
            if endpoint.single_error:
                return _json(400, wire.meta_error(str(error)))
            return _json(400, wire.meta_errors([str(error)]))
        if endpoint.success == 204:
            return Reply(204)
        return _json(endpoint.success, {})

    return handle


def _open(
    directory: Directory, by_delivery: ByDelivery | None, endpoint: Endpoint
) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        source = _source(request)
        known = _workspace(directory, request)
        try:
            body = wire.decode(
                raw, request.headers.get("content-encoding"), wire.V1_BYTES
            )
            command = endpoint.parse(_incoming(request, body))
        except TrackError as error:
            if known is not None:
                known.reject(str(error), source=source)
            return _json(400, wire.meta_errors([str(error)]))
        delivery_id = str(getattr(command, "delivery_id", ""))
        workspace = known or (by_delivery(delivery_id) if by_delivery else None)
        if workspace is None:
            logger.warning(
                "%s for delivery %s dropped: no workspace is known to have sent it",
                source,
                delivery_id,
            )
            return _json(200, {})
        try:
            workspace.perform(command, source=source)
        except WorkspaceError as error:
            workspace.reject(str(error), source=source)
            return _json(400, wire.meta_errors([str(error)]))
        return _json(200, {})

    return handle


def _region(directory: Directory) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        workspace = _workspace(directory, request)
        if workspace is None:
            return _json(401, wire.meta_errors([NO_CREDENTIALS]), CHALLENGE)
        return _json(200, wire.region_body(workspace.environment_id))

    return handle


# -- v2 ------------------------------------------------------------------------


def _entity(directory: Directory) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        workspace = _workspace(directory, request)
        if workspace is None:
            return _unauthorized_v2()
        source = _source(request)
        try:
            body = wire.decode(
                raw,
                request.headers.get("content-encoding"),
                limits.ENTITY_BYTES,
                empty=False,
            )
            workspace.perform(entity.operation(body), source=source)
        except (TrackError, WorkspaceError) as error:
            workspace.reject(str(error), source=source)
            return _json(400, wire.v2_errors([(None, _as_track(error))]))
        return _json(200, {})

    return handle


def _batch(directory: Directory) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        workspace = _workspace(directory, request)
        if workspace is None:
            return _unauthorized_v2()
        source = _source(request)
        try:
            body = wire.decode(
                raw,
                request.headers.get("content-encoding"),
                limits.BATCH_BYTES,
                empty=False,
            )
            batch = body.get("batch")
            if not isinstance(batch, list):
                raise Invalid(
                    'the body needs "batch": a list of operations', "batch", "required"
                )
        except TrackError as error:
            workspace.reject(str(error), source=source)
            return _json(400, wire.v2_errors([(None, error)]))
        failed: list[tuple[int | None, TrackError]] = []
        for index, op in enumerate(batch):
            where = f"{source} batch[{index}]"
            try:
                workspace.perform(_item(op), source=where)
            except (TrackError, WorkspaceError) as error:
                failed.append((index, _as_track(error)))
                workspace.reject(str(error), source=where)
        if failed:
            return _json(207, wire.v2_errors(failed))
        return _json(200, {})

    return handle


def _item(op: Any) -> Command:
    if not isinstance(op, dict):
        raise Invalid("the item is not a JSON object; send an operation object")
    found = limits.size(op)
    if found > limits.ITEM_BYTES:
        raise TooLarge(
            f"the item is {found} bytes; each batch item may be at most "
            f"{limits.ITEM_BYTES} bytes. Split it up"
        )
    return entity.operation(op)


def _unauthorized_v2() -> Reply:
    error = Invalid(NO_CREDENTIALS, "authorization", "unauthorized")
    return _json(401, wire.v2_errors([(None, error)]), CHALLENGE)


def _as_track(error: TrackError | WorkspaceError) -> TrackError:
    if isinstance(error, TrackError):
        return error
    return Invalid(str(error), getattr(error, "field", None) or "")


# -- plumbing --------------------------------------------------------------------


def _logged(handler: Handler) -> Handler:
    def handle(request: Request, raw: bytes) -> Reply:
        reply = handler(request, raw)
        logger.debug(
            "%s %s answered %s", request.method, request.url.path, reply.status
        )
        return reply

    return handle


def _workspace(directory: Directory, request: Request) -> Workspace | None:
    found = wire.credentials(request.headers.get("authorization"))
    return directory(*found) if found else None


def _incoming(request: Request, body: dict[str, Any]) -> wire.Incoming:
    return wire.Incoming(
        dict(request.path_params),
        body,
        dict(request.query_params),
        request.headers.get("content-type", ""),
    )


def _source(request: Request) -> str:
    return f"{request.method} {request.url.path}"


def _json(
    status: int, document: dict[str, Any], headers: dict[str, str] | None = None
) -> Reply:
    body = json.dumps(document, separators=(",", ":")).encode()
    return Reply(status, {"content-type": "application/json", **(headers or {})}, body)
