"""Optional speed-ups that reach into Connexion's private internals: the one module that may.

Connexion rebuilds, for every request, things that depend only on the operation: the
handler's decorator chain (`AsyncOperation.fn` is a property that builds a new
`StarletteDecorator`, whose wrapper runs `inspect.signature` again) and the URI parser and
validators of each operation (bench/RESULTS.md, "Where the time goes"). The classes below
build each of them once and are otherwise Connexion's own: same routing, same validators,
same decorators, same errors. Swagger UI's router is stepped around for the paths it
cannot serve.

`create_app(speedups=True)` uses them (the CLI does); `create_app()` runs on Connexion's
public API alone. They are written against one Connexion release, `WRITTEN_FOR`: with any
other, `available()` says why not and the mock runs without them.
"""
from __future__ import annotations

import functools
import importlib.metadata
import typing as t

import connexion
from connexion import utils
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import receive as context_receive, scope as context_scope
from connexion.decorators import StarletteDecorator
from connexion.middleware.request_validation import (RequestValidationAPI, RequestValidationMiddleware,
                                                      RequestValidationOperation)
from connexion.middleware.swagger_ui import SwaggerUIMiddleware


WRITTEN_FOR = {"connexion": "3.3.0"}


def available() -> str | None:
    """None when the installed libraries are the ones this module was written against,
    else why the speed-ups are off."""
    for package, version in WRITTEN_FOR.items():
        installed = importlib.metadata.version(package)
        if installed != version:
            return f"{package} {installed} is installed; mock_server/speedups.py was written against {version}"
    return None


class _OnceDecorator(StarletteDecorator):
    """Decorates the handler and builds its URI parser on the first request, then reuses them."""

    def __call__(self, function: t.Callable) -> t.Callable:
        built: tuple | None = None

        @functools.wraps(function)
        async def wrapper(*args, **kwargs):
            nonlocal built
            if built is None:  # needs the operation context, which exists only inside a request
                built = (self.uri_parser, self.decorate(function))
            uri_parser, decorated = built
            request = self.framework.get_request(uri_parser=uri_parser, scope=context_scope,
                                                 receive=context_receive)
            return await decorated(request)

        return wrapper


class _Operation(AsyncOperation):
    @functools.cached_property
    def fn(self) -> t.Callable:
        return _OnceDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)(self._fn)


class _Api(AsyncApi):
    def make_operation(self, operation) -> _Operation:
        return _Operation.from_operation(operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)


class _ASGIApp(AsyncASGIApp):
    api_cls = _Api


class MockApp(connexion.AsyncApp):
    """`connexion.AsyncApp` whose operations decorate their handler once, not per request."""

    def __init__(self, import_name: str, **kwargs) -> None:
        # AsyncApp.__init__ does only this with a fixed class, then AbstractApp.__init__.
        self._middleware_app = _ASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)


class _PrecompiledValidation(RequestValidationOperation):
    """RequestValidationOperation with the parameter validator and URI parser built once,
    and one body validator per (media type, charset)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        op = self._operation
        self._uri_parser = op._uri_parser_class(op.parameters, op.body_definition())
        self._parameter_validator = self._validator_map["parameter"](
            op.parameters, uri_parser=self._uri_parser, strict_validation=self.strict_validation,
            security_query_params=self.security_query_params)
        self._body_validators: dict[tuple[str, str], t.Any] = {}

    def _body_validator(self, mime_type: str, encoding: str):
        key = (mime_type, encoding)
        if key not in self._body_validators:
            op = self._operation
            schema = op.body_schema(mime_type)
            validator = None
            if schema:
                validator_cls = self._validator_map["body"].get(mime_type)
                if validator_cls is not None:
                    validator = validator_cls(
                        schema=schema, required=op.request_body.get("required", False),
                        nullable=utils.is_nullable(op.body_definition(mime_type)), encoding=encoding,
                        strict_validation=self.strict_validation, uri_parser=self._uri_parser)
            if len(self._body_validators) < 64:  # charsets come from the client: keep the cache small
                self._body_validators[key] = validator
            return validator
        return self._body_validators[key]

    async def __call__(self, scope, receive, send):
        self._parameter_validator.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        validator = self._body_validator(mime_type, encoding)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class _ValidationApi(RequestValidationAPI):
    def make_operation(self, operation) -> _PrecompiledValidation:
        return _PrecompiledValidation(self.next_app, operation=operation, strict_validation=self.strict_validation,
                                      validator_map=self.validator_map)


class PrecompiledValidationMiddleware(RequestValidationMiddleware):
    """Connexion's request validation, with each operation's validators built once."""
    api_cls = _ValidationApi


class SwaggerUIAside(SwaggerUIMiddleware):
    """Swagger UI, consulted only for the paths it can serve (…/ui/… and …/openapi.json),
    so API requests do not pass through its router first."""

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if "/ui" in path or path.endswith("/openapi.json"):
            return await super().__call__(scope, receive, send)
        await self.app(scope, receive, send)


_SWAPS = {SwaggerUIMiddleware: SwaggerUIAside, RequestValidationMiddleware: PrecompiledValidationMiddleware}


def tune(app: MockApp) -> None:
    """Swap Connexion's Swagger UI and request validation layers for the ones above, once the
    app's own layers are in place (`add_middleware` finds its positions by Connexion's classes)."""
    stack = app.middleware.middlewares
    stack[:] = [_SWAPS.get(layer, layer) for layer in stack]
