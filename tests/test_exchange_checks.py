"""The contract's checks over recorded exchanges (contract_tests/exchange_checks.py), each
proved both ways: a broken exchange it catches, with the clause it names, and a legitimate
one it passes, among them answers that differ from the mock only where the docs are silent
(another error body, extra fields, another status for a replay…). Then the checks over real
exchanges: the docs' own flows on the bundled mock and on every legitimate variant of it
give no violation at all."""
from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DOCS_CREATE_BODY, FIXED, ROOT
from contract_tests.exchange_checks import (Exchange, Violation, Watcher, check_exchange, from_response,
                                            operation_of)
from contract_tests.target import DEFAULT_KEYS, load_keys

KEY = "YOUR_API_KEY"
AUTH = (("Authorization", f"Bearer {KEY}"),)
CALL_ID = "550e8400-e29b-41d4-a716-446655440000"
OTHER_ID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
CALENDAR = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TYPE = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
RECORD_ID = f"{CALENDAR}||2026-06-15||{TYPE}"
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)

# The docs' printed answers.
CREATED = {"data": {"call_id": CALL_ID, "status": "scheduled"}}
CALL = {"data": {"call_id": CALL_ID, "status": "scheduled", "agent_id": "agent_123", "contact_number": "+919876543210",
                 "contact_name": "Raj Patel", "contact_email": "raj@company.com", "additional_info": {"company": "Acme Corp"},
                 "scheduled_at": "2024-01-27T03:02:00.000Z", "completed_at": None, "error": None,
                 "created_at": "2024-01-27T03:00:00.000Z", "updated_at": "2024-01-27T03:00:00.000Z"}}
CANCELLED = {"data": {"call_id": CALL_ID, "status": "cancelled", "cancelled_at": "2024-01-27T03:01:00.000Z"}}
DELETED = {"data": {"call_id": CALL_ID, "deleted": True}}
SLOT = {"slot_id": f"{CALENDAR}||2026-06-15", "calendar_id": CALENDAR, "branch_id": "branch_uuid_here", "day": "monday",
        "session": "Morning", "batch": "MA", "start_time": "09:00", "end_time": "11:00", "appointment_type": None,
        "max_slots": 20, "ai_slots": 10, "filled_slots": 3, "available_slots": 7, "status": "OPEN",
        "created_at": "2026-05-01T10:00:00.000Z", "updated_at": "2026-05-01T10:00:00.000Z"}
RECORD = {"slot_id": RECORD_ID, "calendar_id": CALENDAR, "appointment_type_id": TYPE,
          "appointment_type_name": "General Checkup", "date": "2026-06-15", "day_of_week": "monday", "session": "Morning",
          "batch": "MA", "start_time": "09:00", "end_time": "11:00", "max_slots": 20, "filled_slots": 3,
          "available_slots": 17, "status": "OPEN"}
COUNTS = {"success": True, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}
SCOPE_ERROR = {"success": False, "error": {"code": "INSUFFICIENT_SCOPE", "message": "no"}}


def ex(method: str, path: str, status: int, body=None, *, query=(), headers=AUTH, sent=None,
       response_headers=None, raw: bytes | None = None, at: datetime | None = None) -> Exchange:
    """An exchange: JSON bodies are written as JSON and answered as application/json unless told otherwise."""
    request_body = b"" if sent is None else sent if isinstance(sent, bytes) else json.dumps(sent).encode()
    answer = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    if response_headers is None:
        response_headers = (("Content-Type", "application/json"),) if answer else ()
    return Exchange(method, path, tuple(query), tuple(headers), request_body, status, tuple(response_headers),
                    answer, at)


def clauses(found: list[Violation]) -> set[str]:
    return {v.clause for v in found}


def slot(**changes) -> dict:
    return {**SLOT, **changes}


def record(**changes) -> dict:
    day = changes.get("date", RECORD["date"])
    base = {**RECORD, "slot_id": f"{CALENDAR}||{day}||{TYPE}"}
    return {**base, **changes}


def availability(status=200, slots=(SLOT,), date="2026-06-15", body=None, headers=AUTH, **query) -> Exchange:
    q = (("date", date),) if date is not None else ()
    if body is None and status == 200:
        body = {"success": True, "date": date, "slots": list(slots)}
    return ex("GET", "/appointment-slots/availability", status, body, query=q + tuple(query.items()), headers=headers)


def tracking(records=(RECORD,), status=200, **query) -> Exchange:
    query = {"date_from": "2026-06-15", **query}
    return ex("GET", "/appointment-slots/schedule-tracking", status,
              {"success": True, "data": list(records)} if status == 200 else None,
              query=tuple((k, v) for k, v in query.items() if v is not None))


def patch(sent, status=200, slot_id=RECORD_ID, body=None) -> Exchange:
    return ex("PATCH", f"/appointment-slots/tracking/{slot_id}", status, body, sent=sent)


# ── operations ──────────────────────────────────────────────────────────────
@pytest.mark.parametrize("method,path,expected", [
    ("GET", "/calls/abc", "getCall"), ("post", "/calls", "createCall"), ("POST", "/calls/abc/cancel", "cancelCall"),
    ("DELETE", "/calls/abc", "deleteCall"), ("GET", "/appointment-slots/availability", "getAvailability"),
    ("PATCH", f"/appointment-slots/tracking/{RECORD_ID}", "updateTrackingRecord"),
    ("PATCH", f"/appointment-slots/tracking/{quote(RECORD_ID, safe='')}", "updateTrackingRecord"),
    ("HEAD", "/calls/abc", None), ("PUT", "/calls", None), ("GET", "/calls/", None), ("GET", "/v1/calls/abc", None),
    ("OPTIONS", "/appointment-slots/availability", None)])
def test_operation_of_names_the_documented_operation_only(method, path, expected):
    """operationId from openapi.yaml; a method or path the docs do not document is no operation."""
    assert operation_of(method, path) == expected


def test_an_exchange_of_no_documented_operation_is_not_judged():
    """An undocumented route (a CORS preflight, a typo) is not the contract's: nothing is said of it."""
    assert check_exchange(ex("OPTIONS", "/calls", 500, headers=())) == []


# ── SPEC-CONFORMANCE: status, media type, schema ────────────────────────────
@pytest.mark.parametrize("status", [201, 204, 302, 500, 503])
def test_spec_conformance_an_undocumented_status_is_caught(status):
    """'Every JSON example in these pages is part of the contract': a status the docs give no operation, or any 5xx."""
    assert "SPEC-CONFORMANCE" in clauses(check_exchange(ex("GET", f"/calls/{CALL_ID}", status, CALL)))


