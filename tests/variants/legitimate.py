"""Legitimate variants of the bundled mock: each differs from it only where the docs are
silent (see base.py for what a variant is), and names the decision of docs/decisions.md
it takes otherwise. Run in foreign mode (no control API, seeds by environment), the
contract suite must pass every one: it checks what the docs state and nothing more.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import json
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from unittest.mock import patch

from connexion.context import context as connexion_context
from starlette.responses import Response

from mock_server import app as app_module, errors, middleware
from mock_server.errors import ApiError, InsufficientScope, NotFound, ValidationFailed
from mock_server.handlers import calls as calls_handlers
from mock_server.handlers import slots as slots_handlers
from mock_server.handlers.calls import CallsApi
from mock_server.handlers.slots import SlotsApi
from mock_server.state import State
from mock_server.store import slots as slots_store
from mock_server.store.calls import CallStore, Lifecycle
from mock_server.store.keys import ApiKey
from mock_server.store.ratelimit import Decision
from mock_server.store.slots import AvailabilitySlot, RegenerateResult, SlotStore, TrackingRecord
from mock_server.validation import BodyValidator, ParametersValidator

from .base import Variant, computed_counts_accepted, contract_patch, registrar

VARIANTS: list[Variant] = []
variant = registrar(VARIANTS, legitimate=True)
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
HANDLERS = {CallsApi: ("create_call", "get_call", "cancel_call", "delete_call"),
            SlotsApi: ("get_availability", "get_schedule_tracking", "update_tracking_record", "regenerate_tracking")}


# ── helpers ──────────────────────────────────────────────────────────────────
def _edit_spec(stack, edit) -> None:
    """Serve openapi.yaml as `edit(document)` leaves it (Connexion validates requests by it)."""
    def change(contract):
        document = copy.deepcopy(contract.document)
        edit(document)
        return dataclasses.replace(contract, document=document)

    contract_patch(stack, change)


def _schemas(document) -> dict:
    return document["components"]["schemas"]


def _after(stack, cls, name, change) -> None:
    """Handler `name` of `cls` answers `change(body, status, *headers)` instead of its own result."""
    original = getattr(cls, name)

    @functools.wraps(original)  # Connexion passes the arguments the original's signature names
    async def handler(self, *args, **kwargs):
        return change(*(await original(self, *args, **kwargs)))

    stack.enter_context(patch.object(cls, name, handler))


def _on_success_bodies(stack, change) -> None:
    """Every documented operation's 2xx JSON body goes through `change(body)`."""
    def result(body, status, *headers):
        return (change(body) if 200 <= status < 300 else body, status, *headers)

    for cls, names in HANDLERS.items():
        for name in names:
            _after(stack, cls, name, result)


def _errors_as(stack, body_of, content_type: str) -> None:
    """Every error is rendered as `body_of(exc)` with `content_type` (status and headers kept)."""
    original = app_module.render

    def render(exc, request=None):
        response = original(exc, request)
        response.body = json.dumps(body_of(exc)).encode()
        response.content_type = response.mimetype = response.headers["Content-Type"] = content_type
        return response

    stack.enter_context(patch.object(app_module, "render", render))


def _error(status: int, code: str, message: str, field: str | None = None) -> ApiError:
    error = ApiError(message, field=field)
    error.status, error.code = status, code
    return error


# ── the tracking PATCH ───────────────────────────────────────────────────────
@variant("patch_ignores_computed_counts", "D-unknown-body-fields",
         "PATCH with filled_slots or available_slots is answered 200 and the counts are left as they were: "
         "they 'cannot be set directly', and are not")
def _(stack):
    computed_counts_accepted(stack)


@variant("patch_answers_204", "D-patch-response",
         "The tracking PATCH answers 204 No Content: the docs print no response for it")
def _(stack):
    _after(stack, SlotsApi, "update_tracking_record", lambda body, status, *headers: Response(status_code=204))


