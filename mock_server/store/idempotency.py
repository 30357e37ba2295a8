"""Idempotency-Key records, after the IETF draft "The Idempotency-Key HTTP Header Field".

A record is keyed by (API key, Idempotency-Key), so keys of different API keys
never collide. It keeps a fingerprint of the request body, never the body: the
body carries customer PII that DELETE must be able to erase.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from ..errors import IdempotencyKeyInUse, IdempotencyKeyReused

RETENTION = timedelta(hours=24)


def fingerprint(body: Any) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()


def _slot(owner: str, key: str) -> str:
    """(API key, Idempotency-Key) as one string, unambiguous whatever either holds."""
    return f"{len(owner)}:{owner}{key}"


Headers = dict[str, str]
RebuildHeaders = Callable[[Any], Headers]  # a response's headers from its body


def _rebuilds(rebuild_headers: RebuildHeaders | None, body: Any, headers: Headers) -> bool:
    """Whether `rebuild_headers(body)` gives exactly `headers`, in order (as they go on the wire)."""
    if rebuild_headers is None:
        return False
    try:
        return list(rebuild_headers(body).items()) == list(headers.items())
    except Exception:  # noqa: BLE001 - a body it cannot read: keep the headers instead
        return False


@dataclass(slots=True)
class Record:
    slot: str  # its key in IdempotencyStore._records
    created_at: datetime
    fingerprint: bytes
    status: int = 0
    # The first response as compact JSON, [body, headers], or [body] when the headers are
    # what `rebuild_headers` makes of the body; None while it is in flight. A record per
    # create adds up (bench/memory.py): one bytes object is the small form.
    _response: bytes | None = None

    @property
    def done(self) -> bool:
        return self._response is not None

    def response(self, rebuild_headers: RebuildHeaders | None = None) -> tuple[Any, int, Headers]:
        """The first response as (body, status, headers), as the first request returned it."""
        stored = json.loads(self._response)
        body = stored[0]
        if len(stored) > 1:
            return body, self.status, stored[1]
        if rebuild_headers is None:
            raise ValueError("this record's headers are rebuilt from its body: pass rebuild_headers")
        return body, self.status, rebuild_headers(body)

    @property
    def body(self) -> Any:
        return json.loads(self._response)[0]

    @property
    def headers(self) -> Headers:
        return self.response()[2]


class IdempotencyStore:
    def __init__(self, retention: timedelta = RETENTION) -> None:
        self.retention = retention
        self._records: dict[str, Record] = {}
        # Every record in the order it was claimed, oldest first, to expire them from the
        # front; an entry whose record is no longer in _records is skipped.
        self._order: deque[Record] = deque()
        self._lock = threading.Lock()

    def begin(self, owner: str, key: str, body: Any, now: datetime) -> Record | None:
        """Claim `key` for a new request, or return the finished record to replay.

        Raises IdempotencyKeyInUse while the first request is still running and
        IdempotencyKeyReused when the key was used with another body.
        """
        print_ = fingerprint(body)
        slot = _slot(owner, key)
        with self._lock:
            self._expire(now)
            record = self._records.get(slot)
            if record is not None and record.created_at <= now - self.retention:
                # Expired, though the ordered sweep missed it (the clock was set back).
                del self._records[slot]
                record = None
            if record is None:
                record = self._records[slot] = Record(slot, now, print_)
                self._order.append(record)
                return None
            if record.fingerprint != print_:
                raise IdempotencyKeyReused(field="Idempotency-Key")
            if not record.done:
                raise IdempotencyKeyInUse(field="Idempotency-Key")
            return record

    def finish(self, owner: str, key: str, status: int, body: Any, headers: Headers,
               rebuild_headers: RebuildHeaders | None = None) -> None:
        """Record the first response. Given `rebuild_headers`, the headers are not stored when
        it makes them again from the stored body (replay then passes it to Record.response)."""
        stored = json.dumps([body], separators=(",", ":")).encode()
        if not _rebuilds(rebuild_headers, json.loads(stored)[0], headers):
            stored = json.dumps([body, headers], separators=(",", ":")).encode()
        with self._lock:
            record = self._records.get(_slot(owner, key))
            if record is not None:
                record.status, record._response = status, stored

    def abandon(self, owner: str, key: str) -> None:
        """The first request failed: per the draft, a failed request may be retried with the key."""
        slot = _slot(owner, key)
        with self._lock:
            record = self._records.get(slot)
            if record is not None and not record.done:
                del self._records[slot]  # its entry in _order is skipped when reached

    def _expire(self, now: datetime) -> None:
        cutoff = now - self.retention
        order, records = self._order, self._records
        while order:
            oldest = order[0]
            if records.get(oldest.slot) is oldest:
                if oldest.created_at > cutoff:
                    break
                del records[oldest.slot]
            order.popleft()

    def expire(self, now: datetime) -> None:
        with self._lock:
            self._expire(now)

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._order.clear()
