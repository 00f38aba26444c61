"""Customer.io's OpenAPI documents as test data: operations, examples, schemas.

``tests/documents/`` holds Customer.io's published Track API and Pipelines API
documents, copied unchanged, so the conformance tests check what Customer.io
documents rather than what the emulator's authors remember. OpenAPI 3.1
schemas are JSON Schema 2020-12; jsonschema checks them with every ``$ref``
resolved in the document it came from.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENTS = Path(__file__).resolve().parent / "documents"
METHODS = ("get", "put", "post", "delete", "patch")
NO_BODY = object()
STATUS = re.compile(r"\b([1-5]\d\d)\b")
FORMATS = {
    "email": "person@example.com",
    "date-time": "2026-03-02T09:00:00Z",
    "uri": "https://example.com/",
}


def escape(part: str) -> str:
    """Return ``part`` as one JSON Pointer segment."""
    return part.replace("~", "~0").replace("/", "~1")


class Document:
    """One OpenAPI document: its operations, ``$ref`` resolution and schemas."""

    def __init__(self, name: str, raw: dict[str, Any]) -> None:
        self.name, self.raw = name, raw
        self.uri = f"urn:openapi:{name}"
        resource = Resource.from_contents(raw, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(self.uri, resource)

    @classmethod
    def load(cls, name: str) -> Document:
        """Load ``tests/documents/customerio-<name>-api.json``."""
        path = DOCUMENTS / f"customerio-{name}-api.json"
        return cls(name, json.loads(path.read_text(encoding="utf-8")))

    @cached_property
    def operations(self) -> list[Operation]:
        """Every operation of the document, in document order."""
        return [
            Operation(self, path, method)
            for path, item in self.raw["paths"].items()
            for method in METHODS
            if method in item
        ]

    def at(self, pointer: str) -> tuple[str, Any]:
        """Return the node at ``pointer`` and where it lives, following ``$ref``."""
        node: Any = self.raw
        for part in pointer.removeprefix("#/").split("/"):
            if part:
                key = part.replace("~1", "/").replace("~0", "~")
                node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            return self.at(node["$ref"])
        return pointer, node

    def inline(self, pointer: str) -> Any:
        """Return the schema at ``pointer`` with each ``$ref`` replaced by its node."""
        pointer, node = self.at(pointer)
        if isinstance(node, dict):
            return {key: self.inline(f"{pointer}/{escape(key)}") for key in node}
        if isinstance(node, list):
            return [self.inline(f"{pointer}/{i}") for i in range(len(node))]
        return node

    def errors(self, pointer: str, value: Any) -> list[str]:
        """Return what is wrong with ``value`` against the schema at ``pointer``."""
        return problems({"$ref": f"{self.uri}{pointer}"}, value, self.registry)

    # -- a small valid value for a schema ----------------------------------------

    def sample(self, pointer: str) -> Any:
        """Return a small value valid against the schema at ``pointer``.

        A valid ``example`` wins; else a ``const``, the first ``enum`` value,
        the first branch of a choice, the required properties of an object,
        or the least value of a scalar.
        """
        pointer, schema = self.at(pointer)
        if "example" in schema and not self.errors(pointer, schema["example"]):
            return schema["example"]
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for choice in ("oneOf", "anyOf"):
            if schema.get(choice):
                return self.sample(f"{pointer}/{choice}/0")
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for index in range(len(schema["allOf"])):
                part = self.sample(f"{pointer}/allOf/{index}")
                merged |= part if isinstance(part, dict) else {}
            return merged
        return self._least(pointer, schema)

    def _least(self, pointer: str, schema: dict[str, Any]) -> Any:
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            known = schema.get("properties", {})
            return {
                name: self.sample(f"{pointer}/properties/{escape(name)}")
                if name in known
                else "x"
                for name in schema.get("required", [])
            }
        if kind == "array":
            count = schema.get("minItems", 0)
            return [self.sample(f"{pointer}/items") for _ in range(count)]
        if kind == "string":
            return FORMATS.get(
                schema.get("format", ""), "x" * schema.get("minLength", 1)
            )
        if kind in ("integer", "number"):
            return schema.get("minimum", 0)
        return {"boolean": True, "null": None}.get(kind)


@dataclass(frozen=True)
class Operation:
    """One operation of a document and what it documents about its requests."""

    document: Document
    path: str
    method: str

    @property
    def pointer(self) -> str:
        """Return where the operation lives in its document."""
        return f"#/paths/{escape(self.path)}/{self.method}"

    @property
    def spec(self) -> dict[str, Any]:
        """Return the operation object."""
        return dict(self.document.at(self.pointer)[1])

    @property
    def id(self) -> str:
        """Return the document's name and the operationId, such as ``track:merge``."""
        return f"{self.document.name}:{self.spec['operationId']}"

    @property
    def label(self) -> str:
        """Return ``METHOD /path``."""
        return f"{self.method.upper()} {self.path}"

    @property
    def servers(self) -> list[str]:
        """Return the base URLs the operation is documented on."""
        listed = self.spec.get("servers") or self.document.raw["servers"]
        return [server["url"] for server in listed]

    @property
    def secured(self) -> bool:
        """Tell whether the operation documents a security requirement."""
        required = self.spec.get("security", self.document.raw.get("security", []))
        return any(requirement for requirement in required)

    @property
    def statuses(self) -> set[int]:
        """Return the statuses the operation's responses list."""
        return {int(s) for s in self.spec["responses"] if s.isdigit()}

    def documented(self, headers: dict[str, str]) -> set[int]:
        """Return the statuses documented for a request sending ``headers``.

        A header parameter whose description names statuses documents them
        for requests that send it: Pipelines' ``X-Strict-Mode`` names 400 and
        401, which no response lists.
        """
        sent = {name.lower() for name in headers}
        named = {
            int(status)
            for _, parameter in self.parameters("header")
            if parameter["name"].lower() in sent
            for status in STATUS.findall(parameter.get("description", ""))
        }
        return self.statuses | named

    def parameters(self, where: str) -> list[tuple[str, dict[str, Any]]]:
        """Return the parameters ``in`` ``where``, path-level ones first.

        Each comes with its pointer, so refs in its schema resolve.
        """
        found = []
        for owner in (f"#/paths/{escape(self.path)}", self.pointer):
            listed = self.document.at(owner)[1].get("parameters", [])
            for index in range(len(listed)):
                pointer, parameter = self.document.at(f"{owner}/parameters/{index}")
                if parameter["in"] == where:
                    found.append((pointer, parameter))
        return found

    def path_values(self) -> dict[str, str]:
        """Return a documented value for every path parameter, as sent."""
        values = {}
        for pointer, parameter in self.parameters("path"):
            example = _example(parameter)
            if example is None:
                example = _example(parameter.get("schema", {}))
            if example is None:
                example = self.document.sample(f"{pointer}/schema")
            values[parameter["name"]] = str(example)
        return values

    @property
    def request_schema(self) -> str | None:
        """Return the pointer to the JSON request body's schema, if there is one."""
        if "requestBody" not in self.spec:
            return None
        where, body = self.document.at(f"{self.pointer}/requestBody")
        if "application/json" not in body.get("content", {}):
            return None
        return f"{where}/content/application~1json/schema"

    def response_schema(self, status: int) -> str | None:
        """Return the pointer to the JSON schema documented for ``status``, if any."""
        if status not in self.statuses:
            return None
        where, response = self.document.at(f"{self.pointer}/responses/{status}")
        if "schema" not in response.get("content", {}).get("application/json", {}):
            return None
        return f"{where}/content/application~1json/schema"

    def examples(self) -> list[tuple[str, Any]]:
        """Return the document's example bodies, each named by where it came from.

        The request body's ``example`` and ``examples``, then the JSON and curl
        code samples, without repeats; with none of them, a body built from the
        schema; with no request body, :data:`NO_BODY`.
        """
        schema = self.request_schema
        if schema is None:
            return [("no body", NO_BODY)]
        content = schema.removesuffix("/schema")
        media = self.document.at(content)[1]
        found: list[tuple[str, Any]] = []
        if "example" in media:
            found.append(("example", media["example"]))
        for name in media.get("examples", {}):
            example = self.document.at(f"{content}/examples/{escape(name)}")[1]
            found.append((f"examples.{name}", example.get("value")))
        for sample in self.spec.get("x-codeSamples", []):
            found.extend(_code_sample(sample))
        unique: dict[str, tuple[str, Any]] = {}
        for label, body in found:
            unique.setdefault(json.dumps(body, sort_keys=True), (label, body))
        built = ("from schema", self.document.sample(schema))
        return list(unique.values()) or [built]