@variant("empty_patch_is_a_no_op", "D-empty-patch",
         "A tracking PATCH with neither status nor max_slots (or no body) changes nothing and answers 200 "
         "with the record, instead of 400")
def _(stack):
    def edit(document):
        schema = _schemas(document)["TrackingRecordPatch"]
        schema.pop("minProperties")
        schema["default"] = {}  # what Connexion hands on when no body is sent
        document["paths"]["/appointment-slots/tracking/{slot_id}"]["patch"]["requestBody"]["required"] = False

    original_override, original_handler = SlotStore.override, SlotsApi.update_tracking_record

    def override(self, slot_id, status=None, max_slots=None):
        if status is None and max_slots is None:
            return self.record(slot_id)
        return original_override(self, slot_id, status=status, max_slots=max_slots)

    async def update_tracking_record(self, slot_id, body=None):
        # Without a Content-Type, Connexion hands on the raw (empty) bytes.
        return await original_handler(self, slot_id, body if isinstance(body, dict) else {})

    _edit_spec(stack, edit)
    stack.enter_context(patch.object(SlotStore, "override", override))
    stack.enter_context(patch.object(SlotsApi, "update_tracking_record", update_tracking_record))


@variant("patch_below_bookings_is_409", "D-max-slots-bounds",
         "A PATCH max_slots below the record's filled_slots is refused with 409 CAPACITY_BELOW_BOOKINGS")
def _(stack):
    original = SlotStore.override

    def override(self, slot_id, status=None, max_slots=None):
        if max_slots is not None and max_slots < self.record(slot_id).filled_slots:
            raise _error(409, "CAPACITY_BELOW_BOOKINGS", "max_slots is below the bookings already made", "max_slots")
        return original(self, slot_id, status=status, max_slots=max_slots)

    stack.enter_context(patch.object(SlotStore, "override", override))


@variant("max_slots_capped_at_1000", "D-max-slots-bounds",
         "A PATCH max_slots above 1000 is 400 VALIDATION_ERROR (the mock allows up to 100000)")
def _(stack):
    _edit_spec(stack, lambda d: _schemas(d)["TrackingRecordPatch"]["properties"]["max_slots"].update(maximum=1000))


@variant("max_slots_unbounded", "D-max-slots-bounds",
         "A PATCH max_slots has no upper limit (the mock refuses more than 100000)")
def _(stack):
    _edit_spec(stack, lambda d: _schemas(d)["TrackingRecordPatch"]["properties"]["max_slots"].pop("maximum"))


@variant("malformed_tracking_id_is_404", "D-two-part-id-in-patch",
         "A tracking PATCH id of any form is looked up as it is (case-sensitive): one naming no record, "
         "malformed ones included, is 404 NOT_FOUND, never 400")
def _(stack):
    def parse(slot_id):
        parts = slot_id.split(slots_store.SEP)
        try:
            calendar_id, day, type_id = parts
            return calendar_id, slots_store.parse_date(day, "slot_id"), type_id
        except (ValueError, ValidationFailed):
            raise NotFound("Schedule tracking record not found", field="slot_id") from None

    def edit(document):
        path = document["paths"]["/appointment-slots/tracking/{slot_id}"]["patch"]
        next(p for p in path["parameters"] if p["name"] == "slot_id")["schema"] = {"type": "string"}

    _edit_spec(stack, edit)
    stack.enter_context(patch.object(SlotStore, "_parse_tracking_id", staticmethod(parse)))


# ── availability and tracking reads ──────────────────────────────────────────
@variant("lists_in_reverse_order", "D-list-order",
         "Availability slots and tracking records come in the reverse of the mock's order "
         "(tracking: latest date first)")
def _(stack):
    availability, tracking = SlotStore.availability, SlotStore.tracking
    stack.enter_context(patch.object(SlotStore, "availability",
                                     lambda self, *a, **kw: availability(self, *a, **kw)[::-1]))
    stack.enter_context(patch.object(SlotStore, "tracking",
                                     lambda self, *a, **kw: iter(list(tracking(self, *a, **kw))[::-1])))


