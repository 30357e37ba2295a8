"""The request pipeline around Connexion's router and validator, in order:

    body limit (413) → route (404/405) → auth (401) → scope (403) → rate limit (429)
    → validation (400/415/422) → handler

Errors are raised as typed ApiErrors; `app.py` registers the one handler that
renders them. Keys are never logged, echoed or stored: only the key's label is.
"""
from __future__ import annotations

import hashlib
import hmac

from starlette.datastructures import Headers, MutableHeaders

from .errors import (InsufficientScope, PayloadTooLarge, RateLimited, Unauthorized, UnsupportedMediaType,
                     ValidationFailed)
from .spec import Contract
from .state import State

MAX_BODY_BYTES = 1024 * 1024
RATE_LIMIT_HEADERS = "huskyvoice.rate_limit_headers"


class BodyLimitMiddleware:
    """Refuse bodies over 1 MiB, by Content-Length up front or by counting a chunked stream."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise ValidationFailed("Content-Length must be a number of bytes", field="Content-Length")
            if int(length) > self.limit:
                raise PayloadTooLarge(f"The request body is larger than {self.limit} bytes")
            return await self.app(scope, receive, send)
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            return await self.app(scope, receive, send)
        # Connexion reads no body without a Content-Length: read the chunks here,
        # up to the limit, and hand the body on with its length.
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                raise PayloadTooLarge(f"The request body is larger than {self.limit} bytes")
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"transfer-encoding"] + \
            [(b"content-length", str(len(body)).encode())]
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


class ControlTokenMiddleware:
    """With --control-token, the control API answers only requests that carry it."""

    def __init__(self, app, prefix: str, token: str) -> None:
        self.app, self.prefix = app, prefix
        self.token = hashlib.sha256(token.encode()).digest()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            sent = Headers(scope=scope).get("x-mock-control-token", "")
            if not hmac.compare_digest(hashlib.sha256(sent.encode("utf-8", "surrogateescape")).digest(), self.token):
                raise Unauthorized("The control API needs the X-Mock-Control-Token header")
        await self.app(scope, receive, send)


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class AuthMiddleware:
    """Authenticate, check the operation's `x-required-scope`, take a rate-limit token.

    Connexion checks no scopes for an http/bearer scheme, so this reads them from
    the spec itself. It runs after routing, so it knows the operation.
    """

    def __init__(self, app, state: State, contract: Contract) -> None:
        self.app, self.state, self.contract = app, state, contract

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extensions = scope.setdefault("extensions", {})
        operation_id = extensions.get("connexion_routing", {}).get("operation_id")
        if operation_id not in self.contract.secured:
            return await self.app(scope, receive, send)

        token = bearer_token(Headers(scope=scope))
        key = self.state.authenticate(token) if token is not None else None
        if key is None:
            raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="huskyvoice"'})
        needed = self.contract.required_scope.get(operation_id)
        if needed and not key.has_scope(needed):
            raise InsufficientScope(needed)
        decision = self.state.take_token(key)
        if decision is not None and not decision.allowed:
            raise RateLimited(decision.retry_after, decision.headers())
        extensions.setdefault("connexion_context", {})["caller"] = key
        if decision is not None:
            # Errors raised further in are rendered outside this middleware; they read these.
            extensions[RATE_LIMIT_HEADERS] = decision.headers()
        if operation_id in self.contract.takes_body:
            _require_content_type(scope)

        if decision is None:
            return await self.app(scope, receive, send)
        limit_headers = decision.headers()

        async def send_with_limits(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in limit_headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_limits)


def _require_content_type(scope) -> None:
    """A body with no Content-Type reaches Connexion's handlers as raw bytes, so it is
    refused here; an empty body with none is left to the validator's 400."""
    headers = Headers(scope=scope)
    if headers.get("content-type"):
        return
    has_body = headers.get("transfer-encoding") or headers.get("content-length", "0") not in ("", "0")
    if has_body:
        raise UnsupportedMediaType("Send the body as application/json, with Content-Type: application/json")
