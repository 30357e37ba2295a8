"""openapi.yaml itself: valid, complete, and agreeing with every example and
every JSON body the docs print."""
from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from docs_examples import DOCS_AVAILABILITY_SLOT, DOCS_TRACKING_RECORD
from docs_examples import resolve as resolve_in
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from conftest import SPEC_PATH

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
TAGS = {"Calls", "Appointment slots"}
# The docs' scope table ("Permissions (Scopes)") and the slots page's "Before You Begin".
DOCS_SCOPES = {
    ("post", "/calls"): "calls:create",
    ("get", "/calls/{call_id}"): "calls:read",
    ("post", "/calls/{call_id}/cancel"): "calls:cancel",
    ("delete", "/calls/{call_id}"): "calls:delete",
    ("get", "/appointment-slots/availability"): "slots:read",
    ("get", "/appointment-slots/schedule-tracking"): "slots:read",
    ("patch", "/appointment-slots/tracking/{slot_id}"): "slots:write",
    ("post", "/appointment-slots/regenerate"): "slots:write",
}
SCOPES = {"calls:create", "calls:read", "calls:cancel", "calls:delete",
          "appointments:read", "appointments:write", "slots:read", "slots:write"}


def resolve(node: Any) -> Any:
    return resolve_in(node, SPEC)