@variant("available_slots_may_go_negative", "D-available-not-negative",
         "available_slots is computed literally (ai_slots − filled_slots, max_slots − filled_slots), "
         "negative when capacity was lowered under the bookings")
def _(stack):
    stack.enter_context(patch.object(AvailabilitySlot, "available_slots",
                                     property(lambda self: self.ai_slots - self.filled_slots)))
    stack.enter_context(patch.object(TrackingRecord, "available_slots",
                                     property(lambda self: self.max_slots - self.filled_slots)))


@variant("ai_slots_not_capped", "D-availability-max-slots",
         "An availability slot's ai_slots is always the window's own, even when an override lowers max_slots below it")
def _(stack):
    original = SlotStore.availability
    stack.enter_context(patch.object(SlotStore, "availability", lambda self, *a, **kw: [
        dataclasses.replace(s, ai_slots=s.window.ai_slots) for s in original(self, *a, **kw)]))


@variant("closing_any_record_closes_window", "D-closed-record-closes-window",
         "A window is listed in availability on a date only while every one of its tracking records that date is "
         "OPEN (the mock: while any is)")
def _(stack):
    original = SlotStore.availability

    def availability(self, day, branch_id=None, session=None):
        return [s for s in original(self, day, branch_id=branch_id, session=session)
                if all(r.status == "OPEN" for r in self._records(s.window, day))]

    stack.enter_context(patch.object(SlotStore, "availability", availability))


@variant("appointment_type_as_object", "D-availability-appointment-type",
         "An availability slot's appointment_type, when the window serves one type, is an object "
         "{\"appointment_type_id\": …} rather than the bare id (null stays null)")
def _(stack):
    original = slots_handlers.slot_body

    def slot_body(slot):
        body = original(slot)
        if body["appointment_type"] is not None:
            body["appointment_type"] = {"appointment_type_id": body["appointment_type"]}
        return body

    stack.enter_context(patch.object(slots_handlers, "slot_body", slot_body))


@variant("undocumented_session_filters_to_nothing", "D-filter-values",
         "session=Night (not a documented session) is read as a filter nothing matches: 200 with no slots, not 400")
def _(stack):
    _edit_spec(stack, lambda d: d["components"]["parameters"]["SessionFilter"].update(schema={"type": "string"}))


@variant("type_filter_must_be_a_uuid", "D-filter-ids",
         "The appointment_type_id filter of schedule tracking must be a UUID ('Filter by service UUID'): "
         "anything else is 400")
def _(stack):
    def edit(document):
        parameters = document["paths"]["/appointment-slots/schedule-tracking"]["get"]["parameters"]
        next(p for p in parameters if p.get("name") == "appointment_type_id")["schema"] = {
            "type": "string", "pattern": UUID_PATTERN}

    _edit_spec(stack, edit)


@variant("ranges_limited_to_31_days", "D-date-range-limit",
         "Schedule tracking and regenerate take at most 31 dates per request (the mock: 366); a longer range is 400")
def _(stack):
    stack.enter_context(patch.object(slots_store, "MAX_RANGE_DAYS", 31))


@variant("empty_values_read_as_omitted", "D-empty-as-omitted",
         "An optional value sent empty (\"\" or null) is read as omitted: date_to of tracking and regenerate "
         "defaults to date_from, a PATCH's status or max_slots is left as it was")
