"""The request pipeline around Connexion's router and validator, in order:

    journal → session → header and body limits (431, 413) → route (404/405) → auth (401) → scope (403)
    → rate limit (429) → faults and Prefer → validation (400/415/422) → handler

Errors are raised as typed ApiErrors; `app.py` registers the one handler that
renders them. Keys are never logged, echoed or stored: only the key's label is.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

from starlette.datastructures import Headers, MutableHeaders

from .errors import (ApiError, ForbiddenOrigin, HeadersTooLarge, InsufficientScope, PayloadTooLarge, RateLimited, Unauthorized,
                     UnsupportedMediaType, ValidationFailed, error_for_status)
from .journal import BODY_LIMIT, Entry, Journal, masked, masked_query
from .spec import Contract
from .sessions import Sessions

MAX_BODY_BYTES = 1024 * 1024
# What GET /_mock/state exports must go back in through PUT (100,000 calls: bench/RESULTS.md).
MAX_STATE_BYTES = 256 * 1024 * 1024
LARGE_BODY_PATHS = ("/_mock/state",)
MAX_HEADER_BYTES = 16 * 1024  # the whole header block, as nginx's and Node's defaults
RATE_LIMIT_HEADERS = "huskyvoice.rate_limit_headers"
JOURNAL = "huskyvoice.journal"  # what inner stages tell the journal: operation, key label, session
# The server tells the app only that the body ended early (ASGI's http.disconnect), for a client
# that closed its connection and for chunks that do not parse alike: one answer serves both
# (D-body-cut-short). A client that is gone never reads it.
BODY_CUT = ("The request body ended before it was whole: the connection was closed, or its framing "
            "(Content-Length, chunks) is broken")


def _lower_media_type(scope) -> None:
    """A media type is case-insensitive (RFC 9110 §8.3.1), and Connexion matches it as written:
    `Application/Json` would reach the handler unparsed. Lower-case it, parameters left alone."""
    headers = list(scope["headers"])
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"content-type":
            media, sep, params = value.partition(b";")
            if media != media.lower():
                headers[index] = (name, media.lower() + sep + params)
                scope["headers"] = headers


def _whole(receive, declared: int):
    """`receive`, raising the 400 when the body ends short of its Content-Length: the readers
    above take the end of the messages for the end of the body, and would act on a part."""
    received = 0

    async def counted():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
        elif received < declared:
            raise ValidationFailed(BODY_CUT)
        return message
    return counted


class BodyLimitMiddleware:
    """Refuse header blocks over 16 KiB (431, as production servers do) and bodies over 1 MiB
    (256 MiB for a state import), by Content-Length up front or by counting a chunked stream."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES, header_limit: int = MAX_HEADER_BYTES,
                 state_limit: int = MAX_STATE_BYTES) -> None:
        self.app, self.default_limit, self.header_limit, self.state_limit = app, limit, header_limit, state_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.state_limit if scope["path"] in LARGE_BODY_PATHS else self.default_limit
        _lower_media_type(scope)
        size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size > self.header_limit:
            raise HeadersTooLarge(f"The request's headers take {size} bytes; at most {self.header_limit} are read")
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise ValidationFailed("Content-Length must be a number of bytes", field="Content-Length")
            declared = int(length)
            if declared > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
            return await self.app(scope, _whole(receive, declared) if declared else receive, send)
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            return await self.app(scope, receive, send)
        # Connexion reads no body without a Content-Length: read the chunks here,
        # up to the limit, and hand the body on with its length.
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise ValidationFailed(BODY_CUT)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
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


