"""Idempotency-Key records, after the IETF draft "The Idempotency-Key HTTP Header Field".

A record is keyed by (API key, Idempotency-Key), so keys of different API keys
never collide. It keeps a fingerprint of the request body, never the body: the
body carries customer PII that DELETE must be able to erase.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import IdempotencyKeyInUse, IdempotencyKeyReused

RETENTION = timedelta(hours=24)


def fingerprint(body: Any) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()


@dataclass(slots=True)
class Record:
    fingerprint: bytes
    created_at: datetime
    done: bool = False
    status: int = 0
    # The first response, kept as JSON bytes: a record per create adds up (bench/memory.py).
    _body: bytes = b"null"
    _headers: tuple[tuple[str, str], ...] = ()

    @property
    def body(self) -> Any:
        return json.loads(self._body)

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._headers)


class IdempotencyStore:
    def __init__(self, retention: timedelta = RETENTION) -> None:
        self.retention = retention
        self._records: OrderedDict[tuple[str, str], Record] = OrderedDict()  # oldest first
        self._lock = threading.Lock()

    def begin(self, owner: str, key: str, body: Any, now: datetime) -> Record | None:
        """Claim `key` for a new request, or return the finished record to replay.

        Raises IdempotencyKeyInUse while the first request is still running and
        IdempotencyKeyReused when the key was used with another body.
        """
        print_ = fingerprint(body)
        with self._lock:
            self._expire(now)
            record = self._records.get((owner, key))
            if record is not None and record.created_at <= now - self.retention:
                # Expired, though the ordered sweep missed it (the clock was set back).
                del self._records[(owner, key)]
                record = None
            if record is None:
                self._records[(owner, key)] = Record(print_, now)
                return None
            if record.fingerprint != print_:
                raise IdempotencyKeyReused(field="Idempotency-Key")
            if not record.done:
                raise IdempotencyKeyInUse(field="Idempotency-Key")
            return record

    def finish(self, owner: str, key: str, status: int, body: Any, headers: dict[str, str]) -> None:
        with self._lock:
            record = self._records.get((owner, key))
            if record is not None:
                record.done, record.status = True, status
                record._body = json.dumps(body, separators=(",", ":")).encode()
                record._headers = tuple(headers.items())

    def abandon(self, owner: str, key: str) -> None:
        """The first request failed: per the draft, a failed request may be retried with the key."""
        with self._lock:
            record = self._records.get((owner, key))
            if record is not None and not record.done:
                del self._records[(owner, key)]

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.retention
        while self._records:
            oldest_key, oldest = next(iter(self._records.items()))
            if oldest.created_at > cutoff:
                break
            del self._records[oldest_key]

    def expire(self, now: datetime) -> None:
        with self._lock:
            self._expire(now)

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
