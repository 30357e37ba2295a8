"""The calls endpoints over HTTP: create, retrieve, cancel, delete, the lifecycle
on the mock clock, and idempotent creation."""
from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from conftest import DOCS_CREATE_BODY, FIXED, OMIT, assert_error, auth_header, call_body
from mock_server.store.calls import Lifecycle

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
START_DELAY = timedelta(minutes=2)  # D-call-lifecycle: scheduled_at = created_at + 2 min
DURATION = timedelta(minutes=3)  # D-call-lifecycle: "after 3 minutes it is completed"
DOCUMENTED_CALL_FIELDS = {"call_id", "status", "agent_id", "contact_number", "contact_name", "contact_email",
                          "additional_info", "scheduled_at", "completed_at", "error", "created_at", "updated_at"}


def iso(at) -> str:
    """The docs' timestamp form, `2024-01-27T03:00:00.000Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def get(client, call_id):
    return client.get(f"/v1/calls/{call_id}", headers=auth_header())


def cancel(client, call_id):
    return client.post(f"/v1/calls/{call_id}/cancel", headers=auth_header())


def delete(client, call_id):
    return client.delete(f"/v1/calls/{call_id}", headers=auth_header())


def idem(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


# ── create ───────────────────────────────────────────────────────────────────
def test_create_call_is_201_with_call_id_and_status_scheduled(client, create_call):
    """Response — 201 Created: {"data": {"call_id": "...", "status": "scheduled"}}"""
    response = create_call(client)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"data"}
    assert set(body["data"]) == {"call_id", "status"}
    assert body["data"]["status"] == "scheduled"
    assert UUID_RE.match(body["data"]["call_id"])


def test_create_call_location_header_names_the_new_call(client, create_call):
    """D-location-header: the 201 carries `Location: /v1/calls/{call_id}`."""
    response = create_call(client)
    assert response.headers["location"] == f"/v1/calls/{response.json()['data']['call_id']}"


def test_create_call_stores_one_call(client, state, create_call):
    """"Schedule a voice call with an agent." — one POST, one call."""
    create_call(client)
    assert len(state.calls) == 1


def test_create_call_with_only_required_fields_is_201(client, create_call):
    """"contact_name" // optional, "contact_email" // optional, "additional_info" // optional"""
    response = create_call(client, contact_name=OMIT, contact_email=OMIT, additional_info=OMIT)
    assert response.status_code == 201, response.text


def test_get_call_returns_every_documented_field(client, new_call):
    """Retrieve call status — Response 200 OK lists call_id, status, agent_id, … created_at, updated_at."""
    response = get(client, new_call())
    assert response.status_code == 200, response.text
    assert DOCUMENTED_CALL_FIELDS <= set(response.json()["data"])


def test_get_call_echoes_what_was_sent(client, new_call):
    """"Retrieve status and details for a specific call." — the details are the ones sent."""
    call_id = new_call()
    data = get(client, call_id).json()["data"]
    assert data["call_id"] == call_id
    for name, value in DOCS_CREATE_BODY.items():
        assert data[name] == value, name


def test_get_new_call_is_scheduled_with_no_completion_and_no_error(client, new_call):
    """GET example: "status": "scheduled", "completed_at": null, "error": null"""
    data = get(client, new_call()).json()["data"]
    assert (data["status"], data["completed_at"], data["error"]) == ("scheduled", None, None)


def test_get_call_timestamps_follow_the_mock_clock(client, new_call):
    """D-call-lifecycle: created_at is now; scheduled_at = created_at + 2 min (docs: 03:00 → 03:02)."""
    data = get(client, new_call()).json()["data"]
    assert data["created_at"] == iso(FIXED)
    assert data["updated_at"] == iso(FIXED)
    assert data["scheduled_at"] == iso(FIXED + START_DELAY)


def test_get_call_with_only_required_fields_has_null_optional_details(client, create_call):
    """Call schema: contact_name and contact_email are nullable and null when not sent."""
    call_id = create_call(client, contact_name=OMIT, contact_email=OMIT).json()["data"]["call_id"]
    data = get(client, call_id).json()["data"]
    assert data["contact_name"] is None and data["contact_email"] is None


