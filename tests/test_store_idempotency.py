"""IdempotencyStore (mock_server/store/idempotency.py), after the IETF draft
"The Idempotency-Key HTTP Header Field".

Docs: "Supports idempotent creation via the Idempotency-Key header."
Choices: docs/decisions.md D-idempotency and D-erasure.
"""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone

import pytest

from mock_server.clock import Clock
from mock_server.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from mock_server.store.idempotency import IdempotencyStore
from walk import strings_in  # noqa: E402

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
BODY = {
    "agent_id": "agent_123",
    "contact_number": "+919876543210",
    "contact_name": "Raj Patel",
    "contact_email": "raj@company.com",
    "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"},
}
CREATED = ({"data": {"call_id": "550e8400-e29b-41d4-a716-446655440000", "status": "scheduled"}},
           201, {"Location": "/v1/calls/550e8400-e29b-41d4-a716-446655440000"})


@pytest.fixture
def clock() -> Clock:
    clock = Clock(source=lambda: T0)
    clock.freeze()
    return clock


@pytest.fixture
def store() -> IdempotencyStore:
    return IdempotencyStore()


def run_once(store: IdempotencyStore, clock: Clock, owner: str, key: str, body=BODY, response=CREATED):
    """A first request with this key: claim it, then record its response."""
    assert store.begin(owner, key, body, clock.now()) is None
    response_body, status, headers = response
    store.finish(owner, key, status, response_body, headers)


# ── begin / finish / abandon ──────────────────────────────────────────────
def test_same_key_and_body_replays_the_first_status_body_and_headers(store, clock):
    """Decision D-idempotency: "the same key and body replay the first status, body and headers (no second call)"."""
    run_once(store, clock, "docs-your-api-key", "key-1")
    clock.advance(timedelta(minutes=5))
    replay = store.begin("docs-your-api-key", "key-1", copy.deepcopy(BODY), clock.now())
    assert replay is not None
    assert (replay.body, replay.status, replay.headers) == CREATED
    assert len(store) == 1


def test_same_idempotency_key_with_different_body_is_rejected(store, clock):
    """Decision D-idempotency: "the same key with another body is 422 IDEMPOTENCY_KEY_REUSED"."""
    run_once(store, clock, "owner", "key-1")
    other = {**BODY, "contact_number": "+919876543211"}
    with pytest.raises(IdempotencyKeyReused) as exc:
        store.begin("owner", "key-1", other, clock.now())
    assert exc.value.status == 422 and exc.value.field == "Idempotency-Key"
    # the refused attempt does not disturb the original record
    assert store.begin("owner", "key-1", BODY, clock.now()).status == 201


def test_retry_while_first_request_is_in_flight_is_409(store, clock):
    """Decision D-idempotency: "a retry while the first is in flight is 409 IDEMPOTENCY_KEY_IN_USE"."""
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    with pytest.raises(IdempotencyKeyInUse) as exc:
        store.begin("owner", "key-1", BODY, clock.now())
    assert exc.value.status == 409


def test_a_failed_first_request_leaves_no_record_so_it_may_be_retried(store, clock):
    """Decision D-idempotency: "a first request that failed leaves no record, so it may be retried"."""
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.abandon("owner", "key-1")
    assert len(store) == 0
    run_once(store, clock, "owner", "key-1")
    # only an unfinished first request is dropped: a finished one still replays
    store.abandon("owner", "key-1")
    assert store.begin("owner", "key-1", BODY, clock.now()).status == 201


def test_same_key_under_two_api_keys_never_collides(store, clock):
    """Decision D-idempotency: "records are per API key (keys of different API keys never collide)"."""
    other_body = {**BODY, "contact_name": "Someone Else"}
    other_response = ({"data": {"call_id": "other", "status": "scheduled"}}, 201, {})
    run_once(store, clock, "key-a", "shared-key")
    # another API key using the same Idempotency-Key is a new request: no 422, no replay
    run_once(store, clock, "key-b", "shared-key", body=other_body, response=other_response)
    assert store.begin("key-a", "shared-key", BODY, clock.now()).body == CREATED[0]
    assert store.begin("key-b", "shared-key", other_body, clock.now()).body == other_response[0]


