"""The control API (control.yaml): drives the mock; never part of the HuskyVoice API."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import isoformat_z
from ..errors import ValidationFailed
from ..state import State


class ControlApi:
    def __init__(self, state: State) -> None:
        self.state = state

    def _clock(self) -> dict:
        return {"now": isoformat_z(self.state.clock.now()), "frozen": self.state.clock.frozen}

    async def control_health(self):
        return {"mock": "huskyvoice", "now": isoformat_z(self.state.clock.now()), "calls": len(self.state.calls)}, 200

    async def control_reset(self):
        self.state.clock.reset()
        self.state.reset()
        return await self.control_health()

    async def control_get_clock(self):
        return self._clock(), 200

    async def control_set_clock(self, body: dict):
        clock = self.state.clock
        if "now" in body:
            try:
                clock.set(datetime.fromisoformat(body["now"].replace("Z", "+00:00")))
            except ValueError:
                raise ValidationFailed("now must be an ISO 8601 timestamp", field="now") from None
        if body.get("frozen") is True:
            clock.freeze()
        elif body.get("frozen") is False:
            clock.unfreeze()
        return self._clock(), 200

    async def control_advance_clock(self, body: dict):
        now = self.state.clock.advance(timedelta(seconds=body["seconds"]))
        moved = self.state.calls.advance_all(now)
        return {**self._clock(), "calls_advanced": moved}, 200

    async def control_transition_call(self, call_id: str, body: dict):
        calls, now = self.state.calls, self.state.clock.now()
        call = calls.force(call_id, body["status"], now, body.get("error"))
        return {"call_id": call.call_id, "status": call.status, "has_engagement": call.engagement is not None}, 200