@pytest.mark.parametrize("status", [400, 410, 418, 422])
def test_spec_conformance_any_4xx_passes_where_the_docs_name_none(status):
    """D-other-4xx: any 4xx is a documented status of every operation (410 Gone for a deleted call, 422 for a date)."""
    body = {"type": "about:blank", "title": "Gone", "status": status}
    found = check_exchange(ex("GET", f"/calls/{CALL_ID}", status, body,
                              response_headers=(("Content-Type", "application/problem+json"),)))
    assert found == []


def test_spec_conformance_a_json_answer_of_another_media_type_is_caught():
    """The docs print the answer as JSON: a 200 as text/plain breaks it."""
    found = check_exchange(ex("GET", f"/calls/{CALL_ID}", 200, CALL, response_headers=(("Content-Type", "text/plain"),)))
    assert found == [Violation("SPEC-CONFORMANCE", "getCall 200 came as text/plain; the docs give application/json")]


def test_spec_conformance_json_with_a_charset_and_gzip_passes():
    """application/json; charset=utf-8, gzip-encoded as sent over the wire, is JSON."""
    found = check_exchange(ex("GET", f"/calls/{CALL_ID}", 200, raw=gzip.compress(json.dumps(CALL).encode()),
                              response_headers=(("content-type", "application/json; charset=utf-8"),
                                                ("content-encoding", "gzip"))))
    assert found == []


def test_spec_conformance_a_body_missing_a_required_field_is_caught():
    """The docs' slot prints updated_at: a slot without it breaks the schema."""
    without = {k: v for k, v in SLOT.items() if k != "updated_at"}
    found = check_exchange(availability(slots=[without]))
    assert clauses(found) == {"SPEC-CONFORMANCE"} and "updated_at" in found[0].message


def test_spec_conformance_extra_fields_and_other_choices_where_the_docs_are_silent_pass():
    """D-extra-response-fields, D-timestamp-format, D-availability-appointment-type, D-call-optional-fields."""
    extra = slot(appointment_type={"appointment_type_id": TYPE}, livemode=False, created_at="2026-05-01T10:00:00+00:00")
    assert check_exchange(availability(slots=[extra])) == []
    short_call = {"data": {k: v for k, v in CALL["data"].items()
                           if k not in ("contact_name", "contact_email", "additional_info", "completed_at", "error")}}
    assert check_exchange(ex("GET", f"/calls/{CALL_ID}", 200, {**short_call, "request_id": "req_1"})) == []


@pytest.mark.parametrize("body", [{"error": "NOT_FOUND", "message": "gone"}, None, "<html>Not found</html>"])
def test_spec_conformance_error_bodies_are_not_judged_by_shape(body):
    """D-error-envelope: an error's body and media type are the server's (relax: [content])."""
    raw = body.encode() if isinstance(body, str) else None
    found = check_exchange(ex("GET", f"/calls/{CALL_ID}", 404, body if raw is None else None, raw=raw,
                              response_headers=(("Content-Type", "text/html"),) if raw else None))
    assert found == []


def test_spec_conformance_a_2xx_without_a_json_body_is_caught():
    """The docs print a JSON body for a call read."""
    assert "SPEC-CONFORMANCE" in clauses(check_exchange(ex("GET", f"/calls/{CALL_ID}", 200, raw=b"OK")))


# ── RATE-429 ─────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("headers", [(), (("Retry-After", "soon"),)])
def test_rate_429_without_an_indicated_delay_is_caught(headers):
    """'429 | Rate limit exceeded — slow down requests and retry after the indicated delay'."""
    found = check_exchange(ex("GET", f"/calls/{CALL_ID}", 429, response_headers=headers))
    assert clauses(found) == {"RATE-429"}


@pytest.mark.parametrize("value", ["3", "0", "Wed, 21 Oct 2026 07:28:00 GMT"])
def test_rate_429_with_seconds_or_an_http_date_passes(value):
    """'retry after the indicated delay': delta-seconds or an HTTP-date (D-retry-after-form)."""
    assert check_exchange(ex("GET", f"/calls/{CALL_ID}", 429, response_headers=(("Retry-After", value),))) == []


def test_rate_429_the_same_request_refused_again_after_the_delay_is_caught():
    """'retry after the indicated delay': once it has passed, the same request is not refused for rate."""
    watcher = Watcher()
    first = ex("GET", f"/calls/{CALL_ID}", 429, response_headers=(("Retry-After", "2"),), at=T0)
    assert watcher.observe(first) == []
    again = ex("GET", f"/calls/{CALL_ID}", 429, response_headers=(("Retry-After", "2"),), at=T0 + timedelta(seconds=4))
    assert clauses(watcher.observe(again)) == {"RATE-429"}


def test_rate_429_refused_again_before_the_delay_or_after_other_requests_passes():
    """A retry sent too early, or after other requests spent the quota again, may be refused."""
    watcher = Watcher()
    limited = lambda at: ex("GET", f"/calls/{CALL_ID}", 429, response_headers=(("Retry-After", "2"),), at=at)  # noqa: E731
    assert watcher.observe(limited(T0)) == []
    assert watcher.observe(limited(T0 + timedelta(seconds=1))) == []  # too early
    assert watcher.observe(ex("GET", "/calls/x", 404, at=T0 + timedelta(seconds=5))) == []
    assert watcher.observe(limited(T0 + timedelta(seconds=9))) == []  # not the next request after the first


# ── AUTH-401, keys and scopes ────────────────────────────────────────────────
@pytest.mark.parametrize("headers", [(), (("Authorization", ""),), (("Authorization", "Bearer "),)])
def test_auth_401_a_success_without_a_key_is_caught(headers):
    """'Include your API key in the Authorization header of every request.'; '401 — missing or invalid API key'."""
    assert clauses(check_exchange(availability(slots=[], headers=headers))) == {"AUTH-401"}


def test_auth_401_a_refusal_without_a_key_passes_whatever_its_body():
    """A 401 (or any refusal) without a key is what the docs want; its body is the server's."""
    assert check_exchange(ex("GET", f"/calls/{CALL_ID}", 401, {"message": "Unauthorized"}, headers=())) == []


def test_auth_401_a_bare_key_answered_200_is_not_judged_without_keys():
    """D-bearer-scheme: a server may take the key without 'Bearer '."""
    assert check_exchange(ex("GET", f"/calls/{CALL_ID}", 200, CALL, headers=(("authorization", KEY),))) == []


