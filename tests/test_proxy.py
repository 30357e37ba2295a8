"""Issue 15: `huskyvoice-mock --proxy UPSTREAM`, the validating proxy (mock_server/proxy.py).
It forwards as sent, answers as answered, and names the clauses an exchange breaks; it never
breaks itself when the upstream is down, slow or not HTTP."""
from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest

from mock_server.app import create_app
from mock_server.proxy import VIOLATIONS_HEADER, create_proxy
from mock_server.state import Settings, State

from conftest import DOCS_KEY, auth_header, call_body
from docs_examples import DOCS_TRACKING_RECORD

UPSTREAM = "http://upstream.test/v1"


def proxy_client(upstream_app, *, strict: bool = False, base: str = UPSTREAM, **kw):
    app = create_proxy(base, strict=strict, transport=httpx.ASGITransport(app=upstream_app), **kw)
    return app, app.test_client()


@pytest.fixture
def upstream():
    """The bundled mock, standing in for the real API."""
    return create_app(State(Settings()), validate_responses=True)


def docs_flows(client) -> list:
    """The docs' own example flows, each answer kept."""
    answers = []
    created = client.post("/v1/calls", json=call_body(), headers={**auth_header(), "Idempotency-Key": "docs-1"})
    answers.append(created)
    call_id = created.json()["data"]["call_id"]
    answers.append(client.post("/v1/calls", json=call_body(), headers={**auth_header(), "Idempotency-Key": "docs-1"}))
    answers.append(client.get(f"/v1/calls/{call_id}", headers=auth_header()))
    answers.append(client.post(f"/v1/calls/{call_id}/cancel", headers=auth_header()))
    answers.append(client.get(f"/v1/calls/{call_id}", headers=auth_header()))
    answers.append(client.get("/v1/calls/00000000-0000-4000-8000-000000000999", headers=auth_header()))
    answers.append(client.get("/v1/appointment-slots/availability", params={"date": "2026-06-15"}, headers=auth_header()))
    answers.append(client.get("/v1/appointment-slots/availability",
                              params={"date": "2026-06-15", "session": "Morning"}, headers=auth_header()))
    answers.append(client.get("/v1/appointment-slots/schedule-tracking",
                              params={"date_from": "2026-06-15", "date_to": "2026-06-21"}, headers=auth_header()))
    answers.append(client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_RECORD['slot_id']}",
                                json={"max_slots": 25}, headers=auth_header()))
    answers.append(client.get("/v1/appointment-slots/schedule-tracking",
                              params={"date_from": "2026-06-15"}, headers=auth_header()))
    answers.append(client.post("/v1/appointment-slots/regenerate", json={"date_from": "2026-06-15"},
                               headers=auth_header()))
    answers.append(client.get("/v1/appointment-slots/availability", params={"date": "2026-06-15"}))  # no key: 401
    return answers


def test_the_docs_flows_through_the_proxy_answer_as_the_upstream_does_with_no_violation(upstream):
    """Issue 15: "returns the upstream's answer unchanged"; a correct server gets 0 violations."""
    direct = docs_flows(create_app(State(Settings()), validate_responses=True).test_client())
    app, client = proxy_client(upstream)
    proxied = docs_flows(client)
    for one, other in zip(direct, proxied):
        assert one.status_code == other.status_code, (one.request.url, other.text)
        assert VIOLATIONS_HEADER.lower() not in other.headers, (other.request.url, other.headers[VIOLATIONS_HEADER])
        if one.status_code < 300 and "call_id" not in one.text:
            assert one.json() == other.json(), one.request.url
    listed = client.get("/_mock/violations").json()
    assert listed == {"total": 0, "data": []}, listed
    assert client.get("/_mock/health").json()["exchanges"] == len(proxied)