@pytest.mark.parametrize("missing", ["agent_id", "contact_number"])
def test_create_call_without_required_field_is_400_naming_it(client, state, create_call, missing):
    """"400 | Bad request — missing or invalid fields in the request body" (agent_id, contact_number // required)"""
    error = assert_error(create_call(client, **{missing: OMIT}), 400, "VALIDATION_ERROR")
    assert error["field"] == missing
    assert len(state.calls) == 0


@pytest.mark.parametrize("field, value", [
    ("agent_id", 123),
    ("agent_id", ""),
    ("agent_id", None),
    ("contact_number", 919876543210),
    ("contact_number", None),
    ("contact_number", ["+919876543210"]),
    ("contact_name", 5),
    ("contact_name", ""),
    ("contact_email", ["raj@company.com"]),
    ("contact_email", "not-an-email"),
    ("additional_info", "Acme Corp"),
    ("additional_info", ["company", "Acme Corp"]),
    ("additional_info", {"company": {"name": "Acme Corp"}}),  # D-additional-info-shape: nested is 400
    ("additional_info", {"company": "x" * 501}),  # D-additional-info-shape: strings ≤ 500
    ("additional_info", {f"k{i}": i for i in range(51)}),  # D-additional-info-shape: ≤ 50 keys
])
def test_create_call_with_ill_typed_field_is_400_naming_it(client, state, create_call, field, value):
    """"400 | Bad request — missing or invalid fields in the request body" """
    error = assert_error(create_call(client, **{field: value}), 400, "VALIDATION_ERROR")
    assert error["field"].split(".")[0] == field
    assert len(state.calls) == 0


@pytest.mark.parametrize("number", [
    "+15555550100",  # a US number: unsupported country code
    "+91123",  # too short
    "9876543210",  # no +91
    "919876543210",  # no +
    "+91 98765 43210",  # spaces
    "+91-9876543210",
    "+9198765432101",  # 11 digits
    "+91987654321a",
    "+91９８７６５４３２１０",  # full-width digits are not [0-9]
    "",
])
def test_create_call_with_non_indian_e164_number_is_422_invalid_phone_number(client, state, create_call, number):
    """"422 | Unprocessable entity — invalid phone number format or unsupported country code"; "+91 only" """
    error = assert_error(create_call(client, contact_number=number), 422, "INVALID_PHONE_NUMBER")
    assert error["field"] == "contact_number"
    assert len(state.calls) == 0


def test_create_call_with_unknown_body_field_is_400_naming_it(client, state, create_call):
    """D-unknown-body-fields: an unknown field is 400 naming it (a typo like contact_phone)."""
    error = assert_error(create_call(client, contact_phone="+919876543210"), 400, "VALIDATION_ERROR")
    assert error["field"] == "contact_phone"
    assert len(state.calls) == 0


@pytest.mark.parametrize("body", [[], "call", 1, None, [DOCS_CREATE_BODY]])
def test_create_call_with_non_object_body_is_400(client, state, body):
    """"400 | Bad request — missing or invalid fields in the request body" """
    assert_error(client.post("/v1/calls", json=body, headers=auth_header()), 400, "VALIDATION_ERROR")
    assert len(state.calls) == 0


# ── lifecycle on the mock clock ──────────────────────────────────────────────
def test_call_is_still_scheduled_just_before_its_start(client, clock, new_call):
    """D-call-lifecycle: at scheduled_at the call is in_progress — not before."""
    call_id = new_call()
    clock.advance(START_DELAY - timedelta(seconds=1))
    assert get(client, call_id).json()["data"]["status"] == "scheduled"


def test_call_is_in_progress_after_its_start_delay(client, clock, new_call):
    """D-call-lifecycle: at scheduled_at the call is in_progress."""
    call_id = new_call()
    clock.advance(START_DELAY)
    data = get(client, call_id).json()["data"]
    assert data["status"] == "in_progress"
    assert data["completed_at"] is None


