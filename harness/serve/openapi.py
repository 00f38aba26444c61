"""The OpenAPI document of the control API, made from its list of endpoints."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .endpoints import Endpoint

VERSION = "3.1.0"
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "problems": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Each problem of a seed, as where: what.",
                },
            },
        }
    },
}


def document(
    endpoints: Iterable[Endpoint], prefix: str = "/_harness"
) -> dict[str, Any]:
    """Return the OpenAPI document describing ``endpoints`` under ``prefix``."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        item = paths.setdefault(f"{prefix}{endpoint.path}", {})
        item[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": VERSION,
        "info": {
            "title": "harness control API",
            "version": "1",
            "description": "Reset, seed and read the served emulator, and drive "
            "its emulated phones (/_harness/phones). When the "
            "server was started with --listen (or given a token), every route "
            "needs the bearer token it printed at start.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    error = {
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        }
    }
    operation: dict[str, Any] = {
        "operationId": _operation_id(endpoint),
        "summary": endpoint.summary,
        "responses": {
            str(endpoint.status): {
                "description": endpoint.summary,
                "content": {endpoint.media: {"schema": {"type": "object"}}},
            },
            "default": {"description": "An error with its code.", **error},
        },
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", endpoint.path)
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "description": about,
            "schema": {"type": "string"},
        }
        for name, about in endpoint.query.items()
    ]
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": endpoint.body}},
        }
    return operation


def _operation_id(endpoint: Endpoint) -> str:
    words = re.findall(r"[a-z]+", endpoint.path.replace("{", "by_"))
    return "_".join([endpoint.method.lower(), *words]) or endpoint.method.lower()
