"""Broken variants of the bundled mock, one documented clause each (see base.py for
what a variant is).

Every variant names the clause of contract_tests/clauses.yaml it breaks and says in
one line how. The suite must fail each one, with the bundled mock's control API
(mock mode) and without it (foreign mode, seeds by environment).

A variant the suite is known not to catch carries `expected_caught=False` and the
reason; one it catches without naming the clause in its failure report carries
`report_names_clause=False` and `report_gap`. tests/test_suite_catches_broken_variants.py
turns each into a strict xfail, so closing the gap makes that case fail until the
flag is flipped.
"""
from __future__ import annotations

import dataclasses
import threading
from datetime import date, timedelta
from unittest.mock import patch

from mock_server import errors
from mock_server.errors import ApiError, CallNotCancellable, CallNotDeletable, NotFound
from mock_server.handlers import calls as calls_handlers
from mock_server.handlers import slots as slots_handlers
from mock_server.handlers.calls import CallsApi
from mock_server.handlers.slots import SlotsApi
from mock_server.state import State
from mock_server.store import calls as calls_store
from mock_server.store.calls import CallStore
from mock_server.store.keys import ApiKey
from mock_server.store.slots import SEP, AvailabilitySlot, SlotStore, TrackingRecord
from mock_server.validation import ParametersValidator

from .base import (Variant, body_error_without as _body_error_without, computed_counts_accepted,
                   contract_patch as _contract_patch, registrar)

NIL = "00000000-0000-0000-0000-000000000000"
VARIANTS: list[Variant] = []
variant = registrar(VARIANTS)


# ── authentication and scopes ────────────────────────────────────────────────
@variant("get_call_ignores_its_scope", "SCOPE-CALLS-READ",
         "GET /calls/{id} lets any authenticated key through: calls:read is dropped from the contract's scopes")
def _(stack):
    # Emptied, not removed: create_app resolves handlers from the required_scope keys.
    _contract_patch(stack, lambda c: dataclasses.replace(c, required_scope={**c.required_scope, "getCall": ""}))


@variant("availability_needs_no_key", "AUTH-401",
         "GET /appointment-slots/availability is treated as unsecured: no key, or a bad one, gets 200, never 401")
def _(stack):
    _contract_patch(stack, lambda c: dataclasses.replace(c, secured=c.secured - {"getAvailability"}))


@variant("key_without_scopes_is_allowed_everything", "AUTH-403",
         "A key with an empty scope list passes every scope check (has_scope is True when no scopes are set)")
def _(stack):
    original = ApiKey.has_scope
    stack.enter_context(patch.object(ApiKey, "has_scope",
                                     lambda self, scope: not self.scopes or original(self, scope)))


@variant("insufficient_scope_code_is_forbidden", "SLOTS-403",
         "A missing scope is still 403 but with code FORBIDDEN instead of the documented INSUFFICIENT_SCOPE")
def _(stack):
    stack.enter_context(patch.object(errors.InsufficientScope, "code", "FORBIDDEN"))


@variant("retry_after_is_always_zero", "RATE-429",
         "429 says Retry-After: 0 although the key's bucket needs 20 s to give back a token",)
def _(stack):
    original = errors.RateLimited.__init__
    stack.enter_context(patch.object(errors.RateLimited, "__init__",
                                     lambda self, retry_after, headers: original(self, 0, headers)))


@variant("rate_limited_without_retry_after", "RATE-429",
         "429 responses carry no Retry-After header (the RateLimit headers stay)")
def _(stack):
    def init(self, retry_after, headers):
        ApiError.__init__(self, f"Rate limit exceeded; retry after {retry_after} second(s)", headers=dict(headers))

    stack.enter_context(patch.object(errors.RateLimited, "__init__", init))


# ── availability ─────────────────────────────────────────────────────────────
@variant("availability_arithmetic_off_by_one", "AVAIL-ARITHMETIC",
         "available_slots is computed as ai_slots − filled_slots + 1")
def _(stack):
    stack.enter_context(patch.object(AvailabilitySlot, "available_slots",
                                     property(lambda self: max(0, self.ai_slots - self.filled_slots) + 1)))


