"""A real Chromium on the storefront, through the project's real Appium.

Customer.io's browser SDK runs in the page and uploads to a served emulator on
loopback; each test reads what the workspace received. Each test gets its own
workspace, and Chromium sessions are kept few (each costs about a second).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.drivers.appium_server import AppiumServer, node_home
from harness.drivers.chromium import ChromiumBrowser
from harness.drivers.chromium_tab import CHROMEDRIVER, CHROMIUM
from harness.errors import HarnessError, Unsupported
from harness.ids import Ids
from harness.people import Catalog, Shopper, load_catalog
from harness.serve import ControlClient, Server, project_options
from harness.serve.storefront import page_url, sdk_file
from harness.tracking import Sent, audit, load_plan

READY = (node_home() / "node_modules" / ".bin" / "appium").exists() and all(
    shutil.which(tool) for tool in (CHROMIUM, CHROMEDRIVER)
)
pytestmark = pytest.mark.skipif(
    not (READY and sdk_file().is_file()),
    reason="needs npm ci in node/ and Debian's chromium and chromium-driver",
)

Browse = Callable[..., ChromiumBrowser]


@pytest.fixture(scope="module")
def server(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A served emulator of the project, with its HTTP port for the page."""
    state = tmp_path_factory.mktemp("state")
    with Server(project_options(root, port=0, http_port=0, state=state)) as served:
        yield served


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    """The project's Appium, with the Chromium driver, for the module."""
    log = tmp_path_factory.mktemp("appium") / "appium.log"
    with AppiumServer(log=log) as started:
        yield started


@pytest.fixture(scope="module")
def catalog(root: Path) -> Catalog:
    return load_catalog(root / "fixtures" / "catalog.yaml")


@pytest.fixture
def control(server: Server) -> Iterator[ControlClient]:
    with ControlClient.for_server(server) as client:
        yield client


@pytest.fixture
def workspace(control: ControlClient, request: pytest.FixtureRequest) -> str:
    """A workspace of this test's own, named after it."""
    name = request.node.name.removeprefix("test_")[:40].replace("_", "-")
    control.create_workspace(name)
    return name


@pytest.fixture
def browse(server: Server, appium: AppiumServer, workspace: str) -> Iterator[Browse]:
    """Make Chromium browsers on the shop of the test's workspace."""
    made: list[ChromiumBrowser] = []

    def browse(name: str = "alice's chromium", **given: Any) -> ChromiumBrowser:
        assert server.http_url is not None
        browser = ChromiumBrowser(
            name,
            appium_url=appium.url,
            shop_url=page_url(server.http_url, workspace),
            **given,
        )
        made.append(browser)
        return browser

    yield browse
    for browser in made:
        browser.quit()


def events(control: ControlClient, workspace: str) -> list[dict[str, Any]]:
    """Return the events the workspace holds, oldest first."""
    held: list[dict[str, Any]] = control.snapshot()["workspaces"][workspace]["events"]
    return held


def person(control: ControlClient, workspace: str, user_id: str) -> dict[str, Any]:
    found = [p for p in control.people(workspace) if p["id"] == user_id]
    assert len(found) == 1, control.people(workspace)
    return found[0]


def test_browsing_anonymously_lands_the_real_sdks_events(
    browse: Browse, control: ControlClient, catalog: Catalog, root: Path, workspace: str
) -> None:
    socks, jacket = catalog["socks"], catalog["jacket"]
    browser = browse()

    browser.visit("/")
    browser.view(socks)
    browser.add_to_cart(socks, 2)
    browser.complete_order(jacket)

    held = events(control, workspace)
    assert [(e["kind"], e["name"]) for e in held] == [
        ("page", "/"),
        ("page", "/products/sock-merino-3"),
        ("track", "product_viewed"),
        ("track", "added_to_cart"),
        ("track", "order_completed"),
    ]
    assert {e["anonymous_id"] for e in held} == {browser.anonymous_id}
    assert held[2]["properties"] == socks.properties()
    assert held[3]["properties"] == socks.cart_properties(2)
    assert held[4]["properties"] == jacket.cart_properties(1)
    assert held[1]["properties"]["path"] == "/shop/products/sock-merino-3"
    plan = load_plan(root)
    assert plan is not None
    tracked = [Sent(e["name"], e["properties"]) for e in held if e["kind"] == "track"]
    assert audit(plan, tracked) == []


