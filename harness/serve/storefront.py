"""The storefront: a small shop page running Customer.io's official browser SDK.

``harness serve`` serves it on both ports under ``/shop/``, for one workspace
named by the query: ``/shop/?workspace=default`` or ``/shop/?write_key=KEY``
(without either, the workspace ``default``). A real browser, or Chromium driven
through Appium (:class:`harness.drivers.chromium.ChromiumBrowser`), browses the
project's catalog (``fixtures/catalog.yaml``), logs in and out, and asks for
notification permission; the SDK sends what it sends to any shop.

=====================================  ======================================
``GET /shop/``, ``/shop/cart``,        the page; one document that routes
``/shop/products/{sku in lowercase}``,   itself, so the SDK loads once per tab
``/shop/app``
``GET /shop/sdk/analytics.js``         ``@customerio/cdp-analytics-browser``'s
                                       ``dist/umd/standalone.js`` from
                                       ``node/`` (``npm ci`` installs it); 503
                                       naming that fix when it is missing
``GET /shop/static/{shop.js,shop.css}``  the page's own script and style
=====================================  ======================================

The page hands the SDK the workspace's write key, ``cdnURL`` set to the origin
it was loaded from (the SDK fetches ``/v1/projects/{write_key}/settings``
there) and the Pipelines destination's ``apiHost`` and ``protocol`` set the
same way, as a site that proxies Customer.io does. Loaded over plain HTTP, the
SDK thus uploads over plain HTTP to the same origin, and a browser needs no CA.

Nothing here is kept in the state file: the page only reads the emulator.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request

from ..drivers.appium_server import node_home
from ..emulator import Emulator
from ..people import Catalog, Product, load_catalog
from ..wire.asgi import Reply, application, route, unmatched_text

logger = logging.getLogger(__name__)

PREFIX = "/shop"
SDK = Path("node_modules/@customerio/cdp-analytics-browser/dist/umd/standalone.js")
SDK_PACKAGE = "@customerio/cdp-analytics-browser"
STATIC = {"shop.js": "text/javascript", "shop.css": "text/css"}
PAGE = "storefront_page"
CONFIG_MARK = "__SHOP_CONFIG__"
DESTINATION = "Customer.io Data Pipelines"


def page_url(base: str, workspace: str = "default") -> str:
    """Return the storefront's address for ``workspace`` on a server at ``base``.

    ``base`` is the server's HTTP URL, such as ``Server.http_url``.
    """
    return f"{base.rstrip('/')}{PREFIX}/?workspace={quote(workspace)}"


def sdk_file() -> Path:
    """Return where the browser SDK lives in the project's ``node/`` folder."""
    return node_home() / SDK


def create_app(emulator: Emulator, project: Path | None = None) -> Starlette:
    """Build the storefront over ``emulator``, selling ``project``'s catalog.

    Without a project, or one lacking ``fixtures/catalog.yaml``, the shop has
    no products; the page says so.
    """
    catalog = _catalog(project)
    page = _Page(emulator, catalog)
    routes = [
        route(PREFIX, _slash, "GET"),
        route(f"{PREFIX}/", page.home, "GET"),
        route(f"{PREFIX}/cart", page.home, "GET"),
        route(f"{PREFIX}/app", page.home, "GET"),
        route(f"{PREFIX}/products/{{slug}}", page.product, "GET"),
        route(f"{PREFIX}/sdk/analytics.js", _sdk, "GET"),
        route(f"{PREFIX}/static/{{name}}", _static, "GET"),
    ]

    def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
        return _error(status, "no_route", unmatched_text(method, path, "shop", nearest))

    return application(routes, unmatched)


