"""Robustness under concurrency and interruption, and extreme dates (issue: "Fast and
hard to break"). In process, through the ASGI app, with response validation on."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from conftest import auth_header

DOCS_SLOT_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479"
BODY = {"agent_id": "agent_123", "contact_number": "+919876543210"}


def asgi_client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")


@pytest.mark.parametrize("day,status", [("2026-02-29", 400), ("2028-02-29", 200), ("0000-01-01", 400),
                                        ("9999-12-31", 200), ("0001-01-01", 200)])
def test_extreme_and_impossible_dates_are_answered_not_crashed(client, day, status):
    """'Date to check — YYYY-MM-DD': 2026-02-29 does not exist (400); 2028-02-29 and 9999-12-31 do (200)."""
    response = client.get("/v1/appointment-slots/availability", params={"date": day}, headers=auth_header())
    assert response.status_code == status, response.text


def test_concurrent_patches_to_one_record_leave_the_last_write(app, state):
    """D-max-slots-bounds: concurrent overrides of one record never corrupt it; the last one applied is what reads show."""
    async def run():
        finished = []

        async def patch(value):
            async with asgi_client(app) as client:
                response = await client.patch(f"/v1/appointment-slots/tracking/{DOCS_SLOT_ID}",
                                              json={"max_slots": value}, headers=auth_header())
            assert response.status_code == 200, response.text
            finished.append(response.json()["data"]["max_slots"])

        await asyncio.gather(*[patch(v) for v in range(100, 160)])
        return finished

    finished = asyncio.run(run())
    record = state.slots.record(DOCS_SLOT_ID)
    assert sorted(finished) == list(range(100, 160))  # every write answered with its own value
    assert record.max_slots == finished[-1]  # the last one applied wins
    assert state.slots.consistency_errors() == []


def test_concurrent_cancel_and_progress_of_one_call_end_in_one_consistent_state(app, state, clock):
    """'Cancel a call in pending or scheduled status. Returns 409 if already started': racing the clock, one outcome only."""
    for round_ in range(20):
        call_id = state.calls.create(agent_id="a", contact_number="+919876543210", contact_name=None,
                                     contact_email=None, additional_info=None, now=clock.now()).call_id
        clock.advance(timedelta(minutes=2) - timedelta(milliseconds=1))  # one tick before it starts

        async def race():
            async with asgi_client(app) as client:
                async def cancel():
                    return (await client.post(f"/v1/calls/{call_id}/cancel", headers=auth_header())).status_code

                async def progress():
                    await asyncio.sleep(0)
                    clock.advance(timedelta(minutes=5))
                    return (await client.post("/_mock/clock/advance", json={"seconds": 0})).status_code
                first, second = (cancel(), progress()) if round_ % 2 else (progress(), cancel())
                return await asyncio.gather(first, second)

        asyncio.run(race())
        call = state.calls.get(call_id, clock.now())
        if call.status == "cancelled":
            assert call.cancelled_at is not None and call.engagement is None and call.started_at is None
        else:
            assert call.status == "completed" and call.cancelled_at is None and call.engagement is not None


def test_an_interrupted_load_run_leaves_consistent_state_and_no_stuck_idempotency_key(make_client, clock):
    """D-idempotency: a first request that never finished leaves no record; the store stays consistent."""
    state, app, _ = make_client(create_latency=timedelta(milliseconds=50))

    async def load_then_interrupt():
        async with asgi_client(app) as client:
            tasks = [asyncio.create_task(client.post("/v1/calls", json=BODY,
                                                     headers={**auth_header(), "Idempotency-Key": f"load-{i}"}))
                     for i in range(200)]
            tasks += [asyncio.create_task(client.patch(f"/v1/appointment-slots/tracking/{DOCS_SLOT_ID}",
                                                       json={"max_slots": 30 + i}, headers=auth_header()))
                      for i in range(50)]
            await asyncio.sleep(0.01)  # every create is inside its latency, holding its key
            for task in tasks:
                task.cancel()
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(load_then_interrupt())
    assert any(isinstance(r, asyncio.CancelledError) for r in results), "the run was not interrupted"
    assert state.slots.consistency_errors() == []
    assert all(record.done for record in state.idempotency._records.values()), "a key is stuck in flight"
    made = len(state.calls)

    async def retry():
        async with asgi_client(app) as client:
            return await client.post("/v1/calls", json=BODY, headers={**auth_header(), "Idempotency-Key": "load-7"})

    response = asyncio.run(retry())
    assert response.status_code == 201, response.text  # not 409: the key was released
    first = results[7]
    if isinstance(first, asyncio.CancelledError):  # the first request never finished: a new call
        assert len(state.calls) == made + 1
    else:  # it finished before the interruption: the retry replays it
        assert response.json()["data"]["call_id"] == first.json()["data"]["call_id"]
        assert len(state.calls) == made
