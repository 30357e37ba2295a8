"""RateLimiter (mock_server/store/ratelimit.py): a token bucket per API key on the mock clock.

Docs: "429 | Rate limit exceeded — slow down requests and retry after the indicated delay".
Choice: docs/decisions.md D-rate-limit (token bucket, Retry-After, IETF draft RateLimit headers).
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import pytest

from mock_server.clock import Clock
from mock_server.store.keys import RateLimitSpec
from mock_server.store.ratelimit import RateLimiter

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
THROTTLED = RateLimitSpec(burst=3, per_second=0.05)  # the bundled sk_test_throttled: 3, one back every 20 s
POLICY_RE = re.compile(r'^"default";q=(\d+);w=(\d+)$')
RATELIMIT_RE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


@pytest.fixture
def clock() -> Clock:
    clock = Clock(source=lambda: T0)
    clock.freeze()
    return clock


def drain(limiter: RateLimiter, key: str, spec: RateLimitSpec | None, clock: Clock, n: int):
    return [limiter.check(key, spec, clock.now()) for _ in range(n)]


def test_burst_is_allowed_then_refused_with_retry_after_of_at_least_one_second(clock):
    """Docs: "429 | Rate limit exceeded — slow down requests and retry after the indicated delay"."""
    limiter = RateLimiter(None)
    decisions = drain(limiter, "throttled", THROTTLED, clock, THROTTLED.burst + 1)
    assert [d.allowed for d in decisions] == [True] * THROTTLED.burst + [False]
    assert [d.remaining for d in decisions[:-1]] == list(range(THROTTLED.burst - 1, -1, -1))
    assert all(d.retry_after == 0 for d in decisions[:-1])
    refused = decisions[-1]
    assert refused.retry_after >= 1
    assert refused.retry_after == math.ceil(1 / THROTTLED.per_second)  # one token back


def test_retry_after_is_honest_tokens_refill_with_clock_time(clock):
    """Decision D-rate-limit: "A 429 carries Retry-After (integer seconds)" — retrying then succeeds, earlier does not."""
    limiter = RateLimiter(None)
    refused = drain(limiter, "k", THROTTLED, clock, THROTTLED.burst + 1)[-1]
    clock.advance(timedelta(seconds=refused.retry_after - 1))
    assert not limiter.check("k", THROTTLED, clock.now()).allowed
    clock.advance(timedelta(seconds=1))
    assert limiter.check("k", THROTTLED, clock.now()).allowed


def test_an_idle_bucket_never_holds_more_than_the_burst(clock):
    """Decision D-rate-limit: a token bucket — idle time refills it up to the burst, not beyond."""
    limiter = RateLimiter(None)
    drain(limiter, "k", THROTTLED, clock, 1)
    clock.advance(timedelta(days=1))
    decisions = drain(limiter, "k", THROTTLED, clock, THROTTLED.burst + 1)
    assert [d.allowed for d in decisions].count(True) == THROTTLED.burst


def test_headers_use_the_ietf_draft_ratelimit_form(clock):
    """Decision D-rate-limit: "the IETF draft RateLimit-Policy / RateLimit headers" ("default";q=…;w=… and "default";r=…;t=…)."""
    limiter = RateLimiter(None)
    decisions = drain(limiter, "k", THROTTLED, clock, THROTTLED.burst + 1)
    for decision in decisions:
        headers = decision.headers()
        assert set(headers) == {"RateLimit-Policy", "RateLimit"}
        quota, window = map(int, POLICY_RE.match(headers["RateLimit-Policy"]).groups())
        remaining, reset = map(int, RATELIMIT_RE.match(headers["RateLimit"]).groups())
        assert quota == THROTTLED.burst
        assert window == math.ceil(THROTTLED.burst / THROTTLED.per_second)
        assert remaining == decision.remaining <= quota
        assert 0 < reset <= window
    # the last one is refused with an empty bucket: the whole window until it is full again
    assert RATELIMIT_RE.match(decisions[-1].headers()["RateLimit"]).groups() == ("0", "60")


def test_no_spec_and_no_default_means_unlimited(clock):
    """Decision D-rate-limit: `--rate-limit off` — no bucket, no decision, no headers."""
    limiter = RateLimiter(None)
    assert all(d is None for d in drain(limiter, "k", None, clock, 5000))
    assert len(limiter) == 0


def test_default_applies_unless_the_key_has_its_own_limit(clock):
    """Decision D-rate-limit: "default burst 1000 … per-key overrides in the keys file"."""
    limiter = RateLimiter(RateLimitSpec(burst=5, per_second=1.0))
    assert [d.allowed for d in drain(limiter, "plain", None, clock, 6)] == [True] * 5 + [False]
    assert [d.allowed for d in drain(limiter, "own", THROTTLED, clock, 4)] == [True] * 3 + [False]
    assert drain(limiter, "plain", None, clock, 1)[0].limit == 5


def test_each_api_key_has_its_own_bucket(clock):
    """Decision D-rate-limit: "a token bucket per API key"."""
    limiter = RateLimiter(None)
    drain(limiter, "a", THROTTLED, clock, THROTTLED.burst + 1)
    assert limiter.check("b", THROTTLED, clock.now()).allowed
    assert not limiter.check("a", THROTTLED, clock.now()).allowed


def test_sweep_drops_refilled_buckets_so_buckets_do_not_grow_without_bound(clock):
    """Design (ratelimit.py sweep): "Drop buckets that have refilled completely: they hold nothing a new bucket would not"."""
    limiter = RateLimiter(None)
    specs = {f"key-{n}": THROTTLED for n in range(200)}
    for key in specs:
        limiter.check(key, THROTTLED, clock.now())
    assert len(limiter) == 200
    clock.advance(timedelta(seconds=19))  # one token takes 20 s to come back
    assert limiter.sweep(clock.now()) == 0
    assert len(limiter) == 200
    clock.advance(timedelta(seconds=1))
    assert limiter.sweep(clock.now()) == 200
    assert len(limiter) == 0
    # a swept key starts again with a full bucket, exactly as if it had been kept
    assert [d.allowed for d in drain(limiter, "key-0", THROTTLED, clock, 4)] == [True] * 3 + [False]


def test_buckets_of_keys_gone_quiet_are_dropped_as_new_keys_arrive(clock, monkeypatch):
    """Issue 7: "rate-limit buckets expire and do not grow without bound" — without anyone calling sweep."""
    monkeypatch.setattr(RateLimiter, "SWEEP_FLOOR", 50)
    limiter = RateLimiter(None)
    for n in range(10_000):
        limiter.check(f"key-{n}", THROTTLED, clock.now())
        clock.advance(timedelta(seconds=1))  # each bucket is full again 20 s after its one request
    assert len(limiter) <= 100
    # a bucket still refilling is never dropped: the key's limit holds across sweeps
    limiter = RateLimiter(None)
    drain(limiter, "busy", THROTTLED, clock, THROTTLED.burst + 1)
    for n in range(500):
        limiter.check(f"other-{n}", THROTTLED, clock.now())
    assert not limiter.check("busy", THROTTLED, clock.now()).allowed


def test_sweeps_stay_rare_while_every_bucket_is_still_refilling(clock, monkeypatch):
    """Design (ratelimit.py SWEEP_FLOOR): "the sweep's cost stays proportional to the buckets created since the last one"."""
    monkeypatch.setattr(RateLimiter, "SWEEP_FLOOR", 50)
    limiter, sweeps = RateLimiter(None), []
    sweep = limiter._sweep
    monkeypatch.setattr(limiter, "_sweep", lambda now: sweeps.append(now) or sweep(now))
    for n in range(5_000):
        limiter.check(f"key-{n}", THROTTLED, clock.now())  # the clock stands still: nothing refills
    assert len(limiter) == 5_000
    assert len(sweeps) <= 8  # at 50, 100, 200, ... 3,200 buckets