@variant("availability_slot_id_has_three_parts", "AVAIL-SLOT-ID",
         "Availability slot_id uses the 3-part tracking form calendar_id||date||appointment_type")
def _(stack):
    stack.enter_context(patch.object(AvailabilitySlot, "slot_id", property(lambda self: SEP.join(
        (self.window.calendar_id, self.day.isoformat(), self.window.appointment_type_id or NIL)))))


@variant("availability_returns_the_previous_weekdays_windows", "AVAIL-OPEN-WINDOWS",
         "Availability for a date lists the windows of the weekday before it (weekday off by one)")
def _(stack):
    original = SlotStore.availability

    def availability(self, day, branch_id=None, session=None):
        slots = original(self, day - timedelta(days=1), branch_id=branch_id, session=session)
        return [dataclasses.replace(s, day=day) for s in slots]

    stack.enter_context(patch.object(SlotStore, "availability", availability))


@variant("availability_lists_windows_closed_by_definition", "AVAIL-OPEN-WINDOWS",
         "Availability ignores a window's own CLOSED status (only a per-date PATCH override closes it) and labels "
         "every listed slot OPEN",)
def _(stack):
    listing = threading.local()
    original_records, original_availability = SlotStore._records, SlotStore.availability

    def records(self, window, day):
        out = original_records(self, window, day)
        if not getattr(listing, "active", False):
            return out
        opened = []
        for record in out:
            override = self._overrides.get((window.calendar_id, day, record.appointment_type.appointment_type_id))
            opened.append(record if override is not None and override.status is not None
                          else dataclasses.replace(record, status="OPEN"))
        return opened

    def availability(self, *args, **kwargs):
        listing.active = True
        try:
            return original_availability(self, *args, **kwargs)
        finally:
            listing.active = False

    stack.enter_context(patch.object(SlotStore, "_records", records))
    stack.enter_context(patch.object(SlotStore, "availability", availability))


@variant("filled_slots_count_every_appointment", "AVAIL-FILLED",
         "The fixture loader counts pending and cancelled appointments as filling a slot, not only confirmed ones")
def _(stack):
    original = SlotStore.add_appointment
    stack.enter_context(patch.object(SlotStore, "add_appointment",
                                     lambda self, appt: original(self, dataclasses.replace(appt, status="confirmed"))))


@variant("availability_session_filter_ignored", "AVAIL-SESSION-FILTER",
         "The session query parameter of availability is accepted but not applied")
def _(stack):
    original = SlotStore.availability
    stack.enter_context(patch.object(SlotStore, "availability",
                                     lambda self, day, branch_id=None, session=None:
                                     original(self, day, branch_id=branch_id)))


@variant("availability_without_date_is_200_empty", "AVAIL-DATE",
         "GET availability without the required date answers 200 with an empty slot list instead of 400")
def _(stack):
    original_check = ParametersValidator._check

    def check(self, kind, value, param):
        if value is None and param.get("name") == "date":
            return None
        return original_check(self, kind, value, param)

    original_handler = SlotsApi.get_availability

    async def get_availability(self, date=None, branch_id=None, session=None):
        if date is None:
            return {"success": True, "date": "", "slots": []}, 200
        return await original_handler(self, date, branch_id=branch_id, session=session)

    stack.enter_context(patch.object(ParametersValidator, "_check", check))
    stack.enter_context(patch.object(SlotsApi, "get_availability", get_availability))


# ── schedule tracking ────────────────────────────────────────────────────────
@variant("tracking_available_off_by_one", "TRACK-RECORDS",
         "Tracking available_slots is max_slots − filled_slots + 1")
def _(stack):
    stack.enter_context(patch.object(TrackingRecord, "available_slots",
                                     property(lambda self: max(0, self.max_slots - self.filled_slots) + 1)))


@variant("tracking_appointment_type_filter_ignored", "TRACK-FILTERS",
         "The appointment_type_id filter of schedule tracking is accepted but not applied")
