"""`huskyvoice-mock --proxy UPSTREAM_BASE_URL`: a validating proxy in front of a real server.

Every `/v1/...` request is forwarded as sent (method, path, query, headers with the client's
Authorization, body); nothing is added, nothing retried. The upstream's answer comes back
unchanged, plus `X-Contract-Violations: <clause id>, …` when the exchange breaks the contract
as the contract suite reads the docs (contract_tests/exchange_checks.py, the checks the suite
and the replay use too). `--strict` answers 502 with the violations instead. The control API
(mock_server/proxy.yaml) lists what was seen.

Keys never leave the exchange: the violations hold the request as curl with every credential
masked, and the cross-exchange state is kept per hashed key."""
from __future__ import annotations

import asyncio
import collections
import copy
import logging
import contextlib
import shlex
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote

import httpx
from connexion import AsyncApp
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.security import SecurityMiddleware
from connexion.resolver import Resolver

from . import spec as spec_module
from .errors import ContractViolated, UpstreamTimeout, UpstreamUnreachable
from .journal import MASKED, SECRET_HEADERS

log = logging.getLogger("huskyvoice.proxy")
PROXY_SPEC = Path(__file__).resolve().parent / "proxy.yaml"
CONTROL_PREFIX = "/_mock"
VIOLATIONS_HEADER = "X-Contract-Violations"
CHECKED_BYTES = 1024 * 1024  # bodies up to this are read and checked; larger ones are streamed through unchecked
KEPT_VIOLATIONS = 10_000
KEPT_EXCHANGES = 1_000
EXCERPT = 2000
SUMMARY_EVERY = 60.0
# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the exchange; Host is the upstream's.
HTTPX_DEFAULTS = {"accept", "accept-encoding", "user-agent"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
              "content-length"}


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def curl(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> str:
    """The request as a command that sends it again, every credential masked."""
    parts = ["curl", "-s", "-i", "-X", method, shlex.quote(url)]
    for name, value in headers:
        if name.lower().encode() in SECRET_HEADERS:
            value = MASKED if name.lower() in ("authorization", "proxy-authorization") else "***"
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        parts += ["--data-binary", shlex.quote(body[:EXCERPT].decode("utf-8", "replace"))]
    return " ".join(parts)


class Violations:
    """What the proxy saw break the contract: the newest KEPT_VIOLATIONS, and how many in all."""

    def __init__(self) -> None:
        self._kept: collections.deque[dict] = collections.deque(maxlen=KEPT_VIOLATIONS)
        self.journal: collections.deque[dict] = collections.deque(maxlen=KEPT_EXCHANGES)
        self.total = 0
        self.exchanges = 0
        self._unreported = 0

    def note(self, method: str, path: str, status: int, found: list, checked: bool) -> None:
        """The journal: each exchange, newest first, with the clauses it broke (no header, no body)."""
        self.journal.appendleft({"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                                 "method": method, "path": path, "status": status, "checked": checked,
                                 "violations": list(dict.fromkeys(v.clause for v in found))})

    def add(self, found: list, *, request: str, status: int, response: bytes) -> None:
        from contract_tests.clauses import catalogue
        clauses = catalogue()
        at = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        for violation in found:
            self._kept.appendleft({
                "clause": violation.clause, "quote": clauses.get(violation.clause, {}).get("quote", ""),
                "message": violation.message, "at": at, "request": request, "status": status,
                "response": response[:EXCERPT].decode("utf-8", "replace")})
        self.total += len(found)
        self._unreported += len(found)

    def newest(self, limit: int) -> list[dict]:
        return list(self._kept)[:limit]

    def clear(self) -> int:
        cleared, self.total = self.total, 0
        self._kept.clear()
        return cleared

    def summary(self) -> str | None:
        """One log line when violations came since the last one, else None."""
        if not self._unreported:
            return None
        counts = collections.Counter(v["clause"] for v in list(self._kept)[:self._unreported])
        self._unreported = 0
        return (f"{sum(counts.values())} new contract violations ({self.total} since the last clear): "
                + ", ".join(f"{clause} ×{n}" for clause, n in counts.most_common()))


class ForwardMiddleware:
    """Serves every request under the API's base path by forwarding it; the rest (the control
    API) goes on to the app."""

    def __init__(self, app, *, upstream: str, prefix: str, client: httpx.AsyncClient, watcher, violations: Violations,
                 strict: bool, recorder=None) -> None:
        self.app, self.upstream, self.prefix = app, upstream.rstrip("/"), prefix
        self.client, self.watcher, self.violations, self.strict = client, watcher, violations, strict
        self.recorder = recorder  # contract_tests.cassette.Recorder, or None

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            return await self.app(scope, receive, send)
        await self.forward(scope, receive, send)

    async def _request_body(self, scope, receive):
        """The body whole when it is at most CHECKED_BYTES, else an iterator streaming it on."""
        chunks, size, more = [], 0, True
        while more and size <= CHECKED_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        if not more or size <= CHECKED_BYTES:
            return b"".join(chunks), None

        async def rest():
            for chunk in chunks:
                yield chunk
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return
        return None, rest()

    async def forward(self, scope, receive, send) -> None:
        method = scope["method"]
        query = scope.get("query_string", b"")
        # The path as sent, escapes and all: decoded, a %23 would end it as a '#'.
        raw_path = _text(scope.get("raw_path") or quote(scope["path"]).encode())
        url = self.upstream + raw_path[len(self.prefix):] + ("?" + _text(query) if query else "")
        headers = [(_text(name), _text(value)) for name, value in scope["headers"]]
        sent_headers = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
        body, stream = await self._request_body(scope, receive)
        try:
            request = self.client.build_request(method, url, headers=sent_headers,
                                                content=stream if stream is not None else body)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise UpstreamUnreachable(f"The request cannot be sent on as it came ({exc})") from None
        sent_names = {name.lower() for name, _ in sent_headers}
        for name in HTTPX_DEFAULTS - sent_names:  # httpx's own defaults: nothing is added to what the client sent
            del request.headers[name]
        started = time.perf_counter()
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"The upstream did not answer {method} {url} in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable(f"No answer from the upstream to {method} {url}: {exc or type(exc).__name__}") from None
        try:
            answer, more, chunks = bytearray(), None, response.aiter_raw()
            async for chunk in chunks:
                answer += chunk
                if len(answer) > CHECKED_BYTES:
                    more = chunks  # the rest is streamed on from where this stopped
                    break
        except httpx.TimeoutException:
            await response.aclose()
            raise UpstreamTimeout(f"The upstream's answer to {method} {url} stopped coming") from None
        except httpx.HTTPError as exc:
            await response.aclose()
            raise UpstreamUnreachable(f"The upstream's answer to {method} {url} broke off: {exc}") from None
        out_headers = [(name.lower(), value) for name, value in response.headers.multi_items()
                       if name.lower() not in HOP_BY_HOP]
        whole = body is not None and more is None
        exchange = self._exchange(scope, method, headers, body if whole else b"", response.status_code, out_headers,
                                  bytes(answer) if whole else b"")
        found = self._check(exchange, url) if whole else []
        self.violations.note(method, scope["path"], response.status_code, found, whole)
        if self.recorder is not None:
            self.recorder.add(exchange, url=url, elapsed_ms=(time.perf_counter() - started) * 1000)
        if found and self.strict:
            await response.aclose()
            raise ContractViolated(
                f"The upstream answered {method} {url} with {response.status_code}, breaking "
                + ", ".join(sorted({v.clause for v in found})),
                violations=[{"clause": v.clause, "message": v.message} for v in found])
        if found:
            out_headers.append((VIOLATIONS_HEADER.lower(), ", ".join(dict.fromkeys(v.clause for v in found))))
        if more is None:
            out_headers.append(("content-length", str(len(answer))))
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in out_headers]})
        if more is None:
            await send({"type": "http.response.body", "body": bytes(answer)})
            await response.aclose()
            return
        try:
            await send({"type": "http.response.body", "body": bytes(answer), "more_body": True})
            async for chunk in more:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await response.aclose()
        await send({"type": "http.response.body", "body": b""})

    def _exchange(self, scope, method, headers, body, status, out_headers, answer):
        from contract_tests.exchange_checks import Exchange
        return Exchange(
            method=method, path=scope["path"][len(self.prefix):] or "/",
            query=tuple(parse_qsl(_text(scope.get("query_string", b"")), keep_blank_values=True)),
            request_headers=tuple(headers), request_body=body, status=status,
            response_headers=tuple(out_headers), response_body=answer, at=datetime.now(timezone.utc))

    def _check(self, exchange, url: str) -> list:
        self.violations.exchanges += 1
        try:
            found = self.watcher.observe(exchange)
        except Exception:  # a check that fails on what it was given is ours to fix, never the client's problem
            log.exception("a contract check failed on %s %s", exchange.method, exchange.path)
            return []
        if found:
            self.violations.add(found, request=curl(exchange.method, url, list(exchange.request_headers),
                                                    exchange.request_body),
                                status=exchange.status, response=exchange.response_body)
        return found


