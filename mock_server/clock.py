"""The mock's one clock. Everything time-dependent reads it, so tests can move time."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Clock:
    """Wall-clock time shifted by an offset, or frozen at one instant.

    Advancing a running clock shifts the offset, so time keeps flowing from the
    new instant; advancing a frozen clock moves the frozen instant.
    """

    def __init__(self, source=utc_now) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return self._source() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: datetime | None = None) -> datetime:
        with self._lock:
            self._frozen_at = _in_range(_aware(at)) if at is not None else self.now()
            return self._frozen_at

    def unfreeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._source()
                self._frozen_at = None
            return self.now()

    def set(self, at: datetime) -> datetime:
        with self._lock:
            at = _in_range(_aware(at))
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - self._source()
            return at

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            try:
                _in_range(self.now() + delta)
            except OverflowError:
                raise ValueError(f"the mock clock keeps before {LATEST.date()}") from None
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta
            return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None


# A year of headroom below datetime.max: calls are scheduled after `now`, and a
# running clock keeps moving, so an instant at the very edge would overflow later.
LATEST = datetime(9998, 12, 31, tzinfo=timezone.utc)
EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc)


def _in_range(at: datetime) -> datetime:
    if not EARLIEST <= at <= LATEST:
        raise ValueError(f"the mock clock keeps between {EARLIEST.date()} and {LATEST.date()}")
    return at


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def isoformat_z(at: datetime) -> str:
    """`2024-01-27T03:00:00.000Z`, the timestamp form the docs print."""
    if at.tzinfo is not timezone.utc:
        at = at.astimezone(timezone.utc)
    # isoformat pads the year to four digits (strftime("%Y") does not, on Linux, below 1000)
    # and truncates to milliseconds; "+00:00" is the six characters cut.
    return at.isoformat(timespec="milliseconds")[:-6] + "Z"
