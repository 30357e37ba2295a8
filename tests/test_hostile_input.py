"""Input a client that gets things wrong (or an attacker) sends: never a 500, always the
one JSON envelope with a documented 4xx, and nothing stored is lost. Each test is a
defect that once reached a 500 (issue 12)."""
from __future__ import annotations

import pytest

from conftest import assert_error, auth_header, call_body

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