def keyed_watcher() -> Watcher:
    return Watcher(keys={k.secret: set(k.scopes) for k in load_keys(DEFAULT_KEYS)})


def test_scope_calls_read_a_key_without_the_scope_answered_200_is_caught():
    """'calls:read | Retrieve call status and details via GET /v1/calls/:id'; '403 — API key does not have the required scope'."""
    found = keyed_watcher().observe(ex("GET", f"/calls/{CALL_ID}", 200, CALL,
                                       headers=(("Authorization", "Bearer sk_test_slots_read"),)))
    assert clauses(found) == {"SCOPE-CALLS-READ", "AUTH-403"}


def test_scope_slots_write_a_key_without_the_scope_answered_200_is_caught():
    """'PATCH … and POST …/regenerate require the slots:write scope'; '403 — API key does not have the required scope'."""
    found = keyed_watcher().observe(ex("POST", "/appointment-slots/regenerate", 200, COUNTS,
                                       sent={"date_from": "2026-06-15"},
                                       headers=(("Authorization", "Bearer sk_test_no_scope"),)))
    assert clauses(found) == {"SCOPE-SLOTS-WRITE", "AUTH-403"}


def test_auth_403_a_known_key_without_the_scope_answered_401_is_caught():
    """'403 | Forbidden — API key does not have the required scope': the key is valid, so not 401."""
    found = keyed_watcher().observe(ex("DELETE", f"/calls/{CALL_ID}", 401, {"error": "UNAUTHORIZED"},
                                       headers=(("Authorization", "Bearer sk_test_calls_read"),)))
    assert clauses(found) == {"AUTH-403"}


def test_auth_403_refusals_and_choices_the_docs_leave_open_pass():
    """403 is due and given; a bare key refused (D-bearer-scheme); appointments:read reading availability
    (D-appointments-read-availability); an unknown key refused with 401."""
    watcher = keyed_watcher()
    assert watcher.observe(ex("GET", f"/calls/{CALL_ID}", 403, {"code": "FORBIDDEN"},
                              headers=(("Authorization", "Bearer sk_test_slots_read"),))) == []
    assert watcher.observe(ex("GET", f"/calls/{CALL_ID}", 401, headers=(("Authorization", "sk_test_slots_read"),))) == []
    assert watcher.observe(availability(headers=(("Authorization", "Bearer sk_test_appointments_read"),))) == []
    assert watcher.observe(ex("GET", f"/calls/{CALL_ID}", 401, headers=(("Authorization", "Bearer sk_nobody"),))) == []


def test_slots_403_a_403_without_insufficient_scope_is_caught():
    """'403 | INSUFFICIENT_SCOPE | API key does not have the required scope'."""
    found = check_exchange(availability(403, body={"success": False, "error": {"code": "FORBIDDEN", "message": "no"}}))
    assert clauses(found) == {"SLOTS-403"}


def test_slots_403_the_code_anywhere_in_any_body_passes():
    """D-error-envelope: where the code sits the docs do not say (problem+json, flat)."""
    for body in (SCOPE_ERROR, {"type": "x", "code": "INSUFFICIENT_SCOPE"}, {"error": "INSUFFICIENT_SCOPE"}):
        assert check_exchange(ex("POST", "/appointment-slots/regenerate", 403, body,
                                 sent={"date_from": "2026-06-15"})) == []


def test_watcher_keeps_no_key():
    """'Never hardcode it … or commit it': the Watcher holds keyed hashes of keys, never a key."""
    watcher = keyed_watcher()
    watcher.observe(ex("GET", f"/calls/{CALL_ID}", 200, CALL, headers=(("Authorization", "Bearer sk_secret_XYZ"),)))
    kept = repr(vars(watcher))
    assert "sk_secret_XYZ" not in kept and "sk_test_slots_read" not in kept and KEY not in kept


# ── calls: create ────────────────────────────────────────────────────────────
def create(status=201, body=CREATED, sent=None, idem: str | None = None, at=None, key=KEY) -> Exchange:
    headers = (("Authorization", f"Bearer {key}"),) + ((("Idempotency-Key", idem),) if idem else ())
    return ex("POST", "/calls", status, body, sent=DOCS_CREATE_BODY if sent is None else sent, headers=headers, at=at)


def test_calls_create_201_a_new_call_not_scheduled_is_caught():
    """'Response — 201 Created {"data": {"call_id": …, "status": "scheduled"}}'."""
    found = check_exchange(create(body={"data": {"call_id": CALL_ID, "status": "in_progress"}}))
    assert clauses(found) == {"CALLS-CREATE-201"}


def test_calls_create_201_a_200_without_idempotency_key_is_caught():
    """'Response — 201 Created': only a replay may answer otherwise (D-idempotency)."""
    assert clauses(check_exchange(create(status=200))) == {"CALLS-CREATE-201"}


def test_calls_create_201_scheduled_and_a_replay_answered_200_pass():
    """A new call is 201 'scheduled'; a replay may be 200 with the call as it is now (D-idempotency)."""
    assert check_exchange(create(body={"data": {**CREATED["data"], "livemode": False}})) == []
    assert check_exchange(create(status=200, idem="k1", body={"data": {"call_id": CALL_ID, "status": "completed"}})) == []


def test_calls_create_201_a_first_idempotent_create_not_scheduled_is_caught_by_the_watcher():
    """A create with an Idempotency-Key the Watcher has not seen is a new call: 201 'scheduled'."""
    found = Watcher().observe(create(idem="k1", body={"data": {"call_id": CALL_ID, "status": "failed"}}))
    assert clauses(found) == {"CALLS-CREATE-201"}


@pytest.mark.parametrize("missing", ["agent_id", "contact_number"])
def test_calls_create_required_a_create_without_a_required_field_answered_201_is_caught(missing):
    """'"agent_id": "agent_123", // required … "contact_number": "+919876543210", // required'."""
    sent = {k: v for k, v in DOCS_CREATE_BODY.items() if k != missing}
    assert clauses(check_exchange(create(sent=sent))) == {"CALLS-CREATE-REQUIRED"}


def test_calls_create_required_a_refused_create_or_a_complete_one_passes():
    """Refused (any 4xx, any body) or complete: nothing to say."""
    assert check_exchange(create(status=400, body={"message": "agent_id is required"}, sent={"contact_number": "+919876543210"})) == []
    assert check_exchange(create(sent={"agent_id": "a", "contact_number": "+919876543210"})) == []


