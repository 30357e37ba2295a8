"""What the mock reads from openapi.yaml besides routes and schemas: the scope
each operation requires, which operations are secured, and each path's methods."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Contract:
    document: dict
    base_path: str
    required_scope: dict[str, str]  # operationId → scope
    secured: frozenset[str]  # operationIds that need a key
    takes_body: frozenset[str]  # operationIds with a requestBody
    operation_ids: tuple[str, ...]
    path_methods: tuple[tuple[re.Pattern, tuple[str, ...]], ...]

    def allowed_methods(self, path: str) -> tuple[str, ...] | None:
        """The methods documented for `path` (relative to the base), None if no path matches."""
        for pattern, methods in self.path_methods:
            if pattern.fullmatch(path):
                return methods
        return None


@lru_cache(maxsize=4)
def load(path: Path = SPEC_PATH) -> Contract:
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    base_path = urlparse(document["servers"][0]["url"]).path.rstrip("/")
    default_security = document.get("security", [])
    scopes, secured, takes_body, path_methods, operation_ids = {}, set(), set(), [], []
    for template, item in document["paths"].items():
        methods = []
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            methods.append(method.upper())
            operation_ids.append(op["operationId"])
            if op.get("security", default_security):
                secured.add(op["operationId"])
            if "requestBody" in op:
                takes_body.add(op["operationId"])
            if "x-required-scope" in op:
                scopes[op["operationId"]] = op["x-required-scope"]
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        path_methods.append((re.compile(regex), tuple(methods)))
    return Contract(document, base_path, scopes, frozenset(secured), frozenset(takes_body),
                    tuple(operation_ids), tuple(path_methods))
