"""'429 | Rate limit exceeded — slow down requests and retry after the indicated delay'."""
from __future__ import annotations

import os

import pytest

from .client import codes_in


@pytest.mark.clause("RATE-429")
def test_429_carries_retry_after(api, target):
    """'retry after the indicated delay': a 429 says how long, in Retry-After."""
    key = target.throttled_key()
    probe = int(os.environ.get("RATE_LIMIT_PROBE", "0"))
    if key is None or (not target.is_mock and not probe):
        key = key or target.key_with("slots:read")
        if not target.is_mock and not probe:
            pytest.skip("provoking a 429 needs the bundled mock's throttled key, or RATE_LIMIT_PROBE=N requests")
    limit = probe or 50
    for _ in range(limit):
        response = api.get("/appointment-slots/availability", key=key, params={"date": "2026-06-15"})
        if response.status_code == 429:
            break
    else:
        pytest.fail(f"no 429 after {limit} requests")
    retry_after = response.headers.get("Retry-After")
    assert retry_after is not None and retry_after.strip().isdigit(), f"Retry-After is {retry_after!r}"
    if target.is_mock:
        assert "RATE_LIMITED" in codes_in(response.json())
        assert response.headers.get("RateLimit-Policy") and response.headers.get("RateLimit")
