"""The control API's phone routes: ``/_harness/phones`` and each phone's commands.

=========================================  ===================================
``POST /phones``                           put a new phone on the rack: 201
``GET /phones?workspace=NAME``             the phones (of one workspace)
``GET /phones/{id}``                       one phone
``DELETE /phones/{id}``                    take a phone off the rack
``GET /phones/{id}/notifications``         what it shows, as UiAutomator2's
                                           ``mobile: getNotifications``
``POST /phones/{id}/<command>``            install, uninstall, launch,
                                           terminate, background, clear,
                                           permission, alert, push, online,
                                           deeplink, tap
``POST /phones/{id}/actions/<action>``     the app's screens: log_in,
                                           create_account, log_out, view,
                                           add_to_cart, start_checkout,
                                           complete_order,
                                           open_order_tracking,
                                           request_permission
=========================================  ===================================

A phone reads (GET) and every command answers the phone's state: ``app_state``
is queryAppState's number (0 not installed, 1 not running, 3 background, 4
foreground), ``notifications`` the OS permission (``granted``, ``denied``,
``not_determined``, ``provisional``). ``permission`` on iOS is the Settings
switch, the only place an iPhone changes it; XCUITest itself cannot since
12.13. Each notification of ``/notifications`` carries in
``notification.extras`` the push's data with ``CIO-Delivery-ID``, and
``harness.deliveryId``; ``tap`` names it by that id or by its ``id``.
``install`` adds ``already_installed`` (the same profile again changes
nothing); ``push`` adds ``outcome`` and ``reason`` (``not shown`` for a push
with nothing to show, which the app gets and the list never holds).

Every body goes through one parser (:func:`.phone_bodies.read_body`): a
string that is not valid Unicode text or a number that is not finite is
refused, naming its field, before anything changes. A deep link must parse
as a URL with a scheme before the app is launched for it.

Refusals keep the control API's error shape; their codes: ``unknown_phone``,
``unknown_name`` and ``unknown_workspace`` (404), ``not_installed``,
``not_running``, ``conflict``, ``version_downgrade``, ``no_fixtures`` and
``phone_refused`` (409), ``unsupported`` (422), ``invalid_request`` (400),
``no_rack`` (404, a control app built without one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.requests import Request

from ..emulator import Emulator
from ..errors import ScenarioError, Unsupported
from ..wire.asgi import Reply
from .echo import quoted
from .endpoints import Endpoint, Refused, json_reply
from .errors import PhoneRefused
from .handset import Handset
from .phone_actions import ACTIONS, Action
from .phone_bodies import (
    Body,
    bool_field,
    check_fields,
    choice_field,
    read_body,
    schema,
    shown,
    string_field,
    url_field,
)
from .phone_views import notifications, view
from .phones import PhoneRack

Command = Callable[[PhoneRack, Handset, Body], Body | None]

STATUS = {
    "unknown_phone": 404,
    "unknown_name": 404,
    "invalid_request": 400,
    "unsupported": 422,
}


# -- the phones --------------------------------------------------------------------

CREATE_FIELDS = {
    "profile": "a device profile's name",
    "workspace": "default: default",
    "name": "shown in timelines",
    "answers_prompt": "allow, deny or dismiss",
}


def _create(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    what = "POST /_harness/phones"
    rack, body = _rack(request), read_body(raw, what)
    check_fields(body, CREATE_FIELDS, what)
    profile = string_field(body, "profile", what)
    workspace = string_field(body, "workspace", what, required=False) or "default"
    name = string_field(body, "name", what, required=False)
    answers = string_field(body, "answers_prompt", what, required=False) or "allow"
    _workspace(emulator, workspace, "create the phone in one of those")
    assert profile is not None
    with _refusals():
        handset = rack.create(
            profile, workspace=workspace, name=name, answers_prompt=answers
        )
    return json_reply(201, view(handset))


def _list(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    rack, query = _rack(request), request.query_params
    unknown = sorted(set(query) - {"workspace"})
    if unknown or len(query.getlist("workspace")) > 1:
        named = ", ".join(map(quoted, unknown)) or "a second workspace"
        raise Refused(
            400,
            "invalid_request",
            f"GET /_harness/phones takes one query parameter, workspace, and {named} "
            "is not it; send ?workspace=NAME for one workspace's phones, or no "
            "query for every phone.",
        )
    workspace = query.get("workspace")
    if workspace is not None:
        _workspace(emulator, workspace, "list one of those, or leave the query out")
    with rack.locked():
        phones = rack.phones()
        chosen = [h for h in phones if workspace in (None, h.workspace)]
        return json_reply(200, {"phones": [view(h) for h in chosen]})


def _workspace(emulator: Emulator, name: str, fix: str) -> None:
    """Refuse a workspace the emulator does not have, listing those it has."""
    if name not in emulator.workspaces:
        known = ", ".join(sorted(emulator.workspaces)) or "none"
        raise Refused(
            404,
            "unknown_workspace",
            f"unknown workspace {quoted(name)}; known workspaces: {known}. {fix}.",
        )


def _read(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    rack = _rack(request)
    with rack.locked(), _refusals():
        return json_reply(200, view(rack.get(request.path_params["id"])))


def _delete(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    rack = _rack(request)
    with _refusals():
        handset = rack.remove(request.path_params["id"])
    return json_reply(200, {**view(handset), "removed": True})


def _notifications(emulator: Emulator, request: Request, raw: bytes) -> Reply:
    rack = _rack(request)
    with rack.locked(), _refusals():
        handset = rack.get(request.path_params["id"])
        return json_reply(200, notifications(handset))


def _rack(request: Request) -> PhoneRack:
    rack = getattr(request.app.state, "rack", None)
    if not isinstance(rack, PhoneRack):
        raise Refused(
            404,
            "no_rack",
            "this control API was built without a phone rack, so it has no phones; "
            "harness serve and Server.hosting give it one.",
        )
    return rack


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn what a phone refuses into the control API's error answers."""
    try:
        yield
    except PhoneRefused as error:
        status = STATUS.get(error.code, 409)
        raise Refused(status, error.code, str(error)) from None
    except Unsupported as error:
        raise Refused(422, "unsupported", str(error)) from None
    except ScenarioError as error:
        text = str(error)
        raise Refused(409, "phone_refused", text.rstrip(".") + ".") from None


