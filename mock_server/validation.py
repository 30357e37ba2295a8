"""Connexion's validators, with errors turned into the documented envelope: a 400
that names the field, and the status a schema's `x-pattern-error` asks for (the
docs make a malformed phone number 422, not 400)."""
from __future__ import annotations

import asyncio
import json
import math
import typing as t

from connexion.context import context
from connexion.datastructures import MediaTypeDict
from connexion.utils import is_nullable, is_null
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from connexion.validators.json import Draft4RequestValidator
import jsonschema_rs
from jsonschema import Draft4Validator, ValidationError

from .errors import ApiError, ValidationFailed


class _Checked:
    """A schema's validator: jsonschema-rs (compiled; bench/RESULTS.md) says whether an instance
    is valid; only when it does not, or cannot tell, does jsonschema, Connexion's own validator,
    look for the errors. So the verdict is always jsonschema's: jsonschema-rs can only skip it for
    instances it finds valid, and it is never laxer than jsonschema on this spec's keywords
    (tests/test_validation_compiled.py checks that). It is stricter on a few (`nullable`, formats,
    `$` before a final newline): those instances take the slow path and get jsonschema's verdict."""

    __slots__ = ("fast", "reference")

    def __init__(self, schema: dict, reference) -> None:
        self.reference = reference
        try:
            self.fast = jsonschema_rs.Draft4Validator(schema, validate_formats=True)
        except Exception:  # a schema jsonschema-rs does not take: jsonschema alone, as Connexion does
            self.fast = None

    def iter_errors(self, instance) -> t.Iterator[ValidationError]:
        if self.fast is not None:
            try:
                if self.fast.is_valid(instance):
                    return iter(())
            except Exception:  # values it cannot convert (lone surrogates, 5,000-digit numbers)
                pass
        return self.reference.iter_errors(instance)


_CHECKED: dict[tuple[int, type], tuple[object, _Checked]] = {}
_CHECKED_MAX = 4096


def checked(schema: dict, reference_cls) -> _Checked:
    """The validator for this schema object, built once. Connexion builds its validators per
    request and hands them the same schema objects each time (the resolved spec's), so they are
    looked up by identity; the schema is held, so its id cannot be reused by another object."""
    key = (id(schema), reference_cls)
    entry = _CHECKED.get(key)
    if entry is None or entry[0] is not schema:
        if len(_CHECKED) >= _CHECKED_MAX:  # apps built and dropped (tests): start over
            _CHECKED.clear()
        entry = (schema, _Checked(schema, reference_cls(schema, format_checker=Draft4Validator.FORMAT_CHECKER)))
        _CHECKED[key] = entry
    return entry[1]


def _field(error: ValidationError) -> str | None:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        if missing:
            return f"{path}.{missing[0]}" if path else missing[0]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        if extra:
            return f"{path}.{extra[0]}" if path else extra[0]
    return path or None


def _message(error: ValidationError, field: str | None) -> str:
    if error.validator == "required" and field:
        return f"{field} is required"
    if error.validator == "minProperties" and isinstance(error.schema, dict):
        return f"Send at least one of: {', '.join(error.schema.get('properties', {}))}"
    if error.validator == "additionalProperties" and field:
        return f"{field} is not a field of this request; it cannot be set"
    return f"{field}: {error.message}" if field else error.message


def body_error(errors: t.Iterable[ValidationError]) -> ApiError | None:
    """The one error to report: the first plain 400 if any, else a pattern error's own status."""
    special = None
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        custom = error.schema.get("x-pattern-error") if isinstance(error.schema, dict) else None
        field = _field(error)
        if error.validator == "pattern" and custom:
            if special is None:
                special = ApiError(custom.get("message") or _message(error, field), field=field)
                special.status, special.code = custom["status"], custom["code"]
            continue
        return ValidationFailed(_message(error, field), field=field)
    return special


OFF_LOOP_BYTES = 256 * 1024
_PARSED_BODY = "huskyvoice_parsed_body"


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to infinity, which JSON cannot carry back
        raise ValueError(f"{text} is out of range")
    return value


def parse_json(raw: bytes) -> t.Any:
    """A request body's JSON, or the 400 that says what is wrong with it (None if empty)."""
    try:
        # UTF-8 whatever the charset parameter says (D-json-utf8): the handler's copy
        # of the body is decoded as UTF-8 by Starlette, so any other reading would
        # validate one text and hand the handler another.
        text = raw.decode("utf-8")
    except (UnicodeDecodeError, LookupError):
        raise ValidationFailed("The request body is not valid UTF-8 JSON") from None
    if not text:
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValidationFailed("The request body is nested too deeply") from None
    except ValueError as exc:
        raise ValidationFailed(f"The request body is not valid JSON: {exc}") from None


def parsed_body() -> t.Any:
    """The current request's JSON body, as the body validator parsed it (None if it had none)."""
    return context.get(_PARSED_BODY)


class BodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream, scope) -> t.Any:
        raw = b"".join([message async for message in stream])
        # A large body (an imported state) is parsed in a worker thread,
        # so that the event loop goes on serving other requests meanwhile.
        body = parse_json(raw) if len(raw) < OFF_LOOP_BYTES else await asyncio.to_thread(parse_json, raw)
        # Handed on to the handler (app._given_parsed_body), so the body is parsed once.
        scope.setdefault("extensions", {}).setdefault("connexion_context", {})[_PARSED_BODY] = body
        return body

    def _validate(self, body: t.Any) -> t.Optional[dict]:
        if body is None:
            raise ValidationFailed("The request body must not be empty")
        try:
            # Connexion's own `_validator` builds a new jsonschema validator on each access.
            error = body_error(checked(self._schema, Draft4RequestValidator).iter_errors(body))
        except RecursionError:
            raise ValidationFailed("The request body is nested too deeply") from None
        if error is not None:
            raise error
        return None


class ParametersValidator(ParameterValidator):
    """Connexion's parameter checks, each parameter's validator built once (Connexion deep-copies
    the parameter and builds a validator for it on every request)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._validators = {id(p): checked(p.get("schema", p), Draft4Validator)
                            for params in self.parameters.values() for p in params}

    def _check(self, kind: str, value, param) -> ApiError | None:
        name = param["name"]
        if value is None:
            return ValidationFailed(f"{name} is a required {kind} parameter", field=name) if param.get("required") else None
        if is_nullable(param) and is_null(value):
            return None
        error = next(self._validators[id(param)].iter_errors(value), None)
        return ValidationFailed(f"{kind} parameter {name} is invalid: {error.message}", field=name) if error else None

    def validate_request(self, request):
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if extra:
                first = sorted(extra)[0]
                raise ValidationFailed(f"Unknown query parameter {first}; this operation takes "
                                       f"{', '.join(p['name'] for p in self.parameters.get('query', [])) or 'none'}",
                                       field=first)
        sources = (("query", request.query_params.get), ("path", request.path_params.get),
                   ("header", request.headers.get))
        for kind, get in sources:
            for param in self.parameters.get(kind, []):
                key = param["name"].replace("-", "_") if kind == "path" else param["name"]
                error = self._check(kind, get(key), param)
                if error:
                    raise error


VALIDATORS = {
    **VALIDATOR_MAP,
    "parameter": ParametersValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": BodyValidator}),
}
