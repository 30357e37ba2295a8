"""Issue 14: "No module outside mock_server/speedups.py imports from uvicorn.protocols, connexion.apps,
connexion.decorators, connexion.spec or connexion.operations, or touches a private attribute of
those libraries." A scan of every Python file of the project, and the scan's own broken variants."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {ROOT / "mock_server" / "speedups.py"}
FORBIDDEN_MODULES = ("uvicorn.protocols", "connexion.apps", "connexion.decorators", "connexion.spec",
                     "connexion.operations")
LIBRARIES = ("connexion", "uvicorn", "starlette", "granian", "jsonschema", "jsonschema_rs", "schemathesis")


def _library(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in LIBRARIES


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def violations(source: str) -> list[str]:
    """What in `source` reaches past those libraries' public API."""
    found, imported = [], set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and _library(node.module):
            if node.module.startswith(FORBIDDEN_MODULES):
                found.append(f"line {node.lineno}: imports from {node.module}")
            for alias in node.names:
                if _private(alias.name) or any(_private(part) for part in node.module.split(".")):
                    found.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _library(alias.name):
                    if alias.name.startswith(FORBIDDEN_MODULES) or any(_private(p) for p in alias.name.split(".")):
                        found.append(f"line {node.lineno}: imports {alias.name}")
                    imported.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                if _private(base.attr):
                    break
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                found.append(f"line {node.lineno}: {base.id}….{node.attr}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "setattr") and \
                len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and \
                isinstance(node.args[1].value, str) and _private(node.args[1].value):
            base = node.args[0]
            if isinstance(base, ast.Name) and base.id in imported:
                found.append(f"line {node.lineno}: {node.func.id}({base.id}, {node.args[1].value!r})")
    return found


def project_files() -> list[Path]:
    return sorted(path for folder in ("mock_server", "contract_tests", "tests", "bench", "docs")
                  for path in (ROOT / folder).rglob("*.py") if path not in ALLOWED and ".venv" not in path.parts)


def test_only_speedups_reaches_into_library_internals():
    """Every module but mock_server/speedups.py uses the libraries through their public API."""
    files = project_files()
    assert len(files) > 40, "the scan found too few files to mean anything"
    report = {str(path.relative_to(ROOT)): found for path in files if (found := violations(path.read_text()))}
    assert not report, report


@pytest.mark.parametrize("source", [
    "from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol",
    "from connexion.apps.asynchronous import AsyncApi",
    "import connexion.decorators",
    "from connexion.operations import AbstractOperation",
    "from connexion.spec import Specification",
    "from connexion.utils import _private_helper",
    "from schemathesis._hooks import x",
    "from connexion import AsyncApp\napp = AsyncApp(__name__)\nAsyncApp._middleware_app",
    "import connexion\nconnexion.middleware._internal",
    "from connexion.middleware.main import ConnexionMiddleware\nConnexionMiddleware._build_middleware_stack",
    "from connexion import AsyncApp\ngetattr(AsyncApp, '_fn')",
], ids=["uvicorn-protocols", "connexion-apps", "connexion-decorators", "connexion-operations", "connexion-spec",
        "private-name", "private-module", "private-attribute", "module-private", "class-private", "getattr-private"])
def test_the_scan_catches_each_kind_of_reach(source):
    assert violations(source), source


@pytest.mark.parametrize("source", [
    "from connexion import AsyncApp\nfrom connexion.middleware import MiddlewarePosition",
    "from connexion.validators import JSONRequestBodyValidator\n"
    "class V(JSONRequestBodyValidator):\n    def _validate(self, body):\n        return self._schema",
    "from granian.server.embed import Server",
    "import json\njson._default_encoder",  # not one of the libraries in question
    "state = object()\nstate._private_of_our_own",
], ids=["public-imports", "documented-subclass-hooks", "granian-embed", "stdlib", "own-objects"])
def test_the_scan_lets_public_use_pass(source):
    assert not violations(source), violations(source)
