"""The spec as the suite uses it: for the bundled mock, openapi.yaml as written;
for any other target, with every `x-mock-choice` keyword the docs leave open
removed, so a real server is judged only on what the docs state."""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml

from .target import SPEC_PATH

WRITE_OPERATIONS = frozenset({"createCall", "cancelCall", "deleteCall", "updateTrackingRecord", "regenerateTracking"})
CALL_WRITES = frozenset({"createCall", "cancelCall", "deleteCall"})


@lru_cache(maxsize=1)
def document() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def relaxed(doc: dict) -> dict:
    doc = copy.deepcopy(doc)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            choice = node.get("x-mock-choice")
            if isinstance(choice, dict):
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
    return document() if is_mock else relaxed(document())


def operations() -> dict[str, tuple[str, str, dict]]:
    """operationId → (method, path, operation)."""
    found = {}
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (method.upper(), path, op)
    return found