def _(stack):
    def or_empty(schema):
        return {"anyOf": [schema, {"type": "string", "maxLength": 0, "nullable": True}]}

    def edit(document):
        parameter = document["components"]["parameters"]["DateTo"]
        parameter["schema"] = {"type": "string", **or_empty(parameter["schema"])}  # Connexion reads the type first
        _schemas(document)["RegenerateRequest"]["properties"]["date_to"] = or_empty(
            _schemas(document)["RegenerateRequest"]["properties"]["date_to"])
        fields = _schemas(document)["TrackingRecordPatch"]["properties"]
        fields.update({name: or_empty(schema) for name, schema in fields.items()})

    _edit_spec(stack, edit)
    original_range, original_patch = slots_handlers.date_range, SlotsApi.update_tracking_record

    async def update_tracking_record(self, slot_id, body):
        return await original_patch(self, slot_id, {k: v for k, v in body.items() if v not in ("", None)})

    stack.enter_context(patch.object(slots_handlers, "date_range", lambda date_from, date_to, *a, **kw:
                                     original_range(date_from, date_to or None, *a, **kw)))
    stack.enter_context(patch.object(SlotsApi, "update_tracking_record", update_tracking_record))


@variant("impossible_dates_roll_over", "D-date-format",
         "A YYYY-MM-DD date past its month's end rolls over as JavaScript's Date does (2026-02-30 is 2026-03-02) "
         "instead of 400")
def _(stack):
    original = slots_store.parse_date

    def parse_date(value, name):
        try:
            return original(value, name)
        except ValidationFailed:
            if not (isinstance(value, str) and slots_store.ISO_DATE.fullmatch(value)):
                raise
            year, month, day = map(int, value.split("-"))
            if not (1 <= year and 1 <= month <= 12 and 1 <= day <= 31):
                raise
            return original(f"{year:04d}-{month:02d}-01", name) + timedelta(days=day - 1)

    _edit_spec(stack, lambda d: _schemas(d)["Date"].pop("format"))
    # Not the tracking PATCH's id: a record dated 2026-02-30 is simply not found there.
    stack.enter_context(patch.object(slots_handlers, "parse_date", parse_date))
    original_range = slots_handlers.date_range
    stack.enter_context(patch.object(slots_handlers, "date_range", lambda date_from, date_to, *a, **kw: original_range(
        parse_date(date_from, "date_from").isoformat(),
        None if date_to is None else parse_date(date_to, "date_to").isoformat(), *a, **kw)))


@variant("malformed_date_is_422", "D-other-4xx",
         "On the slots endpoints a date that is given but not a YYYY-MM-DD date is 422 INVALID_DATE; "
         "a missing one stays 400 VALIDATION_ERROR")
def _(stack):
    dates = ("date", "date_from", "date_to")

    def unprocessable(error):
        if error is not None and error.field in dates:
            error.status, error.code = 422, "INVALID_DATE"
        return error

    original_check = ParametersValidator._check

    def check(self, kind, value, param):
        error = original_check(self, kind, value, param)
        return unprocessable(error) if value is not None else error

    original_validate = BodyValidator._validate

    def validate(self, body):
        try:
            return original_validate(self, body)
        except ValidationFailed as error:
            if isinstance(body, dict) and error.field in body:
                raise unprocessable(error)
            raise

    original_parse = slots_store.parse_date

    def parse_date(value, name):
        try:
            return original_parse(value, name)
        except ValidationFailed as error:
            raise unprocessable(error)

    stack.enter_context(patch.object(ParametersValidator, "_check", check))
    stack.enter_context(patch.object(BodyValidator, "_validate", validate))
    stack.enter_context(patch.object(slots_store, "parse_date", parse_date))
    stack.enter_context(patch.object(slots_handlers, "parse_date", parse_date))


# ── regenerate ───────────────────────────────────────────────────────────────
@variant("regenerate_counts_records", "D-regenerate-counters",
         "Regenerate counts tracking records, not dates: processed = upserted = the records recreated in the range")
def _(stack):
    original = SlotStore.regenerate

    def regenerate(self, days):
        original(self, days)
        records = len(list(self.tracking(days)))
        return RegenerateResult(processed=records, skipped=0, errors=0, upserted=records)

    stack.enter_context(patch.object(SlotStore, "regenerate", regenerate))


@variant("regenerate_keeps_overrides", "D-regenerate-counters",
         "Regenerate recreates records from the windows but keeps the per-date PATCH overrides in the range")
