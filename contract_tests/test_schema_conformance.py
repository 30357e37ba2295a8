"""Schema conformance of every operation, generated from openapi.yaml by Schemathesis:
its examples, coverage and fuzzing phases, positive and negative data, every check
that applies. Off the bundled mock, responses are judged by the docs' reading of the
spec, write operations are left out unless ALLOW_WRITES=1 (never call creation), and
whether a request had to be refused or accepted is decided on the request as it was
sent, under the docs' reading (refusal) or the strictest one they allow (acceptance)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import schemathesis
# Every registered check, by its name, from `schemathesis.checks` (Schemathesis 4.3.15 changelog).
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from . import schema as schema_module
from .cross_field import IdempotencyLedger, breaks_rule, operation_id
from .spec import Sent, request_valid

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
]
# 405 and its Allow header for undocumented methods are the mock's (D-extra-statuses).
MOCK_CHECKS = [unsupported_method, allow_header_conformance]
LEDGER = IdempotencyLedger()


@pytest.fixture(scope="session")
def auth_headers(target):
    key = target.full_key()
    if key is None:
        pytest.skip("the keys file has no key at all")
    return {**target.session_headers, "Authorization": f"Bearer {key.secret}"}


@pytest.fixture(scope="session")
def api_schema(target, seed, auth_headers):
    return schema_module.load(target, seed, key_secret=None)


schema = schemathesis.pytest.from_fixture("api_schema")


def excluded_checks(case, response, target) -> list:
    """The data checks that do not apply to this request as it was sent.

    A request that the target's reading finds valid as sent (a negative case whose mutation
    did not survive serialization, or one the docs allow and the mock refuses) need not be
    refused; one that breaks the strictest reading, or a rule between fields, need not be
    accepted. negative_data_rejection judges only negative cases and positive_data_acceptance
    only positive ones, so whether this case is one or the other need not be read here."""
    op = operation_id(case)
    sent = Sent.from_prepared(response.request, urlsplit(target.base_url).path, case.operation.path)
    excluded = []
    breaks = breaks_rule(case, LEDGER, strictest=not target.is_mock)  # the ledger must see every case
    if request_valid("mock" if target.is_mock else "docs", op, sent):
        excluded.append(negative_data_rejection)
    if breaks or not request_valid("mock" if target.is_mock else "strict", op, sent):
        excluded.append(positive_data_acceptance)
    return excluded


@pytest.mark.clause("SPEC-CONFORMANCE")
@schema.parametrize()
def test_every_operation_conforms_to_the_spec(case, auth_headers, target):
    """Every response is documented, typed and shaped as openapi.yaml says; bad input is rejected with a 4xx."""
    # Headers passed per call, so ignored_auth knows the key is a real one and probes without it.
    response = case.call(headers=auth_headers)
    case.validate_response(response, headers=auth_headers, transport_kwargs={"headers": dict(auth_headers)},
                           checks=CHECKS + (MOCK_CHECKS if target.is_mock else []),
                           excluded_checks=excluded_checks(case, response, target))
