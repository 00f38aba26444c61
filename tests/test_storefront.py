"""The storefront under /shop/ of the served emulator, over real HTTP and HTTPS.

These tests read what the page hands the browser SDK and what the routes
answer; tests/test_chromium.py runs the page in a real Chromium.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.emulator import Emulator
from harness.ids import Ids
from harness.journal import Journal
from harness.people import load_catalog
from harness.serve import ControlClient, Server, project_options, storefront
from harness.transport import InProcessTransport

CONFIG = re.compile(r'<script id="shop-config" type="application/json">(.*?)</script>')


@pytest.fixture(scope="module")
def server(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A served emulator of the project on free loopback ports, HTTP and HTTPS."""
    state = tmp_path_factory.mktemp("state")
    with Server(project_options(root, port=0, http_port=0, state=state)) as served:
        yield served


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    """A client of the server's plain HTTP port."""
    assert server.http_url is not None
    with httpx.Client(base_url=server.http_url) as client:
        yield client


def config_of(reply: httpx.Response) -> dict[str, Any]:
    """Return the settings the page hands its script."""
    found = CONFIG.search(reply.text)
    assert found is not None, reply.text[:400]
    loaded: dict[str, Any] = json.loads(found.group(1))
    return loaded


def test_page_hands_the_sdk_the_write_key_and_its_own_origin(
    server: Server, http: httpx.Client
) -> None:
    keys = ControlClient.for_server(server).workspaces()[0]

    reply = http.get("/shop/?workspace=default")

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    config = config_of(reply)
    assert config["writeKey"] == keys["write_key"]
    assert config["cdnURL"] == server.http_url
    assert config["apiHost"] == f"127.0.0.1:{server.http_port}/v1"
    assert config["protocol"] == "http"
    assert config["destination"] == "Customer.io Data Pipelines"


def test_page_sells_the_projects_catalog_with_the_events_properties(
    root: Path, http: httpx.Client
) -> None:
    catalog = load_catalog(root / "fixtures" / "catalog.yaml")

    products = config_of(http.get("/shop/"))["products"]

    socks = catalog["socks"]
    assert {**socks.properties(), "slug": "sock-merino-3"} in products
    assert len(products) == len(catalog.products)


def test_page_over_https_points_the_sdk_at_the_https_port(server: Server) -> None:
    assert server.tls is not None
    trust = ssl.create_default_context(cafile=server.tls.ca)
    with httpx.Client(base_url=server.https_url, verify=trust) as https:
        config = config_of(https.get("/shop/"))

    assert config["protocol"] == "https"
    assert config["cdnURL"] == server.https_url
    assert config["apiHost"] == f"127.0.0.1:{server.https_port}/v1"


def test_page_found_by_write_key_serves_that_workspace(
    server: Server, http: httpx.Client
) -> None:
    keys = ControlClient.for_server(server).create_workspace("shop-by-key")

    reply = http.get("/shop/", params={"write_key": keys["write_key"]})

    assert config_of(reply)["workspace"] == "shop-by-key"


def test_unknown_workspace_is_refused_naming_the_served_ones(
    http: httpx.Client,
) -> None:
    reply = http.get("/shop/?workspace=nope")

    assert reply.status_code == 404
    error = reply.json()["error"]
    assert error["code"] == "unknown_workspace"
    assert error["message"].startswith("no workspace 'nope' here; workspaces: default")


def test_unknown_write_key_is_refused_saying_where_keys_are(
    http: httpx.Client,
) -> None:
    reply = http.get("/shop/?write_key=wk-nope")

    assert reply.status_code == 404
    assert "GET /_harness/workspaces" in reply.json()["error"]["message"]


def test_product_page_of_a_known_sku_is_the_page(http: httpx.Client) -> None:
    reply = http.get("/shop/products/sock-merino-3")

    assert reply.status_code == 200
    assert config_of(reply)["workspace"] == "default"


def test_product_page_of_an_unknown_sku_lists_the_catalog(http: httpx.Client) -> None:
    reply = http.get("/shop/products/hat")

    assert reply.status_code == 404
    message = reply.json()["error"]["message"]
    assert message.startswith("no product 'hat' in the catalog")
    assert "bndl-trail-01, jkt-rain-m, sock-merino-3" in message


def test_shop_without_its_slash_redirects_keeping_the_query(
    http: httpx.Client,
) -> None:
    reply = http.get("/shop?workspace=default")

    assert reply.status_code == 302
    assert reply.headers["location"] == "/shop/?workspace=default"


def test_unmatched_shop_path_names_the_nearest_routes(http: httpx.Client) -> None:
    reply = http.get("/shop/checkout")

    assert reply.status_code == 404
    error = reply.json()["error"]
    assert error["code"] == "no_route"
    assert error["message"].startswith("GET /shop/checkout matches no shop route")


def test_sdk_route_serves_the_installed_standalone_build(http: httpx.Client) -> None:
    installed = storefront.sdk_file()
    if not installed.is_file():
        pytest.skip("npm ci in node/ has not run")

    reply = http.get("/shop/sdk/analytics.js")

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/javascript")
    assert reply.content == installed.read_bytes()


def test_sdk_route_without_node_answers_503_naming_npm_ci(
    http: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_NODE", str(tmp_path))

    reply = http.get("/shop/sdk/analytics.js")

    assert reply.status_code == 503
    assert reply.text.startswith(
        "Customer.io's browser SDK is not installed: "
        f"{tmp_path}/node_modules/@customerio/cdp-analytics-browser/dist/umd/"
        "standalone.js is missing. "
        f"Run `npm ci` in {tmp_path}"
    )


def test_page_files_are_served_and_unknown_ones_listed(http: httpx.Client) -> None:
    script = http.get("/shop/static/shop.js")
    missing = http.get("/shop/static/app.js")

    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "window.shop" in script.text
    assert missing.status_code == 404
    assert "/shop/static/shop.css, /shop/static/shop.js" in missing.text


def test_storefront_without_a_project_sells_nothing() -> None:
    emulator = Emulator(Clock(), Ids(0), Journal())
    emulator.create_workspace("default")
    app = storefront.create_app(emulator, None)
    transport = InProcessTransport({"shop.test": app})
    with httpx.Client(transport=transport, base_url="http://shop.test") as client:
        reply = client.get("/shop/")

    assert reply.status_code == 200
    assert config_of(reply)["products"] == []


def test_page_url_names_the_workspace_under_shop() -> None:
    url = storefront.page_url("http://127.0.0.1:8080/", "ci 1")

    assert url == "http://127.0.0.1:8080/shop/?workspace=ci%201"