def _(stack):
    original = SlotStore.regenerate

    def regenerate(self, days):
        kept = self.overrides()
        result = original(self, days)
        for (calendar_id, day, type_id), override in kept:
            self.set_override(calendar_id, day, type_id, override)
        return result

    stack.enter_context(patch.object(SlotStore, "regenerate", regenerate))


# ── calls ────────────────────────────────────────────────────────────────────
@variant("cancel_again_is_200", "D-cancel-again",
         "Cancelling a call that is already cancelled is idempotent: 200 with the first cancelled_at, not 409")
def _(stack):
    original = CallStore.cancel

    def cancel(self, call_id, now):
        call = self.get(call_id, now)
        return call if call.status == "cancelled" else original(self, call_id, now)

    stack.enter_context(patch.object(CallStore, "cancel", cancel))


@variant("delete_without_engagement_is_422", "D-delete-without-engagement",
         "DELETE of a call with no recorded engagement is 422 CALL_NOT_DELETABLE (the mock: 409)")
def _(stack):
    stack.enter_context(patch.object(errors.CallNotDeletable, "status", 422))


@variant("idempotent_replay_is_200", "D-idempotency",
         "A create repeating an Idempotency-Key answers 200 with the first call, whatever its body "
         "(the mock replays the 201, and a different body is 422)")
def _(stack):
    first: dict[tuple[str, str], dict] = {}

    async def idempotent(self, caller, idem_key, body, create, rebuild_headers=None):
        if idem_key is None:
            return create()
        if (caller.key_id, idem_key) in first:
            return first[(caller.key_id, idem_key)], 200
        result = create()
        first[(caller.key_id, idem_key)] = result[0]
        return result

    stack.enter_context(patch.object(State, "idempotent", idempotent))


@variant("deleted_call_is_410", "D-erasure",
         "After DELETE the call's id is kept, without PII, as a tombstone: GET and cancel of it are 410 Gone "
         "(a second DELETE is still the documented 404)")
def _(stack):
    gone: set[str] = set()
    original_get, original_delete = CallStore.get, CallStore.delete

    def get(self, call_id, now):
        if call_id in gone:
            raise _error(410, "CALL_DELETED", "The call was deleted", "call_id")
        return original_get(self, call_id, now)

    def delete(self, call_id, now):
        if call_id in gone:
            raise NotFound("Call not found", field="call_id")
        gone.add(original_delete(self, call_id, now))
        return call_id

    stack.enter_context(patch.object(CallStore, "get", get))
    stack.enter_context(patch.object(CallStore, "delete", delete))


@variant("calls_start_at_once", "D-call-lifecycle",
         "A call is dialled as soon as it is created (scheduled_at = created_at) and lasts ten minutes: "
         "the 201 says scheduled, the next read in_progress")
def _(stack):
    original = CallStore.__init__

    def init(self, lifecycle=None):
        original(self, dataclasses.replace(lifecycle or Lifecycle(), start_delay=timedelta(0),
                                           duration=timedelta(minutes=10)))

    stack.enter_context(patch.object(CallStore, "__init__", init))


@variant("unknown_agent_is_400", "D-unknown-agent-id",
         "Only the account's agents can place calls: an agent_id other than the docs' agent_123 is 400 "
         "VALIDATION_ERROR ('invalid fields in the request body')")
def _(stack):
    original = CallsApi.create_call

    async def create_call(self, body, caller):
        if body.get("agent_id") != "agent_123":
            raise ValidationFailed("No agent with this agent_id", field="agent_id")
        return await original(self, body, caller)

    stack.enter_context(patch.object(CallsApi, "create_call", create_call))


@variant("call_id_must_be_a_uuid", "D-call-id-any-string",
         "A call_id that is not a UUID is 400 VALIDATION_ERROR on get, cancel and delete (the mock: 404)")
def _(stack):
    _edit_spec(stack, lambda d: d["components"]["parameters"]["CallId"]["schema"].update(pattern=UUID_PATTERN))