@pytest.mark.parametrize("number", ["+15555550100", "+91 98765 43210", "+9198765432101", 919876543210])
def test_calls_phone_e164_a_number_of_another_form_answered_201_is_caught(number):
    """'Only Indian phone numbers in E.164 format (+91XXXXXXXXXX) are currently supported.'"""
    found = check_exchange(create(sent={"agent_id": "agent_123", "contact_number": number}))
    assert clauses(found) == {"CALLS-PHONE-E164"}


def test_calls_phone_e164_refused_with_422_or_400_passes():
    """'422 | … invalid phone number format' (a number typed as a JSON number: 400 or 422)."""
    assert check_exchange(create(status=422, body={"error": "bad"}, sent={"agent_id": "a", "contact_number": "+1555"})) == []
    assert check_exchange(create(status=400, body=None, sent={"agent_id": "a", "contact_number": 91})) == []


# ── calls: read, cancel, delete ──────────────────────────────────────────────
def test_calls_get_an_answer_about_another_call_is_caught():
    """'Retrieve status and details for a specific call.'"""
    found = check_exchange(ex("GET", f"/calls/{OTHER_ID}", 200, CALL))
    assert clauses(found) == {"CALLS-GET"}


def test_calls_get_the_same_id_in_another_case_passes():
    """Ids are compared as ids: a server may write its UUIDs in another case."""
    assert check_exchange(ex("GET", f"/calls/{CALL_ID.upper()}", 200, CALL)) == []


def test_calls_cancel_a_success_not_cancelled_or_without_cancelled_at_is_caught():
    """'Response — 200 OK {"data": {…, "status": "cancelled", "cancelled_at": …}}'."""
    wrong = check_exchange(ex("POST", f"/calls/{CALL_ID}/cancel", 200, {"data": {**CANCELLED["data"], "status": "scheduled"}}))
    assert "CALLS-CANCEL" in clauses(wrong)
    bare = check_exchange(ex("POST", f"/calls/{CALL_ID}/cancel", 200, {"data": {"call_id": CALL_ID, "status": "cancelled"}}))
    assert "CALLS-CANCEL" in clauses(bare)


def test_calls_cancel_the_docs_answer_with_extra_fields_passes():
    """The docs' cancel answer; fields a server adds are its own (D-extra-response-fields)."""
    body = {"data": {**CANCELLED["data"], "agent_id": "agent_123"}, "request_id": "r"}
    assert check_exchange(ex("POST", f"/calls/{CALL_ID}/cancel", 200, body)) == []


def test_calls_delete_a_success_not_deleted_is_caught():
    """'Response — 200 OK {"data": {"call_id": …, "deleted": true}}'."""
    found = check_exchange(ex("DELETE", f"/calls/{CALL_ID}", 200, {"data": {"call_id": CALL_ID, "deleted": "yes"}}))
    assert "CALLS-DELETE" in clauses(found)


def test_calls_delete_the_docs_answer_passes():
    """'Permanently deletes a completed call …': the docs' answer."""
    assert check_exchange(ex("DELETE", f"/calls/{CALL_ID}", 200, DELETED)) == []


def get(status_or_code, call_status=None, call_id=CALL_ID, at=None) -> Exchange:
    if call_status is None:
        return ex("GET", f"/calls/{call_id}", status_or_code, None, at=at)
    return ex("GET", f"/calls/{call_id}", status_or_code, {"data": {**CALL["data"], "call_id": call_id,
                                                                   "status": call_status}}, at=at)


def cancel(status=200, call_id=CALL_ID) -> Exchange:
    return ex("POST", f"/calls/{call_id}/cancel", status,
              {"data": {**CANCELLED["data"], "call_id": call_id}} if status == 200 else {"error": "CONFLICT"})


def delete(status=200, call_id=CALL_ID) -> Exchange:
    return ex("DELETE", f"/calls/{call_id}", status, {"data": {"call_id": call_id, "deleted": True}} if status == 200 else None)


def watch(*exchanges: Exchange, watcher: Watcher | None = None) -> list[Violation]:
    watcher = watcher or Watcher()
    return [v for e in exchanges for v in watcher.observe(e)]


def test_calls_delete_a_call_read_after_its_delete_succeeded_is_caught():
    """'Permanently deletes a completed call and erases all associated end-customer PII'."""
    assert clauses(watch(get(200, "completed"), delete(), get(200, "completed"))) == {"CALLS-DELETE"}
    assert clauses(watch(delete(), delete())) == {"CALLS-DELETE"}
    assert clauses(watch(delete(), cancel())) == {"CALLS-DELETE"}


def test_calls_delete_gone_as_404_or_410_passes():
    """After a DELETE: 404, or 410 Gone (D-erasure); a second DELETE 404."""
    assert watch(get(200, "completed"), delete(), get(404), get(410), delete(404)) == []


def test_calls_delete_engagement_a_cancelled_call_deleted_is_caught():
    """'Only works on calls that have a recorded engagement.' A cancelled call never started."""
    assert clauses(watch(cancel(), delete())) == {"CALLS-DELETE-ENGAGEMENT"}


def test_calls_cancel_409_a_cancel_of_a_started_call_answered_200_is_caught():
    """'Cancel a call in pending or scheduled status. Returns 409 if already started or completed.'"""
    for started in ("in_progress", "completed", "failed"):
        assert clauses(watch(get(200, started), cancel())) == {"CALLS-CANCEL-409"}, started


def test_calls_cancel_409_a_started_call_reading_cancelled_is_caught():
    """'Returns 409 if already started or completed': a started call never becomes cancelled."""
    assert clauses(watch(get(200, "in_progress"), get(200, "cancelled"))) == {"CALLS-CANCEL-409"}


def test_calls_cancel_409_cancels_the_docs_allow_pass():
    """A scheduled call cancelled; cancelled again with 200 (D-cancel-again); a started one refused with 409
    (D-call-lifecycle: when a call starts is the server's)."""
    assert watch(create(), get(200, "scheduled"), cancel(), cancel(), get(200, "cancelled")) == []
    assert watch(get(200, "scheduled", call_id=OTHER_ID), cancel(409, call_id=OTHER_ID),
                 get(200, "in_progress", call_id=OTHER_ID)) == []


def test_calls_cancel_a_cancelled_call_reading_another_status_is_caught():
    """'Cancel a call in pending or scheduled status': once cancelled (200), it stays cancelled."""
    assert clauses(watch(get(200, "scheduled"), cancel(), get(200, "scheduled"))) == {"CALLS-CANCEL"}