class ProxyControl:
    """The handlers of proxy.yaml."""

    def __init__(self, upstream: str, violations: Violations) -> None:
        self.upstream, self.violations = upstream, violations

    async def proxy_health(self):
        return {"proxy": "huskyvoice", "upstream": self.upstream, "exchanges": self.violations.exchanges,
                "violations": self.violations.total}

    async def proxy_list_violations(self, limit: int = 100):
        return {"total": self.violations.total, "data": self.violations.newest(limit)}

    async def proxy_clear_violations(self):
        return {"cleared": self.violations.clear()}

    async def proxy_read_journal(self, limit: int = 100):
        return {"data": list(self.violations.journal)[:limit]}


def create_proxy(upstream: str, *, strict: bool = False, insecure: bool = False, keys: dict | None = None,
                 control: bool = True, control_token: str | None = None, timeout: float = 30.0,
                 record: Path | None = None, mask_pii: bool = False,
                 lifespan=None, transport: httpx.AsyncBaseTransport | None = None) -> AsyncApp:
    """The proxy app. `record`: a HAR file to write every exchange to. `lifespan`: Starlette's, run
    around the proxy's own (which logs the summaries and, at the end, closes the HAR file).
    `transport`: httpx's, for tests that put an app in place of the network."""
    from contract_tests.cassette import Recorder
    from contract_tests.exchange_checks import Watcher
    from .app import handle_errors, snake_case
    from .middleware import ControlOriginMiddleware, ControlTokenMiddleware
    contract = spec_module.load(spec_module.SPEC_PATH)
    violations = Violations()
    recorder = Recorder(record, mask_pii=mask_pii) if record else None
    client = httpx.AsyncClient(verify=not insecure, timeout=timeout, follow_redirects=False, transport=transport)
    built: dict = {}

    @contextlib.asynccontextmanager
    async def serving(starlette_app):
        async with (lifespan(starlette_app) if lifespan else contextlib.nullcontext()), running(built["app"]):
            yield
    app = built["app"] = AsyncApp(
        __name__, lifespan=serving,
        middlewares=[m for m in ConnexionMiddleware.default_middlewares if m is not SecurityMiddleware])
    app.add_middleware(ForwardMiddleware, position=MiddlewarePosition.BEFORE_SWAGGER, upstream=upstream,
                       prefix=contract.base_path, client=client, watcher=Watcher(keys=keys), violations=violations,
                       strict=strict, recorder=recorder)
    app.add_middleware(ControlOriginMiddleware, position=MiddlewarePosition.BEFORE_ROUTING, prefix=CONTROL_PREFIX)
    if control_token:
        app.add_middleware(ControlTokenMiddleware, position=MiddlewarePosition.BEFORE_ROUTING, prefix=CONTROL_PREFIX,
                           token=control_token)
    if control:
        handlers = ProxyControl(upstream, violations)
        document = spec_module.load(PROXY_SPEC).document
        app.add_api(copy.deepcopy(document), base_path=CONTROL_PREFIX, name="proxy-control", strict_validation=True,
                    resolver=Resolver(function_resolver=lambda op_id: getattr(handlers, snake_case(op_id))))

    handle_errors(app, [spec_module.load(PROXY_SPEC)])
    app.violations_ = violations
    app.client_ = client
    app.recorder_ = recorder
    return app


async def log_summaries(violations: Violations, every: float = SUMMARY_EVERY) -> None:
    """A summary line every `every` seconds while violations are new."""
    while True:
        await asyncio.sleep(every)
        line = violations.summary()
        if line:
            log.warning(line)


@contextlib.asynccontextmanager
async def running(app):
    """The proxy's lifespan: the minute summaries while it serves, its connections closed after."""
    task = asyncio.get_running_loop().create_task(log_summaries(app.violations_))
    try:
        yield
    finally:
        task.cancel()
        await app.client_.aclose()
        if app.recorder_ is not None:
            app.recorder_.close()

