"""The one error envelope (decision D-error-envelope). Every error the app produces,
from the store, the validator, the router or a crash, leaves through here:

    {"success": false, "error": {"code": "...", "message": "...", "field"?: "...", "required_scope"?: "..."}}
"""
from __future__ import annotations

import json
from typing import Any

from .errors import ApiError

JSON = "application/json"


def error_body(exc: ApiError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field:
        error["field"] = exc.field
    error.update(exc.extra)
    return {"success": False, "error": error}


def error_bytes(exc: ApiError) -> bytes:
    body = error_body(exc)
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a message quoting half a UTF-16 pair: escaped, it is still JSON
        return json.dumps(body).encode("ascii")


def error_headers(exc: ApiError) -> dict[str, str]:
    return {"Content-Type": JSON, **exc.headers}