def test_calls_status_values_a_status_moving_back_is_caught():
    """'"status": … // scheduled | in_progress | completed | failed | cancelled': the lifecycle's order."""
    assert clauses(watch(get(200, "completed"), get(200, "scheduled"))) == {"CALLS-STATUS-VALUES"}
    assert clauses(watch(get(200, "in_progress"), get(200, "pending"))) == {"CALLS-STATUS-VALUES"}


def test_calls_status_values_a_call_going_forward_passes():
    """Created scheduled, read in progress at once (D-call-lifecycle), then completed; pending and
    scheduled in either order; a replay of the create (D-idempotency) says nothing of the call now."""
    assert watch(create(idem="k"), get(200, "in_progress"), get(200, "completed"), create(idem="k"),
                 get(200, "completed")) == []
    assert watch(get(200, "scheduled", call_id=OTHER_ID), get(200, "pending", call_id=OTHER_ID),
                 get(200, "failed", call_id=OTHER_ID)) == []


def test_calls_idempotency_the_same_key_and_body_making_two_calls_is_caught():
    """'Supports idempotent creation via the Idempotency-Key header.'"""
    second = create(idem="order-1", body={"data": {"call_id": OTHER_ID, "status": "scheduled"}})
    assert clauses(watch(create(idem="order-1"), second)) == {"CALLS-IDEMPOTENCY"}


def test_calls_idempotency_replays_and_other_bodies_pass():
    """A replay answered 200 with the first call (D-idempotency); another body, another key, another API
    key, or a retry long after: the docs say nothing of those."""
    other = {"data": {"call_id": OTHER_ID, "status": "scheduled"}}
    assert watch(create(idem="a"), create(status=200, idem="a")) == []
    assert watch(create(idem="b"), create(idem="b", body=other, sent={**DOCS_CREATE_BODY, "contact_name": "X"})) == []
    assert watch(create(idem="c"), create(idem="c", body=other, key="sk_other")) == []
    assert watch(create(idem="d", at=T0), create(idem="d", body=other, at=T0 + timedelta(days=2))) == []


def test_watcher_remembers_at_most_max_calls():
    """State is bounded: the oldest call is forgotten first."""
    watcher = Watcher(max_calls=2)
    ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(3)]
    for call_id in ids:
        watcher.observe(delete(call_id=call_id))
    assert watcher.observe(get(200, "completed", call_id=ids[0])) == []  # forgotten
    assert clauses(watcher.observe(get(200, "completed", call_id=ids[2]))) == {"CALLS-DELETE"}


# ── availability ─────────────────────────────────────────────────────────────
def test_avail_arithmetic_available_not_ai_minus_filled_is_caught():
    """'available_slots is computed as ai_slots − filled_slots.'"""
    assert clauses(check_exchange(availability(slots=[slot(available_slots=8)]))) == {"AVAIL-ARITHMETIC"}


def test_avail_arithmetic_below_zero_either_reading_passes():
    """D-available-not-negative: a capacity under its bookings leaves 0, or the negative difference."""
    assert check_exchange(availability(slots=[slot(ai_slots=2, filled_slots=3, available_slots=0)])) == []
    negative = check_exchange(availability(slots=[slot(ai_slots=2, filled_slots=3, available_slots=-1)]))
    assert "AVAIL-ARITHMETIC" not in clauses(negative)


def test_avail_slot_id_not_calendar_id_and_date_is_caught():
    """'The slot_id in availability results uses the 2-part format calendar_id||YYYY-MM-DD.'"""
    found = check_exchange(availability(slots=[slot(slot_id=f"{CALENDAR}||2026-06-15||{TYPE}")]))
    assert "AVAIL-SLOT-ID" in clauses(found)


def test_avail_slot_id_of_the_docs_and_lists_in_any_order_pass():
    """The docs' slot; two slots in either order (D-list-order)."""
    other = slot(calendar_id=TYPE, slot_id=f"{TYPE}||2026-06-15", session="Evening")
    assert check_exchange(availability(slots=[other, SLOT])) == []


def test_avail_open_windows_a_wrong_weekday_or_a_closed_slot_is_caught():
    """'Returns all open calendar windows for a specific date'."""
    assert clauses(check_exchange(availability(slots=[slot(day="sunday")]))) == {"AVAIL-OPEN-WINDOWS"}
    assert clauses(check_exchange(availability(slots=[slot(status="CLOSED")]))) == {"AVAIL-OPEN-WINDOWS"}


def test_avail_date_an_answer_for_another_date_or_without_the_date_is_caught():
    """'date | Yes | Date to check — YYYY-MM-DD': the answer is for that date, and it is required."""
    wrong = ex("GET", "/appointment-slots/availability", 200, {"success": True, "date": "2026-06-16", "slots": []},
               query=(("date", "2026-06-15"),))
    assert clauses(check_exchange(wrong)) == {"AVAIL-DATE"}
    empty = {"success": True, "date": "2026-06-15", "slots": []}
    assert clauses(check_exchange(availability(date=None, body=empty))) == {"AVAIL-DATE"}


def test_avail_date_an_impossible_date_read_as_another_passes():
    """D-date-format: 2026-02-30 read as 2026-03-02, as JavaScript does, answered for that date."""
    monday = slot(slot_id=f"{CALENDAR}||2026-03-02", day="monday")
    rolled = ex("GET", "/appointment-slots/availability", 200, {"success": True, "date": "2026-03-02", "slots": [monday]},
                query=(("date", "2026-02-30"),))
    assert check_exchange(rolled) == []


def test_avail_session_filter_a_slot_of_another_session_is_caught():
    """'session | No | Filter by session: Morning, Afternoon, or Evening'."""
    found = check_exchange(availability(slots=[SLOT, slot(session="Evening")], session="Morning"))
    assert clauses(found) == {"AVAIL-SESSION-FILTER"}


def test_avail_session_filter_an_undocumented_session_filtering_to_nothing_passes():
    """D-filter-values: session=Night may be answered 200 with no slot; an empty filter filters nothing."""
    assert check_exchange(availability(slots=[], session="Night")) == []
    assert check_exchange(availability(slots=[SLOT, slot(session="Evening")], session="")) == []


def test_avail_branch_filter_a_slot_of_another_branch_is_caught():
    """'branch_id | No | Filter by branch UUID'."""
    found = check_exchange(availability(slots=[SLOT], branch_id="another_branch"))
    assert clauses(found) == {"AVAIL-BRANCH-FILTER"}


