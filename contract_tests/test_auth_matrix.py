"""Authentication and scopes for every documented operation. The requests are
harmless on any target: creates use a number that cannot ring, PATCHes name a
record that cannot exist, regenerates cover 1900-01-01."""
from __future__ import annotations

import uuid

import pytest

from .client import codes_in
from .conftest import need_key
from .exchange_checks import assert_holds
from .seeds import SAFE_NUMBER
from .spec import operations

NIL = "00000000-0000-0000-0000-000000000000"
# operationId → (path, json body) of a request that is valid but can change nothing.
HARMLESS = {
    "createCall": ("/calls", {"agent_id": "agent_123", "contact_number": SAFE_NUMBER}),
    "getCall": (f"/calls/{NIL}", None),
    "cancelCall": (f"/calls/{NIL}/cancel", None),
    "deleteCall": (f"/calls/{NIL}", None),
    "getAvailability": ("/appointment-slots/availability?date=2026-06-15", None),
    "getScheduleTracking": ("/appointment-slots/schedule-tracking?date_from=2026-06-15", None),
    "updateTrackingRecord": (f"/appointment-slots/tracking/{NIL}||2026-06-15||{NIL}", {"status": "OPEN"}),
    "regenerateTracking": ("/appointment-slots/regenerate", {"date_from": "1900-01-01"}),
}
OPS = operations()
# A request a correct server refuses, but a server ignoring auth would act on:
# off the mock, only those that cannot place a call or change a slot are sent.
ACTS_IF_AUTH_IGNORED = {"createCall", "regenerateTracking"}


def send(api, op_id, headers=None, key=None):
    method, _, _ = OPS[op_id]
    path, body = HARMLESS[op_id]
    return api.request(method, path, key=key, headers=headers, json_body=body, raw_path=False)


def test_every_documented_operation_is_in_the_matrix():
    """Each of the eight documented operations is checked below."""
    assert set(HARMLESS) == set(OPS)


@pytest.mark.clause("AUTH-HEADER", "AUTH-401")
@pytest.mark.parametrize("credentials", [
    None, "Bearer sk_contract_unknown_key_1b6c", "Basic c2tfbGl2ZTp4", "Bearer ", "sk_contract_unknown_key_1b6c"])
@pytest.mark.parametrize("op_id", sorted(HARMLESS))
def test_missing_or_invalid_key_is_401(api, target, op_id, credentials):
    """'Include your API key in the Authorization header of every request.'; '401 — missing or invalid API key'."""
    headers = {} if credentials is None else {"Authorization": credentials}
    response = send(api, op_id, headers=headers)
    assert response.status_code == 401


@pytest.mark.clause("AUTH-HEADER", "AUTH-401")
@pytest.mark.mock_only("D-bearer-scheme", observe=True)
def test_a_valid_key_without_the_bearer_scheme_is_401(api, target):
    """D-bearer-scheme: 'Authorization: Bearer sk_live_…' is the documented form; the bare key is refused on the mock."""
    key = need_key(target, "slots:read")
    assert send(api, "getAvailability", headers={"Authorization": key.secret}).status_code == 401


def _matrix():
    for op_id in sorted(HARMLESS):
        for scope in ("calls:create", "calls:read", "calls:cancel", "calls:delete",
                      "appointments:read", "appointments:write", "slots:read", "slots:write"):
            yield pytest.param(op_id, scope, id=f"{op_id}-{scope}")


@pytest.mark.clause("AUTH-403", "SLOTS-403", "SCOPE-GRANT-ONLY-NEEDED", "SCOPE-CALLS-CREATE", "SCOPE-CALLS-READ",
                    "SCOPE-CALLS-CANCEL", "SCOPE-CALLS-DELETE", "SCOPE-SLOTS-READ", "SCOPE-SLOTS-WRITE")
@pytest.mark.parametrize("op_id,scope", list(_matrix()))
def test_single_scope_key_is_403_unless_it_holds_the_operations_scope(api, target, op_id, scope):
    """'403 — API key does not have the required scope' (INSUFFICIENT_SCOPE); a key with the scope is not refused."""
    key = next((k for k in target.single_scope_keys() if k.scopes == {scope}), None)
    if key is None:
        pytest.skip(f"the keys file has no key with only {scope}")
    needed = OPS[op_id][2]["x-required-scope"]
    if scope == needed:
        if op_id == "createCall" and not target.can_create_calls:
            pytest.skip("creates a call: needs ALLOW_WRITES=1 and TEST_CONTACT_NUMBER off the bundled mock")
        if op_id in ACTS_IF_AUTH_IGNORED and not target.can_change_slots:
            pytest.skip("changes slots: needs ALLOW_WRITES=1 off the bundled mock")
        path, body = HARMLESS[op_id]
        if op_id == "createCall":
            body = {**body, "contact_number": target.contact_number}
        response = api.request(OPS[op_id][0], path, key=key, json_body=body)
        assert response.status_code not in (401, 403), "a key holding the operation's scope was refused"
        return
    if op_id == "getAvailability" and scope == "appointments:read" and not target.is_mock:
        pytest.skip("D-appointments-read-availability: the docs say appointments:read reads 'availability' too")
    response = send(api, op_id, key=key)
    assert response.status_code == 403
    if OPS[op_id][1].startswith("/appointment-slots"):
        assert_holds(response, api.base_url, "SLOTS-403")  # '403 | INSUFFICIENT_SCOPE'
    elif target.is_mock:
        assert "INSUFFICIENT_SCOPE" in codes_in(response.json())


@pytest.mark.clause("AUTH-403")
@pytest.mark.parametrize("op_id", sorted(HARMLESS))
def test_key_with_no_scope_is_403_everywhere(api, target, op_id):
    """'403 | Forbidden — API key does not have the required scope'."""
    key = next((k for k in target.keys if not k.scopes), None)
    if key is None:
        pytest.skip("the keys file has no key without scopes")
    assert send(api, op_id, key=key).status_code == 403


@pytest.mark.clause("AUTH-401")
@pytest.mark.mock_only("D-key-never-echoed", observe=True)
def test_rejected_key_is_never_echoed(api, target):
    """Security: a presented key appears in no response header or body."""
    secret = f"sk_contract_DISTINCTIVE_{uuid.uuid4().hex}"
    response = send(api, "getAvailability", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert secret not in response.text
    assert all(secret not in value for value in response.headers.values())
