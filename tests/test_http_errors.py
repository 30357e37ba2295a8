"""Errors at the edges of HTTP: routes, methods, media types, sizes, broken JSON,
odd headers. Every error is the one JSON envelope, and no bad request changes
what is stored."""
from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import SPEC_PATH, assert_error, auth_header, call_body
from refusals import is_server_refusal

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
JSON_CT = {"Content-Type": "application/json"}
DOCS_TRACKING_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479"
MIB = 1024 * 1024
CALL_ID = "550e8400-e29b-41d4-a716-446655440000"


def documented_methods(template: str) -> set[str]:
    item = SPEC["paths"][template]
    return {m.upper() for m in ("get", "put", "post", "delete", "patch", "head", "options", "trace") if m in item}


def allow_set(response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",") if m.strip()}


def assert_clean(response) -> None:
    """D-error-envelope: "application/json, never HTML or a traceback"."""
    text = response.text
    assert "Traceback" not in text and 'File "' not in text
    assert "<html" not in text.lower() and "<!doctype" not in text.lower()


CREATE_PREFIX = '{"agent_id": "agent_123", "contact_number": "+919876543210", "additional_info": '


# ── routes and methods ───────────────────────────────────────────────────────
@pytest.mark.parametrize("path", ["/nope", "/v1", "/v1/", "/v1/nope", "/v2/calls", "/v1/calls/x/y",
                                  "/v1/calls/x/cancel/now", "/v1/appointment-slots", "/v1/appointment-slots/tracking",
                                  "/V1/calls", "/v1/Calls", "/v1/calls/x/Cancel", "/v1/%00"])
@pytest.mark.parametrize("with_key", [True, False], ids=["key", "no-key"])
def test_unknown_route_is_404_json_envelope(client, path, with_key):
    """D-error-envelope: every error is {"success": false, "error": {...}}, 404 NOT_FOUND for no such path."""
    response = client.get(path, headers=auth_header() if with_key else {})
    assert_error(response, 404, "NOT_FOUND")
    assert_clean(response)


WRONG_METHODS = [
    ("PUT", "/v1/calls", "/calls"),
    ("GET", "/v1/calls", "/calls"),
    ("DELETE", "/v1/calls", "/calls"),
    ("GET", f"/v1/calls/{CALL_ID}/cancel", "/calls/{call_id}/cancel"),
    ("DELETE", f"/v1/calls/{CALL_ID}/cancel", "/calls/{call_id}/cancel"),
    ("POST", f"/v1/calls/{CALL_ID}", "/calls/{call_id}"),
    ("PUT", f"/v1/calls/{CALL_ID}", "/calls/{call_id}"),
    ("PATCH", f"/v1/calls/{CALL_ID}", "/calls/{call_id}"),
    ("POST", "/v1/appointment-slots/availability", "/appointment-slots/availability"),
    ("DELETE", "/v1/appointment-slots/schedule-tracking", "/appointment-slots/schedule-tracking"),
    ("GET", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", "/appointment-slots/tracking/{slot_id}"),
    ("PUT", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", "/appointment-slots/tracking/{slot_id}"),
    ("GET", "/v1/appointment-slots/regenerate", "/appointment-slots/regenerate"),
    ("OPTIONS", "/v1/calls", "/calls"),
    ("TRACE", "/v1/calls", "/calls"),
]


@pytest.mark.parametrize("method, path, template", WRONG_METHODS, ids=[f"{m} {t}" for m, _, t in WRONG_METHODS])
def test_wrong_method_is_405_with_allow_listing_the_documented_methods(client, method, path, template):
    """D-extra-statuses: "405 with an `Allow` header listing the documented methods" """
    response = client.request(method, path, headers=auth_header())
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert allow_set(response) == documented_methods(template)


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/v1/calls", {"POST"}),
    ("GET", f"/v1/calls/{CALL_ID}/cancel", {"POST"}),
    ("POST", f"/v1/calls/{CALL_ID}", {"GET", "DELETE"}),
], ids=["PUT calls", "GET cancel", "POST call"])
def test_allow_header_names_the_docs_methods(client, method, path, allowed):
    """The docs: POST /v1/calls; GET and DELETE /v1/calls/:call_id; POST /v1/calls/:call_id/cancel."""
    assert allow_set(client.request(method, path, headers=auth_header())) == allowed


