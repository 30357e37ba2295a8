"""Issue 12: a fuzz campaign beyond the spec. Schemathesis only sends what the spec describes;
here Hypothesis writes whole HTTP requests (any method and path, the docs' and the Swagger UI's
paths included, hostile headers, media types in any case, lone surrogates, duplicate keys, deep
nesting, huge numbers, bodies cut short) and sends them over a socket to the CLI's own server
(`cli.build`), with and without X-Mock-Session. README: bad input "gets a clear 4xx JSON error
with a documented status and code, never a 500, a stack trace or an HTML page, and nothing
already stored is lost"; and parallel jobs sharing one mock "do not see each other".

Checked on every answer:
- never a 5xx, unless the request asked for one (`Prefer: code=5xx`);
- JSON, and an error is the one envelope (openapi.yaml's Error), Swagger UI's own pages aside;
- no other session's data: canary calls and journal entries live in a session the campaign
  never names and in the default state, and must not show up where they do not belong.
At the end, every state passes the store's consistency checks and round-trips export/import.

`make test` runs a short campaign; `make fuzz-raw` runs RAW_FUZZ_EXAMPLES=20000 (RAW_FUZZ_SEED=N)."""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, unquote, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings, strategies as st
from jsonschema import Draft4Validator

from mock_server import cli
from refusals import is_server_refusal

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("RAW_FUZZ_EXAMPLES", "400"))
SEED = int(os.environ.get("RAW_FUZZ_SEED", "0"))
ERROR = {prefix: Draft4Validator(yaml.safe_load((ROOT / spec).read_text())["components"]["schemas"]["Error"])
         for prefix, spec in (("/v1", "openapi.yaml"), ("/_mock", "mock_server/control.yaml"))}
KEYS = [k["key"] for k in yaml.safe_load((ROOT / "fixtures" / "api_keys.yaml").read_text())["keys"]]
CANARY_SESSION = "zz-canary-session-4b1d"  # a name the campaign never sends
SESSIONS = [None, None, None, "jobA", "jobA", "jobB", "jobB", "jobA"]
BAD_SESSIONS = ["", "bad name", "ü", "a" * 65, "jobB,jobA"]
KNOWN_CALLS = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(6)]  # seeded in every session
CAL = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
APPT = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
PAGES = re.compile(r"^/((v1|_mock)/(ui|openapi\.json)|$)")  # the Swagger UI's, and the index page for browsers
COUNT = {"requests": 0, "no answer": 0, "refused by the server": 0}
STATUSES: dict[int, int] = {}


# ── what a request is made of ─────────────────────────────────────────────
def _cases(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.title(), "".join(
        c.upper() if i % 2 else c for i, c in enumerate(text))])


hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "é", "\u2028", "𝄞", "../..", "%00", "%ff", "'; DROP", "{{x}}",
                     "a" * 5000, "-1", "1e400", "NaN", "", " "]),
)
segment = st.one_of(st.uuids().map(str), hostile_text.map(lambda t: quote(t.encode("utf-8", "surrogatepass"))),
                    st.sampled_from(["550e8400-e29b-41d4-a716-446655440000", "cal_1||2026-06-15",
                                     "cal_1||2026-06-15||apt_1", "..", "%2e%2e", "", "a%2Fb"]))
PATHS = ["/v1/calls", "/v1/calls/{}", "/v1/calls/{}/cancel", "/v1/appointment-slots/availability",
         "/v1/appointment-slots/schedule-tracking", "/v1/appointment-slots/tracking/{}",
         "/v1/appointment-slots/regenerate", "/v1/ui/", "/v1/ui", "/v1/ui/index.html", "/v1/ui/{}",
         "/v1/openapi.json", "/_mock/ui/", "/_mock/openapi.json", "/_mock/health", "/_mock/reset",
         "/_mock/fixtures/load", "/_mock/state", "/_mock/clock", "/_mock/clock/advance", "/_mock/calls",
         "/_mock/calls/{}", "/_mock/calls/{}/transition", "/_mock/seed/{}", "/_mock/seed/branches",
         "/_mock/seed/appointments/{}", "/_mock/faults", "/_mock/journal", "/_mock/sessions",
         "/_mock/sessions/{}", "/", "/v1", "/v1/", "/_mock", "/v1//calls", "/v2/calls", "/{}", "/favicon.ico"]
