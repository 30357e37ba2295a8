"""The mock control API's journal (/_mock/journal) and sessions (X-Mock-Session,
/_mock/sessions) over HTTP, and session expiry on an injected monotonic clock."""
from __future__ import annotations

import json

import pytest

from conftest import DOCS_CREATE_BODY, assert_error, auth_header
from mock_server.app import create_app
from mock_server.sessions import Sessions
from mock_server.state import Settings, State

DOCS_WINDOW = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CHECKUP = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
DOCS_TRACKING_ID = f"{DOCS_WINDOW}||2026-06-15||{CHECKUP}"
AVAILABILITY = "/v1/appointment-slots/availability?date=2026-06-15&session=Morning"
DISTINCTIVE_KEY = "sk_live_zq7XW3distinctive9Kp2"


def in_session(name: str | None, headers: dict | None = None) -> dict[str, str]:
    return {**({} if name is None else {"X-Mock-Session": name}), **(headers or {})}


def journal(client, query: str = "") -> list[dict]:
    response = client.get(f"/_mock/journal{query}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def create_call(client, session: str | None = None) -> str:
    response = client.post("/v1/calls", json=DOCS_CREATE_BODY, headers=in_session(session, auth_header()))
    assert response.status_code == 201, response.text
    return response.json()["data"]["call_id"]


def call_status(client, call_id: str, session: str | None = None) -> int:
    return client.get(f"/v1/calls/{call_id}", headers=in_session(session, auth_header())).status_code


def tracking_max_slots(client, session: str | None = None) -> int:
    response = client.get("/v1/appointment-slots/schedule-tracking?date_from=2026-06-15",
                          headers=in_session(session, auth_header()))
    assert response.status_code == 200, response.text
    return next(r["max_slots"] for r in response.json()["data"] if r["slot_id"] == DOCS_TRACKING_ID)


# ── journal ──────────────────────────────────────────────────────────────────
def test_the_journal_records_documented_requests_newest_first(client):
    """controlReadJournal: "The last requests and responses of the documented API" — "The newest first"."""
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 200
    call_id = create_call(client)
    assert client.get("/v1/calls/no-such-call", headers=auth_header("sk_test_calls_read")).status_code == 404

    entries = journal(client)

    assert [(e["method"], e["path"], e["status"], e["operation_id"], e["key_label"]) for e in entries] == [
        ("GET", "/v1/calls/no-such-call", 404, "getCall", "only-calls-read"),
        ("POST", "/v1/calls", 201, "createCall", "docs-your-api-key"),
        ("GET", "/v1/appointment-slots/availability", 200, "getAvailability", "docs-your-api-key"),
    ]
    assert all(isinstance(e["duration_ms"], (int, float)) and e["duration_ms"] >= 0 for e in entries)
    assert entries[2]["query"] == "date=2026-06-15&session=Morning"
    assert entries[1]["at"] == "2026-06-01T09:00:00.000Z"  # the mock clock
    assert json.loads(entries[1]["request_body"]) == DOCS_CREATE_BODY
    assert json.loads(entries[1]["response_body"])["data"]["call_id"] == call_id
    assert entries[0]["session"] is None


def test_the_journal_masks_authorization_and_never_stores_a_key(client):
    """controlReadJournal: "Authorization is masked; a key is never stored"."""
    refused = client.get(AVAILABILITY, headers={"Authorization": f"Bearer {DISTINCTIVE_KEY}"})
    assert refused.status_code == 401
    assert client.get(AVAILABILITY, headers=auth_header("sk_test_throttled")).status_code == 200
    assert client.get(AVAILABILITY, headers={"Authorization": f"Basic {DISTINCTIVE_KEY}"}).status_code == 401

    entries = journal(client)

    assert len(entries) == 3
    assert all(e["request_headers"]["authorization"] == "Bearer ***" for e in entries)
    assert [e["key_label"] for e in entries] == [None, "throttled", None]
    dumped = json.dumps(client.get("/_mock/journal").json())
    assert DISTINCTIVE_KEY not in dumped
    assert "sk_test_throttled" not in dumped


@pytest.mark.parametrize("query, expected", [
    ("?method=post", [("POST", "/v1/calls")]),
    ("?method=GET&limit=1", [("GET", "/v1/calls/no-such-call")]),
    ("?path_prefix=/v1/calls", [("GET", "/v1/calls/no-such-call"), ("POST", "/v1/calls")]),
    ("?status=404", [("GET", "/v1/calls/no-such-call")]),
    ("?operation_id=getAvailability", [("GET", "/v1/appointment-slots/availability")]),
    ("?session=ci-job-7", [("GET", "/v1/appointment-slots/availability")]),
    ("?limit=2", [("GET", "/v1/calls/no-such-call"), ("POST", "/v1/calls")]),
    ("?status=500", []),
])
def test_the_journal_filters_by_method_path_status_operation_session_and_limit(client, query, expected):
    """controlReadJournal: filters `method`, `path_prefix`, `status`, `operation_id`, `session`, `limit`."""
    assert client.get(AVAILABILITY, headers=in_session("ci-job-7", auth_header())).status_code == 200
    create_call(client)
    assert client.get("/v1/calls/no-such-call", headers=auth_header()).status_code == 404

    assert [(e["method"], e["path"]) for e in journal(client, query)] == expected


def test_the_journal_refuses_an_out_of_range_limit(client):
    """controlReadJournal: `limit` is 1 to 1000."""
    assert_error(client.get("/_mock/journal?limit=0"), 400, "VALIDATION_ERROR")
    assert_error(client.get("/_mock/journal?limit=1001"), 400, "VALIDATION_ERROR")


def test_clearing_the_journal_empties_it(client):
    """controlClearJournal: "Clear the journal"."""
    create_call(client)
    client.get(AVAILABILITY, headers=auth_header())
    response = client.delete("/_mock/journal")
    assert response.status_code == 200, response.text
    assert response.json() == {"cleared": 2}
    assert journal(client) == []
    client.get(AVAILABILITY, headers=auth_header())
    assert len(journal(client)) == 1


def test_control_requests_are_not_journaled(client):
    """Journal: "The last requests and responses of the documented API" (not the control API's)."""
    client.get("/_mock/health")
    client.post("/_mock/clock/advance", json={"seconds": 1})
    client.post("/_mock/calls", json={"agent_id": "agent_123", "contact_number": "+919876543210"})
    client.get("/_mock/journal")
    assert journal(client) == []


def test_the_journal_records_rendered_errors_and_faults(client):
    """controlReadJournal: requests and responses, errors included."""
    client.post("/_mock/faults", json={"operation_id": "getAvailability", "status": 429, "retry_after": 9})
    assert client.get(AVAILABILITY, headers=auth_header()).status_code == 429
    assert client.get(AVAILABILITY).status_code == 401
    entries = journal(client)
    assert [(e["status"], e["operation_id"]) for e in entries] == [(401, "getAvailability"), (429, "getAvailability")]
    assert json.loads(entries[1]["response_body"])["error"]["code"] == "RATE_LIMITED"


# ── sessions ─────────────────────────────────────────────────────────────────
def test_sessions_do_not_see_each_others_calls_or_overrides(client):
    """Sessions: "Isolated copies of the state, one per X-Mock-Session name"."""
    in_a = create_call(client, "team-a")
    in_b = create_call(client, "team-b")
    patched = client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"max_slots": 4},
                           headers=in_session("team-a", auth_header()))
    assert patched.status_code == 200, patched.text

    assert call_status(client, in_a, "team-a") == 200
    assert call_status(client, in_a, "team-b") == 404
    assert call_status(client, in_a) == 404
    assert call_status(client, in_b, "team-a") == 404
    assert tracking_max_slots(client, "team-a") == 4
    assert tracking_max_slots(client, "team-b") == 20
    assert tracking_max_slots(client) == 20
    assert client.get("/_mock/health", headers=in_session("team-a")).json()["calls"] == 1
    assert client.get("/_mock/health").json()["calls"] == 0