def _command(name: str, run: Command) -> Callable[[Emulator, Request, bytes], Reply]:
    def handle(emulator: Emulator, request: Request, raw: bytes) -> Reply:
        rack, body = _rack(request), read_body(raw, name)
        with rack.locked(), _refusals():
            handset = rack.get(request.path_params["id"])
            extra = run(rack, handset, body) or {}
            return json_reply(200, {**view(handset), **extra})

    handle.__name__ = f"_{name}"
    return handle


# -- commands ----------------------------------------------------------------------


def _install(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "install"
    check_fields(body, COMMANDS[what][1], what)
    name = string_field(body, "app", what)
    assert name is not None
    grant = bool_field(body, "grant_permissions", what, default=False)
    return {"already_installed": handset.install(rack.app(name), grant=grant)}


def _bundle(what: str) -> Command:
    def run(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
        check_fields(body, COMMANDS[what][1], what)
        bundle = string_field(body, "bundle_id", what, required=False)
        if what == "launch":
            handset.launch(bundle)
        elif what == "clear":
            handset.clear(bundle)
        else:
            return {"was_running": handset.terminate(bundle)}
        return None

    return run


def _uninstall(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    check_fields(body, {}, "uninstall")
    handset.uninstall()
    return None


def _background(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "background"
    check_fields(body, COMMANDS[what][1], what)
    seconds = body.get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise Refused(
            400,
            "invalid_request",
            f'background: "seconds" is a number (below 0 stays in the background); '
            f"got {shown(seconds)}.",
        )
    handset.background(seconds)
    return None


def _permission(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "permission"
    check_fields(body, COMMANDS[what][1], what)
    handset.permission(
        choice_field(body, "notifications", ("grant", "revoke"), what) == "grant"
    )
    return None


def _alert(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "alert"
    check_fields(body, COMMANDS[what][1], what)
    handset.alert(choice_field(body, "action", ("accept", "dismiss"), what) == "accept")
    return None


def _push(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "push"
    check_fields(body, COMMANDS[what][1], what)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise Refused(
            400,
            "invalid_request",
            'push needs "payload", an object: an APNs payload ({"aps": {"alert": '
            '...}, ...}) for iOS, an FCM message ({"notification": ..., "data": '
            f"...}}) for Android; got {shown(payload)}.",
        )
    pushed = handset.push(payload)
    return {"outcome": pushed.outcome, "reason": pushed.reason}


def _online(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "online"
    check_fields(body, COMMANDS[what][1], what)
    handset.online(bool_field(body, "online", what))
    return None


def _deeplink(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "deeplink"
    check_fields(body, COMMANDS[what][1], what)
    url = url_field(body, "url", what)
    return {"opened": url, "route": handset.deeplink(url)}


def _tap(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
    what = "tap"
    check_fields(body, COMMANDS[what][1], what)
    reference = body.get("notification")
    if isinstance(reference, bool) or not isinstance(reference, str | int):
        raise Refused(
            400,
            "invalid_request",
            'tap needs "notification": the CIO-Delivery-ID or the id '
            f"getNotifications lists; got {shown(reference)}.",
        )
    item = handset.tap(reference)
    return {"tapped": item.delivery_id}


BUNDLE = {"bundle_id": "the installed app's bundle id or package, optional"}
COMMANDS: dict[str, tuple[Command, dict[str, str], str]] = {
    "install": (
        _install,
        {"app": "an app profile's name", "grant_permissions": "Android's -g"},
        "Install an app profile (or update it in place to a newer build).",
    ),
    "uninstall": (_uninstall, {}, "Remove the app: storage and token go."),
    "launch": (_bundle("launch"), BUNDLE, "Start the app or bring it forward."),
    "terminate": (_bundle("terminate"), BUNDLE, "Swipe the app away."),
    "background": (
        _background,
        {"seconds": "0 or more comes back at once; below 0 stays"},
        "Send the app to the background (Appium's backgroundApp).",
    ),
    "clear": (_bundle("clear"), BUNDLE, "Clear the app's data; Android only."),
    "permission": (
        _permission,
        {"notifications": "grant or revoke"},
        "Grant or revoke notifications (iOS: the Settings switch).",
    ),
    "alert": (
        _alert,
        {"action": "accept or dismiss"},
        "Set how the next notification prompt is answered.",
    ),
    "push": (
        _push,
        {"payload": "an APNs payload or an FCM message"},
        "Hand a push to the phone as if its push service delivered it.",
    ),
    "online": (_online, {"online": "true or false"}, "Take the phone off or on line."),
    "deeplink": (_deeplink, {"url": "the link"}, "Open a deep link in the app."),
    "tap": (
        _tap,
        {"notification": "a CIO-Delivery-ID or getNotifications' id"},
        "Tap a notification: the app opens and reports it.",
    ),
}

REQUIRED: dict[str, list[str]] = {
    "create": ["profile"],
    "install": ["app"],
    "permission": ["notifications"],
    "alert": ["action"],
    "push": ["payload"],
    "online": ["online"],
    "deeplink": ["url"],
    "tap": ["notification"],
}


def _action(name: str, run: Action) -> Command:
    def act(rack: PhoneRack, handset: Handset, body: Body) -> Body | None:
        run(rack, handset, body)
        return {"action": name}

    return act


PHONE = "/phones/{id}"
ENDPOINTS = [
    Endpoint(
        "POST",
        "/phones",
        "Put a new emulated phone of a device profile on the rack.",
        _create,
        body=schema(CREATE_FIELDS, REQUIRED["create"]),
        status=201,
    ),
    Endpoint(
        "GET",
        "/phones",
        "List the phones on the rack, or one workspace's.",
        _list,
        query={"workspace": "only this workspace's phones"},
    ),
    Endpoint("GET", PHONE, "A phone's state, app state and permission.", _read),
    Endpoint("DELETE", PHONE, "Take a phone off the rack.", _delete),
    Endpoint(
        "GET",
        f"{PHONE}/notifications",
        "What the phone shows, as UiAutomator2's mobile: getNotifications.",
        _notifications,
    ),
    *(
        Endpoint(
            "POST",
            f"{PHONE}/{name}",
            summary,
            _command(name, run),
            body=schema(taken, REQUIRED.get(name, [])) if taken else None,
        )
        for name, (run, taken, summary) in COMMANDS.items()
    ),
    *(
        Endpoint(
            "POST",
            f"{PHONE}/actions/{name}",
            summary,
            _command(name, _action(name, run)),
            body=schema(taken, required) if taken else None,
        )
        for name, (run, taken, required, summary) in ACTIONS.items()
    ),
]