def test_avail_branch_filter_matching_slots_pass():
    """Only that branch's slots."""
    assert check_exchange(availability(slots=[SLOT], branch_id="branch_uuid_here")) == []


def test_slots_400_a_missing_date_refused_without_validation_error_is_caught():
    """'400 | VALIDATION_ERROR | Missing required parameter (date or date_from)'."""
    found = check_exchange(ex("GET", "/appointment-slots/availability", 400, {"error": {"code": "BAD_REQUEST"}}))
    assert clauses(found) == {"SLOTS-400"}


def test_slots_400_validation_error_in_any_body_and_other_refusals_pass():
    """The code anywhere in the body (D-error-envelope); a 401 or 403 before validation (D-validation-order)."""
    assert check_exchange(ex("GET", "/appointment-slots/availability", 400, {"error": "VALIDATION_ERROR"})) == []
    assert check_exchange(ex("GET", "/appointment-slots/availability", 401, {"error": "nope"})) == []


# ── schedule tracking ────────────────────────────────────────────────────────
def test_track_records_available_not_max_minus_filled_is_caught():
    """'"max_slots": 20, "filled_slots": 3, "available_slots": 17'."""
    assert clauses(check_exchange(tracking([record(available_slots=18)]))) == {"TRACK-RECORDS"}


def test_track_records_a_record_outside_the_range_or_of_another_weekday_is_caught():
    """'Returns per-date schedule tracking records' of date_from…date_to."""
    outside = tracking([record(date="2026-06-22", day_of_week="monday")], date_to="2026-06-21")
    assert clauses(check_exchange(outside)) == {"TRACK-RECORDS"}
    assert clauses(check_exchange(tracking([record(day_of_week="tuesday")]))) == {"TRACK-RECORDS"}


def test_track_records_a_week_in_reverse_order_passes():
    """Records of the range, latest first (D-list-order), with fields a server adds."""
    week = [record(date=f"2026-06-{d}", day_of_week=day, livemode=False)
            for d, day in zip(range(21, 14, -1), ("sunday", "saturday", "friday", "thursday", "wednesday", "tuesday", "monday"))]
    assert check_exchange(tracking(week, date_to="2026-06-21")) == []


def test_track_date_to_default_records_after_date_from_without_date_to_are_caught():
    """'date_to | No | End date — YYYY-MM-DD (defaults to date_from if omitted)'."""
    found = check_exchange(tracking([RECORD, record(date="2026-06-16", day_of_week="tuesday")]))
    assert clauses(found) == {"TRACK-DATE-TO-DEFAULT"}


def test_track_date_to_default_an_empty_date_to_read_as_omitted_passes():
    """D-empty-as-omitted: date_to="" may be read as omitted."""
    assert check_exchange(tracking([RECORD], date_to="")) == []


def test_track_slot_id_not_three_parts_is_caught():
    """'The slot_id in schedule tracking results uses the 3-part format calendar_id||YYYY-MM-DD||appointment_type_id.'"""
    found = check_exchange(tracking([record(slot_id=f"{CALENDAR}||2026-06-15")]))
    assert "TRACK-SLOT-ID" in clauses(found)


def test_track_filters_records_of_another_session_or_service_are_caught():
    """'appointment_type_id | No | Filter by service UUID; session | No | Filter by session'."""
    assert clauses(check_exchange(tracking([RECORD], session="Evening"))) == {"TRACK-FILTERS"}
    assert clauses(check_exchange(tracking([RECORD], appointment_type_id=CALENDAR))) == {"TRACK-FILTERS"}


def test_track_filters_a_branch_filter_against_what_availability_answered_is_caught():
    """'branch_id | No | Filter by branch UUID': records carry no branch; availability says whose window it is."""
    watcher = Watcher()
    assert watcher.observe(availability()) == []
    assert clauses(watcher.observe(tracking([RECORD], branch_id="another_branch"))) == {"TRACK-FILTERS"}


def test_track_filters_matching_records_pass():
    """Records of that session, service and branch."""
    watcher = Watcher()
    assert watch(availability(), tracking([RECORD], session="Morning", appointment_type_id=TYPE,
                                          branch_id="branch_uuid_here"), watcher=watcher) == []


def test_track_date_from_missing_answered_200_is_caught():
    """'date_from | Yes | Start date — YYYY-MM-DD'."""
    assert clauses(check_exchange(tracking([], date_from=None, date_to="2026-06-21"))) == {"TRACK-DATE-FROM"}


# ── the tracking PATCH ───────────────────────────────────────────────────────
def test_patch_three_part_an_id_of_another_form_accepted_is_caught():
    """'The {slot_id} must be the 3-part format from a schedule-tracking response'."""
    assert clauses(check_exchange(patch({"status": "CLOSED"}, slot_id=f"{CALENDAR}||2026-06-15"))) == {"PATCH-THREE-PART"}


def test_patch_three_part_refused_or_percent_encoded_or_204_passes():
    """Refused with any 4xx (D-two-part-id-in-patch); '%7C%7C' is '||'; any 2xx, any body (D-patch-response)."""
    assert check_exchange(patch({"status": "CLOSED"}, 404, slot_id=CALENDAR, body={"code": "NOT_FOUND"})) == []
    assert check_exchange(patch({"status": "CLOSED"}, 204, slot_id=quote(RECORD_ID, safe=""))) == []


def test_patch_404_without_not_found_is_caught():
    """'404 | NOT_FOUND | Schedule tracking record not found (PATCH only)'."""
    assert clauses(check_exchange(patch({"status": "OPEN"}, 404, body={"error": "missing"}))) == {"PATCH-404"}


def test_patch_status_not_reflected_in_the_next_read_is_caught():
    """'status | "OPEN" or "CLOSED" — overrides the window's status for this date only'."""
    assert clauses(watch(patch({"status": "CLOSED"}), tracking([RECORD]))) == {"PATCH-STATUS"}


def test_patch_max_slots_not_reflected_in_the_next_read_is_caught():
    """'max_slots | Override the slot capacity for this date only'."""
    found = watch(patch({"max_slots": 25}, body={"anything": True}), tracking([RECORD]))
    assert clauses(found) == {"PATCH-MAX-SLOTS"}