@variant("optional_fields_omitted", "D-call-optional-fields",
         "A call's null fields (contact_name/email, additional_info not given, completed_at, cancelled_at, error) "
         "and an availability slot's null appointment_type are left out instead of sent as null")
def _(stack):
    def without_nulls(builder):
        return lambda item: {k: v for k, v in builder(item).items() if v is not None and v != {}}

    stack.enter_context(patch.object(calls_handlers, "call_body", without_nulls(calls_handlers.call_body)))
    stack.enter_context(patch.object(slots_handlers, "slot_body", without_nulls(slots_handlers.slot_body)))


@variant("additional_info_any_json", "D-additional-info-shape",
         "additional_info takes any number of keys with values of any JSON type, nested ones included")
def _(stack):
    def edit(document):
        for keyword in ("maxProperties", "additionalProperties"):
            _schemas(document)["AdditionalInfo"].pop(keyword)

    _edit_spec(stack, edit)


@variant("text_fields_unbounded", "D-text-field-limits",
         "agent_id, contact_name, contact_email and the filter ids take any length; contact_email is not "
         "checked as an address")
def _(stack):
    def edit(document):
        schemas = _schemas(document)
        fields = schemas["CreateCallRequest"]["properties"]
        for schema in (schemas["AgentId"], schemas["FilterId"], fields["contact_name"], fields["contact_email"]):
            schema.pop("maxLength", None)
        fields["contact_email"].pop("format")

    _edit_spec(stack, edit)


@variant("idempotency_key_any_string", "D-idempotency-key-format",
         "Any Idempotency-Key value is taken, of any length (the mock: 1–255 visible ASCII characters)")
def _(stack):
    _edit_spec(stack, lambda d: d["components"]["parameters"]["IdempotencyKey"].update(schema={"type": "string"}))


@variant("no_location_header", "D-location-header", "The 201 of a create carries no Location header")
def _(stack):
    stack.enter_context(patch.object(CallsApi, "created_headers", lambda self, created: {}))


@variant("bare_key_accepted", "D-bearer-scheme",
         "An Authorization header holding just the key, without 'Bearer ', authenticates too")
def _(stack):
    original = middleware.bearer_token

    def bearer_token(headers):
        value = (headers.get("authorization") or "").strip()
        return original(headers) if " " in value else value or None

    stack.enter_context(patch.object(middleware, "bearer_token", bearer_token))


@variant("appointments_read_reads_availability", "D-appointments-read-availability",
         "GET availability takes slots:read or appointments:read (the scope table: appointments:read "
         "'Fetch … availability')")
def _(stack):
    either = "slots:read or appointments:read"
    original = ApiKey.has_scope
    contract_patch(stack, lambda c: dataclasses.replace(
        c, required_scope={**c.required_scope, "getAvailability": either}))
    stack.enter_context(patch.object(ApiKey, "has_scope",
                                     lambda self, scope: any(original(self, s) for s in scope.split(" or "))))


# ── requests in general ──────────────────────────────────────────────────────
@variant("unknown_fields_and_parameters_ignored", "D-unknown-body-fields",
         "Unknown body fields and unknown query parameters are ignored instead of refused with 400 "
         "(D-strict-query too)")
def _(stack):
    def edit(document):
        for name in ("CreateCallRequest", "TrackingRecordPatch", "RegenerateRequest"):
            _schemas(document)[name].pop("additionalProperties")

    _edit_spec(stack, edit)
    stack.enter_context(patch.object(ParametersValidator, "validate_query_parameter_list",
                                     lambda self, request, security_params=None: set()))


@variant("unknown_method_is_404", "D-extra-statuses",
         "An undocumented method on a documented path is 404 NOT_FOUND with no Allow header, not 405")
def _(stack):
    class NoSuchRoute(NotFound):
        def __init__(self, message=None, **kwargs):  # no Allow header
            super().__init__("No such route")

    stack.enter_context(patch.object(app_module, "MethodNotAllowed", NoSuchRoute))


