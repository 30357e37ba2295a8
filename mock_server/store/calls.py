"""Calls and their lifecycle: scheduled → in_progress → completed | failed, plus cancelled.

A call's status is a function of the mock clock: every read first moves the call
through whatever its times say has happened, so advancing the clock moves calls.
"""
from __future__ import annotations

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


@dataclass(slots=True)
class Call:
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
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    error: dict[str, str] | None = None
    engagement: Engagement | None = None


def _engagement(call: Call) -> Engagement:
    greeting = f"Hello {call.contact_name}," if call.contact_name else "Hello,"
    return Engagement(
        transcript=[
            {"speaker": "agent", "text": f"{greeting} this is an automated call from agent {call.agent_id}."},
            {"speaker": "contact", "text": "Hi, yes, go ahead."},
        ],
        recording={
            "recording_id": str(uuid.uuid4()),
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
    def _advance(self, call: Call, now: datetime) -> Call:
        if call.status in ("pending", "scheduled") and now >= call.scheduled_at:
            call.status, call.started_at, call.updated_at = "in_progress", call.scheduled_at, call.scheduled_at
        if call.status == "in_progress" and now >= call.ends_at:
            self._finish(call, call.outcome, call.ends_at)
        return call

    def _finish(self, call: Call, outcome: str, at: datetime, error: dict[str, str] | None = None) -> None:
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
            for call in self._calls.values():
                before = call.status
                if self._advance(call, now).status != before:
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
            if status == "in_progress":
                call.status, call.started_at, call.updated_at = "in_progress", now, now
                call.ends_at = max(call.ends_at, now)
            elif status in ("completed", "failed"):
                self._finish(call, status, now, error)
            else:
                raise ValueError(f"cannot force a call to {status}")
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
            return [self._advance(call, now) for call in self._calls.values()]

    def raw(self, call_id: str) -> Call | None:
        """The stored record as it is, without advancing it (for erasure checks)."""
        with self._lock:
            return self._calls.get(call_id)

    def __len__(self) -> int:
        return len(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