def _(stack):
    original = SlotStore.tracking
    stack.enter_context(patch.object(
        SlotStore, "tracking",
        lambda self, days, branch_id=None, appointment_type_id=None, session=None:
        original(self, days, branch_id=branch_id, session=session)))


@variant("tracking_date_to_defaults_to_the_next_day", "TRACK-DATE-TO-DEFAULT",
         "An omitted date_to defaults to date_from + 1 day instead of date_from")
def _(stack):
    original = slots_handlers.date_range

    def date_range(date_from, date_to, *args, **kwargs):
        if date_to is None:
            date_to = (date.fromisoformat(date_from) + timedelta(days=1)).isoformat()
        return original(date_from, date_to, *args, **kwargs)

    stack.enter_context(patch.object(slots_handlers, "date_range", date_range))


# ── the tracking PATCH ───────────────────────────────────────────────────────
@variant("patch_of_unknown_record_is_500", "PATCH-404",
         "PATCH of a well-formed slot_id naming no record crashes (500) instead of 404 NOT_FOUND")
def _(stack):
    original = SlotStore.override

    def override(self, slot_id, status=None, max_slots=None):
        try:
            return original(self, slot_id, status=status, max_slots=max_slots)
        except NotFound as exc:
            raise RuntimeError("no tracking record to override") from exc

    stack.enter_context(patch.object(SlotStore, "override", override))


@variant("patch_override_applies_to_every_date", "PATCH-STATUS",
         "A PATCH override is stored per window and type, not per date: it changes every date of that window")
def _(stack):
    original = SlotStore._records

    def records(self, window, day):
        out = []
        for record in original(self, window, day):
            type_id = record.appointment_type.appointment_type_id
            for (calendar_id, _day, other_type), override in self._overrides.items():
                if calendar_id == window.calendar_id and other_type == type_id:
                    if override.status is not None:
                        record = dataclasses.replace(record, status=override.status)
                    if override.max_slots is not None:
                        record = dataclasses.replace(record, max_slots=override.max_slots)
            out.append(record)
        return out

    stack.enter_context(patch.object(SlotStore, "_records", records))


@variant("patch_sets_computed_counts", "PATCH-COMPUTED",
         "PATCH with filled_slots or available_slots is answered 200 and later reads of that record show the value sent")
def _(stack):
    forced: dict[str, dict] = {}
    computed_counts_accepted(stack, lambda record, sent: forced.setdefault(record.slot_id, {}).update(sent))
    original_body = slots_handlers.record_body

    def record_body(record):
        return {**original_body(record), **forced.get(record.slot_id, {})}

    stack.enter_context(patch.object(slots_handlers, "record_body", record_body))


@variant("regenerate_treats_date_to_as_exclusive", "REGEN-RESPONSE",
         "Regenerate leaves out the last date of the range, so processed/upserted are one short")
def _(stack):
    original = SlotStore.regenerate
    stack.enter_context(patch.object(SlotStore, "regenerate", lambda self, days: original(self, days[:-1])))


# ── calls ────────────────────────────────────────────────────────────────────
@variant("idempotency_key_ignored", "CALLS-IDEMPOTENCY",
         "The Idempotency-Key header is ignored: every create makes a new call")
def _(stack):
    async def idempotent(self, caller, idem_key, body, create, rebuild_headers=None):
        return create()

    stack.enter_context(patch.object(State, "idempotent", idempotent))


@variant("cancel_of_started_or_completed_call_is_200", "CALLS-CANCEL-409",
         "Cancel refuses only calls already cancelled: in_progress and completed calls are cancelled with 200")
def _(stack):
    stack.enter_context(patch.object(calls_store, "CANCELLABLE",
                                     frozenset({"pending", "scheduled", "in_progress", "completed", "failed"})))


@variant("cancel_is_not_persisted", "CALLS-CANCEL",
         "Cancel answers 200 'cancelled' but the stored call stays scheduled (GET still shows it scheduled)")
def _(stack):
    def cancel(self, call_id, now):
        call = self.get(call_id, now)
        if call.status not in calls_store.CANCELLABLE:
            raise CallNotCancellable()
        return dataclasses.replace(call, status="cancelled", cancelled_at=now, updated_at=now)

    stack.enter_context(patch.object(CallStore, "cancel", cancel))