@variant("non_json_body_is_400", "D-extra-statuses",
         "A request body that is not application/json is 400 VALIDATION_ERROR, not 415")
def _(stack):
    stack.enter_context(patch.object(errors.UnsupportedMediaType, "status", 400))
    stack.enter_context(patch.object(errors.UnsupportedMediaType, "code", "VALIDATION_ERROR"))


@variant("scope_checked_after_validation", "D-validation-order",
         "Authentication first, then request validation, then the scope: an invalid request from a key without "
         "the scope is 400, a valid one 403")
def _(stack):
    original_has_scope = ApiKey.has_scope
    # The middleware lets every authenticated key through; each handler checks the scope, after validation.
    stack.enter_context(patch.object(ApiKey, "has_scope", lambda self, scope: True))
    scopes = app_module.spec_module.load().required_scope

    def checked(original, scope):
        @functools.wraps(original)
        async def handler(self, *args, **kwargs):
            if not original_has_scope(connexion_context["caller"], scope):
                raise InsufficientScope(scope)
            return await original(self, *args, **kwargs)
        return handler

    for operation_id, scope in scopes.items():
        name = app_module.snake_case(operation_id)
        cls = next(c for c, names in HANDLERS.items() if name in names)
        stack.enter_context(patch.object(cls, name, checked(getattr(cls, name), scope)))


# ── responses in general ─────────────────────────────────────────────────────
@variant("errors_as_problem_json", "D-error-envelope",
         "Errors are RFC 9457 problem details, application/problem+json: {type, title, status, detail, code}")
def _(stack):
    _errors_as(stack, lambda exc: {
        "type": f"https://api.huskyvoice.ai/problems/{exc.code.lower().replace('_', '-')}",
        "title": HTTPStatus(exc.status).phrase, "status": exc.status, "detail": exc.message, "code": exc.code,
    }, "application/problem+json")


@variant("errors_flat", "D-error-envelope",
         "Errors are a flat {\"error\": CODE, \"message\": ...} object, without success or a nested error")
def _(stack):
    _errors_as(stack, lambda exc: {"error": exc.code, "message": exc.message}, "application/json")


@variant("responses_carry_extra_fields", "D-extra-response-fields",
         "Every success body has a request_id, and every object in its data or slots a livemode flag and links")
def _(stack):
    def extended(body):
        for key in ("data", "slots"):
            items = body.get(key)
            for item in items if isinstance(items, list) else [items] if isinstance(items, dict) else []:
                item.update(livemode=False, links={})
        return {**body, "request_id": f"req_{uuid.uuid4().hex}"}

    _on_success_bodies(stack, extended)


@variant("timestamps_without_milliseconds", "D-timestamp-format",
         "Timestamps are RFC 3339 with a +00:00 offset and no fraction (2024-01-27T03:00:00+00:00)")
def _(stack):
    def stamp(at: datetime) -> str:
        return at.astimezone(timezone.utc).replace(microsecond=0).isoformat()

    stack.enter_context(patch.object(calls_handlers, "isoformat_z", stamp))
    stack.enter_context(patch.object(slots_handlers, "isoformat_z", stamp))


@variant("no_rate_limit_headers", "D-rate-limit",
         "No RateLimit-Policy or RateLimit headers on any response; a 429 still carries Retry-After")
def _(stack):
    stack.enter_context(patch.object(Decision, "headers", lambda self: {}))


@variant("retry_after_as_http_date", "D-retry-after-form",
         "A 429's Retry-After is an HTTP-date (RFC 9110 §10.2.3) instead of a number of seconds")
def _(stack):
    original = errors.RateLimited.__init__

    def init(self, retry_after, headers):
        original(self, retry_after, headers)
        when = datetime.now(timezone.utc) + timedelta(seconds=retry_after + 1)  # HTTP-dates hold whole seconds
        self.headers["Retry-After"] = format_datetime(when, usegmt=True)

    stack.enter_context(patch.object(errors.RateLimited, "__init__", init))
