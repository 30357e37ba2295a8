"""'429 | Rate limit exceeded — slow down requests and retry after the indicated delay'."""
from __future__ import annotations

import os
import time

import pytest

from .client import codes_in, retry_after_seconds
from .control import control_for
from .exchange_checks import assert_holds

LONGEST_REAL_WAIT = 10  # seconds the suite will sleep to honour a Retry-After off the mock
PARAMS = {"date": "2026-06-15"}


def provoke_429(api, target):
    """Requests until a 429, or a skip saying what would provoke one. The throttled key of the
    mock's keys file must be throttled on the mock (its burst is the mock's own setting)."""
    throttled = target.throttled_key()
    probe = int(os.environ.get("RATE_LIMIT_PROBE", "0") or 0)
    key = throttled or target.key_with("slots:read")
    limit = probe or (50 if throttled else 0)
    if key is None or not limit:
        pytest.skip("provoking a 429 needs a throttled key in the keys file (rate_limit: {burst: N}) "
                    "or RATE_LIMIT_PROBE=N requests")
    for _ in range(limit):
        response = api.get("/appointment-slots/availability", key=key, params=PARAMS, slow_down=False)
        if response.status_code == 429:
            return key, response
    if target.is_mock and throttled:
        pytest.fail(f"no 429 after {limit} requests with the key '{throttled.label}', whose burst the keys file sets")
    pytest.skip(f"no 429 within {limit} requests: the target's limit is higher (the docs state none); "
                f"raise RATE_LIMIT_PROBE to go further")


@pytest.mark.clause("RATE-429")
def test_429_carries_retry_after(api, target):
    """'retry after the indicated delay': a 429 says how long, in Retry-After."""
    _, response = provoke_429(api, target)
    assert_holds(response, api.base_url, "RATE-429")
    retry_after = response.headers.get("Retry-After")
    if target.is_mock:
        assert retry_after.strip().isdigit(), f"D-rate-limit: the mock's Retry-After is whole seconds, not {retry_after!r}"
        assert "RATE_LIMITED" in codes_in(response.json())
        assert response.headers.get("RateLimit-Policy") and response.headers.get("RateLimit")


@pytest.mark.clause("RATE-429")
def test_retrying_after_the_indicated_delay_is_no_longer_refused(api, target):
    """'retry after the indicated delay': once Retry-After has passed, the same request is not refused for rate."""
    key, response = provoke_429(api, target)
    wait = retry_after_seconds(response.headers.get("Retry-After"))
    if wait is None:
        pytest.fail(f"the 429 indicates no delay: Retry-After is {response.headers.get('Retry-After')!r}")
    control = control_for(target)
    if control is not None:
        control.advance(wait)
    elif wait > LONGEST_REAL_WAIT:
        pytest.skip(f"Retry-After is {wait:g} s; the suite waits at most {LONGEST_REAL_WAIT} s off the mock")
    else:
        time.sleep(wait)
    retry = api.get("/appointment-slots/availability", key=key, params=PARAMS, slow_down=False)
    assert retry.status_code != 429, f"still refused after waiting the indicated {wait:g} s"
