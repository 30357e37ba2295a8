"""Calls and their lifecycle: scheduled → in_progress → completed | failed, plus cancelled.

A call's status is a function of the mock clock: every read first moves the call
through whatever its times say has happened, so advancing the clock moves calls.

A stored Call is never changed in place: a change stores a changed copy. So a list of
the stored calls is a snapshot that another thread can read (an export of 100,000 calls
is built off the event loop) while requests go on changing the store.
"""
from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..errors import CallAlreadyEnded, CallNotCancellable, CallNotDeletable, NotFound

CANCELLABLE = frozenset({"pending", "scheduled"})
ENDED = frozenset({"completed", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How the mock plays a call out on its clock."""
    start_delay: timedelta = timedelta(minutes=2)  # the docs' example: created 03:00, scheduled 03:02
    duration: timedelta = timedelta(minutes=3)
    outcome: str = "completed"  # or "failed"
    failure: dict[str, str] = field(default_factory=lambda: {
        "code": "NO_ANSWER", "message": "The contact did not answer"})


@dataclass(slots=True)
class Engagement:
    """What a finished conversation leaves behind: all of it is end-customer PII."""
    transcript: list[dict[str, str]]
    recording: dict[str, Any]


# A created call is mostly what its request carried, and a mock may hold 100,000 of them
# (bench/memory.py): so a Call keeps its request fields as one compact JSON blob, and its
# scheduled_at/ends_at as an offset from created_at (shared by every call of a lifecycle).
# Reading any field gives exactly the value that was set: only what round-trips through
# JSON unchanged is packed, only offsets that give back the same datetime are kept.
_REQUEST = ("agent_id", "contact_number", "contact_name", "contact_email", "additional_info")
_PACK_DEPTH = 32  # deeper values are kept as given (json's C code recurses)
_OFFSETS: dict[timedelta, timedelta] = {}  # one shared instance per offset seen (a few)
_MAX_OFFSETS = 64


def _is_plain_json(value: Any, depth: int = 0) -> bool:
    """Whether `value` comes back from a JSON round trip as the same types and values."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return True
    if depth >= _PACK_DEPTH:
        return False
    if kind is dict:
        return all(type(k) is str and _is_plain_json(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(_is_plain_json(v, depth + 1) for v in value)
    return False


def _pack(values: tuple) -> bytes | tuple:
    if not all(_is_plain_json(v) for v in values):
        return values  # kept as given
    # ensure_ascii=False and surrogatepass: UTF-8 is the short form, and a lone surrogate
    # (a JSON body may carry one as an escape, "\\ud800") still round-trips.
    try:
        text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        return values
    return text.encode("utf-8", "surrogatepass")


def _unpack(stored: bytes | tuple) -> tuple | list:
    return json.loads(stored.decode("utf-8", "surrogatepass")) if type(stored) is bytes else stored


def _shared_offset(at: Any, created: Any) -> Any:
    """`at` as a shared timedelta from `created` when that gives `at` back exactly, else `at`."""
    if (type(at) is datetime and type(created) is datetime and at.tzinfo is created.tzinfo
            and not at.fold and not created.fold):
        delta = at - created
        shared = _OFFSETS.get(delta)
        if shared is None and len(_OFFSETS) < _MAX_OFFSETS:
            shared = _OFFSETS.setdefault(delta, delta)
        if shared is not None:
            return shared
    return at


@dataclass(init=False)
class Call:
    """A call. The annotations below are its fields (dataclasses.fields, asdict, ==, repr);
    __slots__ is how they are stored (see _REQUEST and _shared_offset above)."""
    __slots__ = ("call_id", "status", "_request", "_created_at", "updated_at", "_scheduled_at",
                 "_ends_at", "outcome", "started_at", "completed_at", "cancelled_at", "error", "engagement")
    call_id: str
    status: str
    agent_id: str
    contact_number: str
    contact_name: str | None
    contact_email: str | None
    additional_info: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime
    ends_at: datetime
    outcome: str
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    error: dict[str, str] | None
    engagement: Engagement | None

    def __init__(self, call_id: str, status: str, agent_id: str, contact_number: str,
                 contact_name: str | None, contact_email: str | None, additional_info: dict[str, Any],
                 created_at: datetime, updated_at: datetime, scheduled_at: datetime, ends_at: datetime,
                 outcome: str, started_at: datetime | None = None, completed_at: datetime | None = None,
                 cancelled_at: datetime | None = None, error: dict[str, str] | None = None,
                 engagement: Engagement | None = None) -> None:
        self.call_id, self.status, self.outcome = call_id, status, outcome
        self._request = _pack((agent_id, contact_number, contact_name, contact_email, additional_info))
        self._created_at, self.updated_at = created_at, updated_at
        self._scheduled_at = _shared_offset(scheduled_at, created_at)
        self._ends_at = _shared_offset(ends_at, created_at)
        self.started_at, self.completed_at, self.cancelled_at = started_at, completed_at, cancelled_at
        self.error, self.engagement = error, engagement

    def changed(self) -> Call:
        """A copy to change, for the store to put in place of this one."""
        return copy.copy(self)

    def request(self) -> tuple[str, str, str | None, str | None, dict[str, Any]]:
        """agent_id, contact_number, contact_name, contact_email, additional_info: one decode."""
        return tuple(_unpack(self._request))

    def _get_created_at(self) -> datetime:
        return self._created_at

    def _set_created_at(self, value: datetime) -> None:
        scheduled, ends = self.scheduled_at, self.ends_at  # absolute, before created_at moves
        self._created_at = value
        self._scheduled_at, self._ends_at = _shared_offset(scheduled, value), _shared_offset(ends, value)


def _request_field(index: int) -> property:
    def get(call: Call) -> Any:
        return _unpack(call._request)[index]

    def set_(call: Call, value: Any) -> None:
        values = list(_unpack(call._request))
        values[index] = value
        call._request = _pack(tuple(values))
    return property(get, set_, doc=f"{_REQUEST[index]} (stored packed with the other request fields)")


def _offset_field(slot: str) -> property:
    stored = getattr(Call, slot)  # the slot's own descriptor

    def get(call: Call) -> datetime:
        value = stored.__get__(call)
        return call._created_at + value if type(value) is timedelta else value

    def set_(call: Call, value: datetime) -> None:
        stored.__set__(call, _shared_offset(value, call._created_at))
    return property(get, set_)


# Set after @dataclass has read the annotations, so that it sees fields without defaults.
for _index, _name in enumerate(_REQUEST):
    setattr(Call, _name, _request_field(_index))
Call.created_at = property(Call._get_created_at, Call._set_created_at)
Call.scheduled_at = _offset_field("_scheduled_at")
Call.ends_at = _offset_field("_ends_at")
del _index, _name


# A recording id derived from the call id: whoever plays a call out (a read, or an export
# working on a snapshot) records the same engagement.
_RECORDINGS = uuid.UUID("6b1c3f52-1d8e-4c5a-9a57-2f0e8d7c4b11")


def _engagement(call: Call) -> Engagement:
    greeting = f"Hello {call.contact_name}," if call.contact_name else "Hello,"
    return Engagement(
        transcript=[
            {"speaker": "agent", "text": f"{greeting} this is an automated call from agent {call.agent_id}."},
            {"speaker": "contact", "text": "Hi, yes, go ahead."},
        ],
        recording={
            # hex: a seeded call id may hold a lone surrogate, which has no UTF-8 of its own
            "recording_id": str(uuid.uuid5(_RECORDINGS, call.call_id.encode("utf-8", "surrogatepass").hex())),
            "duration_seconds": int((call.ends_at - call.scheduled_at).total_seconds()),
            "format": "audio/mpeg",
        },
    )


class CallStore:
    def __init__(self, lifecycle: Lifecycle | None = None) -> None:
        self.lifecycle = lifecycle or Lifecycle()
        self._calls: dict[str, Call] = {}
        self._lock = threading.RLock()

    # ── lifecycle ──────────────────────────────────────────────────────────
    def advanced(self, call: Call, now: datetime) -> Call:
        """`call` as it stands at `now`: itself if nothing has happened, else a changed copy."""
        moved = call
        if moved.status in ("pending", "scheduled") and now >= moved.scheduled_at:
            moved = moved.changed()
            moved.status = "in_progress"
            moved.started_at = moved.updated_at = moved.scheduled_at
        if moved.status == "in_progress" and now >= moved.ends_at:
            if moved is call:
                moved = moved.changed()
            self._finish(moved, moved.outcome, moved.ends_at)
        return moved

    def _advance(self, call: Call, now: datetime) -> Call:
        moved = self.advanced(call, now)
        if moved is not call:
            self._calls[call.call_id] = moved
        return moved

    def _finish(self, call: Call, outcome: str, at: datetime, error: dict[str, str] | None = None) -> None:
        """Ends `call`, which must be a copy not yet stored."""
        call.status, call.updated_at = outcome, at
        if call.started_at is None:
            call.started_at = at
        if outcome == "completed":
            call.completed_at, call.error = at, None
            call.engagement = _engagement(call)
        else:
            call.error = dict(error or self.lifecycle.failure)

    def advance_all(self, now: datetime) -> int:
        """Move every call whose time has come; returns how many changed status."""
        changed = 0
        with self._lock:
            for call in list(self._calls.values()):
                if self._advance(call, now) is not call:
                    changed += 1
        return changed

    # ── the documented operations ─────────────────────────────────────────
    def create(self, *, agent_id: str, contact_number: str, contact_name: str | None,
               contact_email: str | None, additional_info: dict[str, Any] | None,
               now: datetime) -> Call:
        life = self.lifecycle
        call = Call(
            call_id=str(uuid.uuid4()), status="scheduled", agent_id=agent_id,
            contact_number=contact_number, contact_name=contact_name, contact_email=contact_email,
            additional_info=dict(additional_info or {}), created_at=now, updated_at=now,
            scheduled_at=now + life.start_delay, ends_at=now + life.start_delay + life.duration,
            outcome=life.outcome,
        )
        with self._lock:
            self._calls[call.call_id] = call
        return call

    def get(self, call_id: str, now: datetime) -> Call:
        with self._lock:
            call = self._calls.get(call_id)
            if call is None:
                raise NotFound("Call not found", field="call_id")
            return self._advance(call, now)

    def cancel(self, call_id: str, now: datetime) -> Call:
        with self._lock:
            call = self.get(call_id, now)
            if call.status not in CANCELLABLE:
                raise CallNotCancellable(
                    f"The call is {call.status} and cannot be cancelled: only pending or scheduled calls can")
            call = self._calls[call_id] = call.changed()
            call.status, call.cancelled_at, call.updated_at = "cancelled", now, now
            return call

    def delete(self, call_id: str, now: datetime) -> str:
        """Erase a call with a recorded engagement, PII and all: nothing is kept."""
        with self._lock:
            call = self.get(call_id, now)
            if call.engagement is None:
                raise CallNotDeletable(
                    f"The call is {call.status} and has no recorded engagement; only such calls can be deleted")
            del self._calls[call_id]
            return call_id

    # ── for the control plane and tests ──────────────────────────────────
    def force(self, call_id: str, status: str, now: datetime, error: dict[str, str] | None = None) -> Call:
        with self._lock:
            call = self.get(call_id, now)
            if call.status in ENDED:
                raise CallAlreadyEnded(f"The call is already {call.status}")
            if status not in ("in_progress", "completed", "failed"):
                raise ValueError(f"cannot force a call to {status}")
            call = self._calls[call_id] = call.changed()
            if status == "in_progress":
                call.status, call.started_at, call.updated_at = "in_progress", now, now
                call.ends_at = max(call.ends_at, now)
            else:
                self._finish(call, status, now, error)
            return call

    def add(self, call: Call) -> Call:
        """Store a call as given (seeding and import)."""
        with self._lock:
            self._calls[call.call_id] = call
        return call

    def remove(self, call_id: str) -> bool:
        with self._lock:
            return self._calls.pop(call_id, None) is not None

    def all(self, now: datetime) -> list[Call]:
        with self._lock:
            return [self._advance(call, now) for call in list(self._calls.values())]

    def snapshot(self) -> list[Call]:
        """The stored calls as they are now, not advanced: none of them will change
        (see the module's docstring), so another thread may read them."""
        with self._lock:
            return list(self._calls.values())

    def raw(self, call_id: str) -> Call | None:
        """The stored record as it is, without advancing it (for erasure checks)."""
        with self._lock:
            return self._calls.get(call_id)

    def __len__(self) -> int:
        return len(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
