"""State a scenario needs (a started call, a completed call): made through the
mock's control API when the target offers it, otherwise taken from the
environment, otherwise the test is skipped with a reason saying what to set."""
from __future__ import annotations

import os

import pytest

from .client import Api
from .control import control_for
from .target import Target

ENV_FOR_STATUS = {
    "in_progress": "IN_PROGRESS_CALL_ID",
    "completed": "COMPLETED_CALL_ID",
    "deletable": "DELETABLE_CALL_ID",
}
SAFE_NUMBER = "+910000000000"  # matches the documented format; no Indian number starts with 0 after +91


class Seeds:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.control = control_for(target)

    def contact_number(self) -> str:
        number = self.target.contact_number
        if number is None:
            pytest.skip("creates a call: needs ALLOW_WRITES=1 and TEST_CONTACT_NUMBER off the bundled mock")
        return number

    def new_call(self, api: Api, **fields) -> str:
        key = self.target.key_with("calls:create")
        if key is None:
            pytest.skip("the keys file has no key with calls:create")
        body = {"agent_id": "agent_123", "contact_number": self.contact_number(), **fields}
        response = api.post("/calls", key=key, json_body=body)
        assert response.status_code == 201, f"creating a call to seed the scenario failed: {response.status_code}"
        return response.json()["data"]["call_id"]

    def call_in(self, api: Api, status: str) -> str:
        """A call in `status` ('in_progress', 'completed', or 'deletable': completed, yours to delete)."""
        if self.control is None:
            variable = ENV_FOR_STATUS[status]
            call_id = os.environ.get(variable)
            if not call_id:
                pytest.skip(f"needs a call that is {status}: the target has no control API; set {variable}")
            return call_id
        call_id = self.new_call(api)
        self.control.transition(call_id, "completed" if status == "deletable" else status)
        return call_id
