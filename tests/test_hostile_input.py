"""Input a client that gets things wrong (or an attacker) sends: never a 500, always the
one JSON envelope with a documented 4xx, and nothing stored is lost. Each test is a
defect that once reached a 500 (issue 12)."""
from __future__ import annotations

import json

import pytest

from conftest import assert_error, auth_header, call_body
from refusals import assert_server_refusal

DOCS_TRACKING_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479"
UNKNOWN_FIELD_NAMED_BY_A_LONE_SURROGATE = [
    ("POST", "/v1/calls", b'{"agent_id":"a","contact_number":"+919876543210","\\ud800":1}'),
    ("PATCH", f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", b'{"status":"CLOSED","\\ud800":1}'),
    ("POST", "/v1/appointment-slots/regenerate", b'{"date_from":"2026-06-15","\\udfff":1}'),
    ("POST", "/_mock/seed/branches", b'[{"branch_id":"b","name":"x","appointment_type_ids":[],"\\ud800":1}]'),
]


@pytest.mark.parametrize("method,path,body", UNKNOWN_FIELD_NAMED_BY_A_LONE_SURROGATE,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_an_unknown_field_named_by_a_lone_surrogate_is_400_in_the_envelope(client, state, method, path, body):
    """Half a UTF-16 pair (\\ud800) is valid JSON syntax; the error naming the field is written, escaped."""
    before = len(state.calls.all(state.clock.now()))
    response = client.request(method, path, content=body, headers={**auth_header(), "Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert len(state.calls.all(state.clock.now())) == before


def test_an_error_that_quotes_a_lone_surrogate_is_still_written():
    """The envelope never fails to encode: a message quoting half a UTF-16 pair is escaped instead."""
    import json

    from mock_server.envelope import error_bytes
    from mock_server.errors import ValidationFailed

    written = error_bytes(ValidationFailed("\ud800 is not a field of this request", field="\ud800"))
    assert json.loads(written)["error"]["field"] == "\ud800"


@pytest.mark.parametrize("media_type", ["Application/Json", "APPLICATION/JSON", "application/JSON; charset=UTF-8"])
def test_a_media_type_in_another_case_is_json(client, state, media_type):
    """RFC 9110 §8.3.1: media types are case-insensitive, so the body is read as the JSON it is."""
    response = client.post("/v1/calls", json=None, content=__import__("json").dumps(call_body()).encode(),
                           headers={**auth_header(), "Content-Type": media_type})
    assert response.status_code == 201, response.text
    seeded = client.post("/_mock/seed/branches", content=b'[{"branch_id":"b-case","name":"Case","appointment_type_ids":[]}]',
                         headers={"Content-Type": media_type})
    assert seeded.status_code == 201, seeded.text


@pytest.mark.parametrize("path", ["/v1/ui/", "/v1/openapi.json", "/_mock/ui/", "/_mock/openapi.json"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
def test_another_method_on_the_swagger_ui_or_the_spec_is_405_with_allow(client, method, path):
    """The UI and the served spec take GET; anything else is 405 in the envelope, naming what is allowed."""
    response = client.request(method, path)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"]


def test_a_fault_for_an_operation_that_does_not_exist_is_400_listing_the_operations(client, state):
    """A misspelt operationId would never fire: refused, with the ids that would."""
    response = client.post("/_mock/faults", json={"operation_id": "getAvailabilty", "status": 429})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["field"] == "operation_id" and "getAvailability" in error["message"]
    assert state.faults.listing() == []
    assert client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429}).status_code == 201


# ── the journal: one session's, keys masked wherever they are, headers bounded ──
def journal_of(client, session: str | None = None, query: str = "") -> list[dict]:
    response = client.get(f"/_mock/journal{query}", headers={"X-Mock-Session": session} if session else {})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_a_session_reads_and_clears_only_its_own_journal(client):
    """README: parallel CI jobs can share one mock; one job's names and numbers are not another's to read."""
    for job in ("jobA", "jobB"):
        body = {"agent_id": "agent_123", "contact_number": "+919876543210", "contact_name": f"Customer of {job}"}
        assert client.post("/v1/calls", json=body, headers={**auth_header(), "X-Mock-Session": job}).status_code == 201
    seen_by_a = journal_of(client, "jobA")
    assert [e["session"] for e in seen_by_a] == ["jobA"] and "jobB" not in json.dumps(seen_by_a)
    assert_error(client.get("/_mock/journal?session=jobB", headers={"X-Mock-Session": "jobA"}), 400, "VALIDATION_ERROR")
    assert client.delete("/_mock/journal", headers={"X-Mock-Session": "jobA"}).json()["cleared"] == 1
    assert journal_of(client, "jobA") == [] and len(journal_of(client, "jobB")) == 1
    assert {e["session"] for e in journal_of(client)} == {"jobB"}  # without the header: every session's


@pytest.mark.parametrize("headers,query", [
    ({"X-Api-Key": "anything-at-all"}, ""),
    ({"Cookie": "session=anything"}, ""),
    ({"Proxy-Authorization": "Bearer sk_test_slots_read"}, ""),
    ({"User-Agent": "sk_test_slots_read"}, ""),
    ({"X-Forwarded-Key": "Bearer sk_test_no_scope"}, ""),
    ({}, "&api_key=sk_test_slots_read"),
])
def test_a_key_in_another_header_or_the_query_never_reaches_the_journal(client, headers, query):
    """Keys are never stored: the headers that carry credentials are masked always, and any value that is a key."""
    response = client.get(f"/v1/appointment-slots/availability?date=2026-06-15{query}",
                          headers={**auth_header(), **headers})
    assert response.status_code in (200, 400), response.text
    dumped = json.dumps(journal_of(client))
    for secret in ("anything-at-all", "session=anything", "sk_test_slots_read", "sk_test_no_scope", "YOUR_API_KEY"):
        assert secret not in dumped, secret


def test_a_header_block_over_16_kib_is_431_in_the_envelope_and_the_journal_keeps_1_kib_of_a_header(client, state):
    """Headers are bounded as production servers bound them; the journal never keeps one whole."""
    before = len(state.calls.all(state.clock.now()))
    response = client.post("/v1/calls", json=call_body(), headers={**auth_header(), "X-Padding": "x" * 17000})
    assert_error(response, 431, "HEADERS_TOO_LARGE")
    assert len(state.calls.all(state.clock.now())) == before
    assert client.get("/v1/appointment-slots/availability?date=2026-06-15",
                      headers={**auth_header(), "X-Padding": "y" * 15000}).status_code == 200
    padding = journal_of(client, query="?limit=1")[0]["request_headers"]["x-padding"]
    assert 0 < len(padding) <= 1024


# ── the control API and the browser ─────────────────────────────────────────
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1"])
def test_a_control_request_from_another_origin_is_403_and_changes_nothing(client, state, origin):
    """A page elsewhere must not reset the mock with a 'simple' cross-origin POST (text/plain, no preflight)."""
    client.post("/_mock/calls", json={"agent_id": "by_hand", "contact_number": "+919876543210", "status": "completed"})
    response = client.post("/_mock/reset", content=b"x", headers={"Origin": origin, "Content-Type": "text/plain"})
    assert_error(response, 403, "FORBIDDEN_ORIGIN")
    assert len(state.calls.all(state.clock.now())) == 1


def test_control_requests_from_the_mocks_own_origin_or_no_browser_are_answered(client):
    """The control API's own Swagger UI sends the mock's origin; curl and test code send none."""
    own = str(client.base_url).rstrip("/")
    assert client.post("/_mock/reset", headers={"Origin": own}).status_code == 200
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/v1/appointment-slots/availability?date=2026-06-15",
                      headers={**auth_header(), "Origin": "https://evil.example"}).status_code == 200


def test_an_exported_state_of_2000_calls_goes_back_in_and_round_trips_byte_for_byte(client, state):
    """README: 'export the whole state as JSON and import it back, so a bug report can carry it' — 2,000
    calls (1.2 MB) used to be refused with 413."""
    now = state.clock.now()
    for n in range(2000):
        state.calls.create(agent_id=f"agent_{n}", contact_number="+919876543210", contact_name=f"Customer {n}",
                           contact_email=None, additional_info={"n": n}, now=now)
    exported = client.get("/_mock/state")
    assert exported.status_code == 200 and len(exported.content) > 1024 * 1024
    imported = client.put("/_mock/state", content=exported.content, headers={"Content-Type": "application/json"})
    assert imported.status_code == 200, imported.text[:300]
    assert client.get("/_mock/state").content == exported.content


SEED_APPOINTMENT = {"calendar_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "date": "2026-06-15",
                    "appointment_type_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "status": "confirmed"}


@pytest.mark.parametrize("count", [10 ** 20, 10_001])
def test_seeding_appointments_with_a_huge_count_is_refused_at_once(client, state, count):
    """Found by the raw fuzz: `count: 12345678901234567890` kept the mock creating appointments (no answer)."""
    before = len(state.slots.appointments)
    response = client.post("/_mock/seed/appointments", json={**SEED_APPOINTMENT, "count": count})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "count" in response.json()["error"]["message"] and len(state.slots.appointments) == before


def test_seeding_stops_at_the_appointments_the_mock_holds(client, state, monkeypatch):
    """D-control-api-limits: at most MAX_APPOINTMENTS appointments; 10,000 in one record is still fine."""
    assert client.post("/_mock/seed/appointments", json={**SEED_APPOINTMENT, "count": 10_000}).status_code == 201
    from mock_server import fixtures
    monkeypatch.setattr(fixtures, "MAX_APPOINTMENTS", len(state.slots.appointments) + 5)
    refused = client.post("/_mock/seed/appointments", json={**SEED_APPOINTMENT, "count": 6})
    assert_error(refused, 400, "VALIDATION_ERROR")
    assert client.post("/_mock/seed/appointments", json={**SEED_APPOINTMENT, "count": 5}).status_code == 201


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/v1/calls", call_body(), 201),
    ("POST", "/v1/appointment-slots/regenerate", {"date_from": "2026-06-15", "date_to": "2026-06-16"}, 200),
    ("POST", "/_mock/seed/appointments", SEED_APPOINTMENT, 201),
    ("POST", "/_mock/clock/advance", {"seconds": 5}, 200),
])
def test_a_handler_gets_the_body_the_validator_parsed(client, monkeypatch, method, path, body, status):
    """Found by the raw fuzz: a 2,000-deep array the validator parsed was parsed again by Starlette,
    deeper in the stack, and hit the recursion limit (a 500). The body is parsed once."""
    from starlette.requests import Request

    async def parsed_again(self):
        raise AssertionError("the body was parsed a second time")
    monkeypatch.setattr(Request, "json", parsed_again)
    response = client.request(method, path, json=body, headers=auth_header())
    assert response.status_code == status, response.text[:300]


def test_a_deeply_nested_seed_body_is_a_400(client):
    """Found by the raw fuzz: POST /_mock/seed/appointments with a 2,000-deep `date` answered 500."""
    body = json.dumps({**SEED_APPOINTMENT, "date": "@"}).replace('"@"', "[" * 2000 + "]" * 2000)
    response = client.post("/_mock/seed/appointments", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")


def test_a_header_block_that_never_ends_is_cut_off_with_431_not_read_whole(live_mock):
    """Issue 12: a 100 MB header was read whole (10 s, 110 MB) before the 431. The server stops
    reading past cli.HEAD_CUTOFF and answers 431, as nginx does (D-unparsable-http: its own, bodiless)."""
    import socket as _socket
    from urllib.parse import urlsplit
    from mock_server.cli import HEAD_CUTOFF
    url = urlsplit(live_mock)
    sock = _socket.create_connection((url.hostname, url.port), timeout=10)
    sock.sendall(b"GET /v1/calls/x HTTP/1.1\r\nHost: a\r\nX-Big: ")
    sent, chunk = 0, b"b" * 65536
    try:
        while sent < 64 * HEAD_CUTOFF:  # a server that reads it all answers only after 64 MiB
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # closed by the server: the answer is already on its way
    answer = b""
    try:
        while True:
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert_server_refusal(answer)
    assert sent < 8 * HEAD_CUTOFF, f"the server read {sent:,} bytes of header before answering"


def test_the_root_is_an_index_of_json_links_for_api_clients(client):
    """Issue 13: `http://127.0.0.1:4010/` was a bare 404 with no pointer to /v1/ui/."""
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    links = response.json()
    assert links["api_docs"] == "/v1/ui/" and links["control_docs"] == "/_mock/ui/"
    for url in (links["api_docs"], links["api_spec"], links["control_docs"], links["health"]):
        assert client.get(url).status_code == 200, url


def test_the_root_is_a_page_of_links_for_browsers(client):
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/v1/ui/"' in page.text and 'href="/_mock/ui/"' in page.text


def test_the_root_names_no_control_api_when_it_is_off():
    from mock_server.app import create_app
    app = create_app(control=False)
    links = app.test_client().get("/").json()
    assert "control" not in links and links["api"] == "/v1"