def test_steps_are_journaled_under_the_browsers_name(
    browse: Browse, catalog: Catalog
) -> None:
    browser = browse("bob's laptop")

    browser.add_to_cart(catalog["bundle"])

    anonymous_id = browser.anonymous_id
    lines = [(e.kind, e.text) for e in browser.journal]
    assert lines == [
        ("action", "bob's laptop: added Trail Runner Bundle to the cart"),
        ("sdk", f"bob's laptop: page '/' sent as anonymous {anonymous_id}"),
        (
            "sdk",
            f"bob's laptop: track 'added_to_cart' sent as anonymous {anonymous_id}",
        ),
    ]
    assert {e.device for e in browser.journal} == {"bob's laptop"}
    assert [e.anonymous_id for e in browser.journal][1:] == [anonymous_id] * 2


def test_log_in_puts_the_anonymous_events_on_the_identified_person(
    browse: Browse, control: ControlClient, catalog: Catalog, workspace: str
) -> None:
    shopper = Shopper.generate("alice", Ids(7))
    browser = browse()
    browser.view(catalog["socks"])
    anonymous_id = browser.anonymous_id

    browser.log_in(shopper)

    found = person(control, workspace, shopper.user_id)
    assert found["email"] == shopper.email
    assert anonymous_id in found["anonymous_ids"]
    held = events(control, workspace)
    assert len(held) == 3
    assert {e["person"] for e in held} == {found["cio_id"]}
    assert browser.user_id == shopper.user_id


def test_log_out_resets_to_a_new_anonymous_visitor(
    browse: Browse, control: ControlClient, workspace: str
) -> None:
    shopper = Shopper.generate("carol", Ids(7))
    browser = browse()
    browser.log_in(shopper)
    before = browser.anonymous_id

    browser.log_out()
    browser.visit("/cart")

    assert browser.user_id is None
    assert browser.anonymous_id != before
    last = events(control, workspace)[-1]
    assert (last["name"], last["person"]) == ("/cart", None)
    assert last["anonymous_id"] == browser.anonymous_id


def test_app_link_carries_the_sdks_anonymous_id(browse: Browse, server: Server) -> None:
    browser = browse()

    link = urlsplit(browser.app_link())

    assert f"{link.scheme}://{link.netloc}" == server.http_url
    assert link.path == "/shop/app"
    assert parse_qs(link.query) == {"ajs_aid": [browser.anonymous_id]}


def test_permission_follows_the_prompt_answer_and_the_settings(
    browse: Browse,
) -> None:
    browser = browse(answers_prompt="dismiss")

    browser.enable_push()
    dismissed = browser.permission
    browser.answers_prompt = "block"
    browser.enable_push()
    blocked = browser.permission
    browser.set_notifications(True)
    allowed = browser.permission
    browser.set_notifications(False)

    assert (dismissed, blocked, allowed) == ("default", "denied", "granted")
    assert browser.permission == "denied"


def test_enable_push_once_granted_refuses_to_subscribe(browse: Browse) -> None:
    browser = browse(answers_prompt="allow")

    with pytest.raises(Unsupported) as refused:
        browser.enable_push()

    assert "cannot subscribe to Web Push here" in str(refused.value)
    assert "push service" in str(refused.value)
    assert browser.permission == "granted"


def test_calls_made_offline_land_once_online(
    browse: Browse, control: ControlClient, catalog: Catalog, workspace: str
) -> None:
    browser = browse()
    browser.visit("/")

    browser.go_offline()
    browser.add_to_cart(catalog["socks"])
    while_offline = [e["name"] for e in events(control, workspace)]
    browser.go_online()

    assert while_offline == ["/"]
    assert [e["name"] for e in events(control, workspace)] == ["/", "added_to_cart"]


def test_reopening_keeps_the_ids_and_clearing_site_data_drops_them(
    browse: Browse,
) -> None:
    browser = browse()
    browser.set_notifications(True)
    first = browser.anonymous_id

    browser.close()
    browser.reopen()
    kept = browser.anonymous_id
    browser.clear_site_data()

    assert kept == first
    assert browser.anonymous_id != first
    assert browser.permission == "granted"


def test_step_on_a_closed_browser_says_to_reopen(browse: Browse) -> None:
    browser = browse()
    browser.close()

    with pytest.raises(HarnessError) as refused:
        browser.visit("/")

    assert str(refused.value) == "alice's chromium is closed; call reopen() first."


def test_page_without_the_sdk_fails_the_step_naming_npm_ci(
    browse: Browse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_NODE", str(tmp_path))
    browser = browse()

    with pytest.raises(HarnessError) as failed:
        browser.visit("/")

    assert "the SDK did not load: Customer.io's browser SDK is not installed" in str(
        failed.value
    )
    assert f"Run `npm ci` in {tmp_path}" in str(failed.value)
