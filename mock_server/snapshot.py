"""The whole state as JSON and back, and the record shapes the control API uses.
Records are shaped like the fixture files, so a fixture, a seed request and an
export all read the same."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Iterable

from .clock import isoformat_z
from .fixtures import KINDS, FixtureError, add_appointments, add_branch, add_window, parse_record
from .store.calls import Call, Engagement
from .store.slots import AppointmentType, Override, SlotStore

FORMAT = "huskyvoice-mock-state/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record(obj: Any) -> dict:
    return _plain(asdict(obj))


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else isoformat_z(at)


def call_record(call: Call) -> dict:
    """The call as JSON-ready data, fields in CALL_FIELDS order. Field by field rather than
    dataclasses.asdict, which deep-copies every value (bench/RESULTS.md, "Control API under load")."""
    agent_id, contact_number, contact_name, contact_email, additional_info = call.request()
    engagement = call.engagement
    return {
        "call_id": call.call_id, "status": call.status, "agent_id": agent_id, "contact_number": contact_number,
        "contact_name": contact_name, "contact_email": contact_email, "additional_info": additional_info,
        "created_at": isoformat_z(call.created_at), "updated_at": isoformat_z(call.updated_at),
        "scheduled_at": isoformat_z(call.scheduled_at), "ends_at": isoformat_z(call.ends_at),
        "outcome": call.outcome, "started_at": _stamp(call.started_at), "completed_at": _stamp(call.completed_at),
        "cancelled_at": _stamp(call.cancelled_at), "error": call.error,
        "engagement": None if engagement is None else {"transcript": engagement.transcript,
                                                       "recording": engagement.recording},
    }


_LISTING_TAIL = "null}"


def encode_listing(document: dict, key: str, calls: Iterable[Call]) -> bytes:
    """json.dumps({**document, key: [call_record(c) for c in calls]}), byte for byte, built one
    call at a time: json's C encoder holds the GIL for a whole dumps, so one dumps of 100,000
    calls would stop the event loop's thread for its whole length, even from another thread."""
    head = json.dumps({**document, key: None})
    assert head.endswith(_LISTING_TAIL)
    records = ", ".join([json.dumps(call_record(call)) for call in calls])
    return f"{head[:-len(_LISTING_TAIL)]}[{records}]}}".encode()



def _timestamp(value: Any, at: str) -> datetime | None:
    if value is None:
        return None
    try:
        return KINDS["calendar_windows"].fields["created_at"][0](value)
    except ValueError:
        raise FixtureError(f"{at}: must be an ISO 8601 timestamp (got {value!r})") from None


CALL_FIELDS = ("call_id", "status", "agent_id", "contact_number", "contact_name", "contact_email",
               "additional_info", "created_at", "updated_at", "scheduled_at", "ends_at", "outcome",
               "started_at", "completed_at", "cancelled_at", "error", "engagement")
CALL_STATUSES = ("pending", "scheduled", "in_progress", "completed", "failed", "cancelled")


