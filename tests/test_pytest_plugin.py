"""Issue 13: the kit's pytest plugin (mock_server/pytest_plugin.py), used as an integrator would:
its fixtures are active in this run because the kit is installed (the `pytest11` entry point).
Each method of the control client does what control.yaml says, in the test's own session."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from mock_server.testing import Control, ControlError


def create_call(huskyvoice, **extra) -> str:
    response = requests.post(f"{huskyvoice.base_url}/calls", headers=huskyvoice.api_headers, timeout=10,
                             json={"agent_id": "agent_123", "contact_number": "+919876543210", **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"]["call_id"]


def test_the_session_fixture_serves_a_mock_with_a_key_of_every_scope(huskyvoice_mock):
    response = requests.get(f"{huskyvoice_mock.base_url}/appointment-slots/availability?date=2026-06-15",
                            headers={"Authorization": f"Bearer {huskyvoice_mock.api_key}"}, timeout=10)
    assert response.status_code == 200


def test_each_test_works_in_a_session_of_its_own(huskyvoice, huskyvoice_mock):
    """Plugin: "a fresh isolated X-Mock-Session per test"; the default state does not see it."""
    create_call(huskyvoice)
    assert len(huskyvoice.calls()) == 1
    assert Control(huskyvoice_mock.origin).calls() == []
    other = Control(huskyvoice_mock.origin, session="someone-else")
    assert other.calls() == []
    other.drop()


def test_the_clock_can_be_set_frozen_and_moved(huskyvoice):
    at = datetime(2026, 6, 15, 3, 0, tzinfo=timezone.utc)
    huskyvoice.set_clock(at, frozen=True)
    assert huskyvoice.now() == at
    call_id = create_call(huskyvoice)
    assert huskyvoice.advance(121) == 1  # started: scheduled 2 minutes after creation
    assert huskyvoice.now() == at + timedelta(seconds=121)
    huskyvoice.unfreeze()
    assert [c["status"] for c in huskyvoice.calls() if c["call_id"] == call_id] == ["in_progress"]


def test_calls_can_be_forced_and_seeded(huskyvoice):
    call_id = create_call(huskyvoice)
    assert huskyvoice.transition(call_id, "failed", {"code": "BUSY", "message": "Line busy"})["status"] == "failed"
    seeded = huskyvoice.seed_call(agent_id="agent_9", contact_number="+919876543210", status="completed")
    assert seeded["engagement"] is not None
    with pytest.raises(ControlError, match="400"):
        huskyvoice.seed_call(agent_id="agent_9")


def test_the_state_exports_imports_and_resets(huskyvoice):
    create_call(huskyvoice)
    exported = huskyvoice.export_state()
    huskyvoice.reset()
    assert huskyvoice.calls() == []
    huskyvoice.import_state(exported)
    assert len(huskyvoice.calls()) == 1


def test_faults_and_the_journal(huskyvoice):
    huskyvoice.fault("createCall", 503, times=1)
    response = requests.post(f"{huskyvoice.base_url}/calls", headers=huskyvoice.api_headers, timeout=10,
                             json={"agent_id": "agent_123", "contact_number": "+919876543210"})
    assert response.status_code == 503
    create_call(huskyvoice)
    assert [r["status"] for r in huskyvoice.requests_to("createCall")] == [503, 201]
    assert huskyvoice.journal(status=201)[0]["operation_id"] == "createCall"
    assert huskyvoice.clear_faults() == 1
