"""The contract suite's safety rule: 'Against any target that is not the bundled mock,
the suite sends no request that can create calls or change slots unless ALLOW_WRITES=1;
creating calls also needs TEST_CONTACT_NUMBER' (README, in bold)."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.schema import document_for, load
from contract_tests.spec import WRITE_OPERATIONS
from contract_tests.target import Target

KEYS = Path(__file__).resolve().parent.parent / "fixtures" / "api_keys.yaml"


def target(is_mock: bool, allow_writes: bool = False, contact: str | None = None) -> Target:
    return Target(base_url="http://127.0.0.1:9/v1", is_mock=is_mock, allow_writes=allow_writes,
                  contact_number=contact, keys=(), keys_file=KEYS)


def operation_ids(doc: dict) -> set[str]:
    return {op["operationId"] for item in doc["paths"].values() for op in item.values()
            if isinstance(op, dict) and "operationId" in op}


def link_targets(doc: dict) -> set[str]:
    return {link["operationId"] for item in doc["paths"].values() for op in item.values() if isinstance(op, dict)
            for response in op.get("responses", {}).values() if isinstance(response, dict)
            for link in response.get("links", {}).values()}


def test_off_the_mock_without_allow_writes_schemathesis_sees_no_write_operation():
    """No request that can create calls or change slots unless ALLOW_WRITES=1."""
    doc = document_for(target(is_mock=False))
    assert operation_ids(doc).isdisjoint(WRITE_OPERATIONS)
    assert link_targets(doc).isdisjoint(WRITE_OPERATIONS)
    assert operation_ids(doc) == {"getCall", "getAvailability", "getScheduleTracking"}


@pytest.mark.parametrize("contact", [None, "+919999999999"])
def test_off_the_mock_call_creation_is_never_fuzzed_even_with_allow_writes(contact):
    """Schemathesis never fuzzes call creation off the mock: a generated number could ring anyone."""
    doc = document_for(target(is_mock=False, allow_writes=True, contact=contact))
    assert "createCall" not in operation_ids(doc)
    assert "updateTrackingRecord" in operation_ids(doc)


def test_loaded_schemathesis_schema_has_only_the_read_operations_off_the_mock():
    """The filter holds in the schema Schemathesis loads, not only in the document."""
    schema = load(target(is_mock=False), seed=1, key_secret=None)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert labels == {"GET /calls/{call_id}", "GET /appointment-slots/availability",
                      "GET /appointment-slots/schedule-tracking"}


def test_the_bundled_mock_gets_every_operation():
    """On the bundled mock every documented operation is fuzzed."""
    assert len(operation_ids(document_for(target(is_mock=True)))) == 8
