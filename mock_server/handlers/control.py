"""The control API (control.yaml): drives the mock; never part of the HuskyVoice API.
Everything acts on the state of the request's X-Mock-Session (the default without one)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from starlette.responses import Response

from ..clock import isoformat_z
from ..envelope import JSON
from ..errors import ApiError, NotFound, ValidationFailed
from ..faults import Fault
from ..fixtures import FixtureError
from ..journal import Journal
from ..sessions import Sessions
from ..snapshot import add_slot_record, call_record, encode_listing, list_slot_records, parse_call
from ..state import State

KIND_OF_PATH = {"branches": "branches", "appointment-types": "appointment_types",
                "calendar-windows": "calendar_windows", "appointments": "appointments"}


def fixture_error(exc: FixtureError) -> ApiError:
    return ValidationFailed(str(exc))


async def _listing(document: dict, key: str, state: State, now: datetime) -> Response:
    """`document` with every call at `now` under `key`, encoded in a worker thread: the calls are
    a snapshot no request will change (store/calls.py), and 100,000 of them take about a second."""
    calls, store = state.calls.snapshot(), state.calls
    body = await asyncio.to_thread(encode_listing, document, key, (store.advanced(c, now) for c in calls))
    return Response(body, 200, media_type=JSON)


class ControlApi:
    def __init__(self, sessions: Sessions, journal: Journal, operation_ids: tuple[str, ...] = ()) -> None:
        self.sessions = sessions
        self.journal = journal
        self.operation_ids = operation_ids  # of the documented API, which faults name

    @property
    def state(self) -> State:
        return self.sessions.current()

    def _clock(self) -> dict:
        return {"now": isoformat_z(self.state.clock.now()), "frozen": self.state.clock.frozen}

    # ── health, reset, load, export/import ───────────────────────────────
    async def control_health(self):
        state = self.state
        return {"mock": "huskyvoice", "now": isoformat_z(state.clock.now()), "calls": len(state.calls),
                "session": self.sessions.current_name()}, 200

    async def control_reset(self):
        try:
            self.sessions.reset(self.journal, self.sessions.current_name())
        except FixtureError as exc:  # the loaded set's files changed on disk and no longer load
            raise fixture_error(exc) from None
        return await self.control_health()

    async def control_load_fixtures(self, body: dict):
        try:
            self.state.load_fixtures(Path(body["directory"]))
        except FixtureError as exc:
            raise fixture_error(exc) from None
        return await self.control_health()

    async def control_export_state(self):
        state = self.state
        now = state.clock.now()
        return await _listing(state.export_head(now), "calls", state, now)

    async def control_import_state(self, body: dict):
        state = self.state
        try:
            prepared = await asyncio.to_thread(state.prepared_import, body)
        except FixtureError as exc:
            raise fixture_error(exc) from None
        state.install(prepared)
        return await self.control_health()

    # ── clock ─────────────────────────────────────────────────────────────
    async def control_get_clock(self):
        return self._clock(), 200

    async def control_set_clock(self, body: dict):
        clock = self.state.clock
        if "now" in body:
            try:
                at = datetime.fromisoformat(body["now"].replace("Z", "+00:00"))
            except ValueError:
                raise ValidationFailed("now must be an ISO 8601 timestamp", field="now") from None
            try:
                clock.set(at)
            except ValueError as exc:
                raise ValidationFailed(str(exc), field="now") from None
        if body.get("frozen") is True:
            clock.freeze()
        elif body.get("frozen") is False:
            clock.unfreeze()
        self.state.calls.advance_all(clock.now())
        return self._clock(), 200

    async def control_advance_clock(self, body: dict):
        try:
            now = self.state.clock.advance(timedelta(seconds=body["seconds"]))
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="seconds") from None
        moved = self.state.calls.advance_all(now)
        return {**self._clock(), "calls_advanced": moved}, 200

    # ── calls ─────────────────────────────────────────────────────────────
    async def control_transition_call(self, call_id: str, body: dict):
        state = self.state
        call = state.calls.force(call_id, body["status"], state.clock.now(), body.get("error"))
        return {"call_id": call.call_id, "status": call.status, "has_engagement": call.engagement is not None}, 200

    async def control_list_calls(self):
        state = self.state
        return await _listing({}, "data", state, state.clock.now())

    async def control_seed_call(self, body: dict):
        state = self.state
        try:
            call = parse_call(body, "call", state.clock.now(), state.settings.lifecycle)
        except FixtureError as exc:
            raise fixture_error(exc) from None
        state.calls.add(call)
        return {"data": call_record(call)}, 201

    async def control_remove_call(self, call_id: str):
        if not self.state.calls.remove(call_id):
            raise NotFound("Call not found", field="call_id")
        return {"removed": call_id}, 200

    # ── branches, appointment types, calendar windows, appointments ──────
    async def control_list_records(self, kind: str):
        return {"data": list_slot_records(self.state.slots, KIND_OF_PATH[kind])}, 200

    async def control_seed_records(self, kind: str, body):
        state = self.state
        items = body if isinstance(body, list) else [body]
        # All or nothing: the records go into a copy, which replaces the store only if all of them load.
        trial = state.slots.copy()
        added = []
        try:
            for index, raw in enumerate(items):
                added += add_slot_record(trial, KIND_OF_PATH[kind], raw, f"{kind}[{index}]")
        except FixtureError as exc:
            raise fixture_error(exc) from None
        state.slots = trial
        return {"data": added}, 201

    async def control_remove_record(self, kind: str, record_id: str):
        store = self.state.slots
        removed = {
            "branches": store.remove_branch, "appointment-types": store.remove_appointment_type,
            "calendar-windows": store.remove_window,
            "appointments": lambda i: store.appointments.get(i) is not None and (store.remove_appointment(i) or True),
        }[kind](record_id)
        if not removed:
            raise NotFound(f"No such record in {kind}: {record_id}")
        return {"removed": record_id}, 200

    # ── faults ────────────────────────────────────────────────────────────
    async def control_list_faults(self):
        return {"data": self.state.faults.listing()}, 200

    async def control_add_fault(self, body: dict):
        if body.get("status") is None and not body.get("latency_ms"):
            raise ValidationFailed("A fault needs a status, a latency_ms, or both")
        operation_id = body.get("operation_id", "*")
        if operation_id != "*" and operation_id not in self.operation_ids:
            raise ValidationFailed(f"No documented operation is called {operation_id!r}; use '*' or one of "
                                   f"{', '.join(self.operation_ids)}", field="operation_id")
        fault = self.state.faults.add(Fault(**body))
        return {"data": fault.public()}, 201

    async def control_clear_faults(self):
        return {"cleared": self.state.faults.clear()}, 200

    # ── journal ───────────────────────────────────────────────────────────
    async def control_read_journal(self, limit: int = 100, method: str | None = None, path_prefix: str | None = None,
                                   status: int | None = None, operation_id: str | None = None,
                                   session: str | None = None):
        own = Sessions.current_name()
        if own is not None:  # a session reads its own entries only: parallel jobs share one mock
            if session not in (None, own):
                raise ValidationFailed(f"The session {own!r} reads its own journal only", field="session")
            session = own
        return {"data": self.journal.query(limit=limit, method=method, path_prefix=path_prefix, status=status,
                                           operation_id=operation_id, session=session)}, 200

    async def control_clear_journal(self):
        own = Sessions.current_name()
        # Without X-Mock-Session (the operator's view, which reads every session) it clears all.
        return {"cleared": self.journal.clear(own, every_session=own is None)}, 200

    # ── sessions ──────────────────────────────────────────────────────────
    async def control_list_sessions(self):
        return {"data": self.sessions.listing()}, 200

    async def control_drop_session(self, name: str):
        if not self.sessions.drop(name):
            raise NotFound(f"No session named {name}")
        return {"dropped": name}, 200