async def _cancel_that_does_not_cancel(scope, receive, send):
    """A broken upstream: cancel answers 200 but the call is still scheduled."""
    if scope["type"] != "http":
        return
    body = json.dumps({"data": {"call_id": "c1", "status": "scheduled"}}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def test_a_broken_answer_is_returned_with_the_clause_it_breaks():
    """Issue 15: "plus one header, X-Contract-Violations: <clause id>", and GET /_mock/violations lists it."""
    app, client = proxy_client(_cancel_that_does_not_cancel)
    response = client.post("/v1/calls/c1/cancel", headers=auth_header())
    assert response.status_code == 200 and response.json()["data"]["status"] == "scheduled"  # unchanged
    clauses = [c.strip() for c in response.headers[VIOLATIONS_HEADER].split(",")]
    assert clauses
    listed = client.get("/_mock/violations").json()
    assert listed["total"] >= 1 and {v["clause"] for v in listed["data"]} == set(clauses)
    violation = listed["data"][0]
    assert violation["quote"] and violation["status"] == 200 and "scheduled" in violation["response"]
    assert "/calls/c1/cancel" in violation["request"] and violation["request"].startswith("curl")
    assert DOCS_KEY not in json.dumps(listed), "a key in the violations"
    journal = client.get("/_mock/journal").json()["data"]
    assert journal[0]["path"] == "/v1/calls/c1/cancel" and journal[0]["violations"] == clauses
    assert client.delete("/_mock/violations").json()["cleared"] == listed["total"]
    assert client.get("/_mock/violations").json() == {"total": 0, "data": []}


def test_strict_answers_502_with_the_violations_instead():
    """Issue 15: "--strict answers 502 with the envelope listing the violations instead"."""
    app, client = proxy_client(_cancel_that_does_not_cancel, strict=True)
    response = client.post("/v1/calls/c1/cancel", headers=auth_header())
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "CONTRACT_VIOLATION" and error["violations"] and all(v["clause"] for v in error["violations"])


def test_the_request_goes_upstream_as_sent():
    """Issue 15: "It forwards every /v1/... request as sent: method, path, query, headers … body"."""
    seen = {}

    async def echo(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.update(method=scope["method"], path=scope["path"], query=scope["query_string"],
                    headers=dict(scope["headers"]), body=body)
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json"), (b"x-upstream", b"yes")]})
        await send({"type": "http.response.body", "body": b'{"success": false, "error": {"code": "NOT_FOUND"}}'})

    app, client = proxy_client(echo)
    response = client.patch("/v1/appointment-slots/tracking/a%7C%7Cb?x=1&x=2", content=b'{"max_slots": 3}',
                            headers={**auth_header(), "Content-Type": "application/json", "X-Custom": "kept"})
    assert (seen["method"], seen["path"], seen["query"]) == ("PATCH", "/v1/appointment-slots/tracking/a||b", b"x=1&x=2")
    assert seen["headers"][b"authorization"] == f"Bearer {DOCS_KEY}".encode()
    assert seen["headers"][b"x-custom"] == b"kept" and seen["body"] == b'{"max_slots": 3}'
    sent = {k.lower(): v for k, v in response.request.headers.items()}
    added = {k.decode() for k in seen["headers"]} - set(sent) - {"host", "content-length", "connection"}
    assert not added, f"the proxy added {added}"
    assert seen["headers"][b"user-agent"].decode() == sent["user-agent"], "not the client's User-Agent"
    assert response.status_code == 404 and response.headers["x-upstream"] == "yes"


def _serve_once(handler) -> tuple[int, threading.Thread]:
    """A socket server on loopback whose one connection `handler` treats as it likes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def run():
        with server:
            server.settimeout(10)
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                handler(conn)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], thread


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["down", "slow", "garbage", "cut-short"])
def test_an_upstream_down_slow_or_not_http_gets_502_or_504_and_the_proxy_stays_up(kind):
    """Issue 15: "Upstream unreachable or timing out: 502 or 504 with the envelope", and the proxy stays up."""
    def slow(conn):
        conn.recv(65536)
        threading.Event().wait(3)

    def garbage(conn):
        conn.recv(65536)
        conn.sendall(b"this is not HTTP\r\n\r\n")

    def cut_short(conn):
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":")
    if kind == "down":
        port = _closed_port()
    else:
        port, _ = _serve_once({"slow": slow, "garbage": garbage, "cut-short": cut_short}[kind])
    app = create_proxy(f"http://127.0.0.1:{port}/v1", timeout=0.5)
    client = app.test_client()
    response = client.get("/v1/calls/c1", headers=auth_header())
    expected = {"down": (502, "UPSTREAM_UNREACHABLE"), "slow": (504, "UPSTREAM_TIMEOUT"),
                "garbage": (502, "UPSTREAM_UNREACHABLE"), "cut-short": (502, "UPSTREAM_UNREACHABLE")}[kind]
    assert (response.status_code, response.json()["error"]["code"]) == expected, response.text
    assert DOCS_KEY not in response.text
    assert client.get("/_mock/health").status_code == 200


def test_the_proxys_control_api_takes_a_token_when_given_one():
    """Issue 15: "The proxy's control API stays loopback-only unless a control token is given"."""
    app = create_proxy(UPSTREAM, control_token="s3cret", transport=httpx.ASGITransport(app=_cancel_that_does_not_cancel))
    client = app.test_client()
    assert client.get("/_mock/violations").status_code == 401
    assert client.get("/_mock/violations", headers={"X-Mock-Control-Token": "s3cret"}).status_code == 200


def test_an_unknown_control_path_and_a_bad_limit_are_4xx_envelopes():
    app, client = proxy_client(_cancel_that_does_not_cancel)
    for response, status in ((client.get("/_mock/nope"), 404), (client.get("/_mock/violations?limit=0"), 400)):
        assert response.status_code == status and response.json()["success"] is False, response.text


def test_the_docs_snippets_through_the_cli_proxy_to_the_bundled_mock_raise_no_violation(tmp_path):
    """Issue 15: "The proxy in front of the bundled mock while the docs' own snippets … run through it: 0 violations"."""
    import urllib.request

    from conftest import running_mock
    from test_docs_snippets import SNIPPET_FILES, run_snippet

    with running_mock() as upstream, running_mock("--proxy", upstream) as proxied:
        for name in SNIPPET_FILES:
            run_snippet(name, proxied, tmp_path)
        control = proxied.removesuffix("/v1") + "/_mock"
        health = json.loads(urllib.request.urlopen(f"{control}/health", timeout=10).read())
        listed = json.loads(urllib.request.urlopen(f"{control}/violations", timeout=10).read())
    assert health["upstream"] == upstream and health["exchanges"] >= len(SNIPPET_FILES), health
    assert listed == {"total": 0, "data": []}, json.dumps(listed, indent=1)[:3000]


@pytest.mark.parametrize("argv, says", [
    (["--proxy", "api.huskyvoice.ai/v1"], "--proxy takes the upstream's base URL"),
    (["--proxy", "http://127.0.0.1:9/v1", "--keys", "/nonexistent/keys.yaml"], "does not exist"),
])
def test_the_cli_refuses_a_proxy_it_cannot_run_with_one_sentence(argv, says, capsys):
    from mock_server import cli
    assert cli.main(argv) == 2
    assert says in capsys.readouterr().err


def test_a_recording_replays_to_the_same_verdicts_with_no_key_in_it(tmp_path, upstream):
    """Issue 15: "A HAR recorded through the proxy replays to the same verdicts with --cassette"; keys masked."""
    from contract_tests import cassette
    from contract_tests.run import main as contract_main

    good, bad = tmp_path / "good.har", tmp_path / "bad.har"
    app = create_proxy(UPSTREAM, record=good, mask_pii=True, transport=httpx.ASGITransport(app=upstream))
    with app.test_client() as client:  # the lifespan closes the file
        answers = docs_flows(client)
        live = client.get("/_mock/violations").json()["total"]
    app = create_proxy(UPSTREAM, record=bad, transport=httpx.ASGITransport(app=_cancel_that_does_not_cancel))
    with app.test_client() as client:
        response = client.post("/v1/calls/c1/cancel", headers=auth_header())
        live_bad = [c.strip() for c in response.headers[VIOLATIONS_HEADER].split(",")]
    for recording in (good, bad):
        text = recording.read_text()
        assert DOCS_KEY not in text and "masked-key-1" in text
        json.loads(text)  # a whole HAR document
    assert "+919876543210" not in good.read_text(), "--mask-pii left a contact number"
    exchanges, found = cassette.replay(good)
    assert (len(exchanges), found, live) == (len(answers), [], 0)
    exchanges, found = cassette.replay(bad)
    assert list(dict.fromkeys(v.clause for v in found[0][1])) == live_bad
    assert contract_main(["--cassette", str(good), "--report-dir", str(tmp_path / "r")]) == 0
    report = (tmp_path / "r" / "conformance.md").read_text()
    assert "0 fail" in report and "| [AVAIL-ARITHMETIC](#avail-arithmetic) | passed |" in report
    assert "| [AVAIL-FILLED](#avail-filled) | skipped |" in report
    assert contract_main(["--cassette", str(bad), "--report-dir", str(tmp_path / "r")]) == 1
    report = (tmp_path / "r" / "conformance.md").read_text()
    assert f"| [{live_bad[0]}](#{live_bad[0].lower()}) | failed |" in report
    assert "no exchange of getAvailability recorded" in report


def test_a_path_with_escapes_goes_upstream_as_sent():
    """Found by the contract suite through the proxy: a call id holding %23 (#) or %08 was decoded and
    sent on broken (a 500). The path goes on with its escapes, as it came."""
    seen = {}

    async def echo(scope, receive, send):
        if scope["type"] != "http":
            return
        seen["raw_path"] = scope.get("raw_path")
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"success": false, "error": {"code": "NOT_FOUND"}}'})

    app, client = proxy_client(echo)
    response = client.get("/v1/calls/a%23b%08c%C2%B1", headers=auth_header())
    assert response.status_code == 404, response.text
    assert seen["raw_path"] == b"/v1/calls/a%23b%08c%C2%B1"


def test_the_whole_contract_suite_through_the_cli_proxy_raises_no_violation(tmp_path):
    """Issue 15: "The proxy in front of the bundled mock while … the whole contract suite run through it:
    0 violations". The suite runs as against a foreign server (ALLOW_WRITES, the fixtures' keys)."""
    import os
    import subprocess
    import sys
    import urllib.request

    from conftest import ROOT, running_mock

    env = {**os.environ, "ALLOW_WRITES": "1", "TEST_CONTACT_NUMBER": "+919876543210", "DOCS_EXAMPLES": "1",
           "RATE_LIMIT_PROBE": "10"}
    for name in ("TARGET", "HUSKYVOICE_BUNDLED_MOCK", "KEYS", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    with running_mock() as upstream, running_mock("--proxy", upstream) as proxied:
        done = subprocess.run([sys.executable, "-m", "contract_tests.run", "--target", proxied, "--keys",
                               str(ROOT / "fixtures" / "api_keys.yaml"), "--seed", "1", "--report-dir",
                               str(tmp_path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        control = proxied.removesuffix("/v1") + "/_mock"
        listed = json.loads(urllib.request.urlopen(f"{control}/violations", timeout=10).read())
        health = json.loads(urllib.request.urlopen(f"{control}/health", timeout=10).read())
    assert done.returncode == 0, done.stdout[-4000:]
    assert health["exchanges"] > 500, health
    assert listed == {"total": 0, "data": []}, json.dumps(listed, indent=1)[:3000]


def test_bodies_over_the_mocks_limit_are_streamed_through_not_refused():
    """Issue 15: "Bodies over the mock's limit are streamed, not rejected" (both ways; they go unchecked)."""
    big = b"x" * (3 * 1024 * 1024)

    async def sizes(scope, receive, send):
        if scope["type"] != "http":
            return
        received = 0
        while True:
            message = await receive()
            received += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain"), (b"x-received", str(received).encode())]})
        for start in range(0, len(big), 65536):
            await send({"type": "http.response.body", "body": big[start:start + 65536], "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    app, client = proxy_client(sizes)
    response = client.post("/v1/calls", content=big[:2 * 1024 * 1024 + 5],
                           headers={**auth_header(), "Content-Type": "application/json"})
    assert response.status_code == 413 and response.headers["x-received"] == str(2 * 1024 * 1024 + 5)
    assert len(response.content) == len(big)
    assert client.get("/_mock/health").json()["exchanges"] == 0, "an exchange it could not read whole was checked"


def test_a_summary_line_comes_only_while_violations_are_new():
    """Issue 15: "A summary line goes to the log every minute while violations are new"."""
    from contract_tests.exchange_checks import Violation
    from mock_server.proxy import Violations
    seen = Violations()
    assert seen.summary() is None
    seen.add([Violation("CALLS-CANCEL", "x"), Violation("CALLS-CANCEL", "y"), Violation("AUTH-401", "z")],
             request="curl …", status=200, response=b"{}")
    line = seen.summary()
    assert line.startswith("3 new contract violations") and "CALLS-CANCEL ×2" in line and "AUTH-401 ×1" in line
    assert seen.summary() is None


@pytest.mark.parametrize("insecure", [False, True], ids=["verified", "insecure"])
def test_the_upstreams_certificate_is_verified_unless_insecure(tmp_path, insecure):
    """Issue 15: "TLS certificates are verified unless --insecure is given" (a self-signed upstream here)."""
    import shutil
    import ssl
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    body = b'{"success": false, "error": {"code": "NOT_FOUND", "message": "Call not found"}}'

    def answer(conn):
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
                            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        except (ssl.SSLError, OSError):
            pass  # the proxy refused the certificate
    port, _ = _serve_once(answer)
    client = create_proxy(f"https://127.0.0.1:{port}/v1", insecure=insecure, timeout=5).test_client()
    response = client.get("/v1/calls/c1", headers=auth_header())
    if insecure:
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    else:
        assert response.status_code == 502 and "certificate" in response.json()["error"]["message"].lower()


def test_nothing_is_added_to_what_the_client_sent():
    """Issue 15: "Nothing is added": no User-Agent, Accept or Accept-Encoding of the proxy's own HTTP client."""
    import asyncio
    seen = {}

    async def echo(scope, receive, send):
        if scope["type"] != "http":
            return
        seen.update(dict(scope["headers"]))
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"success": false, "error": {"code": "NOT_FOUND"}}'})

    app = create_proxy(UPSTREAM, transport=httpx.ASGITransport(app=echo))
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/v1/calls/c1", "raw_path": b"/v1/calls/c1", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"proxy.test"), (b"authorization", f"Bearer {DOCS_KEY}".encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 4010), "extensions": {}}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 404
    assert set(seen) - {b"host", b"connection", b"content-length"} == {b"authorization"}, seen
