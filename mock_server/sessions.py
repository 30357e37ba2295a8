"""Isolated copies of the state, one per `X-Mock-Session` name, so parallel CI jobs
can share one mock without seeing each other's data. Each is built from the
fixtures on first use; idle ones expire."""
from __future__ import annotations

import dataclasses
import re
import threading
import time
from contextvars import ContextVar

from .errors import ValidationFailed
from .journal import Journal
from .state import Settings, State

HEADER = "x-mock-session"
NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[str | None] = ContextVar("huskyvoice_session", default=None)


class Sessions:
    def __init__(self, default: State, idle_seconds: float = 1800.0, limit: int = 200, monotonic=time.monotonic) -> None:
        self.default = default
        self._started_with: Settings = dataclasses.replace(default.settings)  # for reset(every_session=True)
        self.idle_seconds, self.limit, self._monotonic = idle_seconds, limit, monotonic
        self._states: dict[str, State] = {}
        self._last_used: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def bind(name: str | None):
        if name is not None and not NAME.fullmatch(name):
            raise ValidationFailed("X-Mock-Session must be 1-64 letters, digits, '.', '_' or '-'", field="X-Mock-Session")
        return _current.set(name)

    @staticmethod
    def unbind(token) -> None:
        _current.reset(token)

    @staticmethod
    def current_name() -> str | None:
        return _current.get()

    def current(self) -> State:
        name = _current.get()
        return self.default if name is None else self.get(name)

    def get(self, name: str) -> State:
        now = self._monotonic()
        with self._lock:
            self._expire(now)
            state = self._states.get(name)
            if state is None:
                if len(self._states) >= self.limit:
                    # The least recently used goes: with the control API off nobody could drop one,
                    # and a full table would refuse every new session for good.
                    oldest = min(self._last_used, key=self._last_used.__getitem__)
                    self._states.pop(oldest, None)
                    self._last_used.pop(oldest, None)
                # Its own Settings: loading another fixture set in one session must not reach the others.
                state = self._states[name] = State(dataclasses.replace(self.default.settings))
            self._last_used[name] = now
            return state

    def reset(self, journal: Journal, name: str | None = None, *, every_session: bool = False) -> State:
        """The one reset, for the control API's POST /_mock/reset and for the tests; returns the state.

        The state of session `name` (None: the default) becomes as fresh as a new one (State.reset:
        clock, fixtures as loaded, calls, idempotency records, rate-limit buckets, faults) and its
        journal entries go; other sessions keep theirs. With `every_session`, the whole mock becomes
        as it started: every session dropped, the whole journal cleared, and the default state reset
        with the settings it had when the mock was built (a fixture set loaded since is forgotten)."""
        if every_session:
            with self._lock:
                self._states.clear()
                self._last_used.clear()
            self.default.reset(dataclasses.replace(self._started_with))
            journal.clear(every_session=True)
            return self.default
        state = self.default if name is None else self.get(name)
        state.reset()
        journal.clear(name)
        return state

    def _expire(self, now: float) -> None:
        for name in [n for n, used in self._last_used.items() if now - used > self.idle_seconds]:
            self._states.pop(name, None)
            self._last_used.pop(name, None)

    def existing(self, name: str | None) -> State | None:
        """The session's state if it exists (None for the default state's name, None)."""
        if name is None:
            return None
        with self._lock:
            return self._states.get(name)

    def listing(self) -> list[dict]:
        now = self._monotonic()
        with self._lock:
            self._expire(now)
            return [{"name": name, "calls": len(state.calls), "idle_seconds": round(now - self._last_used[name], 3)}
                    for name, state in sorted(self._states.items())]

    def drop(self, name: str) -> bool:
        with self._lock:
            self._last_used.pop(name, None)
            return self._states.pop(name, None) is not None

    def all_states(self) -> list[State]:
        with self._lock:
            return [self.default, *self._states.values()]
