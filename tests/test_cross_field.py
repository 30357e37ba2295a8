"""The contract suite's cross-field policy (contract_tests/cross_field.py), on the mock's
real answers: what it excuses must be what the documented behaviour produces, and no more."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from conftest import auth_header, call_body

from contract_tests.cross_field import CreatedCalls
from contract_tests.spec import operations


def _case(operation_id: str, call_id: str | None = None):
    """The two things CreatedCalls reads of a Schemathesis case: its operation's method and path, its path parameters."""
    method, path, _ = operations()[operation_id]
    return SimpleNamespace(operation=SimpleNamespace(method=method.lower(), path=path),
                           path_parameters={"call_id": call_id} if call_id else {})


def test_a_404_for_the_call_of_a_replayed_create_is_excused_from_resource_availability(client, clock):
    """D-idempotency: "the same key and body replay the first status, body and headers" — also once the
    call is deleted, so the replayed id answers 404 without the create being broken (fuzz seed 11's ST302)."""
    created = CreatedCalls()
    headers = {**auth_header(), "Idempotency-Key": "replay-after-delete"}
    first = client.post("/v1/calls", json=call_body(), headers=headers)
    created.note(_case("createCall"), first)
    call_id = first.json()["data"]["call_id"]
    clock.advance(timedelta(hours=1))  # the call has completed: it may be deleted
    assert client.delete(f"/v1/calls/{call_id}", headers=auth_header()).status_code == 200
    assert not created.replayed(_case("deleteCall", call_id))

    replay = client.post("/v1/calls", json=call_body(), headers=headers)
    created.note(_case("createCall"), replay)
    assert (replay.status_code, replay.json()["data"]["call_id"]) == (201, call_id)
    assert client.delete(f"/v1/calls/{call_id}", headers=auth_header()).status_code == 404
    assert created.replayed(_case("deleteCall", call_id))


def test_calls_created_once_stay_held_to_resource_availability(client):
    """"Schedule a new AI voice call" — without a replay, every created call must be found (ST302 stands)."""
    created = CreatedCalls()
    ids = []
    for _ in range(2):
        response = client.post("/v1/calls", json=call_body(), headers=auth_header())
        created.note(_case("createCall"), response)
        ids.append(response.json()["data"]["call_id"])
    created.note(_case("getCall", ids[0]), client.get(f"/v1/calls/{ids[0]}", headers=auth_header()))
    assert ids[0] != ids[1]
    assert not any(created.replayed(_case("deleteCall", call_id)) for call_id in ids)
