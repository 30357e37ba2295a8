"""Issue 12: "Export, import, /_mock/calls and journal reads of 100,000 calls must not stall /v1
traffic." The work that grows with the number of calls runs in a worker thread, on a snapshot
of calls that nothing changes (store/calls.py); bench/control_load.py measures the latency.

Each test here holds that work until a /v1 request has been answered: had it run on the event
loop's thread, the /v1 request could not be answered meanwhile."""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import httpx
import pytest

from conftest import auth_header
from mock_server import snapshot, validation
from mock_server.handlers import control
from mock_server.state import State
from mock_server.store.calls import CallStore

HOLD_SECONDS = 5.0


def held(original, gate: threading.Event, starved: list):
    """`original`, once `gate` opens; notes if it had to give up waiting (the loop was stuck)."""
    def wrapper(*args, **kwargs):
        if not gate.wait(HOLD_SECONDS):
            starved.append(original.__name__)
        return original(*args, **kwargs)
    return wrapper


async def serves_v1_meanwhile(app, method: str, path: str, **kwargs) -> tuple[httpx.Response, httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        heavy = asyncio.create_task(http.request(method, path, **kwargs))
        await asyncio.sleep(0.05)  # the heavy request is now waiting on the gate
        light = await http.get("/v1/appointment-slots/availability?date=2026-06-15", headers=auth_header())
        return light, heavy


def run_held(app, monkeypatch, target, name: str, method: str, path: str, **kwargs):
    gate, starved = threading.Event(), []
    monkeypatch.setattr(target, name, held(getattr(target, name), gate, starved))

    async def scenario():
        light, heavy = await serves_v1_meanwhile(app, method, path, **kwargs)
        gate.set()
        return light, await heavy
    light, heavy = asyncio.run(scenario())
    assert not starved, f"{starved[0]} ran on the event loop's thread: /v1 waited for it"
    assert light.status_code == 200
    return heavy


@pytest.fixture
def many_calls(state):
    now = state.clock.now()
    for n in range(1500):  # an export of ~0.6 MB: its import body is parsed off the loop too
        state.calls.create(agent_id=f"agent_{n}", contact_number="+919876543210", contact_name=f"Customer {n}",
                           contact_email=None, additional_info={"n": n}, now=now)
    return state


def test_an_export_is_encoded_while_v1_requests_are_answered(app, many_calls, monkeypatch):
    """Issue 12: GET /_mock/state of many calls must not stall /v1 traffic."""
    heavy = run_held(app, monkeypatch, control, "encode_listing", "GET", "/_mock/state")
    assert heavy.status_code == 200 and len(heavy.json()["calls"]) == 1500


def test_the_calls_listing_is_encoded_while_v1_requests_are_answered(app, many_calls, monkeypatch):
    """Issue 12: GET /_mock/calls of many calls must not stall /v1 traffic."""
    heavy = run_held(app, monkeypatch, control, "encode_listing", "GET", "/_mock/calls")
    assert heavy.status_code == 200 and len(heavy.json()["data"]) == 1500


def test_an_import_is_built_while_v1_requests_are_answered(app, client, many_calls, monkeypatch):
    """Issue 12: PUT /_mock/state of many calls must not stall /v1 traffic."""
    exported = client.get("/_mock/state").content
    heavy = run_held(app, monkeypatch, State, "prepared_import", "PUT", "/_mock/state", content=exported,
                     headers={"Content-Type": "application/json"})
    assert heavy.status_code == 200 and heavy.json()["calls"] == 1500


def test_a_large_body_is_parsed_while_v1_requests_are_answered(app, client, many_calls, monkeypatch):
    """Issue 12: the JSON of a large import is parsed off the event loop (the body validator parses it)."""
    exported = client.get("/_mock/state").content
    assert len(exported) > validation.OFF_LOOP_BYTES
    heavy = run_held(app, monkeypatch, validation, "parse_json", "PUT", "/_mock/state", content=exported,
                     headers={"Content-Type": "application/json"})
    assert heavy.status_code == 200


def test_a_bad_large_import_is_still_a_400_that_changes_nothing(client, many_calls):
    """Bad input never breaks anything: a broken export is refused whole, nothing stored is lost."""
    exported = client.get("/_mock/state").json()
    exported["calls"][700]["status"] = "teleported"
    body = json.dumps(exported).encode()
    assert len(body) > validation.OFF_LOOP_BYTES
    refused = client.put("/_mock/state", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 400 and "state.calls[700].status" in refused.json()["error"]["message"]
    cut = client.put("/_mock/state", content=body[:-10], headers={"Content-Type": "application/json"})
    assert cut.status_code == 400 and cut.json()["error"]["code"] == "VALIDATION_ERROR"
    assert len(many_calls.calls) == 1500


def test_a_snapshot_of_the_calls_does_not_change_as_the_store_does(clock):
    """store/calls.py: 'A stored Call is never changed in place', so an export's snapshot is consistent."""
    store, now = CallStore(), clock.now()
    made = [store.create(agent_id="a", contact_number="+919876543210", contact_name=None, contact_email=None,
                         additional_info=None, now=now) for _ in range(4)]
    taken = store.snapshot()
    before = [snapshot.call_record(c) for c in taken]
    store.cancel(made[0].call_id, now)
    store.force(made[1].call_id, "in_progress", now)
    store.force(made[2].call_id, "failed", now)
    store.advance_all(now + timedelta(hours=1))
    assert [snapshot.call_record(c) for c in taken] == before
    assert [store.raw(c.call_id).status for c in made] == ["cancelled", "completed", "failed", "completed"]


def test_a_call_that_ends_while_exported_shows_the_same_engagement_when_read(client, state, new_call):
    """An export plays calls out on a snapshot without storing them: a later read must record the same
    engagement (the recording id is the call's, not a new random one)."""
    call_id = new_call()
    state.clock.advance(timedelta(hours=1))
    exported = next(c for c in client.get("/_mock/state").json()["calls"] if c["call_id"] == call_id)
    assert exported["status"] == "completed"
    assert client.get(f"/v1/calls/{call_id}", headers=auth_header()).status_code == 200
    listed = next(c for c in client.get("/_mock/calls").json()["data"] if c["call_id"] == call_id)
    assert listed["engagement"] == exported["engagement"]


@pytest.mark.parametrize("document", [
    {"format": "f", "clock": {"now": "2026-06-15T03:00:00.000Z"}, "branches": []},
    {"name": "é \ud800 \u2028 \"quoted\" \\ </script>", "n": 10 ** 30, "x": 1.5e-7, "nested": [{"a": None}]},
])
def test_a_listing_is_what_json_dumps_writes_byte_for_byte(clock, document):
    """snapshot.encode_listing builds the JSON one call at a time; the bytes are json.dumps' own."""
    store, now = CallStore(), clock.now()
    calls = [store.create(agent_id="a\ud800", contact_number="+919876543210", contact_name="Zoë",
                          contact_email=None, additional_info={"deep": [1, {"é": "\u2028"}]}, now=now)
             for _ in range(3)]
    expected = json.dumps({**document, "calls": [snapshot.call_record(c) for c in calls]}).encode()
    assert snapshot.encode_listing(document, "calls", calls) == expected
    assert snapshot.encode_listing(document, "calls", []) == json.dumps({**document, "calls": []}).encode()


def test_a_seeded_call_id_with_a_lone_surrogate_plays_out_to_completed(client, state):
    """Found by the raw fuzz: the recording id is derived from the call id, which a seed may give a lone
    surrogate; deriving it must not fail (it was a 500 on every later read of that session)."""
    seeded = client.post("/_mock/calls", content=b'{"call_id": "c\\udc00", "agent_id": "a", '
                         b'"contact_number": "+919876543210"}', headers={"Content-Type": "application/json"})
    assert seeded.status_code == 201
    state.clock.advance(timedelta(hours=1))
    listed = client.get("/_mock/calls")
    assert listed.status_code == 200
    assert [c["status"] for c in listed.json()["data"] if c["call_id"] == "c\udc00"] == ["completed"]
