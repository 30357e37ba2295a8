"""Request validation takes jsonschema-rs's "valid" as final and asks jsonschema otherwise
(mock_server/validation.py, `_Checked`). That is only right if jsonschema-rs never finds valid
what jsonschema (Connexion's validator, the reference) finds invalid: checked here on every
request schema of both specs, with instances drawn around each schema's own names and values."""
from __future__ import annotations

import re

import pytest
from connexion.json_schema import Draft4RequestValidator
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft4Validator

from contract_tests.spec import inline
from mock_server import app as app_module, spec as spec_module
from mock_server.validation import _Checked, checked


def request_schemas() -> list[tuple[str, dict, type]]:
    found = []
    for path in (spec_module.SPEC_PATH, app_module.CONTROL_SPEC):
        document = spec_module.load(path).document
        for route, item in document["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict):
                    continue
                for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    param = inline(param, document)
                    found.append((f"{path.name} {method} {route} {param['name']}", param["schema"], Draft4Validator))
                for media, content in inline(operation.get("requestBody", {}), document).get("content", {}).items():
                    if "schema" in content:
                        found.append((f"{path.name} {method} {route} body", content["schema"], Draft4RequestValidator))
    return found


SCHEMAS = request_schemas()


def _walk(schema, into: dict) -> None:
    """The names, enum values and patterns a schema mentions, to draw instances near it."""
    if isinstance(schema, dict):
        into["names"].update(schema.get("properties", {}))
        into["names"].update(schema.get("required", []))
        into["values"].extend(schema.get("enum", []))
        for key in ("example", "default"):
            if key in schema:
                into["values"].append(schema[key])
        if "pattern" in schema:
            into["patterns"].append(schema["pattern"])
        for value in schema.values():
            _walk(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _walk(value, into)


def near(schema) -> st.SearchStrategy:
    seen = {"names": set(), "values": [], "patterns": []}
    _walk(schema, seen)
    leaves = [st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.text(max_size=12),
              st.sampled_from(["2026-06-15", "2026-02-30", "2026-06-15T10:00:00Z", "2026-06-15T10:00:00",
                               "+919876543210", "+919876543210\n", "a@b.c", "not-an-email",
                               "550e8400-e29b-41d4-a716-446655440000", "", " ", "١٢٣", "Morning", "OPEN"])]
    if seen["values"]:
        leaves.append(st.sampled_from(seen["values"]))
    for pattern in seen["patterns"]:
        try:
            re.compile(pattern)
        except re.error:
            continue
        leaves.append(st.from_regex(pattern))
        leaves.append(st.from_regex(pattern).map(lambda s: s + "\n"))
    names = st.sampled_from(sorted(seen["names"]) or ["x"]) | st.text(max_size=6)
    return st.recursive(st.one_of(leaves), lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(names, inner, max_size=6), max_leaves=12)


def assert_never_laxer(name: str, fast, schema: dict, reference_cls, instance) -> None:
    try:
        accepted = fast.is_valid(instance)
    except Exception:
        return  # not judged by jsonschema-rs: jsonschema decides
    if accepted:
        errors = [e.message for e in reference_cls(schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(instance)]
        assert not errors, f"{name}: jsonschema-rs accepts {instance!r}, jsonschema rejects it: {errors[0]}"


@pytest.mark.parametrize("name, schema, reference_cls", SCHEMAS, ids=[entry[0] for entry in SCHEMAS])
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_jsonschema_rs_never_accepts_what_jsonschema_rejects(name, schema, reference_cls, data):
    """validation._Checked: a fast "valid" is only taken where the reference agrees."""
    fast = checked(schema, reference_cls).fast
    assert fast is not None, f"jsonschema-rs does not take {name}: its requests would all go the slow way"
    assert_never_laxer(name, fast, schema, reference_cls, data.draw(near(schema)))


def test_the_schemas_scanned_are_the_specs_request_schemas():
    assert len(SCHEMAS) >= 15 and any(name.endswith("post /calls body") for name, _, _ in SCHEMAS)


class _Laxer:
    """A fast validator laxer than the reference: the broken variant the check exists to catch."""
    def is_valid(self, instance) -> bool:
        return True


def test_a_laxer_fast_validator_is_caught():
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "pattern": "^x$"}}}
    with pytest.raises(AssertionError, match="jsonschema-rs accepts"):
        assert_never_laxer("lax", _Laxer(), schema, Draft4Validator, {})


def test_the_slow_path_gives_jsonschemas_verdict_where_jsonschema_rs_is_stricter():
    """`nullable` is Connexion's keyword, not Draft 4's: jsonschema-rs rejects null, the reference takes it."""
    assert not list(checked({"type": "string", "nullable": True}, Draft4RequestValidator).iter_errors(None))
    assert list(checked({"type": "string"}, Draft4RequestValidator).iter_errors(None))
    lax = _Checked({"type": "string"}, Draft4Validator({"type": "string"}))
    lax.fast = _Laxer()
    assert not list(lax.iter_errors(5)), "a fast 'valid' is final: hence the test above"