@variant("delete_leaves_the_call_readable", "CALLS-DELETE",
         "DELETE answers 200 deleted:true but the call stays readable (GET is 200 after it)")
def _(stack):
    def delete(self, call_id, now):
        call = self.get(call_id, now)
        if call.engagement is None:
            raise CallNotDeletable()
        return call_id

    stack.enter_context(patch.object(CallStore, "delete", delete))


@variant("delete_without_engagement_succeeds", "CALLS-DELETE-ENGAGEMENT",
         "DELETE erases a call that has no recorded engagement (a scheduled call) with 200")
def _(stack):
    def delete(self, call_id, now):
        with self._lock:
            self.get(call_id, now)
            del self._calls[call_id]
            return call_id

    stack.enter_context(patch.object(CallStore, "delete", delete))


@variant("non_indian_numbers_accepted", "CALLS-PHONE-E164",
         "contact_number's +91 pattern is not enforced: any string is scheduled with 201")
def _(stack):
    _body_error_without(stack, lambda e: e.validator == "pattern" and isinstance(e.schema, dict)
                        and "x-pattern-error" in e.schema)


@variant("create_without_agent_id_accepted", "CALLS-CREATE-REQUIRED",
         "agent_id is not required: a create without it is 201 with a default agent")
def _(stack):
    _body_error_without(stack, lambda e: e.validator == "required" and e.message.startswith("'agent_id'"))
    original = CallsApi.create_call

    async def create_call(self, body, caller):
        return await original(self, {"agent_id": "default_agent", **body}, caller)

    stack.enter_context(patch.object(CallsApi, "create_call", create_call))


# ── schema conformance (Schemathesis) ───────────────────────────────────────
@variant("availability_slot_lacks_updated_at", "SPEC-CONFORMANCE",
         "Availability slots come without the required updated_at field",)
def _(stack):
    original = slots_handlers.slot_body

    def slot_body(slot):
        body = original(slot)
        body.pop("updated_at")
        return body

    stack.enter_context(patch.object(slots_handlers, "slot_body", slot_body))


@variant("tracking_crashes_on_the_evening_session", "SPEC-CONFORMANCE",
         "GET schedule-tracking?session=Evening is a 500",)
def _(stack):
    original = SlotsApi.get_schedule_tracking

    async def get_schedule_tracking(self, date_from, date_to=None, branch_id=None, appointment_type_id=None,
                                    session=None):
        if session == "Evening":
            raise RuntimeError("evening sessions are not projected")
        return await original(self, date_from, date_to, branch_id, appointment_type_id, session)

    stack.enter_context(patch.object(SlotsApi, "get_schedule_tracking", get_schedule_tracking))


@variant("call_lacks_updated_at", "SPEC-LINKS",
         "GET /calls/{id} answers the call without the required updated_at field (only reachable through links)",)
def _(stack):
    original = calls_handlers.call_body

    def call_body(call):
        body = original(call)
        body.pop("updated_at")
        return body

    stack.enter_context(patch.object(calls_handlers, "call_body", call_body))


# ── only a sequence of requests shows these (Schemathesis' stateful checks) ────
@variant("deleted_call_still_readable_through_links", "SPEC-LINKS",
         "DELETE answers 200 deleted:true for any call but keeps it: a GET that follows the spec's links still "
         "finds it (use_after_free)",)
def _(stack):
    def delete(self, call_id, now):
        return self.get(call_id, now).call_id

    stack.enter_context(patch.object(CallStore, "delete", delete))


@variant("created_call_not_found_at_first", "SPEC-LINKS",
         "A call is not found (404) for its first 60 seconds: the GET that follows a create through the spec's "
         "links misses it (ensure_resource_availability)",)
def _(stack):
    original = CallStore.get

    def get(self, call_id, now):
        call = original(self, call_id, now)
        if now - call.created_at < timedelta(seconds=60):
            raise NotFound("Call not found", field="call_id")
        return call

    stack.enter_context(patch.object(CallStore, "get", get))