def test_a_new_session_starts_from_the_fixtures(client):
    """Sessions: "an isolated copy of the state, made from the fixtures on first use"."""
    create_call(client)
    client.patch(f"/v1/appointment-slots/tracking/{DOCS_TRACKING_ID}", json={"status": "CLOSED"}, headers=auth_header())
    client.delete(f"/_mock/seed/calendar-windows/{DOCS_WINDOW}")

    fresh = client.get("/_mock/health", headers=in_session("fresh"))
    assert fresh.json()["calls"] == 0 and fresh.json()["session"] == "fresh"
    slots = client.get(AVAILABILITY, headers=in_session("fresh", auth_header())).json()["slots"]
    assert [(s["calendar_id"], s["max_slots"], s["filled_slots"]) for s in slots] == [(DOCS_WINDOW, 20, 3)]
    default = {w["calendar_id"] for w in client.get("/_mock/seed/calendar-windows").json()["data"]}
    assert DOCS_WINDOW not in default


def test_listing_sessions_shows_each_with_its_calls(client):
    """controlListSessions: "List sessions"."""
    assert client.get("/_mock/sessions").json()["data"] == []
    create_call(client, "job-1")
    create_call(client, "job-1")
    client.get("/_mock/health", headers=in_session("job-2"))

    listed = client.get("/_mock/sessions").json()["data"]

    assert [(s["name"], s["calls"]) for s in listed] == [("job-1", 2), ("job-2", 0)]
    assert all(s["idle_seconds"] >= 0 for s in listed)


