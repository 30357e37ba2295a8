"""Schemathesis, loaded from the spec the target is judged by."""
from __future__ import annotations

import copy
from pathlib import Path

import schemathesis
from schemathesis import GenerationMode

from . import profiles
from .cross_field import excluded_operations
from .spec import for_target
from .target import Target

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def without_operations(doc: dict, operation_ids: set[str]) -> dict:
    """`doc` with those operations, and every link to them, removed: what is not in
    the document cannot be requested, whatever a loader does with filters."""
    doc = copy.deepcopy(doc)
    for item in doc["paths"].values():
        for method in [m for m, op in item.items() if isinstance(op, dict) and op.get("operationId") in operation_ids]:
            del item[method]
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for response in op.get("responses", {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                for name in [n for n, link in (links or {}).items() if link.get("operationId") in operation_ids]:
                    del links[name]
    doc["paths"] = {path: item for path, item in doc["paths"].items()
                    if any(isinstance(op, dict) and "operationId" in op for op in item.values())}
    return doc


def document_for(target: Target, *, calls_to_test_number: bool = False) -> dict:
    return without_operations(for_target(target.is_mock),
                              excluded_operations(target, calls_to_test_number=calls_to_test_number))


def load(target: Target, seed: int, *, key_secret: str | None, calls_to_test_number: bool = False):
    """Schemathesis over the operations it may send on `target` (`calls_to_test_number`: the
    caller rewrites every created call's number to TEST_CONTACT_NUMBER, so it may create calls)."""
    config = schemathesis.Config.from_path(CONFIG)
    schema = schemathesis.openapi.from_dict(document_for(target, calls_to_test_number=calls_to_test_number),
                                            config=config)
    headers = {**target.session_headers, **({"Authorization": f"Bearer {key_secret}"} if key_secret else {})}
    schema.config.update(base_url=target.base_url, headers=headers)
    schema.config.seed = seed
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=profiles.current().schema_examples)
    return schema