# ── retention ─────────────────────────────────────────────────────────────
def test_record_still_replays_just_before_24_hours(store, clock):
    """Decision D-idempotency: records are "kept 24 hours on the mock clock"."""
    run_once(store, clock, "owner", "key-1")
    clock.advance(timedelta(hours=23, minutes=59))
    assert store.begin("owner", "key-1", BODY, clock.now()).status == 201


def test_record_expires_after_24_hours(store, clock):
    """Decision D-idempotency: records are "kept 24 hours on the mock clock" — then the key is free again."""
    run_once(store, clock, "owner", "key-1")
    clock.advance(timedelta(hours=24, seconds=1))
    other = {**BODY, "contact_name": "New Request"}
    assert store.begin("owner", "key-1", other, clock.now()) is None  # a fresh claim: no replay, no 422


def test_records_do_not_grow_without_bound(store, clock):
    """Decision D-idempotency: records are kept 24 hours — so 72 hours of traffic holds at most a day's worth."""
    every = timedelta(minutes=10)
    per_day = timedelta(hours=24) // every
    sizes = []
    for n in range(3 * per_day):  # 72 hours of clock time
        run_once(store, clock, f"owner-{n % 3}", f"key-{n}")
        sizes.append(len(store))
        clock.advance(every)
    assert max(sizes) <= per_day + 1
    assert sizes[-1] >= per_day - 1  # the records of the last day are still there


def test_expire_drops_stale_records_without_a_new_request(store, clock):
    """Decision D-idempotency: records are kept 24 hours, then forgotten even if no request comes."""
    for n in range(5):
        run_once(store, clock, "owner", f"key-{n}")
    clock.advance(timedelta(hours=12))
    run_once(store, clock, "owner", "late")
    clock.advance(timedelta(hours=12, seconds=1))
    store.expire(clock.now())
    assert len(store) == 1
    assert store.begin("owner", "late", BODY, clock.now()).status == 201


def test_record_older_than_24_hours_is_not_replayed_even_after_the_clock_was_set_back(store, clock):
    """Decision D-idempotency: records are "kept 24 hours on the mock clock" (Clock.set may move it back)."""
    clock.set(T0 + timedelta(hours=5))
    run_once(store, clock, "owner", "first")
    clock.set(T0)  # the control plane sets the clock back
    run_once(store, clock, "owner", "second")
    clock.set(T0 + timedelta(hours=24, minutes=1))  # "second" is now 24 h 1 min old
    assert store.begin("owner", "second", BODY, clock.now()) is None


# ── the fingerprint ───────────────────────────────────────────────────────
def test_fingerprint_ignores_key_order(store, clock):
    """Decision D-idempotency: "the same key and body replay" — the same JSON body, whatever its key order."""
    run_once(store, clock, "owner", "key-1")
    reordered = dict(reversed(list(BODY.items())))
    reordered["additional_info"] = dict(reversed(list(BODY["additional_info"].items())))
    assert list(reordered) != list(BODY)
    assert store.begin("owner", "key-1", reordered, clock.now()).status == 201


def test_fingerprint_does_not_ignore_values(store, clock):
    """Decision D-idempotency: "the same key with another body is 422" — any changed value is another body."""
    run_once(store, clock, "owner", "key-1")
    for change in ({"contact_name": "Raj  Patel"},                                    # a value
                   {"additional_info": {"company": "Acme Corp", "deal_stage": "closed"}},  # a nested value
                   {"contact_email": None},                                        # null
                   {"additional_info": {"company": "Acme Corp", "deal_stage": 1}},  # a type
                   {"extra": 1}):                                                  # an added field
        with pytest.raises(IdempotencyKeyReused):
            store.begin("owner", "key-1", {**BODY, **change}, clock.now())


def test_record_keeps_only_a_fingerprint_of_the_request_body(store, clock):
    """Decision D-erasure: "Idempotency records never held the body (only a SHA-256 fingerprint)"."""
    run_once(store, clock, "owner", "key-1")
    assert store.begin("owner", "key-1", BODY, clock.now()) is not None  # a replay read too
    stored = list(strings_in(store))
    pii = ("+919876543210", "Raj Patel", "raj@company.com", "Acme Corp", "negotiation")
    assert [s for s in stored for value in pii if value in s] == []
    # what is stored is a SHA-256 digest and the (PII-free) response
    record = next(iter(store._records.values()))
    assert isinstance(record.fingerprint, bytes) and len(record.fingerprint) == 32
    assert any(CREATED[0]["data"]["call_id"] in s for s in stored)