def test_wrong_method_is_405_before_authentication(client):
    """D-validation-order: route (404/405) → auth (401) — a wrong method without a key is still 405."""
    assert_error(client.put("/v1/calls"), 405, "METHOD_NOT_ALLOWED")


def test_head_is_answered_like_get(client):
    """RFC 9110 §9.3.2: HEAD is GET without the body."""
    response = client.head("/v1/appointment-slots/availability", params={"date": "2026-06-15"}, headers=auth_header())
    assert response.status_code == 200
    assert response.content == b""


# ── media types and sizes ────────────────────────────────────────────────────
BODY_OPERATIONS = {
    "createCall": ("POST", "/v1/calls", call_body()),
    "updateTrackingRecord": ("PATCH", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", {"status": "CLOSED"}),
    "regenerateTracking": ("POST", "/v1/appointment-slots/regenerate", {"date_from": "2026-06-15"}),
}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          "multipart/form-data; boundary=x", "application/octet-stream",
                                          "application/merge-patch+json", "text/json"])
@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=list(BODY_OPERATIONS))
def test_body_that_is_not_application_json_is_415(client, state, operation, content_type):
    """D-extra-statuses: "415 for a body that is not application/json" """
    method, path, body = BODY_OPERATIONS[operation]
    response = client.request(method, path, content=json.dumps(body).encode(),
                              headers={**auth_header(), "Content-Type": content_type})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert len(state.calls) == 0


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=list(BODY_OPERATIONS))
def test_body_without_content_type_is_415(client, operation):
    """D-extra-statuses: 415 for a body that is not application/json (here: not declared at all)."""
    method, path, body = BODY_OPERATIONS[operation]
    response = client.request(method, path, content=json.dumps(body).encode(), headers=auth_header())
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_application_json_with_charset_is_accepted(client):
    """`Content-Type: application/json; charset=utf-8` is application/json."""
    response = client.post("/v1/calls", content=json.dumps(call_body()).encode(),
                           headers={**auth_header(), "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=list(BODY_OPERATIONS))
def test_body_over_1_mib_is_413(client, state, operation):
    """D-extra-statuses: "413 over 1 MiB" """
    method, path, _ = BODY_OPERATIONS[operation]
    padded = json.dumps({"agent_id": "agent_123", "pad": "x" * MIB}).encode()
    response = client.request(method, path, content=padded, headers={**auth_header(), **JSON_CT})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert len(state.calls) == 0


def _post_chunked(base: str, chunks) -> tuple[int, dict]:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.request("POST", "/v1/calls", body=chunks, encode_chunked=True,
                     headers={**auth_header(), **JSON_CT, "Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_live_chunked_body_over_1_mib_is_413(live_mock):
    """D-extra-statuses: 413 over 1 MiB — "by counting a chunked stream" when there is no Content-Length."""
    def chunks():
        yield b'{"agent_id": "agent_123", "pad": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'
    status, body = _post_chunked(live_mock, chunks())
    assert (status, body["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_live_chunked_create_call_is_201(live_mock):
    """RFC 9112 §7.1: a chunked body is a body — the docs' create sent in chunks schedules the call."""
    raw = json.dumps(call_body()).encode()
    status, body = _post_chunked(live_mock, iter([raw[:20], raw[20:]]))
    assert status == 201, body
    assert body["data"]["status"] == "scheduled"


def test_body_of_exactly_1_mib_is_not_413(client):
    """D-extra-statuses: 413 *over* 1 MiB — a body of exactly 1 MiB is read and validated (400 here)."""
    head = '{"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": "'
    body = (head + "x" * (MIB - len(head) - 2) + '"}').encode()
    assert len(body) == MIB
    assert_error(client.post("/v1/calls", content=body, headers={**auth_header(), **JSON_CT}), 400, "VALIDATION_ERROR")


def test_non_numeric_content_length_is_400(client):
    """RFC 9112 §6.3: an invalid Content-Length is unrecoverable framing: "the server MUST respond with a 400"."""
    response = client.post("/v1/calls", content=b"{}", headers={**auth_header(), **JSON_CT, "Content-Length": "abc"})
    assert_error(response, 400)


# ── broken JSON ──────────────────────────────────────────────────────────────
BROKEN_BODIES = {
    "latin-1": '{"agent_id": "agént", "contact_number": "+919876543210"}'.encode("latin-1"),
    "utf-16": json.dumps(call_body()).encode("utf-16"),
    "lone-continuation-byte": b'{"agent_id": "\x80", "contact_number": "+919876543210"}',
    "truncated": b'{"agent_id": "agent_123", "contact_number": ',
    "trailing-comma": b'{"agent_id": "agent_123", "contact_number": "+919876543210",}',
    "single-quotes": b"{'agent_id': 'agent_123', 'contact_number': '+919876543210'}",
    "trailing-garbage": json.dumps(call_body()).encode() + b" x",
    "two-documents": json.dumps(call_body()).encode() * 2,
    "comment": b'{"agent_id": "agent_123", // required\n "contact_number": "+919876543210"}',
    "bom": b"\xef\xbb\xbf" + json.dumps(call_body()).encode(),
    "empty": b"",
    "whitespace": b"   ",
    "NaN": (CREATE_PREFIX + '{"score": NaN}}').encode(),
    "Infinity": (CREATE_PREFIX + '{"score": Infinity}}').encode(),
    "-Infinity": (CREATE_PREFIX + '{"score": -Infinity}}').encode(),
    "deep-arrays": (CREATE_PREFIX + '{"x": ' + "[" * 10_000 + "]" * 10_000 + "}}").encode(),
    "deep-objects": (CREATE_PREFIX + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}").encode(),
    "deep-unclosed": (CREATE_PREFIX + "[" * 100_000).encode(),
    "huge-integer": (CREATE_PREFIX + '{"n": ' + "9" * 5000 + "}}").encode(),
}


@pytest.mark.parametrize("raw", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
def test_body_that_is_not_valid_utf8_json_is_400(client, state, raw):
    """"400 | Bad request — missing or invalid fields in the request body" — RFC 8259: JSON text is UTF-8."""
    response = client.post("/v1/calls", content=raw, headers={**auth_header(), **JSON_CT})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert_clean(response)
    assert len(state.calls) == 0


@pytest.mark.parametrize("raw", [BROKEN_BODIES[k] for k in ("latin-1", "truncated", "NaN", "deep-objects", "empty")],
                         ids=["latin-1", "truncated", "NaN", "deep-objects", "empty"])
@pytest.mark.parametrize("operation", ["updateTrackingRecord", "regenerateTracking"])
def test_broken_json_on_slots_writes_is_400(client, raw, operation):
    """"400 | VALIDATION_ERROR" — the slots writes read their bodies the same way."""
    method, path, _ = BODY_OPERATIONS[operation]
    response = client.request(method, path, content=raw, headers={**auth_header(), **JSON_CT})
    assert_error(response, 400, "VALIDATION_ERROR")


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_number_beyond_double_range_never_makes_the_mock_answer_invalid_json(client, number):
    """RFC 8259 §6: "Numeric values that cannot be represented … (such as Infinity and NaN) are not permitted." """
    raw = (CREATE_PREFIX + '{"n": ' + number + "}}").encode()
    response = client.post("/v1/calls", content=raw, headers={**auth_header(), **JSON_CT})
    if response.status_code == 201:
        read = client.get(f"/v1/calls/{response.json()['data']['call_id']}", headers=auth_header())
        _strict_json(read.text)
    else:
        assert_error(response, 400, "VALIDATION_ERROR")


# ── odd headers ──────────────────────────────────────────────────────────────
CONTROL_CHARACTER_HEADERS = {
    "auth-SOH": {"Authorization": "Bearer YOUR\x01API_KEY"},
    "auth-NUL": {"Authorization": "Bearer YOUR_API_KEY\x00"},
    "auth-DEL": {"Authorization": "Bearer YOUR_API_KEY\x7f"},
    "auth-ESC": {"Authorization": "\x1b[31mBearer YOUR_API_KEY"},
    "idempotency-SOH": {"Authorization": "Bearer YOUR_API_KEY", "Idempotency-Key": "a\x01b"},
    "other-header-BEL": {"Authorization": "Bearer YOUR_API_KEY", "X-Trace": "a\x07b"},
}


@pytest.mark.parametrize("headers", CONTROL_CHARACTER_HEADERS.values(), ids=CONTROL_CHARACTER_HEADERS.keys())
def test_header_with_control_character_reaching_the_app_is_4xx_envelope_or_success(client, state, headers):
    """D-error-envelope: whatever the app is handed, it answers within its contract — never 5xx."""
    response = client.post("/v1/calls", json=call_body(), headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_error(response, response.status_code)


def test_authorization_of_1_mb_is_431_without_the_key(client):
    """D-extra-statuses: a header block over 16 KiB is 431 before anything reads it, the key never echoed."""
    response = client.get(f"/v1/calls/{CALL_ID}", headers={"Authorization": "Bearer " + "A" * 1_000_000})
    assert_error(response, 431, "HEADERS_TOO_LARGE")
    assert "AAAAAAAAAA" not in response.text


def test_a_long_invalid_key_under_the_header_limit_is_401(client):
    """"401 | Unauthorized — missing or invalid API key" — however long the invalid key."""
    response = client.get(f"/v1/calls/{CALL_ID}", headers={"Authorization": "Bearer " + "A" * 15_000})
    assert_error(response, 401, "UNAUTHORIZED")
    assert "AAAAAAAAAA" not in response.text


def _raw_request(base: str, method: str, path: str, headers: list[tuple[str, bytes]], body: bytes = b""):
    """Send bytes as they are (http.client does not vet header values beyond CR/LF)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


class _RawAnswer:
    """A raw HTTP answer shaped like a requests response, for assert_error."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self._body = status, body
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self._body)


def assert_error_or_refused(answer: _RawAnswer, status: int, code: str) -> None:
    """The app's error envelope, or, for bytes the server cannot read as a request, the server's own
    bodiless refusal (D-unparsable-http); never a 5xx, HTML or a traceback."""
    if not is_server_refusal(answer.status_code, answer.headers, answer._body):
        assert_error(answer, status, code)
    assert answer.status_code == status, answer.status_code


@pytest.mark.parametrize("name, value", [
    ("Authorization", b"Bearer YOUR\x01API_KEY"),
    ("Authorization", b"Bearer YOUR_API_KEY\x00"),
    ("Authorization", b"Bearer YOUR_API_KEY\x7f"),
    ("Idempotency-Key", b"a\x1fb"),
    ("X-Trace", b"\x00\x01\x02"),
    ("Authorization", b"Bearer \xff\xfe"),
], ids=["auth-SOH", "auth-NUL", "auth-DEL", "idempotency-US", "other-NULs", "auth-non-ascii"])
def test_live_header_with_control_character_is_4xx_json_envelope_or_refused(live_mock, name, value):
    """D-error-envelope, D-unparsable-http: malformed header bytes get a 4xx in the envelope from the app,
    or, when the HTTP parser refuses them before the app sees them, the server's bodiless 400."""
    headers = [("Authorization", b"Bearer YOUR_API_KEY")] if name != "Authorization" else []
    answer = _RawAnswer(*_raw_request(live_mock, "POST", "/v1/calls",
                                      headers + [(name, value), ("Content-Type", b"application/json")],
                                      json.dumps(call_body()).encode()))
    assert 400 <= answer.status_code < 500, answer.text
    if not is_server_refusal(answer.status_code, answer.headers, answer._body):
        assert_error(answer, answer.status_code)


def _exchange(base: str, raw: bytes) -> list[_RawAnswer]:
    """Send `raw` in one write; every answer the server sends until it closes the connection."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    answers = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int({k.lower(): v for k, v in headers.items()}["content-length"])
        answers.append(_RawAnswer(int(lines[0].split()[1]), headers, data[:length]))
        data = data[length:]
    return answers


def _availability_request() -> bytes:
    return (b"GET /v1/appointment-slots/availability?date=2026-06-15 HTTP/1.1\r\nHost: mock\r\n"
            b"Authorization: Bearer YOUR_API_KEY\r\n\r\n")


_BROKEN_CHUNKED_POST = (b"POST /v1/calls HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer YOUR_API_KEY\r\n"
                        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n")


@pytest.mark.parametrize("raw", [
    b"NOT HTTP AT ALL\r\n\r\n",
    _BROKEN_CHUNKED_POST,
    b"POST /v1/calls HTTP/1.1\r\nHost: mock\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
], ids=["request-line", "chunk-size", "length-and-chunked"])
def test_live_bytes_that_are_not_http_are_400(live_mock, raw):
    """D-unparsable-http, D-body-cut-short: bytes that are not HTTP get a 400, never HTML or a 5xx (answered
    even while a handler waits for the body): the server's refusal or the app's envelope."""
    [answer] = _exchange(live_mock, raw)
    assert_error_or_refused(answer, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("before", [1, 2])
def test_live_bad_bytes_after_pipelined_requests_are_answered_after_them(live_mock, before):
    """D-unparsable-http: the 400 answers the bad bytes only — requests sent before them on the same
    connection get their own answers first, in order."""
    answers = _exchange(live_mock, _availability_request() * before + b"NOT HTTP AT ALL\r\n\r\n")
    assert [a.status_code for a in answers] == [200] * before + [400]
    assert all(a.json()["date"] == "2026-06-15" for a in answers[:-1])
    assert_error_or_refused(answers[-1], 400, "VALIDATION_ERROR")


def test_live_queued_request_with_a_broken_body_never_runs_and_gets_the_400(live_mock):
    """D-body-cut-short: a pipelined request whose chunked body cannot be parsed is answered with the
    400 after the request before it, and never reaches a handler (which would wait for its body)."""
    answers = _exchange(live_mock, _availability_request() + _BROKEN_CHUNKED_POST)
    assert [a.status_code for a in answers] == [200, 400]
    assert_error_or_refused(answers[1], 400, "VALIDATION_ERROR")


def test_live_authorization_of_1_mb_is_431_envelope_without_the_key(live_mock):
    """D-extra-statuses: a 1 MB header is refused (431 in the envelope) by a real server too, never a crash."""
    answer = _RawAnswer(*_raw_request(live_mock, "GET", f"/v1/calls/{CALL_ID}",
                                      [("Authorization", b"Bearer " + b"A" * 1_000_000)]))
    assert_error(answer, 431, "HEADERS_TOO_LARGE")
    assert "AAAAAAAAAA" not in answer.text


def test_live_patch_with_raw_pipes_in_the_slot_id_reaches_the_record(live_mock):
    """"Pass this value directly to PATCH" — the raw `||` form goes through a real HTTP server too."""
    status, _, body = _raw_request(live_mock, "PATCH", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}",
                                   [("Authorization", b"Bearer YOUR_API_KEY"), ("Content-Type", b"application/json")],
                                   b'{"max_slots": 20}')  # the window's own capacity: nothing visible changes
    _raw_request(live_mock, "POST", "/v1/appointment-slots/regenerate",
                 [("Authorization", b"Bearer YOUR_API_KEY"), ("Content-Type", b"application/json")],
                 b'{"date_from": "2026-06-15"}')  # and drop the override again
    assert status == 200, body
    assert json.loads(body)["data"]["slot_id"] == DOCS_TRACKING_ID


# ── every error is the envelope, and changes nothing ─────────────────────────
BAD_REQUESTS = {
    "unknown-route": ("GET", "/v1/nope", {}),
    "wrong-method": ("PUT", "/v1/calls", {}),
    "no-key": ("POST", "/v1/calls", {"json": call_body(), "auth": None}),
    "no-scope": ("POST", "/v1/calls", {"json": call_body(), "auth": "sk_test_calls_read"}),
    "missing-field": ("POST", "/v1/calls", {"json": {"agent_id": "agent_123"}}),
    "bad-phone": ("POST", "/v1/calls", {"json": call_body(contact_number="+15555550100")}),
    "unknown-field": ("POST", "/v1/calls", {"json": call_body(contact_phone="+919876543210")}),
    "text-plain": ("POST", "/v1/calls", {"content": b"hello", "headers": {"Content-Type": "text/plain"}}),
    "too-large": ("POST", "/v1/calls", {"content": b"[" + b"0," * MIB + b"0]", "headers": JSON_CT}),
    "not-utf8": ("POST", "/v1/calls", {"content": b'{"agent_id": "\xff"}', "headers": JSON_CT}),
    "invalid-json": ("POST", "/v1/calls", {"content": b"{", "headers": JSON_CT}),
    "NaN": ("POST", "/v1/calls", {"content": (CREATE_PREFIX + '{"x": NaN}}').encode(), "headers": JSON_CT}),
    "deep": ("POST", "/v1/calls", {"content": BROKEN_BODIES["deep-objects"], "headers": JSON_CT}),
    "unknown-call": ("GET", f"/v1/calls/{CALL_ID}", {}),
    "cancel-unknown": ("POST", f"/v1/calls/{CALL_ID}/cancel", {}),
    "delete-unknown": ("DELETE", f"/v1/calls/{CALL_ID}", {}),
    "bad-date": ("GET", "/v1/appointment-slots/availability", {"params": {"date": "2026-02-30"}}),
    "unknown-param": ("GET", "/v1/appointment-slots/availability", {"params": {"date": "2026-06-15", "x": "1"}}),
    "set-filled": ("PATCH", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", {"json": {"filled_slots": 0}}),
    "negative-max": ("PATCH", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", {"json": {"max_slots": -1}}),
    "malformed-slot": ("PATCH", "/v1/appointment-slots/tracking/a||b", {"json": {"status": "CLOSED"}}),
    "unknown-slot": ("PATCH", DOCS_TRACKING_ID.replace("06-15", "06-16").join(["/v1/appointment-slots/tracking/", ""]),
                     {"json": {"status": "CLOSED"}}),
    "regenerate-backwards": ("POST", "/v1/appointment-slots/regenerate",
                             {"json": {"date_from": "2026-06-30", "date_to": "2026-06-15"}}),
    "regenerate-too-long": ("POST", "/v1/appointment-slots/regenerate",
                            {"json": {"date_from": "2026-01-01", "date_to": "2027-06-30"}}),
}


def send_bad(client, name):
    method, path, kwargs = BAD_REQUESTS[name]
    kwargs = dict(kwargs)
    key = kwargs.pop("auth", "YOUR_API_KEY")
    headers = {**(auth_header(key) if key else {}), **kwargs.pop("headers", {})}
    return client.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_every_error_is_the_json_envelope(client, name):
    """D-error-envelope: "always this shape, application/json, never HTML or a traceback" """
    response = send_bad(client, name)
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)
    assert_clean(response)


@pytest.fixture
def stored(client, new_call):
    """A call and a tracking override, and how they read before the bad request."""
    call_id = new_call()
    client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 7}, headers=auth_header())

    def snapshot():
        call = client.get(f"/v1/calls/{call_id}", headers=auth_header()).json()
        tracking = client.get("/v1/appointment-slots/schedule-tracking",
                              params={"date_from": "2026-06-15", "date_to": "2026-06-21"}, headers=auth_header()).json()
        return call, tracking
    return snapshot


@pytest.mark.parametrize("name", BAD_REQUESTS)
def test_bad_request_leaves_stored_state_intact(client, state, stored, name):
    """D-validation-order: every refusal happens before the handler changes anything."""
    before = stored()
    calls = len(state.calls)
    send_bad(client, name)
    assert stored() == before
    assert len(state.calls) == calls
