"""Everything one mock state holds, built from fixtures; `reset()` makes it fresh again."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from .clock import Clock
from .clock import isoformat_z
from .faults import Faults
from .fixtures import DEFAULT_DIR, KINDS, FixtureError, load_keys, load_slots
from .store.calls import CallStore, Lifecycle
from .store.idempotency import IdempotencyStore
from .store.keys import ApiKey, KeyRing, RateLimitSpec
from .store.ratelimit import Decision, RateLimiter
from .store.slots import SlotStore

DEFAULT_RATE_LIMIT = RateLimitSpec(burst=1000, per_second=100.0)

Response = tuple  # (body, status[, headers])


@dataclass
class Settings:
    fixtures: Path = DEFAULT_DIR
    rate_limit: RateLimitSpec | None = DEFAULT_RATE_LIMIT
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # Time a create holds its Idempotency-Key before answering; > 0 lets a
    # concurrent retry observe the documented 409 (tests and the control plane set it).
    create_latency: timedelta = timedelta(0)


class FixtureSet:
    """One fixture directory as read: its key ring (never changed once loaded, so shared) and a
    slot store no request ever sees, which each reset copies rather than reading the YAML again."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.stamp = self._stamp(self.directory)
        self.keys: KeyRing = load_keys(self.directory)  # FixtureError names the file and field
        self.slots: SlotStore = load_slots(self.directory)

    @staticmethod
    def _stamp(directory: Path) -> tuple:
        """The files' sizes and modification times: a set changed on disk is read again."""
        stamp = []
        for kind in KINDS.values():
            try:
                found = (directory / kind.file).stat()
                stamp.append((found.st_ino, found.st_size, found.st_mtime_ns))
            except OSError:
                stamp.append(None)
        return tuple(stamp)

    def is_current(self, directory: Path) -> bool:
        return Path(directory) == self.directory and self._stamp(self.directory) == self.stamp


class State:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or Clock()  # a clock given in keeps its time: only reset() rewinds it
        self._fixtures = FixtureSet(self.settings.fixtures)
        self._fill()

    def reset(self, settings: Settings | None = None) -> None:
        """Make this state as a fresh one is: the clock runs again from now, the fixtures as loaded
        (read again only if their files changed), no calls, idempotency records, rate-limit buckets
        or faults. `settings`, when given, replace this state's first. A fixture set that does not
        load raises FixtureError, and nothing changes. The only reset: the control API's
        POST /_mock/reset and the tests reach it through Sessions.reset, which also clears the journal."""
        settings = settings or self.settings
        if not self._fixtures.is_current(settings.fixtures):
            self._fixtures = FixtureSet(settings.fixtures)
        self.settings = settings
        self.clock.reset()
        self._fill()

    def _fill(self) -> None:
        """Everything but the clock and the settings, fresh from the loaded fixtures."""
        s = self.settings
        self.keys: KeyRing = self._fixtures.keys
        self.slots: SlotStore = self._fixtures.slots.copy()
        self.calls = CallStore(s.lifecycle)
        self.idempotency = IdempotencyStore()
        self.rate_limiter = RateLimiter(s.rate_limit)
        self.faults = Faults()

    def load_fixtures(self, directory: Path) -> None:
        """Switch to another fixture set and reset; nothing changes if it does not load."""
        self.reset(replace(self.settings, fixtures=Path(directory)))

    def export_head(self, now) -> dict:
        """The export without its calls: the clock and the slot store (small; the calls may be 100,000)."""
        from .snapshot import FORMAT, export_slots
        return {"format": FORMAT, "clock": {"now": isoformat_z(now), "frozen": self.clock.frozen},
                **export_slots(self.slots)}

    def export(self) -> dict:
        from .snapshot import call_record
        now = self.clock.now()
        return {**self.export_head(now), "calls": [call_record(c) for c in self.calls.all(now)]}

    def prepared_import(self, document: dict) -> tuple[SlotStore, CallStore]:
        """The stores an export describes, built without touching this state (so off the event loop)."""
        from .snapshot import FORMAT, import_slots, parse_call
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise FixtureError(f"state.format: must be {FORMAT!r}")
        slots = import_slots(document)
        calls = CallStore(self.settings.lifecycle)
        records = document.get("calls", [])
        if not isinstance(records, list):
            raise FixtureError("state.calls: must be a list")
        now = self.clock.now()
        for index, raw in enumerate(records):
            calls.add(parse_call(raw, f"state.calls[{index}]", now, self.settings.lifecycle))
        return slots, calls

    def install(self, prepared: tuple[SlotStore, CallStore]) -> None:
        """Replace slots and calls with an import's; keys, faults and limits stay."""
        self.slots, self.calls = prepared
        self.idempotency = IdempotencyStore()

    def import_(self, document: dict) -> None:
        self.install(self.prepared_import(document))

    def authenticate(self, token: str) -> ApiKey | None:
        return self.keys.authenticate(token)

    def take_token(self, key: ApiKey) -> Decision | None:
        return self.rate_limiter.check(key.key_id, key.rate_limit, self.clock.now())

    async def idempotent(self, caller: ApiKey, idem_key: str | None, body: Any,
                         create: Callable[[], Response],
                         rebuild_headers: Callable[[Any], dict[str, str]] | None = None) -> Response:
        """Run `create` once per (caller, Idempotency-Key, body); replay it after.

        `rebuild_headers(response_body)`, when given, lets the record keep only the body:
        it is used only when it gives back exactly the headers `create` returned."""
        latency = self.settings.create_latency.total_seconds()
        if idem_key is None:
            if latency:
                await asyncio.sleep(latency)
            return create()
        replay = self.idempotency.begin(caller.key_id, idem_key, body, self.clock.now())
        if replay is not None:
            return replay.response(rebuild_headers)
        try:
            if latency:
                await asyncio.sleep(latency)
            result = create()
        except BaseException:  # a cancelled or failed first request may be retried (IETF draft)
            self.idempotency.abandon(caller.key_id, idem_key)
            raise
        body_out, status, headers = result
        self.idempotency.finish(caller.key_id, idem_key, status, body_out, headers, rebuild_headers)
        return result