def test_dropping_a_session_discards_its_state(client):
    """controlDropSession: "Drop a session"."""
    call_id = create_call(client, "short-lived")
    response = client.delete("/_mock/sessions/short-lived")
    assert response.status_code == 200, response.text
    assert response.json() == {"dropped": "short-lived"}
    assert client.get("/_mock/sessions").json()["data"] == []
    # the name starts over from the fixtures
    assert call_status(client, call_id, "short-lived") == 404
    assert_error(client.delete("/_mock/sessions/never-made"), 404, "NOT_FOUND")


@pytest.mark.parametrize("name", ["has space", "x" * 65, "semi;colon", "slash/name", "ünï"])
def test_an_invalid_session_name_is_refused(client, name):
    """Session: "The isolated state to act on (1-64 of A-Z a-z 0-9 . _ -)"."""
    raw = name.encode("utf-8")  # sent as raw bytes, as a client would
    error = assert_error(client.get("/_mock/health", headers={"X-Mock-Session": raw}), 400, "VALIDATION_ERROR")
    assert error.get("field") == "X-Mock-Session"
    assert_error(client.get(AVAILABILITY, headers={**auth_header(), "X-Mock-Session": raw}), 400, "VALIDATION_ERROR")
    assert client.get("/_mock/sessions").json()["data"] == []


def test_a_valid_session_name_of_64_characters_is_accepted(client):
    """Session: "1-64 of A-Z a-z 0-9 . _ -"."""
    name = "Az09._-" + "x" * 57
    response = client.get("/_mock/health", headers=in_session(name))
    assert response.status_code == 200, response.text
    assert response.json()["session"] == name


