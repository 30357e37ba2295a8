"""The spec as the suite uses it.

For the bundled mock: openapi.yaml as written. For any other target, the points
the docs leave open (every `x-mock-choice`) are asserted neither way:
- response side: the keywords listed under `relax` are dropped, so any answer the
  docs allow passes;
- request side: data is still generated from the strict schema (so "valid" data
  is valid under any reading of the docs), and `docs_valid()` tells when a
  request the mock would refuse is valid under the docs' own reading, so the
  server is not required to refuse it.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from .target import SPEC_PATH

WRITE_OPERATIONS = frozenset({"createCall", "cancelCall", "deleteCall", "updateTrackingRecord", "regenerateTracking"})
CALL_WRITES = frozenset({"createCall", "cancelCall", "deleteCall"})


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def relaxed(doc: dict, sides: set[str]) -> dict:
    """A copy of `doc` without the `relax` keywords of the x-mock-choices on `sides`."""
    doc = copy.deepcopy(doc)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            choice = node.get("x-mock-choice")
            if isinstance(choice, dict) and choice.get("on") in sides:
                for keyword in choice.get("relax", []):
                    node.pop(keyword, None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return doc


def for_target(is_mock: bool) -> dict:
    return document() if is_mock else relaxed(document(), {"response"})


def operations() -> dict[str, tuple[str, str, dict]]:
    """operationId → (method, path, operation)."""
    found = {}
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (method.upper(), path, op)
    return found


def _inline(node: Any, root: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _inline(target, root)
        return {k: _inline(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, root) for v in node]
    return node


@lru_cache(maxsize=1)
def _docs_reading() -> dict[str, dict]:
    """operationId → its parameters and body schema, request-side choices relaxed, refs inlined."""
    doc = relaxed(document(), {"request"})
    found = {}
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            params = [_inline(p, doc) for p in [*shared, *op.get("parameters", [])]]
            body = op.get("requestBody")
            schema = _inline(body, doc)["content"]["application/json"]["schema"] if body else None
            found[op["operationId"]] = {"parameters": params, "body": schema, "body_required": bool(body and body.get("required"))}
    return found


def _valid(schema: dict, value: Any) -> bool:
    return OAS30Validator(schema, format_checker=oas30_format_checker).is_valid(value)


def docs_valid(operation_id: str, *, body: Any = None, query: dict | None = None,
               headers: dict | None = None, path_parameters: dict | None = None) -> bool:
    """Whether a request is valid under the docs' reading (request-side choices relaxed)."""
    reading = _docs_reading().get(operation_id)
    if reading is None:
        return False
    sources = {"query": query or {}, "path": path_parameters or {},
               "header": {k.lower(): v for k, v in (headers or {}).items()}}
    for param in reading["parameters"]:
        values = sources.get(param["in"])
        if values is None:
            continue
        name = param["name"].lower() if param["in"] == "header" else param["name"]
        if name not in values:
            if param.get("required"):
                return False
            continue
        if not _valid(param.get("schema", {}), values[name]):
            return False
    if reading["body"] is not None:
        if body is None:
            return not reading["body_required"]
        return _valid(reading["body"], body)
    return True