def _example(node: dict[str, Any]) -> Any:
    """Return the example of a parameter or schema, or of its first choice."""
    if "example" in node:
        return node["example"]
    for choice in ("oneOf", "anyOf"):
        if node.get(choice):
            return _example(node[choice][0])
    return None


def _code_sample(sample: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return the JSON body of a JSON or curl code sample, if it is one."""
    source = sample.get("source", "")
    if sample.get("lang") == "json":
        return [("json sample", json.loads(source))]
    if sample.get("lang") != "shell" or "curl" not in source:
        return []
    words = shlex.split(source.replace("\\\n", " "))
    flags = ("-d", "--data", "--data-raw")
    bodies = [words[i + 1] for i, word in enumerate(words[:-1]) if word in flags]
    return [("curl sample", json.loads(body)) for body in bodies]


def problems(
    schema: Any, value: Any, registry: Registry[Any] | None = None
) -> list[str]:
    """Return each way ``value`` breaks ``schema``, with where in the value."""
    validator = Draft202012Validator(schema, registry=registry or Registry())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
        for e in validator.iter_errors(value)
    ]


def strict(schema: Any) -> Any:
    """Return ``schema`` with every property required and no others allowed.

    Error responses document their shape with optional properties; a body of
    the documented shape has exactly those properties.
    """
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {key: strict(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        tightened["required"] = sorted(schema["properties"])
        tightened["additionalProperties"] = False
    return tightened


def lenient(schema: Any) -> Any:
    """Return ``schema`` with every ``oneOf`` read as ``anyOf``.

    Both documents offer choices whose branches overlap (an ``id`` and an
    ``email`` are both any string), so no value matches exactly one of them.
    """
    if isinstance(schema, list):
        return [lenient(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        "anyOf" if key == "oneOf" else key: lenient(value)
        for key, value in schema.items()
    }