def test_patch_status_and_max_slots_reflected_or_reset_by_a_regenerate_pass():
    """Reflected in the next read; after a regenerate of that date, kept or dropped (D-regenerate-counters);
    a refused PATCH, or one of values read as omitted (D-empty-as-omitted), awaits nothing."""
    changed = record(status="CLOSED", max_slots=25, available_slots=22)
    assert watch(patch({"status": "CLOSED"}), patch({"max_slots": 25}, 204), tracking([changed])) == []
    regen = ex("POST", "/appointment-slots/regenerate", 200, COUNTS, sent={"date_from": "2026-06-15", "date_to": "2026-06-30"})
    assert watch(patch({"status": "CLOSED"}), regen, tracking([RECORD])) == []
    assert watch(patch({"max_slots": 2}, 409, body={"code": "CAPACITY_BELOW_BOOKINGS"}), tracking([RECORD])) == []
    assert watch(patch({"status": "", "max_slots": None}), tracking([RECORD])) == []


def test_patch_computed_a_count_sent_and_then_read_is_caught():
    """'Filled and available counts are always computed from live appointment data and cannot be set directly.'"""
    found = watch(tracking([RECORD]), patch({"filled_slots": 10}), tracking([record(filled_slots=10, available_slots=10)]))
    assert clauses(found) == {"PATCH-COMPUTED"}


def test_patch_computed_a_count_sent_and_ignored_passes():
    """D-unknown-body-fields: the counts may be refused, or ignored (and then not set)."""
    assert watch(tracking([RECORD]), patch({"filled_slots": 10, "available_slots": 0}), tracking([RECORD])) == []
    # A new capacity moves the available count by itself.
    assert watch(tracking([RECORD]), patch({"max_slots": 5, "available_slots": 2}),
                 tracking([record(max_slots=5, available_slots=2)])) == []


# ── regenerate ───────────────────────────────────────────────────────────────
def regen(body=COUNTS, status=200, sent=None) -> Exchange:
    return ex("POST", "/appointment-slots/regenerate", status, body,
              sent={"date_from": "2026-06-15", "date_to": "2026-06-30"} if sent is None else sent)


def test_regen_response_counts_missing_or_not_counts_are_caught():
    """'Response — 200 OK {"success": true, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}'."""
    assert "REGEN-RESPONSE" in clauses(check_exchange(regen({"success": True, "processed": 16})))
    assert "REGEN-RESPONSE" in clauses(check_exchange(regen({**COUNTS, "errors": -1})))
    assert "REGEN-RESPONSE" in clauses(check_exchange(regen({**COUNTS, "skipped": True})))


def test_regen_response_counts_of_records_pass():
    """D-regenerate-counters: whether the counts are of dates or of records the docs leave open."""
    assert check_exchange(regen({**COUNTS, "processed": 40, "upserted": 38, "skipped": 2, "request_id": "r"})) == []


def test_regen_response_processed_fewer_than_the_dates_with_records_is_caught():
    """'Recreates schedule tracking records for a date range': every date of it with records is processed."""
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    week = [record(date=f"2026-06-{15 + n}", day_of_week=days[n]) for n in range(7)]
    found = watch(tracking(week, date_to="2026-06-21"),
                  regen({**COUNTS, "processed": 6, "upserted": 6}, sent={"date_from": "2026-06-15", "date_to": "2026-06-21"}))
    assert clauses(found) == {"REGEN-RESPONSE"}
    assert watch(tracking(week, date_to="2026-06-21"), regen(sent={"date_from": "2026-06-15", "date_to": "2026-06-21"})) == []


def test_regen_dates_without_date_from_answered_200_is_caught():
    """'date_from | Yes | Start of the regeneration range — YYYY-MM-DD'."""
    assert clauses(check_exchange(regen(sent={"date_to": "2026-06-30"}))) == {"REGEN-DATES"}
    assert clauses(check_exchange(regen({"message": "date_from?"}, 400, sent={"date_to": "2026-06-30"}))) == {"SLOTS-400"}


# ── robustness: any answer is judged, none crashes a check ──────────────────
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                           max_leaves=20)
ROUTES = [("POST", "/calls"), ("GET", f"/calls/{CALL_ID}"), ("POST", f"/calls/{CALL_ID}/cancel"),
          ("DELETE", f"/calls/{CALL_ID}"), ("GET", "/appointment-slots/availability"),
          ("GET", "/appointment-slots/schedule-tracking"), ("PATCH", f"/appointment-slots/tracking/{RECORD_ID}"),
          ("POST", "/appointment-slots/regenerate")]
FIELDS = ["data", "slots", "date", "success", "status", "call_id", "slot_id", "max_slots", "processed"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), status=st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 429, 500]),
       body=JSON_VALUES | st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=5)
       | st.binary(max_size=30).map(lambda b: {"raw": b.decode("latin-1")}),
       sent=JSON_VALUES, query=st.lists(st.tuples(st.sampled_from(["date", "date_from", "date_to", "session"]),
                                                  st.sampled_from(["2026-06-15", "", "2026-02-30", "x"])), max_size=3),
       garbage=st.booleans())
def test_no_check_fails_on_any_answer(route, status, body, sent, query, garbage):
    """A check judges what it is given: a body of any shape, or none a JSON reader can take, never breaks it."""
    method, path = route
    exchange = ex(method, path, status, None if garbage else body, raw=b"\xff{not json" if garbage else None,
                  sent=sent, query=query, at=T0)
    watcher = keyed_watcher()
    for found in (check_exchange(exchange), watcher.observe(exchange), watcher.observe(exchange)):
        assert all(isinstance(v, Violation) and v.clause and "\n" not in v.message for v in found)


