"""'429 | Rate limit exceeded — slow down requests and retry after the indicated delay'."""
from __future__ import annotations

import os
import time

import pytest
import requests

from .client import codes_in
from .target import control_url, offers_control

LONGEST_REAL_WAIT = 10  # seconds the suite will sleep to honour a Retry-After off the mock


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


@pytest.mark.clause("RATE-429")
def test_retrying_after_the_indicated_delay_is_no_longer_refused(api, target):
    """'retry after the indicated delay': once Retry-After has passed, the same request is not refused for rate."""
    key = target.throttled_key()
    probe = int(os.environ.get("RATE_LIMIT_PROBE", "0"))
    control = control_url(target.base_url) if offers_control(target.base_url) else None
    if key is None or (control is None and not probe):
        pytest.skip("needs the bundled mock's throttled key and control API, or RATE_LIMIT_PROBE=N requests")
    params = {"date": "2026-06-15"}
    for _ in range(probe or 50):
        response = api.get("/appointment-slots/availability", key=key, params=params)
        if response.status_code == 429:
            break
    else:
        pytest.fail("no 429 to retry after")
    wait = int(response.headers["Retry-After"])
    if control is not None:
        requests.post(f"{control}/clock/advance", json={"seconds": wait}, timeout=10).raise_for_status()
    elif wait > LONGEST_REAL_WAIT:
        pytest.skip(f"Retry-After is {wait} s; the suite waits at most {LONGEST_REAL_WAIT} s off the mock")
    else:
        time.sleep(wait)
    retry = api.get("/appointment-slots/availability", key=key, params=params)
    assert retry.status_code != 429, f"still refused after waiting the indicated {wait} s"