def inline(node: Any) -> Any:
    """The schema with every local $ref replaced by its target (the spec has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inline(resolve(node))
        return {k: inline(v) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v) for v in node]
    return node


def schema(name: str) -> dict:
    return inline(SPEC["components"]["schemas"][name])


def matches(pattern: str, value: str) -> bool:
    """ECMA-262 semantics, as JSON Schema means them: `$` is the end of input (Python's also allows a final newline)."""
    return re.search(re.sub(r"\$$", r"\\Z", pattern), value) is not None


def errors(instance: Any, schema_: dict) -> list[str]:
    validator = OAS30Validator(schema_, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def operations():
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


OPS = list(operations())
OP_IDS = [op["operationId"] for _, _, op in OPS]


# ── the document ─────────────────────────────────────────────────────────────
def test_spec_passes_openapi_spec_validator():
    """`make lint`: `python -m openapi_spec_validator openapi.yaml` passes."""
    validate_spec(copy.deepcopy(SPEC))


def test_spec_documents_the_eight_operations_of_the_docs():
    """The docs document eight endpoints: four calls, four appointment slots."""
    assert {(m, p) for m, p, _ in OPS} == set(DOCS_SCOPES)


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_operation_summary_is_sentence_case(method, path, op):
    """Redocly recommended rules and the docs' headings: a short sentence-case summary, no full stop."""
    summary = op["summary"]
    assert summary[0].isupper() and summary[1:] == summary[1:].lower(), summary
    assert not summary.endswith(".")


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_operation_has_one_documented_tag(method, path, op):
    """Every operation sits under one of the two docs pages: Calls or Appointment slots."""
    assert len(op["tags"]) == 1 and op["tags"][0] in TAGS


def test_operation_ids_are_unique_camel_case():
    """Each operation has an operationId (links and the mock's handlers name operations by it)."""
    assert len(set(OP_IDS)) == len(OP_IDS) == 8
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", op_id) for op_id in OP_IDS)


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_operation_required_scope_matches_the_docs_table(method, path, op):
    """"Permissions (Scopes)": calls:create … slots:write — each operation's x-required-scope is the docs' one."""
    assert op["x-required-scope"] in SCOPES
    assert op["x-required-scope"] == DOCS_SCOPES[(method, path)]


@pytest.mark.parametrize("status", ["401", "403", "429"])
@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_operation_documents_auth_and_rate_limit_responses(method, path, op, status):
    """Error Codes: 401 Unauthorized, 403 Forbidden, 429 Rate limit exceeded — on every operation."""
    assert status in op["responses"]


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_429_requires_retry_after(method, path, op):
    """"429 | Rate limit exceeded — slow down requests and retry after the indicated delay" — Retry-After required."""
    header = resolve(resolve(op["responses"]["429"])["headers"]["Retry-After"])
    assert header["required"] is True
    assert header["schema"]["type"] == "integer"


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_operation_is_secured_by_the_bearer_scheme(method, path, op):
    """"Include your API key in the Authorization header of every request." """
    security = op.get("security", SPEC["security"])
    assert security == [{"bearerAuth": []}]
    assert SPEC["components"]["securitySchemes"]["bearerAuth"] == {
        **SPEC["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}


@pytest.mark.parametrize("method, path, op", OPS, ids=OP_IDS)
def test_every_error_response_uses_the_error_envelope(method, path, op):
    """D-error-envelope: every error the mock returns has this one shape (the Error schema)."""
    for status, response in op["responses"].items():
        if int(status) >= 400:
            content = resolve(response)["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, status


# ── examples ─────────────────────────────────────────────────────────────────
def attached_examples():
    """(where, example name, value, schema) for every example attached to a media type or parameter."""
    out = []
    for method, path, op in OPS:
        where = f"{op['operationId']}"
        params = [resolve(p) for p in SPEC["paths"][path].get("parameters", []) + op.get("parameters", [])]
        for p in params:
            if "example" in p:
                out.append((f"{where} parameter {p['name']}", None, p["example"], p["schema"]))
        body = op.get("requestBody")
        if body:
            media = resolve(body)["content"]["application/json"]
            for name, ex in media.get("examples", {}).items():
                out.append((f"{where} request", ex.get("$ref"), resolve(ex)["value"], media["schema"]))
        for status, response in op["responses"].items():
            media = resolve(response).get("content", {}).get("application/json")
            if not media:
                continue
            if "example" in media:
                out.append((f"{where} {status}", None, media["example"], media["schema"]))
            for name, ex in media.get("examples", {}).items():
                out.append((f"{where} {status}", ex.get("$ref"), resolve(ex)["value"], media["schema"]))
    for name, p in SPEC["components"]["parameters"].items():
        if "example" in p:
            out.append((f"components/parameters/{name}", None, p["example"], p["schema"]))
    return out


EXAMPLES = attached_examples()


@pytest.mark.parametrize("where, ref, value, schema_", EXAMPLES, ids=[f"{w} {r or ''}".strip() for w, r, _, _ in EXAMPLES])
def test_example_validates_against_the_schema_it_is_attached_to(where, ref, value, schema_):
    """An example that its own schema rejects documents nothing (and misleads Schemathesis)."""
    assert errors(value, inline(schema_)) == []


def test_every_component_example_is_attached_somewhere():
    """Each example in components/examples is used (so the test above checks it against a schema)."""
    used = {ref.rsplit("/", 1)[1] for _, ref, _, _ in EXAMPLES if ref}
    assert used == set(SPEC["components"]["examples"])


def _schema_examples(node, trail="#"):
    if isinstance(node, dict):
        if "example" in node and isinstance(node.get("type"), str):
            yield trail, node["example"], node
        for key, value in node.items():
            if key != "example":
                yield from _schema_examples(value, f"{trail}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_examples(value, f"{trail}/{i}")


SCHEMA_EXAMPLES = list(_schema_examples(SPEC["components"]["schemas"], "#/components/schemas"))


@pytest.mark.parametrize("trail, value, node", SCHEMA_EXAMPLES, ids=[t for t, _, _ in SCHEMA_EXAMPLES])
def test_schema_example_validates_against_its_schema(trail, value, node):
    """A schema's own `example` is an instance of that schema."""
    assert errors(value, inline({k: v for k, v in node.items() if k != "example"})) == []


# ── slot ids ─────────────────────────────────────────────────────────────────
TWO_PART = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15"
THREE_PART = "a1b2c3d4-e5f6-7890-abcd-ef1234567890||2026-06-15||f47ac10b-58cc-4372-a567-0e02b2c3d479"


def test_docs_two_part_slot_id_matches_call_slot_id():
    """"The slot_id in availability results uses the 2-part format calendar_id||YYYY-MM-DD." """
    assert matches(schema("CallSlotId")["pattern"], TWO_PART)


def test_docs_three_part_slot_id_matches_tracking_slot_id():
    """"The slot_id in schedule tracking results uses the 3-part format calendar_id||YYYY-MM-DD||appointment_type_id." """
    assert matches(schema("TrackingSlotId")["pattern"], THREE_PART)


@pytest.mark.parametrize("value", [
    THREE_PART, TWO_PART + "||", "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "a1b2c3d4||2026-06-15",
    TWO_PART.replace("||", "|"), TWO_PART.replace("||", "%7C%7C"), TWO_PART.replace("2026-06-15", "2026-6-15"),
    TWO_PART.replace("06-15", "13-15"), TWO_PART.replace("06-15", "06-32"), " " + TWO_PART, TWO_PART + "\n",
])
def test_wrong_forms_do_not_match_call_slot_id(value):
    """CallSlotId is exactly `calendar_id||YYYY-MM-DD`."""
    assert not matches(schema("CallSlotId")["pattern"], value)


@pytest.mark.parametrize("value", [
    TWO_PART, THREE_PART + "||x", THREE_PART.replace("||", "|"), THREE_PART.replace("||", "%7C%7C"),
    THREE_PART.replace("f47ac10b-58cc-4372-a567-0e02b2c3d479", "general-checkup"),
    THREE_PART.replace("2026-06-15", "20260615"), "||".join(THREE_PART.split("||")[:2][::-1] + [THREE_PART[-36:]]),
    THREE_PART + "\n",
])
def test_wrong_forms_do_not_match_tracking_slot_id(value):
    """TrackingSlotId is exactly `calendar_id||YYYY-MM-DD||appointment_type_id`."""
    assert not matches(schema("TrackingSlotId")["pattern"], value)


# ── the docs' JSON bodies ────────────────────────────────────────────────────
# Copied from /work/shared/api-docs (comments in the create body dropped).
DOCS_BODIES = {
    "create request": ("CreateCallRequest", {
        "agent_id": "agent_123",
        "contact_number": "+919876543210",
        "contact_name": "Raj Patel",
        "contact_email": "raj@company.com",
        "additional_info": {"company": "Acme Corp", "deal_stage": "negotiation"},
    }),
    "create 201": ("CreateCallResponse", {
        "data": {"call_id": "550e8400-e29b-41d4-a716-446655440000", "status": "scheduled"}}),
    "get 200": ("CallResponse", {"data": {
        "call_id": "550e8400-e29b-41d4-a716-446655440000",
        "status": "scheduled",
        "agent_id": "agent_123",
        "contact_number": "+919876543210",
        "contact_name": "Raj Patel",
        "contact_email": "raj@company.com",
        "additional_info": {"company": "Acme Corp"},
        "scheduled_at": "2024-01-27T03:02:00.000Z",
        "completed_at": None,
        "error": None,
        "created_at": "2024-01-27T03:00:00.000Z",
        "updated_at": "2024-01-27T03:00:00.000Z",
    }}),
    "cancel 200": ("CancelCallResponse", {"data": {
        "call_id": "550e8400-e29b-41d4-a716-446655440000",
        "status": "cancelled",
        "cancelled_at": "2024-01-27T03:01:00.000Z",
    }}),
    "delete 200": ("DeleteCallResponse", {"data": {
        "call_id": "550e8400-e29b-41d4-a716-446655440000", "deleted": True}}),
    "availability 200": ("AvailabilityResponse", {
        "success": True,
        "date": "2026-06-15",
        "slots": [DOCS_AVAILABILITY_SLOT],
    }),
    "tracking 200": ("ScheduleTrackingResponse", {
        "success": True,
        "data": [DOCS_TRACKING_RECORD],
    }),
    "patch request": ("TrackingRecordPatch", {"status": "CLOSED"}),
    "regenerate request": ("RegenerateRequest", {"date_from": "2026-06-15", "date_to": "2026-06-30"}),
    "regenerate 200": ("RegenerateResult", {
        "success": True, "processed": 16, "skipped": 0, "errors": 0, "upserted": 16}),
}


@pytest.mark.parametrize("name", DOCS_BODIES)
def test_docs_json_body_validates_against_the_spec(name):
    """Every JSON body the docs print is an instance of the schema the spec gives it."""
    schema_name, body = DOCS_BODIES[name]
    assert errors(body, schema(schema_name)) == []


@pytest.mark.parametrize("name", DOCS_BODIES)
def test_docs_json_body_equals_the_spec_example(name):
    """components/examples are "The … printed in" the docs: they are the docs' bodies exactly."""
    schema_name, body = DOCS_BODIES[name]
    assert SPEC["components"]["examples"][schema_name]["value"] == body


# ── tools load it ────────────────────────────────────────────────────────────
def test_spec_loads_in_connexion():
    """The mock is built from openapi.yaml by Connexion (create_app) and routes the documented paths."""
    from mock_server.app import create_app
    from mock_server.state import State
    app = create_app(State(), validate_responses=True)
    response = app.test_client().get("/v1/appointment-slots/availability", params={"date": "2026-06-15"},
                                     headers={"Authorization": "Bearer YOUR_API_KEY"})
    assert response.status_code == 200


def test_spec_loads_in_schemathesis_with_eight_operations():
    """The contract suite hands openapi.yaml to Schemathesis: it must load all eight operations."""
    import schemathesis
    from schemathesis.core.result import Ok
    loaded = schemathesis.openapi.from_path(str(SPEC_PATH))
    results = list(loaded.get_all_operations())
    assert all(isinstance(r, Ok) for r in results)
    assert len(results) == 8


# ── links ────────────────────────────────────────────────────────────────────
def _op(operation_id: str) -> tuple[str, str, dict]:
    return next((m, p, op) for m, p, op in OPS if op["operationId"] == operation_id)


def _links(operation_id: str, status: str) -> dict:
    return _op(operation_id)[2]["responses"][status].get("links", {})


@pytest.mark.parametrize("target", ["getCall", "cancelCall", "deleteCall"])
def test_create_call_201_links_to(target):
    """"The call_id returned here" retrieves, cancels and deletes the call."""
    links = _links("createCall", "201")
    assert any(link["operationId"] == target and link["parameters"] == {"call_id": "$response.body#/data/call_id"}
               for link in links.values())


def test_schedule_tracking_200_links_to_update_tracking_record():
    """"Pass this value directly to PATCH /v1/appointment-slots/tracking/:slot_id." """
    links = _links("getScheduleTracking", "200")
    assert any(link["operationId"] == "updateTrackingRecord" and
               link["parameters"] == {"slot_id": "$response.body#/data/0/slot_id"} for link in links.values())


def test_every_link_names_an_operation_and_its_parameters():
    """A link whose operationId or parameter does not exist is silently useless to Schemathesis."""
    for method, path, op in OPS:
        for status, response in op["responses"].items():
            for name, link in resolve(response).get("links", {}).items():
                _, target_path, target = _op(link["operationId"])
                names = {resolve(p)["name"] for p in SPEC["paths"][target_path].get("parameters", []) +
                         target.get("parameters", [])}
                assert set(link["parameters"]) <= names, (op["operationId"], status, name)
