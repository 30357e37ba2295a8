from __future__ import annotations

from connexion import request

from ..clock import isoformat_z
from ..sessions import Sessions
from ..state import State
from ..store.calls import Call


def call_body(call: Call) -> dict:
    agent_id, contact_number, contact_name, contact_email, additional_info = call.request()
    return {
        "call_id": call.call_id,
        "status": call.status,
        "agent_id": agent_id,
        "contact_number": contact_number,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "additional_info": additional_info,
        "scheduled_at": isoformat_z(call.scheduled_at),
        "completed_at": isoformat_z(call.completed_at) if call.completed_at else None,
        "cancelled_at": isoformat_z(call.cancelled_at) if call.cancelled_at else None,
        "error": call.error,
        "created_at": isoformat_z(call.created_at),
        "updated_at": isoformat_z(call.updated_at),
    }


class CallsApi:
    def __init__(self, sessions: Sessions, base_path: str) -> None:
        self.sessions = sessions
        self.base_path = base_path

    @property
    def state(self) -> State:
        return self.sessions.current()

    async def create_call(self, body: dict, caller):
        # Connexion validates header parameters but does not pass them to handlers.
        idempotency_key = request.headers.get("idempotency-key")
        def create():
            call = self.state.calls.create(
                agent_id=body["agent_id"], contact_number=body["contact_number"],
                contact_name=body.get("contact_name"), contact_email=body.get("contact_email"),
                additional_info=body.get("additional_info"), now=self.state.clock.now())
            created = {"data": {"call_id": call.call_id, "status": call.status}}
            return created, 201, self.created_headers(created)
        return await self.state.idempotent(caller, idempotency_key, body, create,
                                           rebuild_headers=self.created_headers)

    def created_headers(self, created: dict) -> dict[str, str]:
        """A 201's headers, from its body (so an idempotency record need not keep them)."""
        return {"Location": f"{self.base_path}/calls/{created['data']['call_id']}"}

    async def get_call(self, call_id: str):
        return {"data": call_body(self.state.calls.get(call_id, self.state.clock.now()))}, 200

    async def cancel_call(self, call_id: str):
        call = self.state.calls.cancel(call_id, self.state.clock.now())
        return {"data": {"call_id": call.call_id, "status": call.status,
                         "cancelled_at": isoformat_z(call.cancelled_at)}}, 200

    async def delete_call(self, call_id: str):
        deleted = self.state.calls.delete(call_id, self.state.clock.now())
        return {"data": {"call_id": deleted, "deleted": True}}, 200
