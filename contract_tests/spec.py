"""The spec as the suite reads it: three readings of openapi.yaml.

- **mock**: the document as written, every choice of ours included (docs/decisions.md).
- **docs**: each `x-mock-choice` gives way to what the docs themselves state: its
  `relax` keywords are dropped and its `docs` mapping merged in. Off the bundled mock,
  responses are judged by this reading, and a request need only be refused when it is
  invalid under it.
- **strict**: the mock's reading plus each request-side choice's `strict` keywords,
  the strictest the docs allow. Off the bundled mock, a request must only be accepted
  when it is valid under this reading.

`x-mock-choice` is a mapping or a list of them: `decision`, `side` (request, response,
or a list of both), `relax`, `docs`, `strict`. PyYAML reads YAML 1.1, where a bare `on:`
key is the boolean True; the key is `side` for that reason.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from .target import SPEC_PATH

WRITE_OPERATIONS = frozenset({"createCall", "cancelCall", "deleteCall", "updateTrackingRecord", "regenerateTracking"})
CALL_WRITES = frozenset({"createCall", "cancelCall", "deleteCall"})
READINGS = ("mock", "docs", "strict")
MISSING = object()  # no body was sent, or none a JSON reader could take


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def choices_of(node: dict) -> list[dict]:
    raw = node.get("x-mock-choice")
    if raw is None:
        return []
    return [c for c in (raw if isinstance(raw, list) else [raw]) if isinstance(c, dict)]


def sides_of(choice: dict) -> set:
    side = choice.get("side")
    return set(side) if isinstance(side, list) else {side}


def _merge(node: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(node.get(key), dict):
            _merge(node[key], value)
        else:
            node[key] = copy.deepcopy(value)


def reading_of(doc: dict, *, docs_sides: set[str] = frozenset(), strict: bool = False) -> dict:
    """A copy of `doc` where the choices on `docs_sides` give way to the docs' reading
    and, with `strict`, each request-side choice adds its strictest keywords."""
    doc = copy.deepcopy(doc)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for choice in choices_of(node):
                if sides_of(choice) & docs_sides:
                    for keyword in choice.get("relax", []):
                        node.pop(keyword, None)
                    _merge(node, choice.get("docs", {}))
                if strict and "request" in sides_of(choice):
                    _merge(node, choice.get("strict", {}))
            for key, value in node.items():
                if not (isinstance(key, str) and key.startswith("x-")):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return doc


@lru_cache(maxsize=None)
def reading(name: str) -> dict:
    if name == "mock":
        return document()
    if name == "docs":
        return reading_of(document(), docs_sides={"request", "response"})
    if name == "strict":
        return reading_of(document(), strict=True)
    raise ValueError(f"no reading named {name!r}; known: {', '.join(READINGS)}")


@lru_cache(maxsize=2)
def for_target(is_mock: bool) -> dict:
    """What Schemathesis loads: data is generated from the mock's reading either way, and off
    the mock, responses are judged by the docs' reading."""
    return document() if is_mock else reading_of(document(), docs_sides={"response"})


def operations(doc: dict | None = None) -> dict[str, tuple[str, str, dict]]:
    """operationId → (method, path, operation)."""
    found = {}
    for path, item in (doc or document())["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (method.upper(), path, op)
    return found


@lru_cache(maxsize=1)
def operation_ids() -> dict[tuple[str, str], str]:
    """(METHOD, path) → operationId."""
    return {(method, path): op_id for op_id, (method, path, _) in operations().items()}


def inline(node: Any, root: dict) -> Any:
    """`node` with every local $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return inline(target, root)
        return {k: inline(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, root) for v in node]
    return node


@dataclass(frozen=True)
class RequestShape:
    path: str
    parameters: list[dict]
    body: dict | None  # the JSON body's schema
    body_required: bool


@lru_cache(maxsize=None)
def _shapes(name: str) -> dict[str, RequestShape]:
    doc = reading(name)
    found = {}
    for op_id, (_, path, op) in operations(doc).items():
        item = doc["paths"][path]
        params = [inline(p, doc) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
        body = inline(op.get("requestBody"), doc) if op.get("requestBody") else None
        schema = body["content"]["application/json"].get("schema", {}) if body else None
        found[op_id] = RequestShape(path, params, schema, bool(body and body.get("required")))
    return found


@dataclass
class Sent:
    """A request as it went over the wire: what a server actually reads, whatever the
    generated case held (an empty-named query parameter, for one, is not sent at all)."""
    path_parameters: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any = MISSING
    json_media_type: bool = True
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_prepared(cls, request, base_path: str, template: str) -> "Sent":
        url = urlsplit(request.url)
        path = url.path[len(base_path.rstrip("/")):] if url.path.startswith(base_path.rstrip("/")) else url.path
        names = re.findall(r"{(\w+)}", template)
        pattern = "^" + re.sub(r"\\{\w+\\}", "([^/]*)", re.escape(template)) + "$"
        match = re.match(pattern, path)
        path_parameters = {n: unquote(v) for n, v in zip(names, match.groups())} if match else {}
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = MISSING
        raw = request.body
        if raw:
            try:
                body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
            except (ValueError, UnicodeDecodeError):
                body = MISSING
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        return cls(path_parameters, parse_qs(url.query, keep_blank_values=True), headers, body,
                   json_media_type=media == "application/json" or not raw)


def _valid(schema: dict, value: Any) -> bool:
    return OAS30Validator(schema, format_checker=oas30_format_checker).is_valid(value)


def request_valid(name: str, operation_id: str, sent: Sent) -> bool:
    """Whether `sent` is a valid request under the reading `name`.

    mock: the mock refuses unknown query parameters (D-strict-query), repeated ones and
    bodies that are not application/json (D-extra-statuses). docs: a server may ignore
    unknown parameters, read a repeated one as any one of its values, and read the body's
    bytes as JSON whatever the Content-Type says. strict: as mock."""
    shape = _shapes(name).get(operation_id)
    if shape is None:
        return False
    lenient = name == "docs"
    declared = {p["name"] for p in shape.parameters if p["in"] == "query"}
    if not lenient and (set(sent.query) - declared):
        return False
    for param in shape.parameters:
        schema = param.get("schema", {})
        if param["in"] == "query":
            values = sent.query.get(param["name"])
            if values is None:
                if param.get("required"):
                    return False
                continue
            if lenient:
                if not any(_valid(schema, v) for v in values):
                    return False
            elif len(values) != 1 or not _valid(schema, values[0]):
                return False
        elif param["in"] == "path":
            if not _valid(schema, sent.path_parameters.get(param["name"], "")):
                return False
        elif param["in"] == "header":
            value = sent.headers.get(param["name"].lower())
            if value is None:
                if param.get("required"):
                    return False
            elif not _valid(schema, value):
                return False
    if shape.body is None:
        return True
    if not lenient and not sent.json_media_type:
        return False
    if sent.body is MISSING:
        return not shape.body_required
    return _valid(shape.body, sent.body)


def docs_example_range(operation_id: str) -> int:
    """The most dates one request of the docs' own examples spans: the longest range the
    docs show a server accepting (tracking: 2026-06-15..21; regenerate: 2026-06-15..30)."""
    from datetime import date
    _, path, op = operations()[operation_id]
    doc = document()
    if op.get("requestBody"):
        example = inline(op["requestBody"], doc)["content"]["application/json"]["examples"]["docs"]["value"]
        start, end = example["date_from"], example.get("date_to", example["date_from"])
    else:
        params = {p["name"]: p for p in (inline(p, doc) for p in op.get("parameters", []))}
        start, end = params["date_from"]["example"], params["date_to"]["example"]
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