def parse_call(raw: Any, at: str, now: datetime, defaults) -> Call:
    """A call from its JSON record; anything left out gets the value a new call would have."""
    if not isinstance(raw, dict):
        raise FixtureError(f"{at}: must be a mapping")
    unknown = set(raw) - set(CALL_FIELDS)
    if unknown:
        raise FixtureError(f"{at}.{sorted(unknown)[0]}: unknown field")
    for name in ("agent_id", "contact_number"):
        if not isinstance(raw.get(name), str) or not raw.get(name):
            raise FixtureError(f"{at}.{name}: missing or not a string")
    info = raw.get("additional_info")
    if info is not None and not isinstance(info, dict):
        raise FixtureError(f"{at}.additional_info: must be an object")
    error = raw.get("error")
    if error is not None and not (isinstance(error, dict) and isinstance(error.get("code"), str)
                                  and isinstance(error.get("message"), str)):
        raise FixtureError(f"{at}.error: must be null or {{\"code\": string, \"message\": string}}")
    for name in ("contact_name", "contact_email"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise FixtureError(f"{at}.{name}: must be a string or null")
    status = raw.get("status", "scheduled")
    if status not in CALL_STATUSES:
        raise FixtureError(f"{at}.status: must be one of {', '.join(CALL_STATUSES)}")
    import uuid
    created = _timestamp(raw.get("created_at"), f"{at}.created_at") or now
    scheduled = _timestamp(raw.get("scheduled_at"), f"{at}.scheduled_at") or created + defaults.start_delay
    ends = _timestamp(raw.get("ends_at"), f"{at}.ends_at") or scheduled + defaults.duration
    call = Call(
        call_id=str(raw.get("call_id") or uuid.uuid4()), status=status, agent_id=raw["agent_id"],
        contact_number=raw["contact_number"], contact_name=raw.get("contact_name"),
        contact_email=raw.get("contact_email"), additional_info=dict(raw.get("additional_info") or {}),
        created_at=created, updated_at=_timestamp(raw.get("updated_at"), f"{at}.updated_at") or created,
        scheduled_at=scheduled, ends_at=ends, outcome=raw.get("outcome") or defaults.outcome,
        started_at=_timestamp(raw.get("started_at"), f"{at}.started_at"),
        completed_at=_timestamp(raw.get("completed_at"), f"{at}.completed_at"),
        cancelled_at=_timestamp(raw.get("cancelled_at"), f"{at}.cancelled_at"),
        error=raw.get("error"),
    )
    engagement = raw.get("engagement")
    if isinstance(engagement, dict):
        call.engagement = Engagement(transcript=list(engagement.get("transcript", [])),
                                     recording=dict(engagement.get("recording", {})))
    if status == "completed":
        call.completed_at = call.completed_at or call.updated_at
        if call.engagement is None:  # a completed call always has its engagement
            from .store.calls import _engagement
            call.engagement = _engagement(call)
    if status == "failed" and not call.error:
        call.error = dict(defaults.failure)
    if status == "cancelled":
        call.cancelled_at = call.cancelled_at or call.updated_at
    return call


def add_slot_record(store: SlotStore, kind: str, raw: Any, at: str) -> list[dict]:
    """Validate and add one record of `kind` (a fixture kind); returns what was added."""
    rec = parse_record(KINDS[kind], raw, at)
    if kind == "appointment_types":
        made = AppointmentType(**rec)
        store.add_appointment_type(made)
        return [record(made)]
    if kind == "branches":
        return [record(add_branch(store, rec, at))]
    if kind == "calendar_windows":
        return [record(add_window(store, rec, at))]
    return [record(a) for a in add_appointments(store, rec, at)]


def list_slot_records(store: SlotStore, kind: str) -> list[dict]:
    source = {"appointment_types": store.appointment_types, "branches": store.branches,
              "calendar_windows": store.windows, "appointments": store.appointments}[kind]
    return [record(item) for item in list(source.values())]


def export_slots(store: SlotStore) -> dict:
    out = {kind: list_slot_records(store, kind) for kind in
           ("appointment_types", "branches", "calendar_windows", "appointments")}
    out["overrides"] = [{"calendar_id": c, "date": d.isoformat(), "appointment_type_id": t,
                         "status": o.status, "max_slots": o.max_slots} for (c, d, t), o in store.overrides()]
    return out


def import_slots(document: dict) -> SlotStore:
    store = SlotStore()
    for kind in ("appointment_types", "branches", "calendar_windows", "appointments"):
        items = document.get(kind, [])
        if not isinstance(items, list):
            raise FixtureError(f"state.{kind}: must be a list")
        for index, raw in enumerate(items):
            add_slot_record(store, kind, raw, f"state.{kind}[{index}]")
    for index, raw in enumerate(document.get("overrides", [])):
        at = f"state.overrides[{index}]"
        try:
            day = date.fromisoformat(raw["date"])
            store.set_override(raw["calendar_id"], day, raw["appointment_type_id"],
                               Override(status=raw.get("status"), max_slots=raw.get("max_slots")))
        except (KeyError, TypeError, ValueError) as exc:
            raise FixtureError(f"{at}: {exc}") from None
    return store