def test_call_is_completed_after_its_duration(client, clock, new_call):
    """D-call-lifecycle: after 3 minutes it is completed (with completed_at)."""
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    data = get(client, call_id).json()["data"]
    assert data["status"] == "completed"
    assert data["completed_at"] == iso(FIXED + START_DELAY + DURATION)
    assert data["error"] is None


def test_failed_call_has_error_and_no_completed_at(make_client, clock):
    """D-call-lifecycle: with --call-outcome failed, `failed` with `error` set and `completed_at` null."""
    _, _, client = make_client(lifecycle=Lifecycle(outcome="failed"))
    call_id = client.post("/v1/calls", json=call_body(), headers=auth_header()).json()["data"]["call_id"]
    clock.advance(START_DELAY + DURATION)
    data = get(client, call_id).json()["data"]
    assert data["status"] == "failed"
    assert data["completed_at"] is None
    assert set(data["error"]) == {"code", "message"}


# ── cancel ───────────────────────────────────────────────────────────────────
def test_cancel_scheduled_call_is_200_with_cancelled_at(client, clock, new_call):
    """Cancel a call — Response 200 OK: {"data": {"call_id", "status": "cancelled", "cancelled_at"}}"""
    call_id = new_call()
    now = clock.advance(timedelta(seconds=30))
    response = cancel(client, call_id)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"call_id": call_id, "status": "cancelled", "cancelled_at": iso(now)}}


def test_cancelled_call_reads_back_as_cancelled(client, new_call):
    """"Cancel a call in pending or scheduled status." — and GET then shows it cancelled."""
    call_id = new_call()
    cancel(client, call_id)
    assert get(client, call_id).json()["data"]["status"] == "cancelled"


def test_cancelled_call_does_not_start_when_its_time_comes(client, clock, new_call):
    """A cancelled call stays cancelled: the lifecycle never moves it on."""
    call_id = new_call()
    cancel(client, call_id)
    clock.advance(START_DELAY + DURATION)
    assert get(client, call_id).json()["data"]["status"] == "cancelled"


def test_second_cancel_is_409_call_not_cancellable(client, new_call):
    """"Returns 409 if already started or completed" — a cancelled call is no longer pending or scheduled."""
    call_id = new_call()
    assert cancel(client, call_id).status_code == 200
    assert_error(cancel(client, call_id), 409, "CALL_NOT_CANCELLABLE")


def test_cancel_of_in_progress_call_is_409(client, clock, new_call):
    """"409 | Conflict — call cannot be cancelled because it has already started" """
    call_id = new_call()
    clock.advance(START_DELAY)
    assert_error(cancel(client, call_id), 409, "CALL_NOT_CANCELLABLE")
    assert get(client, call_id).json()["data"]["status"] == "in_progress"


def test_cancel_of_completed_call_is_409(client, clock, new_call):
    """"409 | Conflict — call cannot be cancelled because it has already … completed" """
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    assert_error(cancel(client, call_id), 409, "CALL_NOT_CANCELLABLE")
    assert get(client, call_id).json()["data"]["status"] == "completed"


UNKNOWN_IDS = [
    "550e8400-e29b-41d4-a716-446655440000",  # well-formed, never created
    "not-a-uuid",
    "550E8400-E29B-41D4-A716-44665544000Z",
    "%00",
    "%20",
    "'; DROP TABLE calls; --",
    "x" * 10_000,
]


@pytest.mark.parametrize("operation", ["get", "cancel", "delete"])
@pytest.mark.parametrize("call_id", UNKNOWN_IDS, ids=lambda v: v[:40])
def test_unknown_or_malformed_call_id_is_404_not_found(client, operation, call_id):
    """"Returns 404 if the call is not found"; D-call-id-any-string: a malformed id is simply not found."""
    response = {"get": get, "cancel": cancel, "delete": delete}[operation](client, call_id)
    assert_error(response, 404, "NOT_FOUND")


