"""What the compact storage of calls and idempotency records (bench/memory.py) must not
change on the wire: a replay is the first response byte for byte, and a call reads
back through GET exactly as it was created.

Docs: "Supports idempotent creation via the Idempotency-Key header."; decision D-idempotency.
"""
from __future__ import annotations

import json
from datetime import timedelta

from conftest import auth_header, call_body


def raw(response) -> tuple:
    """Status, headers (in order) and body bytes; RateLimit counts down per request, so not it."""
    headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"ratelimit"]
    return response.status_code, headers, response.content


def test_replay_is_the_first_response_byte_for_byte(client, clock):
    headers = {**auth_header(), "Idempotency-Key": "replay-bytes"}
    first = client.post("/v1/calls", json=call_body(), headers=headers)
    clock.advance(timedelta(hours=23))
    second = client.post("/v1/calls", json=call_body(), headers=headers)
    assert first.status_code == 201 and raw(second) == raw(first)
    assert second.headers["location"] == f"/v1/calls/{first.json()['data']['call_id']}"


def test_replay_outlives_the_deleted_call(client, clock):
    """Decision D-erasure: deleting a call does not change the replay of its create."""
    headers = {**auth_header(), "Idempotency-Key": "replay-after-delete"}
    first = client.post("/v1/calls", json=call_body(), headers=headers)
    call_id = first.json()["data"]["call_id"]
    clock.advance(timedelta(minutes=10))
    assert client.delete(f"/v1/calls/{call_id}", headers=auth_header()).status_code == 200
    assert raw(client.post("/v1/calls", json=call_body(), headers=headers)) == raw(first)


def test_a_call_reads_back_as_it_was_sent(client):
    """Docs: GET returns the call's contact details and additional_info — unicode, escapes and numbers intact."""
    sent = b'{"agent_id": "agent_\\u00fc", "contact_number": "+919876543210", "contact_name": "\\u0930\\u093e\\u091c \\ud83d\\ude00 \\"R\\\\J\\"", ' \
           b'"contact_email": "raj@company.com", "additional_info": {"z": "Zo\xc3\xab", "n": 12345678901234567890, "f": 0.1, ' \
           b'"neg0": -0.0, "e": 1e300, "t": true, "lone": "\\ud800", "a": "</script>\\n"}}'
    created = client.post("/v1/calls", content=sent, headers={**auth_header(), "Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    got = client.get(f"/v1/calls/{created.json()['data']['call_id']}", headers=auth_header())
    expected = json.loads(sent)
    data = json.loads(got.content)["data"]
    for name in ("agent_id", "contact_number", "contact_name", "contact_email", "additional_info"):
        assert repr(data[name]) == repr(expected[name]), name
    assert list(data["additional_info"]) == ["z", "n", "f", "neg0", "e", "t", "lone", "a"]
