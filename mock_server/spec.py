"""What the mock reads from openapi.yaml besides routes and schemas: the scope
each operation requires, which operations are secured, and each path's methods."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import yaml

# libyaml's loader, for start-up time (bench/RESULTS.md: start-up split).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The package's own link to the top-level openapi.yaml (a copy of it in a wheel): found the same way
# from a checkout and from an installed kit.
SPEC_PATH = (Path(__file__).parent / "openapi.yaml").resolve()
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

    def operation(self, operation_id: str) -> dict:
        for item in self.document["paths"].values():
            for method in METHODS:
                op = item.get(method)
                if op is not None and op.get("operationId") == operation_id:
                    return op
        raise KeyError(operation_id)

    def _resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            target = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def response_examples(self, operation_id: str, code: str) -> dict:
        """name → example value, for an operation's documented response."""
        response = self._resolve(self.operation(operation_id)["responses"].get(code, {}))
        media = response.get("content", {}).get("application/json", {})
        examples = {name: self._resolve(ex).get("value") for name, ex in media.get("examples", {}).items()}
        if not examples and "example" in media:
            examples["example"] = media["example"]
        return examples

    def error_example(self, operation_id: str, status: int) -> dict | None:
        """The `error` object of the documented example response, if the operation documents `status`."""
        examples = self.response_examples(operation_id, str(status))
        body = next(iter(examples.values()), None)
        return body.get("error") if isinstance(body, dict) else None

    def allowed_methods(self, path: str) -> tuple[str, ...] | None:
        """The methods documented for `path` (relative to the base), None if no path matches."""
        for pattern, methods in self.path_methods:
            if pattern.fullmatch(path):
                return methods
        return None


@lru_cache(maxsize=4)
def load(path: Path = SPEC_PATH) -> Contract:
    document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SafeLoader)
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