def test_control_operations_act_on_the_header_session(client):
    """State: "Every operation acts on the state of the request's `X-Mock-Session` header"."""
    create_call(client, "alpha")
    create_call(client, "beta")
    create_call(client)
    client.post("/_mock/faults", json={"operation_id": "getCall", "status": 503}, headers=in_session("beta"))

    reset = client.post("/_mock/reset", headers=in_session("alpha"))

    assert reset.status_code == 200, reset.text
    assert reset.json()["session"] == "alpha" and reset.json()["calls"] == 0
    assert client.get("/_mock/health", headers=in_session("beta")).json()["calls"] == 1
    assert client.get("/_mock/health").json()["calls"] == 1
    assert len(client.get("/_mock/faults", headers=in_session("beta")).json()["data"]) == 1
    # the clock too: advancing alpha's clock leaves the default clock alone
    client.post("/_mock/clock/advance", json={"seconds": 3600}, headers=in_session("alpha"))
    assert client.get("/_mock/clock").json()["now"] == "2026-06-01T09:00:00.000Z"
    # and the calls seen through the control API
    seeded = client.post("/_mock/calls", json={"agent_id": "a", "contact_number": "+919876543210"},
                         headers=in_session("alpha"))
    assert seeded.status_code == 201
    assert [c["call_id"] for c in client.get("/_mock/calls", headers=in_session("alpha")).json()["data"]] == \
        [seeded.json()["data"]["call_id"]]
    assert len(client.get("/_mock/calls").json()["data"]) == 1


def test_the_journal_records_the_session_of_each_request(client):
    """controlReadJournal: the `session` filter and field."""
    create_call(client, "gamma")
    create_call(client)
    entries = journal(client)
    assert [e["session"] for e in entries] == [None, "gamma"]
    assert [e["session"] for e in journal(client, "?session=gamma")] == ["gamma"]


def test_reset_in_a_session_clears_that_sessions_journal_only(client):
    """controlReset: drops "this state's journal entries (other sessions keep theirs)"."""
    for name in ("alpha", "beta", None):
        create_call(client, name)

    assert client.post("/_mock/reset", headers=in_session("alpha")).status_code == 200

    assert [e["session"] for e in journal(client)] == [None, "beta"]
    assert client.post("/_mock/reset").status_code == 200
    assert [e["session"] for e in journal(client)] == ["beta"]


def test_a_session_past_the_limit_takes_the_place_of_the_least_recently_used(clock):
    """Sessions: at most N at once; a new one evicts the least recently used (nobody can drop one when the
    control API is off, and a full table refused every new session for good)."""
    application = create_app(State(Settings(), clock=clock), validate_responses=True)
    application.sessions_.limit = 2  # instead of making 200 sessions
    client = application.test_client()
    for name in ("one", "two", "one", "three"):  # "two" is the least recently used when "three" comes
        assert client.get(AVAILABILITY, headers=in_session(name, auth_header())).status_code == 200
    assert sorted(s["name"] for s in client.get("/_mock/sessions").json()["data"]) == ["one", "three"]


# ── session expiry (injected monotonic clock) ────────────────────────────────
def test_idle_sessions_expire_and_used_ones_stay():
    """Sessions: "Each is built from the fixtures on first use; idle ones expire"."""
    now = [1000.0]
    sessions = Sessions(State(), idle_seconds=60, monotonic=lambda: now[0])
    first = sessions.get("idle")
    sessions.get("busy")

    now[0] += 45
    sessions.get("busy")
    assert [(s["name"], s["idle_seconds"]) for s in sessions.listing()] == [("busy", 0.0), ("idle", 45.0)]

    now[0] += 16  # idle: 61 s unused; busy: 16 s
    assert [s["name"] for s in sessions.listing()] == ["busy"]
    assert sessions.get("idle") is not first  # made again from the fixtures
    assert len(sessions.get("idle").calls) == 0


def test_a_session_at_exactly_the_idle_limit_is_kept():
    """Sessions: idle ones expire (after more than idle_seconds unused)."""
    now = [0.0]
    sessions = Sessions(State(), idle_seconds=60, monotonic=lambda: now[0])
    kept = sessions.get("edge")
    now[0] = 60.0
    assert sessions.get("edge") is kept
    now[0] = 120.5
    assert sessions.get("edge") is not kept


def test_dropping_a_session_on_the_sessions_object():
    """Sessions: drop returns whether the session existed."""
    sessions = Sessions(State(), monotonic=lambda: 0.0)
    sessions.get("x")
    assert sessions.drop("x") is True
    assert sessions.drop("x") is False
    assert sessions.listing() == []
