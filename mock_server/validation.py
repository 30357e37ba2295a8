"""Connexion's validators, with errors turned into the documented envelope: a 400
that names the field, and the status a schema's `x-pattern-error` asks for (the
docs make a malformed phone number 422, not 400)."""
from __future__ import annotations

import json
import math
import typing as t

from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from connexion.datastructures import MediaTypeDict
from jsonschema import ValidationError

from .errors import ApiError, ValidationFailed


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


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to infinity, which JSON cannot carry back
        raise ValueError(f"{text} is out of range")
    return value


class BodyValidator(JSONRequestBodyValidator):
    async def _parse(self, stream, scope) -> t.Any:
        raw = b"".join([message async for message in stream])
        try:
            text = raw.decode(self._encoding)
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

    def _validate(self, body: t.Any) -> t.Optional[dict]:
        if body is None:
            raise ValidationFailed("The request body must not be empty")
        try:
            error = body_error(self._validator.iter_errors(body))
        except RecursionError:
            raise ValidationFailed("The request body is nested too deeply") from None
        if error is not None:
            raise error
        return None


class ParametersValidator(ParameterValidator):
    @staticmethod
    def _check(kind: str, value, param) -> ApiError | None:
        name = param["name"]
        if value is None:
            return ValidationFailed(f"{name} is a required {kind} parameter", field=name) if param.get("required") else None
        error = ParameterValidator.validate_parameter(kind, value, param)
        return ValidationFailed(f"{kind} parameter {name} is invalid: {error.splitlines()[0]}", field=name) if error else None

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
