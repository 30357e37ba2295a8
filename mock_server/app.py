"""Builds the mock: a Connexion AsyncApp driven by openapi.yaml, with the store behind it."""
from __future__ import annotations

import copy
import inspect
import logging
import re
from pathlib import Path

from connexion import AsyncApp
from connexion.exceptions import ExtraParameterProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from . import spec as spec_module
from .envelope import JSON, error_bytes, error_headers
from .errors import ApiError, InternalError, MethodNotAllowed, NotFound, ValidationFailed, error_for_status
from .handlers.calls import CallsApi
from .handlers.control import ControlApi
from .handlers.slots import SlotsApi
from .journal import Journal
from .jsoncodec import JSONIFIER
from .middleware import (BODY_CUT, RATE_LIMIT_HEADERS, AuthMiddleware, BodyLimitMiddleware,
                         ControlOriginMiddleware, ControlTokenMiddleware, FaultMiddleware, IndexMiddleware, JournalMiddleware, SessionMiddleware)
from .sessions import Sessions
from .state import State
from .validation import VALIDATORS, parsed_body

log = logging.getLogger("huskyvoice.mock")
CONTROL_SPEC = Path(__file__).resolve().parent / "control.yaml"
CONTROL_PREFIX = "/_mock"


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render(exc: ApiError, request: ConnexionRequest | None = None) -> ConnexionResponse:
    headers = error_headers(exc)
    if request is not None:
        for name, value in request.scope.get("extensions", {}).get(RATE_LIMIT_HEADERS, {}).items():
            headers.setdefault(name, value)
    return ConnexionResponse(status_code=exc.status, body=error_bytes(exc), content_type=JSON,
                             mimetype=JSON, headers=headers)


def _given_parsed_body(handler):
    """`handler`, given the body as the body validator parsed it. Connexion would parse it again
    for a handler that takes `body`, deeper in the stack (a 2,000-deep array the validator took
    then hit the recursion limit: a 500) and on the event loop (a 50 MB import stalled it)."""
    signature = inspect.signature(handler)
    if "body" not in signature.parameters:
        return handler

    async def with_body(*args, **kwargs):
        return await handler(*args, body=parsed_body(), **kwargs)
    # Not functools.wraps: Connexion reads the arguments of the innermost __wrapped__.
    with_body.__name__, with_body.__qualname__, with_body.__doc__ = handler.__name__, handler.__qualname__, handler.__doc__
    with_body.__signature__ = signature.replace(
        parameters=[p for name, p in signature.parameters.items() if name != "body"])
    return with_body


def _resolver(apis: list, operation_ids) -> Resolver:
    handlers = {}
    for op_id in operation_ids:
        name = snake_case(op_id)
        handlers[op_id] = _given_parsed_body(next(getattr(api, name) for api in apis if hasattr(api, name)))
    return Resolver(function_resolver=handlers.__getitem__)


def _connexion_layers(validate_responses: bool) -> list:
    """Connexion's default middleware stack, less what the mock does itself or does not need."""
    dropped = {
        # Authentication and scopes are ours (AuthMiddleware): Connexion's security
        # middleware checks no scopes for an http/bearer scheme.
        SecurityMiddleware,
        # Without response validation this layer only looks the operation up again.
        *([] if validate_responses else [ResponseValidationMiddleware]),
    }
    return [layer for layer in ConnexionMiddleware.default_middlewares if layer not in dropped]


def _add_layers(app: AsyncApp, *, sessions: Sessions, journal: Journal, contract: spec_module.Contract,
                control: bool, control_token: str | None) -> None:
    """Our layers, each at its place in Connexion's stack (the pipeline in middleware.py)."""
    # Outside the exception middleware, so it records the rendered error responses too.
    app.add_middleware(JournalMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION,
                       journal=journal, sessions=sessions, prefix=contract.base_path)
    before_routing = [
        (IndexMiddleware, dict(api_prefix=contract.base_path, control_prefix=CONTROL_PREFIX if control else None)),
        *([(ControlOriginMiddleware, dict(prefix=CONTROL_PREFIX))] if control else []),
        *([(ControlTokenMiddleware, dict(prefix=CONTROL_PREFIX, token=control_token))] if control_token else []),
        (SessionMiddleware, dict(sessions=sessions)),
        (BodyLimitMiddleware, {}),
    ]
    for layer, options in before_routing:
        app.add_middleware(layer, position=MiddlewarePosition.BEFORE_ROUTING, **options)
    for layer in (AuthMiddleware, FaultMiddleware):
        app.add_middleware(layer, position=MiddlewarePosition.BEFORE_VALIDATION, sessions=sessions, contract=contract)