# ── delete ───────────────────────────────────────────────────────────────────
def test_delete_completed_call_is_200_deleted_true(client, clock, new_call):
    """Delete a call — Response 200 OK: {"data": {"call_id": "...", "deleted": true}}"""
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    response = delete(client, call_id)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"call_id": call_id, "deleted": True}}


def test_deleted_call_is_404(client, clock, new_call):
    """"Permanently deletes a completed call" — reading it again is 404."""
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    delete(client, call_id)
    assert_error(get(client, call_id), 404, "NOT_FOUND")


def test_deleted_call_is_erased_from_the_store(client, clock, state, new_call):
    """"erases all associated end-customer PII" — D-erasure: the whole record is removed, not flagged."""
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    assert state.calls.raw(call_id) is not None
    delete(client, call_id)
    assert state.calls.raw(call_id) is None


def test_second_delete_is_404(client, clock, new_call):
    """"Returns 404 if the call is not found." — after a delete it is not."""
    call_id = new_call()
    clock.advance(START_DELAY + DURATION)
    assert delete(client, call_id).status_code == 200
    assert_error(delete(client, call_id), 404, "NOT_FOUND")


@pytest.mark.parametrize("stage", ["scheduled", "in_progress", "cancelled"])
def test_delete_of_call_without_engagement_is_409_call_not_deletable(client, clock, state, new_call, stage):
    """D-delete-without-engagement: "Only works on calls that have a recorded engagement" — else 409."""
    call_id = new_call()
    if stage == "in_progress":
        clock.advance(START_DELAY)
    elif stage == "cancelled":
        cancel(client, call_id)
    assert_error(delete(client, call_id), 409, "CALL_NOT_DELETABLE")
    assert get(client, call_id).json()["data"]["status"] == stage
    assert state.calls.raw(call_id) is not None


# ── idempotency ──────────────────────────────────────────────────────────────
def test_same_idempotency_key_and_body_replays_the_first_response(client, create_call):
    """D-idempotency: the same key and body replay the first status, body and headers."""
    first = create_call(client, headers=idem("order-1"))
    second = create_call(client, headers=idem("order-1"))
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert second.headers["location"] == first.headers["location"]


def test_same_idempotency_key_and_body_creates_one_call(client, state, create_call):
    """"Supports idempotent creation via the Idempotency-Key header." — no second call."""
    create_call(client, headers=idem("order-1"))
    create_call(client, headers=idem("order-1"))
    assert len(state.calls) == 1


def test_without_idempotency_key_each_create_is_a_new_call(client, state, create_call):
    """"Schedule a voice call" — without an Idempotency-Key, two POSTs are two calls."""
    ids = {create_call(client).json()["data"]["call_id"] for _ in range(2)}
    assert len(ids) == 2 and len(state.calls) == 2


def test_same_idempotency_key_with_different_body_is_422(client, state, create_call):
    """D-idempotency: the same key with another body is 422 IDEMPOTENCY_KEY_REUSED."""
    create_call(client, headers=idem("order-1"))
    response = create_call(client, headers=idem("order-1"), contact_name="Someone Else")
    assert_error(response, 422, "IDEMPOTENCY_KEY_REUSED")
    assert len(state.calls) == 1


def test_same_idempotency_key_from_two_api_keys_is_two_calls(client, state, create_call):
    """D-idempotency: records are per API key (keys of different API keys never collide)."""
    a = create_call(client, headers=idem("order-1"), key="YOUR_API_KEY")
    b = create_call(client, headers=idem("order-1"), key="sk_test_calls_create")
    assert a.status_code == b.status_code == 201
    assert a.json()["data"]["call_id"] != b.json()["data"]["call_id"]
    assert len(state.calls) == 2


def test_idempotency_key_still_replays_just_before_24_hours(client, clock, state, create_call):
    """D-idempotency: records are kept 24 hours on the mock clock."""
    first = create_call(client, headers=idem("order-1"))
    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    again = create_call(client, headers=idem("order-1"))
    assert again.json()["data"]["call_id"] == first.json()["data"]["call_id"]
    assert len(state.calls) == 1


