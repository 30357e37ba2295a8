"""Schema conformance of every operation, generated from openapi.yaml by Schemathesis:
its examples, coverage and fuzzing phases, positive and negative data, every check
that applies. Off the bundled mock, the spec's x-mock-choice keywords are relaxed
and write operations are left out unless ALLOW_WRITES=1 (never call creation)."""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from . import schema as schema_module
from .cross_field import IdempotencyLedger, breaks_rule
from .spec import docs_valid

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    ignored_auth,
    unsupported_method,
    allow_header_conformance,
]
LEDGER = IdempotencyLedger()


@pytest.fixture(scope="session")
def auth_headers(target):
    key = target.full_key()
    if key is None:
        pytest.skip("the keys file has no key at all")
    return {"Authorization": f"Bearer {key.secret}"}


@pytest.fixture(scope="session")
def api_schema(target, seed, auth_headers):
    return schema_module.load(target, seed, key_secret=None)


schema = schemathesis.pytest.from_fixture("api_schema")


def leaves_open(case, target) -> bool:
    """Off the mock: a request the mock refuses only by a choice of ours (x-mock-choice on the
    request side) is valid under the docs' reading, so the server need not refuse it."""
    if target.is_mock:
        return False
    operation_id = case.operation.definition.raw.get("operationId")
    body = case.body if not isinstance(case.body, bytes) else None
    return docs_valid(operation_id, body=body, query=case.query, headers=case.headers,
                      path_parameters=case.path_parameters)


@pytest.mark.clause("SPEC-CONFORMANCE")
@schema.parametrize()
def test_every_operation_conforms_to_the_spec(case, auth_headers, target):
    """Every response is documented, typed and shaped as openapi.yaml says; bad input is rejected with a 4xx."""
    excluded = [positive_data_acceptance] if breaks_rule(case, LEDGER) else []
    if leaves_open(case, target):
        excluded.append(negative_data_rejection)
    # Passed per call, so ignored_auth knows the key is a real one and probes without it.
    case.call_and_validate(headers=auth_headers, checks=CHECKS, excluded_checks=excluded)
