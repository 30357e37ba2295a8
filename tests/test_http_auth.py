"""Authentication, scopes and rate limits, for every operation in openapi.yaml.

The operations and their scopes are read from the spec itself, and each gets a
valid request built from the spec's own examples, so a new operation is covered
the moment it is documented.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import yaml

from conftest import SPEC_PATH, assert_error, auth_header
from docs_examples import resolve as resolve_in

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
BASE = "/v1"
SCOPES = ["calls:create", "calls:read", "calls:cancel", "calls:delete",
          "appointments:read", "appointments:write", "slots:read", "slots:write"]
METHODS = ("get", "put", "post", "delete", "patch")


def resolve(node: Any) -> Any:
    return resolve_in(node, SPEC)


def example_of(node: dict) -> Any:
    """The value of a parameter's or media type's first example."""
    if "example" in node:
        return node["example"]
    first = next(iter(node["examples"].values()))
    return resolve(first)["value"]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    scope: str
    query: tuple[tuple[str, str], ...]
    body: Any

    def send(self, client, headers: dict[str, str]):
        kwargs: dict[str, Any] = {"headers": dict(headers), "params": dict(self.query)}
        if self.body is not None:
            kwargs["json"] = self.body
        return client.request(self.method, BASE + self.path, **kwargs)

    def __str__(self) -> str:
        return self.operation_id


def operations() -> list[Operation]:
    out = []
    for template, item in SPEC["paths"].items():
        shared = [resolve(p) for p in item.get("parameters", [])]
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = shared + [resolve(p) for p in op.get("parameters", [])]
            path = template
            query = []
            for p in params:
                if p["in"] == "path":
                    path = path.replace("{" + p["name"] + "}", str(example_of(p)))
                elif p["in"] == "query" and p.get("required"):
                    query.append((p["name"], str(example_of(p))))
            body = None
            if "requestBody" in op:
                body = example_of(resolve(op["requestBody"])["content"]["application/json"])
            out.append(Operation(op["operationId"], method.upper(), path, op["x-required-scope"],
                                 tuple(query), body))
    return out


OPERATIONS = operations()
IDS = [str(op) for op in OPERATIONS]


def key_for(scope: str) -> str:
    """fixtures/api_keys.yaml: one sk_test_<scope> key per single scope."""
    return "sk_test_" + re.sub(r"[^a-z]", "_", scope)


def test_spec_has_the_eight_documented_operations():
    """The docs document eight endpoints; the matrix below covers every one of them."""
    assert len(OPERATIONS) == 8


# ── 401 ──────────────────────────────────────────────────────────────────────
BAD_AUTH = {
    "none": {},
    "wrong-key": {"Authorization": "Bearer wrong"},
    "basic": {"Authorization": "Basic eW91cjprZXk="},
    "empty-bearer": {"Authorization": "Bearer "},
    "bearer-only": {"Authorization": "Bearer"},
    "key-without-scheme": {"Authorization": "YOUR_API_KEY"},
    "token-scheme": {"Authorization": "Token YOUR_API_KEY"},
    "key-with-suffix": {"Authorization": "Bearer YOUR_API_KEYx"},
    "key-prefix": {"Authorization": "Bearer YOUR_API_KE"},
    "key-lowercased": {"Authorization": "Bearer your_api_key"},
}


@pytest.mark.parametrize("headers", BAD_AUTH.values(), ids=BAD_AUTH.keys())
@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_missing_or_invalid_api_key_is_401_unauthorized(client, op, headers):
    """"401 | Unauthorized — missing or invalid API key" """
    assert_error(op.send(client, headers), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_401_challenges_with_bearer_scheme(client, op):
    """RFC 9110 §11.6.1: a 401 carries WWW-Authenticate naming the scheme (Authorization: Bearer <key>)."""
    response = op.send(client, {})
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def _tracking(client):
    return client.get("/v1/appointment-slots/schedule-tracking", params={"date_from": "2026-06-15"},
                      headers=auth_header()).json()


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_401_changes_nothing(client, state, op):
    """D-validation-order: auth (401) comes before the handler, so a refused request changes no state."""
    before = _tracking(client)
    op.send(client, {"Authorization": "Bearer wrong"})
    assert len(state.calls) == 0
    assert _tracking(client) == before


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_bearer_scheme_is_case_insensitive(client, op):
    """RFC 9110 §11.1: the auth scheme is case-insensitive; `bearer <key>` is the same key."""
    response = op.send(client, {"Authorization": "bearer YOUR_API_KEY"})
    assert response.status_code not in (401, 403), response.text


# ── 403 ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_single_scope_key_is_403_unless_it_holds_the_required_scope(client, op, scope):
    """"403 | Forbidden — API key does not have the required scope" (code INSUFFICIENT_SCOPE, x-required-scope)"""
    response = op.send(client, auth_header(key_for(scope)))
    if scope == op.scope:
        assert response.status_code not in (401, 403), response.text
    else:
        error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
        assert error["required_scope"] == op.scope


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_key_with_no_scope_is_403_everywhere(client, op):
    """"Each API key is created with one or more scopes" — a key with none is allowed nothing (403)."""
    error = assert_error(op.send(client, auth_header("sk_test_no_scope")), 403, "INSUFFICIENT_SCOPE")
    assert error["required_scope"] == op.scope


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_key_with_every_scope_is_neither_401_nor_403(client, op):
    """YOUR_API_KEY holds every scope, so "every snippet in the docs runs against the mock"."""
    response = op.send(client, auth_header())
    assert response.status_code not in (401, 403), response.text


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_403_changes_nothing(client, state, op):
    """D-validation-order: scope (403) comes before the handler, so a refused request changes no state."""
    before = _tracking(client)
    op.send(client, auth_header("sk_test_no_scope"))
    assert len(state.calls) == 0
    assert _tracking(client) == before


# ── the key is never echoed or logged ────────────────────────────────────────
DISTINCTIVE = "sk_test_DISTINCTIVE_123"
LEAKS = {
    "bearer": {"Authorization": f"Bearer {DISTINCTIVE}"},
    "basic": {"Authorization": f"Basic {DISTINCTIVE}"},
    "bare": {"Authorization": DISTINCTIVE},
    "bearer-padded": {"Authorization": f"Bearer   {DISTINCTIVE}  "},
}


@pytest.mark.parametrize("headers", LEAKS.values(), ids=LEAKS.keys())
@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_rejected_key_never_appears_in_the_response(client, op, headers):
    """"Keys are never logged, echoed or stored" (middleware.py docstring; docs: "Store your API key in an environment variable")."""
    response = op.send(client, headers)
    assert response.status_code == 401
    assert DISTINCTIVE not in response.text
    for name, value in response.headers.items():
        assert DISTINCTIVE not in name and DISTINCTIVE not in value


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_rejected_key_never_appears_in_the_logs(client, op, caplog):
    """"Keys are never logged, echoed or stored: only the key's label is." """
    caplog.set_level(logging.DEBUG)
    for headers in LEAKS.values():
        assert op.send(client, headers).status_code == 401
    assert DISTINCTIVE not in caplog.text
    assert all(DISTINCTIVE not in str(record.args) for record in caplog.records)


# ── rate limits ──────────────────────────────────────────────────────────────
THROTTLED = auth_header("sk_test_throttled")  # fixtures/api_keys.yaml: burst 3, one back every 20 s
AVAILABILITY = ("/v1/appointment-slots/availability", {"date": "2026-06-15"})


def _exhaust(client) -> None:
    for _ in range(3):
        assert client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED).status_code == 200


def test_request_beyond_burst_is_429_rate_limited(client):
    """"429 | Rate limit exceeded — slow down requests and retry after the indicated delay" """
    _exhaust(client)
    assert_error(client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED), 429, "RATE_LIMITED")


def test_429_has_integer_retry_after_of_at_least_one_second(client):
    """"retry after the indicated delay" — D-rate-limit: a 429 carries Retry-After (integer seconds)."""
    _exhaust(client)
    response = client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED)
    assert re.fullmatch(r"[0-9]+", response.headers["retry-after"])
    assert int(response.headers["retry-after"]) >= 1


def test_429_has_ratelimit_policy_and_ratelimit_headers(client):
    """D-rate-limit: a 429 carries the IETF draft RateLimit-Policy / RateLimit headers."""
    _exhaust(client)
    response = client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED)
    assert response.status_code == 429
    assert re.search(r"q=3\b", response.headers["ratelimit-policy"])
    assert re.search(r"r=0\b", response.headers["ratelimit"])


def test_request_succeeds_again_after_retry_after_seconds(client, clock):
    """"retry after the indicated delay" — after Retry-After seconds of mock time, a request succeeds."""
    _exhaust(client)
    refused = client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED)
    clock.advance(timedelta(seconds=int(refused.headers["retry-after"])))
    assert client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED).status_code == 200


def test_request_just_before_retry_after_is_still_429(client, clock):
    """D-rate-limit: Retry-After is the time until one token is back, not less."""
    _exhaust(client)
    refused = client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED)
    clock.advance(timedelta(seconds=int(refused.headers["retry-after"])) - timedelta(milliseconds=100))
    assert client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED).status_code == 429


def test_rate_limit_is_per_api_key(client):
    """D-rate-limit: "a token bucket per API key" — another key is not slowed by the throttled one."""
    _exhaust(client)
    assert client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=auth_header()).status_code == 200


def test_rejected_429_changes_nothing(client, state):
    """D-validation-order: rate limit (429) comes before the handler — a throttled create makes no call."""
    _exhaust(client)
    response = client.post("/v1/calls", json={"agent_id": "agent_123", "contact_number": "+919876543210"},
                           headers=THROTTLED)
    assert response.status_code == 429
    assert len(state.calls) == 0


def _succeed(client, clock, op: Operation):
    """Send `op` so that it succeeds: the call operations get a real call (completed, for delete)."""
    if "/calls/" in op.path:
        created = client.post("/v1/calls", json={"agent_id": "agent_123", "contact_number": "+919876543210"},
                              headers=auth_header())
        call_id = created.json()["data"]["call_id"]
        if op.operation_id == "deleteCall":
            clock.advance(timedelta(minutes=5))  # D-call-lifecycle: completed 2 + 3 minutes after creation
        template = next(t for t, item in SPEC["paths"].items()
                        if item.get(op.method.lower(), {}).get("operationId") == op.operation_id)
        op = Operation(op.operation_id, op.method, template.replace("{call_id}", call_id), op.scope, op.query, op.body)
    response = op.send(client, auth_header())
    assert 200 <= response.status_code < 300, response.text
    return response


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_successful_response_carries_ratelimit_headers(client, clock, op):
    """D-rate-limit: RateLimit-Policy / RateLimit headers, "which every authenticated response also carries"."""
    response = _succeed(client, clock, op)
    assert "ratelimit-policy" in response.headers and "ratelimit" in response.headers


@pytest.mark.parametrize("request_", [
    ("GET", "/v1/calls/550e8400-e29b-41d4-a716-446655440000", {}),
    ("GET", "/v1/appointment-slots/availability", {"params": {"date": "2026-02-30"}}),
    ("POST", "/v1/calls", {"json": {"agent_id": "agent_123"}}),
], ids=["404", "400-query", "400-body"])
def test_authenticated_error_response_carries_ratelimit_headers(client, request_):
    """D-rate-limit: RateLimit-Policy / RateLimit headers, "which every authenticated response also carries"."""
    method, path, kwargs = request_
    response = client.request(method, path, headers=auth_header(), **kwargs)
    assert 400 <= response.status_code < 500
    assert "ratelimit-policy" in response.headers and "ratelimit" in response.headers


def test_ratelimit_remaining_counts_down(client):
    """IETF draft RateLimit: r= is what is left of the key's quota."""
    remaining = []
    for _ in range(3):
        header = client.get(AVAILABILITY[0], params=AVAILABILITY[1], headers=THROTTLED).headers["ratelimit"]
        remaining.append(int(re.search(r"r=([0-9]+)", header).group(1)))
    assert remaining == [2, 1, 0]