def test_idempotency_key_expires_after_24_hours(client, clock, state, create_call):
    """D-idempotency: records are kept 24 hours on the mock clock — after that the key makes a new call."""
    first = create_call(client, headers=idem("order-1"))
    clock.advance(timedelta(hours=24, seconds=1))
    again = create_call(client, headers=idem("order-1"))
    assert again.status_code == 201
    assert again.json()["data"]["call_id"] != first.json()["data"]["call_id"]
    assert len(state.calls) == 2


@pytest.mark.parametrize("key", [b"has space", b"x" * 256, b"tab\there", "é".encode("utf-8"), b"\x7f"],
                         ids=["space", "256-chars", "tab", "non-ascii", "del"])
def test_malformed_idempotency_key_is_400(client, state, create_call, key):
    """D-idempotency-key-format: 1–255 visible ASCII characters; anything else is 400."""
    response = client.post("/v1/calls", json=call_body(),
                           headers={**auth_header(), "Idempotency-Key": key})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["field"] == "Idempotency-Key"
    assert len(state.calls) == 0


async def _post_many(app, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ac:
        return await asyncio.gather(*(ac.post("/v1/calls", json=body, headers=headers) for body, headers in requests))


def test_retry_while_first_create_is_in_flight_is_409(make_client):
    """D-idempotency: a retry while the first is in flight is 409 IDEMPOTENCY_KEY_IN_USE."""
    state, app, _ = make_client(create_latency=timedelta(milliseconds=200))
    headers = {**auth_header(), **idem("order-1")}
    first, retry = asyncio.run(_post_many(app, [(call_body(), headers)] * 2))
    assert first.status_code == 201, first.text
    assert_error(retry, 409, "IDEMPOTENCY_KEY_IN_USE")
    assert len(state.calls) == 1


def test_retry_after_in_flight_create_finishes_replays_it(make_client):
    """D-idempotency: once the first request has finished, the same key and body replay it."""
    state, app, client = make_client(create_latency=timedelta(milliseconds=100))
    headers = {**auth_header(), **idem("order-1")}
    first, _ = asyncio.run(_post_many(app, [(call_body(), headers)] * 2))
    replay = client.post("/v1/calls", json=call_body(), headers=headers)
    assert replay.status_code == 201
    assert replay.json() == first.json()


def test_100_concurrent_creates_with_one_key_make_one_call(app, state):
    """D-idempotency: the same key and body replay the first response (no second call), under concurrency."""
    headers = {**auth_header(), **idem("order-1")}
    responses = asyncio.run(_post_many(app, [(call_body(), headers)] * 100))
    assert len(state.calls) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    created = {r.json()["data"]["call_id"] for r in responses if r.status_code == 201}
    assert len(created) == 1


def test_100_creates_with_one_key_from_threads_make_one_call(client, state):
    """D-idempotency: one call per key even when requests race on real threads."""
    headers = {**auth_header(), **idem("order-1")}
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: client.post("/v1/calls", json=call_body(), headers=headers), range(100)))
    assert len(state.calls) == 1
    assert {r.status_code for r in responses} <= {201, 409}
    assert len({r.json()["data"]["call_id"] for r in responses if r.status_code == 201}) == 1


def test_500_concurrent_creates_over_50_keys_make_50_calls(app, state):
    """D-idempotency: one call per Idempotency-Key, whatever the interleaving."""
    requests = [(call_body(), {**auth_header(), **idem(f"order-{i % 50}")}) for i in range(500)]
    responses = asyncio.run(_post_many(app, requests))
    assert len(state.calls) == 50
    by_key: dict[str, set[str]] = {}
    for (_, headers), response in zip(requests, responses):
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            by_key.setdefault(headers["Idempotency-Key"], set()).add(response.json()["data"]["call_id"])
    assert all(len(ids) == 1 for ids in by_key.values())
    assert len(set().union(*by_key.values())) == len(by_key)
