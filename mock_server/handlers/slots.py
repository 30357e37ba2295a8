from __future__ import annotations

from ..clock import isoformat_z
from ..sessions import Sessions
from ..state import State
from ..store.slots import WEEKDAYS, AvailabilitySlot, TrackingRecord, date_range, parse_date


def slot_body(slot: AvailabilitySlot) -> dict:
    w = slot.window
    return {
        "slot_id": slot.slot_id,
        "calendar_id": w.calendar_id,
        "branch_id": w.branch_id,
        "day": w.day,
        "session": w.session,
        "batch": w.batch,
        "start_time": w.start_time,
        "end_time": w.end_time,
        "appointment_type": w.appointment_type_id,
        "max_slots": slot.max_slots,
        "ai_slots": slot.ai_slots,
        "filled_slots": slot.filled_slots,
        "available_slots": slot.available_slots,
        "status": "OPEN",
        "created_at": isoformat_z(w.created_at),
        "updated_at": isoformat_z(w.updated_at),
    }


def record_body(record: TrackingRecord) -> dict:
    w = record.window
    return {
        "slot_id": record.slot_id,
        "calendar_id": w.calendar_id,
        "appointment_type_id": record.appointment_type.appointment_type_id,
        "appointment_type_name": record.appointment_type.name,
        "date": record.day.isoformat(),
        "day_of_week": WEEKDAYS[record.day.weekday()],
        "session": w.session,
        "batch": w.batch,
        "start_time": w.start_time,
        "end_time": w.end_time,
        "max_slots": record.max_slots,
        "filled_slots": record.filled_slots,
        "available_slots": record.available_slots,
        "status": record.status,
    }


class SlotsApi:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    @property
    def state(self) -> State:
        return self.sessions.current()

    async def get_availability(self, date: str, branch_id: str | None = None, session: str | None = None):
        day = parse_date(date, "date")
        slots = self.state.slots.availability(day, branch_id=branch_id, session=session)
        return {"success": True, "date": day.isoformat(), "slots": [slot_body(s) for s in slots]}, 200

    async def get_schedule_tracking(self, date_from: str, date_to: str | None = None, branch_id: str | None = None,
                                    appointment_type_id: str | None = None, session: str | None = None):
        days = date_range(date_from, date_to)
        records = self.state.slots.tracking(days, branch_id=branch_id,
                                            appointment_type_id=appointment_type_id, session=session)
        return {"success": True, "data": [record_body(r) for r in records]}, 200

    async def update_tracking_record(self, slot_id: str, body: dict):
        record = self.state.slots.override(slot_id, status=body.get("status"), max_slots=body.get("max_slots"))
        return {"success": True, "data": record_body(record)}, 200

    async def regenerate_tracking(self, body: dict):
        result = self.state.slots.regenerate(date_range(body["date_from"], body.get("date_to")))
        return {"success": True, "processed": result.processed, "skipped": result.skipped,
                "errors": result.errors, "upserted": result.upserted}, 200