QUERY_NAMES = ["date", "date_from", "date_to", "branch_id", "calendar_id", "session", "appointment_type_id",
               "limit", "method", "status", "operation_id", "path_prefix", "api_key", "x"]


@st.composite
def targets(draw) -> str:
    path = draw(st.sampled_from(PATHS))
    while "{}" in path:
        path = path.replace("{}", draw(segment), 1)
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES) | hostile_text,
                                    st.sampled_from(["2026-06-15", "2026-02-30", "Morning", "night", "cal_1",
                                                     "1000", "0", "YOUR_API_KEY"]) | hostile_text), max_size=4))
    if pairs:
        encode = draw(st.sampled_from([lambda t: quote(t.encode("utf-8", "surrogatepass")),
                                       lambda t: t.replace(" ", "+")]))
        path += "?" + "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)
    return path


media_types = st.builds(
    lambda base, params: base + params,
    st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=x", "application/merge-patch+json", "*/*", "", "json",
                     "application/json;", "application/problem+json", "text/html"]).flatmap(_cases),
    st.sampled_from(["", "; charset=utf-8", "; charset=UTF-8", "; charset=latin-1", '; charset="utf-8"',
                     "; charset=nope", "; q=0.5", ";;", "; charset"]),
)
header_values = st.one_of(hostile_text, st.binary(max_size=30).map(lambda b: b.decode("latin-1")))


@st.composite
def header_lists(draw) -> list[tuple[str, str]]:
    headers = []
    if draw(st.integers(0, 9)):  # mostly with a key, in any of its forms
        key = draw(st.sampled_from(KEYS))
        headers.append(("Authorization", draw(st.sampled_from([f"Bearer {key}", f"bearer {key}", f"Bearer  {key}",
                                                              f"Basic {key}", key, "Bearer " + "x" * 300]))))
    if draw(st.booleans()):
        headers.append((draw(_cases("Content-Type")), draw(media_types)))
    session = draw(st.sampled_from(SESSIONS) if draw(st.integers(0, 9)) else st.sampled_from(BAD_SESSIONS))
    if session is not None:
        headers.append((draw(_cases("X-Mock-Session")), session))
    for name, values in [("Idempotency-Key", header_values), ("Origin", st.sampled_from(
            ["https://evil.example", "null", "http://127.0.0.1"])), ("Prefer", st.sampled_from(
            ["code=200", "code=429", "code=400", "code=404", "example=docs", "code=abc", "code=201, example=x"])),
            ("Accept", media_types), ("X-Mock-Control-Token", header_values), ("Cookie", st.just("k=YOUR_API_KEY")),
            ("X-Api-Key", st.sampled_from(KEYS)), ("Proxy-Authorization", st.just("Bearer YOUR_API_KEY"))]:
        if draw(st.integers(0, 7)) == 0:
            headers.append((name, draw(values)))
    headers += draw(st.lists(st.tuples(st.text("abcdefghijklmnopqrstuvwxyz-_.!#$%&'*+^`|~0123456789é", min_size=1,
                                               max_size=20), header_values), max_size=2))
    if draw(st.integers(0, 40)) == 0:
        headers.append(("X-Big", "b" * draw(st.sampled_from([8000, 17000, 70000]))))
    return headers


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4), max_leaves=12)
DOCS_BODIES = [
    {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "Raj Patel",
     "contact_email": "raj@company.com", "additional_info": {"company": "Acme Corp"}},
    {"status": "CLOSED", "max_slots": 5}, {"date_from": "2026-06-15", "date_to": "2026-06-16"},
    {"now": "2026-06-15T03:00:00Z", "frozen": True}, {"seconds": 3600}, {"status": "completed"},
    {"operation_id": "getCall", "status": 404}, {"directory": "/etc"}, {"calendar_id": "cal_1"},
]


@st.composite
def mutated_docs_bodies(draw) -> object:
    body = dict(draw(st.sampled_from(DOCS_BODIES)))
    for _ in range(draw(st.integers(0, 2))):
        body[draw(st.sampled_from(list(body) + ["extra", "\ud800"]))] = draw(json_values)
    return body


def _dumps(value: object, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    st.just(b""),
    st.builds(_dumps, json_values | mutated_docs_bodies(), st.booleans()),
    st.lists(st.tuples(st.sampled_from(["a", "agent_id", "status", "\\ud800"]), json_values), max_size=4).map(
        lambda pairs: ("{" + ",".join(f'"{k}":{json.dumps(v)}' for k, v in pairs) + "}").encode()),  # duplicate keys
    st.sampled_from([100, 1000, 100_000]).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([100, 5000]).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b"1" * 5000, b'{"seconds": 1e400}', b'{"seconds": -0}', b"NaN", b'{"a": Infinity}',
                     b'{"max_slots": 123456789012345678901234567890}', b"\xef\xbb\xbf{}", b'{"a":"\xff"}',
                     b'{"a":"\xed\xa0\x80"}', b"{} x", b"{,}", b"  ", b'"just a string"', b"null"]),
    st.binary(max_size=200),
)


# Documented and control operations as a client would send them, so that the campaign also
# reaches the handlers and the stores, not only the validators; then one hostile change or none.
PLAUSIBLE = [
    ("POST", "/v1/calls", DOCS_BODIES[0]), ("GET", "/v1/calls/{call}", None), ("POST", "/v1/calls/{call}/cancel", None),
    ("DELETE", "/v1/calls/{call}", None), ("GET", "/v1/appointment-slots/availability?date=2026-06-15", None),
    ("GET", "/v1/appointment-slots/availability?date=2026-06-15&session=Morning&branch_id=branch_uuid_here", None),
    ("GET", "/v1/appointment-slots/schedule-tracking?date_from=2026-06-15&date_to=2026-06-21", None),
    ("PATCH", f"/v1/appointment-slots/tracking/{CAL}||2026-06-15||{APPT}", {"status": "CLOSED", "max_slots": 5}),
    ("PATCH", f"/v1/appointment-slots/tracking/{CAL}||2026-06-15||{APPT}", {"status": "OPEN"}),
    ("POST", "/v1/appointment-slots/regenerate", {"date_from": "2026-06-15", "date_to": "2026-06-16"}),
    ("POST", "/_mock/clock/advance", {"seconds": 200}), ("PUT", "/_mock/clock", {"frozen": False}),
    ("POST", "/_mock/calls/{call}/transition", {"status": "completed"}),
    ("POST", "/_mock/calls", {"call_id": "{call}", "agent_id": "agent_9", "contact_number": "+919876543210"}),
    ("POST", "/_mock/seed/appointments", {"calendar_id": CAL, "date": "2026-06-15", "appointment_type_id": APPT,
                                          "status": "confirmed", "count": 2}),
    ("GET", "/_mock/state", None), ("GET", "/_mock/calls", None), ("GET", "/_mock/journal?limit=5", None),
    ("DELETE", "/_mock/journal", None), ("GET", "/_mock/sessions", None), ("POST", "/_mock/reset", None),
]


def _fill(value: object, call: str) -> object:
    if isinstance(value, dict):
        return {k: _fill(v, call) for k, v in value.items()}
    return call if value == "{call}" else value


@st.composite
def plausible_requests(draw) -> SimpleNamespace:
    method, target, body = draw(st.sampled_from(PLAUSIBLE))
    call = draw(st.sampled_from(KNOWN_CALLS))
    target, body = target.replace("{call}", call), _fill(body, call)
    headers = [("Authorization", "Bearer YOUR_API_KEY"), ("Idempotency-Key", draw(st.sampled_from(["k1", "k2", "k3"])))]
    session = draw(st.sampled_from(SESSIONS))
    if session is not None:
        headers.append(("X-Mock-Session", session))
    data = b"" if body is None else json.dumps(body).encode()
    media, framing = "application/json", "length"
    change = draw(st.sampled_from(["none", "none", "media", "surrogate", "duplicate", "nested", "number",
                                   "framing", "method", "header"]))
    if change == "media":
        media = draw(media_types)
    elif change == "surrogate" and isinstance(body, dict):
        key = draw(st.sampled_from(sorted(body)))
        where = draw(st.sampled_from(["key", "value"]))
        mutated = {(k + "\ud800" if where == "key" and k == key else k): v for k, v in body.items()}
        if where == "value":
            mutated[key] = f"{mutated[key]}\udc00"
        data = json.dumps(mutated).encode()  # ASCII: the lone surrogate goes as an escape
    elif change == "duplicate" and isinstance(body, dict):
        key = draw(st.sampled_from(sorted(body)))
        data = data[:-1] + f', "{key}": {json.dumps(draw(json_values))}}}'.encode()
    elif change == "nested" and isinstance(body, dict):
        depth = draw(st.sampled_from([50, 2000, 50_000]))
        key = draw(st.sampled_from(sorted(body)))
        data = json.dumps({**body, key: "@"}).encode().replace(b'"@"', b"[" * depth + b"]" * depth)
    elif change == "number" and isinstance(body, dict):
        key = draw(st.sampled_from(sorted(body)))
        number = draw(st.sampled_from([b"1e400", b"-1e400", b"1" * 5000, b"12345678901234567890", b"-0", b"0.5e-400"]))
        data = json.dumps({**body, key: "@"}).encode().replace(b'"@"', number)
    elif change == "framing":
        framing = draw(st.sampled_from(["none", "cut", "chunked", "short"]))
    elif change == "method":
        method = draw(st.sampled_from(["PUT", "OPTIONS", "TRACE", method.lower(), "HEAD"]))
    elif change == "header":
        headers.append(draw(st.tuples(st.sampled_from(["Authorization", "X-Mock-Session", "Content-Length", "Host",
                                                       "Transfer-Encoding", "Expect", "Idempotency-Key"]), header_values)))
    if data:
        headers.append(("Content-Type", media))
    return SimpleNamespace(method=method, target=target, headers=headers, body=data, framing=framing)


@st.composite
def random_requests(draw) -> SimpleNamespace:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "get",
                                   "FOO", "POST", "GET", "PATCH"]))
    body = draw(bodies) if draw(st.integers(0, 3)) else b""
    framing = draw(st.sampled_from(["length"] * 6 + ["none", "cut", "chunked", "short"]))
    return SimpleNamespace(method=method, target=draw(targets()), headers=draw(header_lists()), body=body,
                           framing=framing)


# ── sending one, reading the answer ───────────────────────────────────────
def encode(request: SimpleNamespace, port: int) -> tuple[bytes, bool]:
    """The request's bytes, and whether the client stops sending before the body is whole."""
    lines = [f"{request.method} {request.target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    body, cut = request.body, False
    if request.framing == "length":
        lines.append(f"Content-Length: {len(body)}")
    elif request.framing == "cut":
        lines.append(f"Content-Length: {len(body) + 100}")
        cut = True
    elif request.framing == "short" and body:
        lines.append(f"Content-Length: {len(body) // 2}")
    elif request.framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        body = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    head = "\r\n".join(lines).encode("utf-8", "surrogatepass") + b"\r\n\r\n"
    return head + body, cut


def exchange(port: int, data: bytes, cut: bool, method: str) -> http.client.HTTPResponse | None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (431, 400) and close before reading everything
        if cut:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # already closed by the server
        response = http.client.HTTPResponse(sock, method="HEAD" if method == "HEAD" else "GET")
        try:
            response.begin()
            response.body = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return None
        return response
    finally:
        sock.close()


def served_port(request: SimpleNamespace) -> int:
    return request.port


def session_of(request: SimpleNamespace) -> str | None:
    values = [v for n, v in request.headers if n.lower() == "x-mock-session"]
    return values[0] if values else None


def describe(request: SimpleNamespace) -> str:
    return (f"{request.method} {request.target[:120]!r} {request.headers!r:.300} body {request.body[:120]!r} "
            f"({len(request.body)} bytes, framing {request.framing})")


def check(request: SimpleNamespace, response: http.client.HTTPResponse | None, cut: bool, canaries) -> None:
    where = describe(request)
    if response is None:
        COUNT["no answer"] += 1
        assert cut, f"no answer at all to a whole request: {where}"
        return
    STATUSES[response.status] = STATUSES.get(response.status, 0) + 1
    asked = any(n.lower() == "prefer" and re.search(r"code=5\d\d", v) for n, v in request.headers)
    assert response.status < 500 or asked, f"{response.status} {response.body[:300]!r}\n  to {where}"
    path = request.target.split("?")[0]
    if PAGES.match(path) and request.method in ("GET", "HEAD") and response.status < 400:
        return  # the Swagger UI's own pages, its copy of the spec, the index page
    if request.method == "HEAD" or response.status in (204, 304):
        return
    if is_server_refusal(response.status, {k.lower(): v for k, v in response.getheaders()}, response.body):
        COUNT["refused by the server"] += 1  # D-unparsable-http: before the app, bodiless, closed
        return
    if response.status in (307, 308) and not response.body:
        # Starlette's slash redirect (/v1 -> /v1/, /v1/calls/ -> /v1/calls): no body to be JSON
        location = urlsplit(response.getheader("location") or "")
        assert location.netloc in ("", f"127.0.0.1:{served_port(request)}") and location.path.rstrip("/") == \
            unquote(path).rstrip("/"), f"redirect to {location!r}: {where}"
        return
    media = (response.getheader("content-type") or "").split(";")[0].strip()
    assert media == "application/json", f"{response.status} {media!r} {response.body[:200]!r}\n  to {where}"
    body = json.loads(response.body)
    if response.status >= 400:
        schema = ERROR["/_mock" if path.startswith("/_mock") else "/v1"]  # the control API's codes are its own
        errors = [e.message for e in schema.iter_errors(body)]
        assert not errors, f"{response.status} not the envelope ({errors[0]}): {response.body[:300]!r}\n  to {where}"
    session = session_of(request)
    for canary, visible in canaries.items():
        if canary.encode() in response.body:
            assert visible(session, path), f"another session's data ({canary}) in the answer to {where}"


# ── the campaign ──────────────────────────────────────────────────────────
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    args = cli.parser().parse_args(["--port", str(free_port()), "--log-level", "critical"])
    serving = cli.build(args)
    assert serving.app.speedups_, "the campaign runs on what the CLI serves: the speed-ups on"
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    port = args.port
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield SimpleNamespace(port=port, app=serving.app)
    serving.stop()
    thread.join(10)


def plant(port: int, session: str | None, name: str) -> None:
    """A call (and so a journal entry) whose contact name is the canary."""
    body = json.dumps({"agent_id": "agent_1", "contact_number": "+919876543210", "contact_name": name}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/v1/calls", body=body, headers={
        "Authorization": "Bearer YOUR_API_KEY", "Content-Type": "application/json",
        **({"X-Mock-Session": session} if session else {})})
    assert conn.getresponse().status == 201
    conn.close()


def seed_known_calls(port: int) -> None:
    """The calls plausible requests name, in every session the campaign uses."""
    for session in (None, "jobA", "jobB"):
        for call_id in KNOWN_CALLS:
            body = json.dumps({"call_id": call_id, "agent_id": "agent_1", "contact_number": "+919876543210",
                               "status": "completed" if call_id.endswith(("4", "5")) else "scheduled"}).encode()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/_mock/calls", body=body, headers={
                "Content-Type": "application/json", **({"X-Mock-Session": session} if session else {})})
            conn.getresponse().read()
            conn.close()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # the repr of a 70 kB header
def test_hostile_raw_http_never_breaks_the_mock_or_crosses_sessions(served):
    """README: bad input gets a clear 4xx JSON error, never a 500, and sessions do not see each other."""
    in_session, in_default = "CANARY-IN-SESSION-7f3a9c", "CANARY-IN-DEFAULT-51e0d2"
    canaries = {
        # the operator's journal (no X-Mock-Session) reads every session's entries
        in_session: lambda session, path: session is None and path.startswith("/_mock/journal"),
        in_default: lambda session, path: session is None,
    }

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(request=st.one_of(random_requests(), plausible_requests()))
    def campaign(request):
        if COUNT["requests"] % 250 == 0:  # resets and imports may have removed them
            plant(served.port, CANARY_SESSION, in_session)
            plant(served.port, None, in_default)
            seed_known_calls(served.port)
        request.port = served.port
        data, cut = encode(request, served.port)
        COUNT["requests"] += 1
        try:
            response = exchange(served.port, data, cut, request.method)
        except TimeoutError:
            raise AssertionError(f"no answer in 30 s to {describe(request)}") from None
        check(request, response, cut, canaries)
        if request.target.startswith("/_mock/faults"):
            for session in (None, "jobA", "jobB"):  # a fault set by the campaign would answer 5xx on purpose
                conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
                conn.request("DELETE", "/_mock/faults", headers={"X-Mock-Session": session} if session else {})
                conn.getresponse().read()
                conn.close()

    campaign()
    states = served.app.sessions_.all_states()
    for state in states:
        assert not state.slots.consistency_errors()
        exported = state.export()
        state.import_(json.loads(json.dumps(exported)))
        again = state.export()
        assert {**again, "clock": None} == {**exported, "clock": None}  # the clock runs on meanwhile
    print(f"\nraw HTTP fuzz: {COUNT['requests']:,} requests (seed {SEED}), {COUNT['no answer']} cut short "
          f"without an answer, {COUNT['refused by the server']} refused by the server, {len(states)} states consistent, 0 failures\n  statuses: "
          + ", ".join(f"{status}: {count}" for status, count in sorted(STATUSES.items())))


# ── the checks themselves catch what they are for ─────────────────────────
def answer(status: int, body: bytes, media: str = "application/json", location: str = "", **more: str) -> SimpleNamespace:
    headers = {"content-type": media, "location": location, "content-length": str(len(body)),
               **{name.replace("_", "-"): value for name, value in more.items()}}
    return SimpleNamespace(status=status, body=body, getheader=lambda name: headers.get(name.lower()) or None,
                           getheaders=lambda: [(name, value) for name, value in headers.items() if value])


ENVELOPE = b'{"success": false, "error": {"code": "NOT_FOUND", "message": "Call not found"}}'
CANARIES = {"CANARY-X": lambda session, path: session is None}


def sent(target: str = "/v1/calls/x", method: str = "GET", session: str | None = None) -> SimpleNamespace:
    headers = [("X-Mock-Session", session)] if session else []
    return SimpleNamespace(method=method, target=target, headers=headers, body=b"", framing="length", port=1)


@pytest.mark.parametrize("request_, response", [
    (sent(), answer(500, b'{"success": false, "error": {"code": "INTERNAL_ERROR", "message": "x"}}')),
    (sent(), answer(404, b"<html>Not Found</html>", "text/html")),
    (sent(), answer(400, b'{"detail": "bad"}')),
    (sent(), answer(400, b'{"success": false, "error": {"code": "SOMETHING_ELSE", "message": "x"}}')),
    (sent(session="jobA"), answer(200, b'{"data": [{"contact_name": "CANARY-X"}]}')),
    (sent(), answer(307, b"", location="https://evil.example/v1/calls/x")),
    (sent(), None),
    (sent(), answer(400, b"", "")),  # bodiless, connection kept: not the server's refusal, and no envelope
    (sent(), answer(502, b"", "", connection="close")),  # a refusal's shape with a status no server refuses with
], ids=["5xx", "html", "not-the-envelope", "undocumented-code", "other-session", "redirect-away", "no-answer",
        "bodiless-400-kept-open", "bodiless-502-closed"])
def test_the_raw_fuzz_checks_catch_a_broken_answer(request_, response):
    """Each invariant of the campaign fails on the answer it exists to catch."""
    with pytest.raises(AssertionError):
        check(request_, response, False, CANARIES)


@pytest.mark.parametrize("request_, response", [
    (sent(), answer(404, ENVELOPE)),
    (sent("/v1/ui/"), answer(200, b"<html>Swagger UI</html>", "text/html")),
    (sent("/v1/calls/"), answer(307, b"", location="http://127.0.0.1:1/v1/calls")),
    (sent(), answer(200, b'{"data": [{"contact_name": "CANARY-X"}]}')),  # its own session's data
    (sent(method="HEAD"), answer(404, b"")),
    (sent(), answer(400, b"", "", connection="close")),  # D-unparsable-http: the server's own refusal
    (sent(), answer(431, b"", "", connection="close")),
], ids=["envelope", "swagger-page", "slash-redirect", "own-data", "head", "server-400", "server-431"])
def test_the_raw_fuzz_checks_pass_a_good_answer(request_, response):
    check(request_, response, False, CANARIES)
