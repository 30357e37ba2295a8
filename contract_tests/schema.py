"""Schemathesis, loaded from the spec the target is judged by."""
from __future__ import annotations

from pathlib import Path

import schemathesis
from schemathesis import GenerationMode

from . import profiles
from .cross_field import excluded_operations
from .spec import for_target
from .target import Target

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def load(target: Target, seed: int, *, key_secret: str | None):
    config = schemathesis.Config.from_path(CONFIG)
    schema = schemathesis.openapi.from_dict(for_target(target.is_mock), config=config)
    headers = {"Authorization": f"Bearer {key_secret}"} if key_secret else {}
    schema.config.update(base_url=target.base_url, headers=headers)
    schema.config.seed = seed
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=profiles.current().schema_examples)
    for op_id in sorted(excluded_operations(target)):
        schema = schema.exclude(operation_id=op_id)
    return schema
