"""Token-bucket rate limiting per API key, on the mock clock."""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime

from .keys import RateLimitSpec


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: datetime
    spec: RateLimitSpec

    def refilled(self, now: datetime) -> bool:
        elapsed = max(0.0, (now - self.updated).total_seconds())
        return self.tokens + elapsed * self.spec.per_second >= self.spec.burst


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int  # until one token is back; 0 when allowed
    window_seconds: int

    def headers(self) -> dict[str, str]:
        """IETF draft "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers)."""
        return {
            "RateLimit-Policy": f'"default";q={self.limit};w={self.window_seconds}',
            "RateLimit": f'"default";r={self.remaining};t={self.reset_seconds}',
        }


class RateLimiter:
    # Buckets are swept when a new one would pass this many, then at twice what is left:
    # the sweep's cost stays proportional to the buckets created since the last one.
    # Dropping a refilled bucket cannot be seen while the mock clock moves forward; set back
    # to before the sweep, a dropped key starts full where a kept one would be refilling.
    SWEEP_FLOOR = 1024

    def __init__(self, default: RateLimitSpec | None) -> None:
        self.default = default
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._sweep_at = self.SWEEP_FLOOR

    def check(self, key_id: str, spec: RateLimitSpec | None, now: datetime) -> Decision | None:
        """Take one token for `key_id`; None when the key is not limited."""
        spec = spec or self.default
        if spec is None or spec.burst <= 0 or spec.per_second <= 0:
            return None
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                if len(self._buckets) >= self._sweep_at:
                    self._sweep(now)
                    self._sweep_at = max(self.SWEEP_FLOOR, 2 * len(self._buckets))
                bucket = self._buckets[key_id] = _Bucket(float(spec.burst), now, spec)
            bucket.spec = spec
            elapsed = max(0.0, (now - bucket.updated).total_seconds())
            bucket.tokens = min(float(spec.burst), bucket.tokens + elapsed * spec.per_second)
            bucket.updated = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            missing = spec.burst - bucket.tokens
            return Decision(
                allowed=allowed,
                limit=spec.burst,
                remaining=int(bucket.tokens),
                reset_seconds=math.ceil(missing / spec.per_second),
                retry_after=0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / spec.per_second)),
                window_seconds=max(1, math.ceil(spec.burst / spec.per_second)),
            )

    def sweep(self, now: datetime) -> int:
        """Drop buckets that have refilled completely: they hold nothing a new bucket would not."""
        with self._lock:
            return self._sweep(now)

    def _sweep(self, now: datetime) -> int:
        full = [key_id for key_id, bucket in self._buckets.items() if bucket.refilled(now)]
        for key_id in full:
            del self._buckets[key_id]
        return len(full)

    def __len__(self) -> int:
        return len(self._buckets)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._sweep_at = self.SWEEP_FLOOR