def _speedups():
    """mock_server.speedups, or None (with a warning) when it does not fit the installed Connexion."""
    try:
        from . import speedups
    except ImportError as exc:
        log.warning("speed-ups off: %s", exc)
        return None
    reason = speedups.available()
    if reason:
        log.warning("speed-ups off: %s", reason)
        return None
    return speedups


def handle_errors(app, contracts: list) -> None:
    """Every error the app can meet, answered in the one envelope: ours, Connexion's problems, the
    router's 404/405 (the Allow header from `contracts`, the specs it serves), bodies that are not
    UTF-8 or end early, and a crash (logged, answered 500 without its details)."""
    def on_api_error(request: ConnexionRequest, exc: ApiError) -> ConnexionResponse:
        return render(exc, request)

    def on_problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
        if exc.status >= 500:
            log.error("%s %s answered %s: %s", request.method, request.url.path, exc.status, exc.detail)
            return render(InternalError("The mock failed to answer within its contract"), request)
        error = error_for_status(exc.status)(exc.detail or exc.title)
        if isinstance(exc, ExtraParameterProblem):
            error = ValidationFailed(str(exc.detail))
        return render(error, request)

    def on_http(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        path = request.url.path
        allowed = None
        for known in contracts:  # the documented API and, when served, the control API
            if path.startswith(known.base_path + "/"):
                allowed = known.allowed_methods(path[len(known.base_path):])
                break
        if exc.status_code == 405 and not allowed:
            # A path no spec describes (the Swagger UI's pages, the served spec): the router's own Allow.
            allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "GET").split(",") if m.strip()]
        if exc.status_code == 405 or (exc.status_code == 404 and allowed and request.method not in allowed):
            # Connexion answers HEAD on a documented path with 404 and lists HEAD in
            # Allow; the documented methods are what the spec says.
            return render(MethodNotAllowed(f"{request.method} is not allowed on {path}; use {', '.join(allowed)}",
                                           headers={"Allow": ", ".join(allowed)}), request)
        if exc.status_code == 404:
            return render(NotFound(f"No such path: {path}"), request)
        return render(error_for_status(exc.status_code)(str(exc.detail)), request)

    def on_unicode(request: ConnexionRequest, exc: UnicodeDecodeError) -> ConnexionResponse:
        return render(ValidationFailed("The request is not valid UTF-8"), request)

    def on_disconnect(request: ConnexionRequest, exc: ClientDisconnect) -> ConnexionResponse:
        return render(ValidationFailed(BODY_CUT), request)

    def on_crash(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return render(InternalError(), request)

    app.add_error_handler(ApiError, on_api_error)
    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_http)
    app.add_error_handler(UnicodeDecodeError, on_unicode)
    app.add_error_handler(ClientDisconnect, on_disconnect)
    app.add_error_handler(Exception, on_crash)


def create_app(state: State | None = None, *, validate_responses: bool = False,
               spec_path=spec_module.SPEC_PATH, control: bool = True,
               control_token: str | None = None, lifespan=None, speedups: bool = False) -> AsyncApp:
    """The mock. `control` serves the control API under /_mock (the CLI turns it on
    only on loopback, or with a token). `lifespan`: Starlette's, run by the server.
    `speedups`: use mock_server/speedups.py (Connexion internals) when it fits the installed
    Connexion; without, the app is built on Connexion's public API alone."""
    state = state or State()
    sessions = Sessions(state)
    journal = Journal()
    contract = spec_module.load(spec_path)
    apis = [CallsApi(sessions, contract.base_path), SlotsApi(sessions)]
    contracts = [contract]

    tuning = _speedups() if speedups else None
    app = (tuning.MockApp if tuning else AsyncApp)(__name__, lifespan=lifespan,
                                                   middlewares=_connexion_layers(validate_responses))
    _add_layers(app, sessions=sessions, journal=journal, contract=contract, control=control,
                control_token=control_token if control else None)
    if tuning:
        tuning.tune(app)
    app.add_api(
        copy.deepcopy(contract.document),  # parsed once (spec.load); Connexion would parse the file again
        resolver=_resolver(apis, contract.operation_ids),
        strict_validation=True,
        validate_responses=validate_responses,
        validator_map=VALIDATORS,
        jsonifier=JSONIFIER,
    )
    if control:
        control_contract = spec_module.load(CONTROL_SPEC)
        contracts.append(control_contract)
        app.add_api(copy.deepcopy(control_contract.document), base_path=CONTROL_PREFIX, name="control",
                    resolver=_resolver([ControlApi(sessions, journal, contract.operation_ids)], control_contract.operation_ids),
                    strict_validation=True, validate_responses=validate_responses, validator_map=VALIDATORS,
                    jsonifier=JSONIFIER)

    handle_errors(app, contracts)
    app.state_ = state  # for tests and the CLI
    app.speedups_ = tuning is not None
    app.sessions_ = sessions
    app.journal_ = journal
    return app