# ── how a record is kept (bench/memory.py: a record per keyed create adds up) ─
def location_of(body):
    return {"Location": f"/v1/calls/{body['data']['call_id']}"}


def test_replay_with_rebuilt_headers_is_the_first_response_exactly(store, clock):
    """Decision D-idempotency: the replay is the first status, body and headers; headers that
    `rebuild_headers` makes again from the body are not stored, and come back the same."""
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.finish("owner", "key-1", CREATED[1], CREATED[0], CREATED[2], location_of)
    record = store.begin("owner", "key-1", BODY, clock.now())
    assert record.response(location_of) == CREATED
    assert b"Location" not in record._response  # kept once, in the body's call_id


@pytest.mark.parametrize("headers", [
    {"Location": "/v1/calls/elsewhere"},                                        # another value
    {"Location": CREATED[2]["Location"], "X-Extra": "1"},                       # one more
    {},                                                                         # none
])
def test_headers_that_rebuild_headers_does_not_give_back_are_stored(store, clock, headers):
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.finish("owner", "key-1", 201, CREATED[0], headers, location_of)
    replay = store.begin("owner", "key-1", BODY, clock.now())
    assert replay.response(location_of) == (CREATED[0], 201, headers)
    assert replay.headers == headers and list(replay.headers) == list(headers)


def test_header_order_is_part_of_what_is_replayed(store, clock):
    headers = {"X-B": "2", "X-A": "1"}
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.finish("owner", "key-1", 201, CREATED[0], headers, lambda body: {"X-A": "1", "X-B": "2"})
    replayed_headers = store.begin("owner", "key-1", BODY, clock.now()).response()[2]
    assert list(replayed_headers.items()) == [("X-B", "2"), ("X-A", "1")]


@pytest.mark.parametrize("body", [
    {"data": {"call_id": "550e8400-e29b-41d4-a716-446655440000", "status": "scheduled"}},
    {"unicode": "राज 😀", "lone": "\ud800", "n": [1, 1.5, -0.0, 10**30, True, None], "nested": {"a": {"b": []}}},
    [], "text", 0,
])
def test_replayed_body_is_the_first_body_exactly(store, clock, body):
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.finish("owner", "key-1", 201, body, {})
    replay = store.begin("owner", "key-1", BODY, clock.now())
    assert repr(replay.body) == repr(body) and replay.status == 201 and replay.headers == {}


def test_owner_and_key_never_run_together(store, clock):
    """Decision D-idempotency: records are per API key — ("ab", "c") and ("a", "bc") are two records."""
    run_once(store, clock, "ab", "c")
    assert store.begin("a", "bc", {**BODY, "contact_name": "Other"}, clock.now()) is None
    assert len(store) == 2


def test_a_key_claimed_again_after_a_failed_request_expires_by_its_new_time(store, clock):
    """Decision D-idempotency: kept 24 hours from the claim that recorded the response (the
    failed first claim leaves nothing behind, and does not hold up the expiry of later keys)."""
    assert store.begin("owner", "retried", BODY, clock.now()) is None
    store.abandon("owner", "retried")
    clock.advance(timedelta(hours=1))
    run_once(store, clock, "owner", "second")
    clock.advance(timedelta(hours=1))
    run_once(store, clock, "owner", "retried")             # claimed again, 2 h after the first try
    clock.advance(timedelta(hours=23, minutes=30))         # "second" is 24 h 30 min old, "retried" 23 h 30 min
    store.expire(clock.now())
    assert len(store) == 1
    assert store.begin("owner", "retried", BODY, clock.now()).status == 201
    assert store.begin("owner", "second", {**BODY, "contact_name": "New"}, clock.now()) is None


def test_clear_forgets_everything(store, clock):
    for n in range(3):
        run_once(store, clock, "owner", f"key-{n}")
    store.clear()
    assert len(store) == 0 and not store._order
    assert store.begin("owner", "key-0", {**BODY, "contact_name": "New"}, clock.now()) is None


def test_a_rebuild_that_fails_on_the_body_keeps_the_headers(store, clock):
    assert store.begin("owner", "key-1", BODY, clock.now()) is None
    store.finish("owner", "key-1", 200, {"no": "data"}, {"Location": "/x"}, location_of)
    assert store.begin("owner", "key-1", BODY, clock.now()).response(location_of) == ({"no": "data"}, 200, {"Location": "/x"})