class _Page:
    """Answer the page's routes: the document, with its workspace's settings."""

    def __init__(self, emulator: Emulator, catalog: Catalog) -> None:
        self.emulator, self.catalog = emulator, catalog

    def home(self, request: Request, raw: bytes) -> Reply:
        return self._document(request)

    def product(self, request: Request, raw: bytes) -> Reply:
        slug = request.path_params["slug"]
        known = {p.sku.lower() for p in self.catalog.products.values()}
        if slug not in known:
            return _error(
                404,
                "unknown_product",
                f"no product {slug!r} in the catalog; product pages are "
                f"{PREFIX}/products/ followed by a lowercase sku: "
                f"{', '.join(sorted(known)) or 'none (the catalog is empty)'}.",
            )
        return self._document(request)

    def _document(self, request: Request) -> Reply:
        found = self._workspace(request)
        if isinstance(found, Reply):
            return found
        name, write_key = found
        template = _read(PAGE, "index.html")
        config = json.dumps(self._config(request, name, write_key))
        # A JSON string inside <script> must not close the element.
        html = template.replace(CONFIG_MARK, config.replace("<", "\\u003c"))
        headers = {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
        }
        return Reply(200, headers, html.encode())

    def _workspace(self, request: Request) -> tuple[str, str] | Reply:
        """Return the workspace the query names, and its write key."""
        keys = {n: h.keys.write_key for n, h in self.emulator.workspaces.items()}
        given_key = request.query_params.get("write_key")
        if given_key is not None:
            named = [n for n, key in keys.items() if key == given_key]
            if named:
                return named[0], given_key
            return _error(
                404,
                "unknown_workspace",
                f"no workspace has write key {given_key!r}; copy it from GET "
                "/_harness/workspaces, or name the workspace: ?workspace=NAME.",
            )
        name = request.query_params.get("workspace", "default")
        if name in keys:
            return name, keys[name]
        return _error(
            404,
            "unknown_workspace",
            f"no workspace {name!r} here; workspaces: "
            f"{', '.join(sorted(keys)) or 'none'}. Open {PREFIX}/?workspace=NAME "
            "with one of them, or add it with POST /_harness/workspaces.",
        )

    def _config(self, request: Request, name: str, write_key: str) -> dict[str, Any]:
        """Return what the page needs: the SDK's settings and the catalog."""
        scheme = request.url.scheme
        host = request.headers.get("host") or request.url.netloc
        return {
            "base": PREFIX,
            "workspace": name,
            "writeKey": write_key,
            "cdnURL": f"{scheme}://{host}",
            "apiHost": f"{host}/v1",
            "protocol": scheme,
            "destination": DESTINATION,
            "products": [_product(p) for p in self.catalog.products.values()],
        }


def _product(product: Product) -> dict[str, Any]:
    return {**product.properties(), "slug": product.sku.lower()}


def _slash(request: Request, raw: bytes) -> Reply:
    query = request.url.query
    return Reply(302, {"location": f"{PREFIX}/" + (f"?{query}" if query else "")})


def _sdk(request: Request, raw: bytes) -> Reply:
    path = sdk_file()
    if not path.is_file():
        home = node_home()
        return Reply(
            503,
            {"content-type": "text/plain; charset=utf-8", "cache-control": "no-store"},
            (
                f"Customer.io's browser SDK is not installed: {path} is missing. "
                f"Run `npm ci` in {home} (it installs {SDK_PACKAGE} from the "
                "lockfile), or set HARNESS_NODE to a folder where it ran.\n"
            ).encode(),
        )
    headers = {"content-type": "text/javascript; charset=utf-8"}
    return Reply(200, headers, path.read_bytes())


def _static(request: Request, raw: bytes) -> Reply:
    name = request.path_params["name"]
    if name not in STATIC:
        return _error(
            404,
            "no_route",
            f"GET {request.url.path} is not one of the shop's files; they are "
            f"{', '.join(f'{PREFIX}/static/{n}' for n in sorted(STATIC))}.",
        )
    content_type = f"{STATIC[name]}; charset=utf-8"
    return Reply(200, {"content-type": content_type}, _read(PAGE, name).encode())


def _catalog(project: Path | None) -> Catalog:
    path = project / "fixtures" / "catalog.yaml" if project is not None else None
    if path is None or not path.is_file():
        logger.info("the storefront sells nothing: no fixtures/catalog.yaml")
        return Catalog(products={})
    return load_catalog(path)


def _read(folder: str, name: str) -> str:
    return (resources.files(__package__ or "harness.serve") / folder / name).read_text(
        encoding="utf-8"
    )


def _error(status: int, code: str, message: str) -> Reply:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return Reply(status, {"content-type": "application/json"}, body)