# ── real exchanges: the docs' flows on the bundled mock ─────────────────────
def docs_flows(client, clock) -> list:
    """The docs' own example flows over HTTP (create, read, cancel; a call that completes and is deleted;
    idempotent create; availability; tracking; PATCH; regenerate), the errors they document, and a
    burst of the throttled key: every response, in order."""
    record_id = RECORD_ID
    out = []

    def send(method, url, key=KEY, **kw):
        headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **kw.pop("headers", {})}
        out.append(client.request(method, url, headers=headers, **kw))
        return out[-1]

    first = send("POST", "/v1/calls", json=DOCS_CREATE_BODY).json()["data"]["call_id"]
    send("GET", f"/v1/calls/{first}")
    send("POST", f"/v1/calls/{first}/cancel")
    send("GET", f"/v1/calls/{first}")
    send("POST", f"/v1/calls/{first}/cancel")
    send("DELETE", f"/v1/calls/{first}")  # no engagement: refused
    idem = {"Idempotency-Key": "docs-flow-1"}
    second = send("POST", "/v1/calls", json=DOCS_CREATE_BODY, headers=idem).json()["data"]["call_id"]
    send("POST", "/v1/calls", json=DOCS_CREATE_BODY, headers=idem)
    send("GET", f"/v1/calls/{second}")
    clock.advance(timedelta(minutes=15))
    send("GET", f"/v1/calls/{second}")
    send("POST", f"/v1/calls/{second}/cancel")
    send("DELETE", f"/v1/calls/{second}")
    send("GET", f"/v1/calls/{second}")
    send("DELETE", f"/v1/calls/{second}")
    send("GET", "/v1/appointment-slots/availability", params={"date": "2026-06-15", "session": "Morning"})
    send("GET", "/v1/appointment-slots/availability", params={"date": "2026-06-15"})
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15", "date_to": "2026-06-21"})
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15"})
    for name, value in (("appointment_type_id", TYPE), ("session", "Evening"), ("branch_id", "branch_uuid_here")):
        send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15", name: value})
    send("PATCH", f"/v1/appointment-slots/tracking/{record_id}", json={"status": "CLOSED"})
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15"})
    send("PATCH", f"/v1/appointment-slots/tracking/{quote(record_id, safe='')}", json={"max_slots": 25})
    send("PATCH", f"/v1/appointment-slots/tracking/{record_id}", json={"filled_slots": 11})  # cannot be set
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15", "date_to": "2026-06-21"})
    send("POST", "/v1/appointment-slots/regenerate", json={"date_from": "2026-06-15", "date_to": "2026-06-30"})
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15", "date_to": "2026-06-21"})
    send("POST", "/v1/appointment-slots/regenerate", json={"date_from": "2026-06-15"})
    # What the docs say is refused.
    send("POST", "/v1/calls", json={**DOCS_CREATE_BODY, "contact_number": "+15555550100"})
    send("POST", "/v1/calls", json={"contact_number": "+919876543210"})
    send("GET", f"/v1/calls/{OTHER_ID}")
    send("GET", "/v1/appointment-slots/availability")
    send("GET", "/v1/appointment-slots/schedule-tracking", params={"date_to": "2026-06-21"})
    send("POST", "/v1/appointment-slots/regenerate", json={"date_to": "2026-06-30"})
    send("PATCH", f"/v1/appointment-slots/tracking/{OTHER_ID}||2026-06-15||{OTHER_ID}", json={"status": "OPEN"})
    send("GET", "/v1/appointment-slots/availability", key=None, params={"date": "2026-06-15"})
    send("GET", "/v1/appointment-slots/availability", key="sk_test_calls_read", params={"date": "2026-06-15"})
    send("GET", f"/v1/calls/{first}", key="sk_test_slots_read")
    send("POST", "/v1/appointment-slots/regenerate", key="sk_test_no_scope", json={"date_from": "1900-01-01"})
    for _ in range(5):
        send("GET", f"/v1/calls/{OTHER_ID}", key="sk_test_throttled")
    assert any(r.status_code == 429 for r in out), "the throttled key was not throttled"
    return out


def exchanges_of(responses) -> list[Exchange]:
    return [from_response(r, "/v1") for r in responses]


def test_the_docs_flows_on_the_bundled_mock_break_no_clause(client, clock):
    """The bundled mock, met as any server: the docs' own flows through a Watcher with the keys file give 0 violations."""
    responses = docs_flows(client, clock)
    assert {r.status_code for r in responses} >= {200, 201, 400, 401, 403, 404, 409, 422, 429}
    watcher = keyed_watcher()
    found = [(e.method, e.path, v) for e in exchanges_of(responses) for v in watcher.observe(e)]
    assert found == []


sys.path.insert(0, str(ROOT))
from tests.variants.legitimate import VARIANTS as LEGITIMATE  # noqa: E402


def docs_flows_on(variant) -> list:
    """The docs' flows against the mock with `variant` applied: [(exchange, violation)] as a Watcher saw them."""
    from mock_server.app import create_app
    from mock_server.clock import Clock
    from mock_server.state import Settings, State

    clock = Clock(source=lambda: FIXED)
    with variant.apply():
        app = create_app(State(Settings(), clock=clock), validate_responses=False)
        responses = docs_flows(app.test_client(), clock)
    watcher = keyed_watcher()
    return [(e, v) for e in exchanges_of(responses) for v in watcher.observe(e)]


@pytest.mark.parametrize("variant", LEGITIMATE, ids=lambda v: v.name)
def test_the_docs_flows_on_a_legitimate_variant_break_no_clause(variant):
    """A server that differs from the mock only where the docs are silent breaks no clause in the docs' flows."""
    found = [(e.method, e.path, e.status, v) for e, v in docs_flows_on(variant)]
    assert found == []


from tests.variants.broken import VARIANTS as BROKEN  # noqa: E402

# Broken variants whose break the docs' flows, met as traffic, do not show under the variant's
# clause, and why. The proxy reports the others with the variant's own clause.
NOT_SHOWN = {
    "retry_after_is_always_zero": "Retry-After: 0 and the retry at once: an Exchange holds when an answer came, not when "
                                  "its request left, so a 429 again within RETRY_MARGIN is not judged",
    "availability_lists_windows_closed_by_definition": "a window's own CLOSED status is set through the calendar-window "
                                                       "endpoints, which the docs do not include: no answer shows it",
    "filled_slots_count_every_appointment": "which appointments are confirmed, no answer of the documented API shows",
    "patch_of_unknown_record_is_500": "shown as SPEC-CONFORMANCE (a 5xx); that the record does not exist no answer says",
    "patch_override_applies_to_every_date": "another date's record taking the PATCHed value could as well come from a "
                                            "change to the window itself (calendar-window endpoints, not in the docs)",
    "call_lacks_updated_at": "shown as SPEC-CONFORMANCE (the schema); SPEC-LINKS is the suite's stateful test",
    "deleted_call_still_readable_through_links": "shown as CALLS-DELETE; SPEC-LINKS is the suite's stateful test",
    "created_call_not_found_at_first": "a 404 for a call created earlier may follow its completion and a delete by "
                                       "another client: how soon a call can complete the docs do not say",
}


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_the_docs_flows_on_a_broken_variant_show_its_clause(variant):
    """A server broken in one clause, met by the docs' flows, is reported under that clause (or is in NOT_SHOWN, with why)."""
    found = {v.clause for _, v in docs_flows_on(variant)}
    if variant.name in NOT_SHOWN:
        assert variant.clause not in found, f"now shown as {variant.clause}: take it out of NOT_SHOWN"
    else:
        assert variant.clause in found, sorted(found)