class ControlOriginMiddleware:
    """The control API refuses a request that carries an Origin other than the mock's own: a
    page elsewhere could otherwise reset the mock with a 'simple' cross-origin POST (no preflight).
    Clients that are not browsers send no Origin; the control API's Swagger UI sends the mock's."""

    def __init__(self, app, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
            if origin is not None and origin.lower() != own:
                raise ForbiddenOrigin(f"The control API answers no page from another origin ({origin})")
        await self.app(scope, receive, send)


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

    def __init__(self, app, sessions: Sessions, contract: Contract) -> None:
        self.app, self.sessions, self.contract = app, sessions, contract

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extensions = scope.setdefault("extensions", {})
        operation_id = extensions.get("connexion_routing", {}).get("operation_id")
        if operation_id not in self.contract.secured:
            return await self.app(scope, receive, send)

        state = self.sessions.current()
        token = bearer_token(Headers(scope=scope))
        key = state.authenticate(token) if token is not None else None
        if key is None:
            raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="huskyvoice"'})
        needed = self.contract.required_scope.get(operation_id)
        if needed and not key.has_scope(needed):
            raise InsufficientScope(needed)
        extensions.get(JOURNAL, {})["key_label"] = key.label
        decision = state.take_token(key)
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


class SessionMiddleware:
    """Bind the request to its X-Mock-Session state (the default state without one)."""

    def __init__(self, app, sessions: Sessions) -> None:
        self.app, self.sessions = app, sessions

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        name = Headers(scope=scope).get("x-mock-session")
        token = self.sessions.bind(name)
        note = scope.setdefault("extensions", {}).get(JOURNAL, {})
        note["session"] = name
        try:
            note["clock"] = self.sessions.current().clock  # the journal stamps entries with it
            await self.app(scope, receive, send)
        finally:
            self.sessions.unbind(token)


class JournalMiddleware:
    """Record every documented-API request and its response (Authorization masked)."""

    def __init__(self, app, journal: Journal, sessions: Sessions, prefix: str) -> None:
        self.app, self.journal, self.sessions, self.prefix = app, journal, sessions, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        note = scope.setdefault("extensions", {})[JOURNAL] = {}
        started = time.perf_counter()
        request_body = bytearray()
        response = {"status": None, "body": bytearray()}

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request" and len(request_body) < BODY_LIMIT:
                request_body.extend(message.get("body", b"")[:BODY_LIMIT])
            return message

        async def recording_send(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
            elif message["type"] == "http.response.body" and len(response["body"]) < BODY_LIMIT:
                response["body"].extend(message.get("body", b"")[:BODY_LIMIT])
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            name = note.get("session")
            clock = note.get("clock") or self.sessions.default.clock
            if response["status"] is None:  # nothing was answered: the app failed
                response["status"] = 500
            routing = scope["extensions"].get("connexion_routing", {})
            rings = [state.keys for state in (self.sessions.default, self.sessions.existing(name)) if state]

            def is_key(text: str) -> bool:
                return any(ring.is_key(text) for ring in rings)

            self.journal.add(Entry(
                at=clock.now(), session=name, method=scope["method"], path=scope["path"],
                query=masked_query(scope.get("query_string", b""), is_key),
                operation_id=note.get("operation_id") or routing.get("operation_id"),
                key_label=note.get("key_label"), request_headers=masked(scope["headers"], is_key),
                request_body=bytes(request_body[:BODY_LIMIT + 1]), status=response["status"],
                response_body=bytes(response["body"][:BODY_LIMIT + 1]),
                duration_ms=round((time.perf_counter() - started) * 1000, 3)))


class FaultMiddleware:
    """Faults set through the control API, and Prism's `Prefer: code=…, example=…`."""

    def __init__(self, app, sessions: Sessions, contract: Contract) -> None:
        self.app, self.sessions, self.contract = app, sessions, contract

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        operation_id = scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")
        if operation_id not in self.contract.secured:
            return await self.app(scope, receive, send)
        scope["extensions"].get(JOURNAL, {})["operation_id"] = operation_id
        latency_ms, fault = self.sessions.current().faults.for_operation(operation_id)
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        if fault is not None:
            raise canned_error(self.contract, operation_id, fault.status, retry_after=fault.retry_after)
        prefer = parse_prefer(Headers(scope=scope).get("prefer"))
        if prefer:
            return await self._preferred(scope, send, operation_id, prefer)
        await self.app(scope, receive, send)

    async def _preferred(self, scope, send, operation_id: str, prefer: dict[str, str]):
        responses = self.contract.operation(operation_id)["responses"]
        code = prefer.get("code")
        if code is None:
            code = next(c for c in responses if c.startswith("2"))
        if code not in responses:
            raise ValidationFailed(
                f"Prefer: code={code} — {operation_id} documents {', '.join(sorted(responses))}; "
                f"the mock only answers documented statuses", field="Prefer")
        status = int(code)
        if status >= 400:
            raise canned_error(self.contract, operation_id, status)
        examples = self.contract.response_examples(operation_id, code)
        name = prefer.get("example") or next(iter(examples), None)
        if name not in examples:
            raise ValidationFailed(f"Prefer: example={name} — {operation_id} {code} has examples: "
                                   f"{', '.join(examples) or 'none'}", field="Prefer")
        body = json.dumps(examples[name]).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        call_id = (examples[name].get("data") or {}).get("call_id") if isinstance(examples[name], dict) else None
        if operation_id == "createCall" and call_id:
            headers.append((b"location", f"{self.contract.base_path}/calls/{call_id}".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def parse_prefer(value: str | None) -> dict[str, str]:
    """`Prefer: code=429, example=docs` → {"code": "429", "example": "docs"} (RFC 7240 preferences)."""
    found = {}
    for part in (value or "").replace(";", ",").split(","):
        name, _, val = part.strip().partition("=")
        if name.strip().lower() in ("code", "example") and val.strip():
            found[name.strip().lower()] = val.strip().strip('"')
    return found


def canned_error(contract: Contract, operation_id: str, status: int, retry_after: int = 1) -> ApiError:
    """The documented error body for `status` on this operation (from the spec's example),
    or the mock's own for a status the operation does not document (a fault)."""
    example = contract.error_example(operation_id, status)
    error = error_for_status(status)(example["message"] if example else None)
    error.status = status
    if example:
        error.code = example["code"]
        error.extra = {k: v for k, v in example.items() if k not in ("code", "message", "field")}
        error.field = example.get("field")
    elif status == 500:
        error.code, error.message = "INTERNAL_ERROR", "Internal error (a fault injected through the mock's control API)"
    if status in (429, 503):
        error.headers = {"Retry-After": str(retry_after)}
    if status == 429:
        error.message = f"Rate limit exceeded; retry after {retry_after} second(s)"
    return error


class IndexMiddleware:
    """`GET /`: where everything is, for a new user who opens the mock's address. JSON for API
    clients, a page of links for browsers. No other path is touched."""

    def __init__(self, app, api_prefix: str, control_prefix: str | None) -> None:
        self.app = app
        self.links = {"api": api_prefix, "api_docs": f"{api_prefix}/ui/", "api_spec": f"{api_prefix}/openapi.json"}
        if control_prefix:
            self.links.update(control=control_prefix, control_docs=f"{control_prefix}/ui/",
                              health=f"{control_prefix}/health")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        if "text/html" in Headers(scope=scope).get("accept", ""):
            items = "".join(f'<li>{name.replace("_", " ")}: <a href="{url}">{url}</a></li>'
                            for name, url in self.links.items())
            body, media = (f"<!doctype html><title>HuskyVoice mock</title><h1>HuskyVoice mock</h1>"
                           f"<ul>{items}</ul>").encode(), "text/html; charset=utf-8"
        else:
            body, media = json.dumps({"mock": "huskyvoice", **self.links}).encode(), "application/json"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
