"""Typed errors, one class per documented failure. Each carries its status and code;
`envelope.py` is the one place that turns any of them into a response body."""
from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "INTERNAL_ERROR"
    default_message = "Internal error"

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 headers: dict[str, str] | None = None, **extra: str) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.field = field
        self.headers = headers or {}
        self.extra = extra


class ValidationFailed(ApiError):
    status, code = 400, "VALIDATION_ERROR"
    default_message = "The request is invalid"


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"
    default_message = "Missing or invalid API key"


class InsufficientScope(ApiError):
    status, code = 403, "INSUFFICIENT_SCOPE"

    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key does not have the {scope} scope", required_scope=scope)


class ForbiddenOrigin(ApiError):
    status, code = 403, "FORBIDDEN_ORIGIN"
    default_message = "The control API answers no page from another origin"


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"
    default_message = "Not found"


class MethodNotAllowed(ApiError):
    status, code = 405, "METHOD_NOT_ALLOWED"
    default_message = "This method is not allowed on this path"


class CallNotCancellable(ApiError):
    status, code = 409, "CALL_NOT_CANCELLABLE"
    default_message = "The call has already started or completed and cannot be cancelled"


class CallNotDeletable(ApiError):
    status, code = 409, "CALL_NOT_DELETABLE"
    default_message = "Only a call with a recorded engagement can be deleted"


class CallAlreadyEnded(ApiError):
    status, code = 409, "CALL_ALREADY_ENDED"
    default_message = "The call has already ended"


class IdempotencyKeyInUse(ApiError):
    status, code = 409, "IDEMPOTENCY_KEY_IN_USE"
    default_message = "A request with this Idempotency-Key is still being processed"


class PayloadTooLarge(ApiError):
    status, code = 413, "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large"


class HeadersTooLarge(ApiError):
    status, code = 431, "HEADERS_TOO_LARGE"
    default_message = "The request's headers are too large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Request bodies must be application/json"


class IdempotencyKeyReused(ApiError):
    status, code = 422, "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was already used with a different request body"


class InvalidPhoneNumber(ApiError):
    status, code = 422, "INVALID_PHONE_NUMBER"
    default_message = "contact_number must be +91 followed by 10 digits"


class RateLimited(ApiError):
    status, code = 429, "RATE_LIMITED"

    def __init__(self, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(f"Rate limit exceeded; retry after {retry_after} second(s)",
                         headers={"Retry-After": str(retry_after), **headers})


class InternalError(ApiError):
    pass


class ServiceUnavailable(ApiError):
    status, code = 503, "SERVICE_UNAVAILABLE"
    default_message = "The service is unavailable (a fault injected through the mock's control API)"


def error_for_status(status: int) -> type[ApiError]:
    """The error class a bare HTTP status stands for (used for framework errors)."""
    for cls in (ValidationFailed, Unauthorized, NotFound, MethodNotAllowed,
                PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable):
        if cls.status == status:
            return cls
    return ValidationFailed if 400 <= status < 500 else InternalError


class UpstreamUnreachable(ApiError):
    status, code = 502, "UPSTREAM_UNREACHABLE"
    default_message = "The proxy could not get an answer from the upstream"


class UpstreamTimeout(ApiError):
    status, code = 504, "UPSTREAM_TIMEOUT"
    default_message = "The upstream did not answer in time"


class ContractViolated(ApiError):
    """--strict: the upstream's answer broke the contract; the violations are listed instead."""
    status, code = 502, "CONTRACT_VIOLATION"
    default_message = "The upstream's answer breaks the HuskyVoice contract"
