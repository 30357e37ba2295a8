"""Rules between fields or across requests that JSON Schema cannot state. A
generated "schema-valid" case that breaks one is not valid data, so
`positive_data_acceptance` is not asked of it (docs/decisions.md,
D-date-range-limit, D-max-slots-bounds and D-idempotency); every other check still
is. And a call id that came back from an idempotent replay is not held to
`ensure_resource_availability`.

On the mock the rules are the mock's (a range of at most 366 dates). Elsewhere they are
the strictest the docs allow: a range no longer than the docs' own examples show
accepted, and no capacity at all, since a server may refuse one below a record's
bookings."""
from __future__ import annotations

from datetime import date

from .target import Target

MAX_RANGE_DAYS = 366


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def breaks_date_range(date_from, date_to, longest: int = MAX_RANGE_DAYS) -> bool:
    start, end = _date(date_from), _date(date_to)
    if start is None or end is None:
        return False
    return end < start or (end - start).days + 1 > longest


class IdempotencyLedger:
    """The Idempotency-Keys this run has sent, with the body each was first sent with."""

    def __init__(self) -> None:
        self._first_body: dict[str, object] = {}

    def reuses_with_other_body(self, key: str | None, body) -> bool:
        if key is None:
            return False
        first = self._first_body.setdefault(key, body)
        return first != body


class CreatedCalls:
    """How often each call_id came back from a successful create. One that comes back twice
    came from an idempotent replay (D-idempotency: the same key and body replay the first
    answer), perhaps of a call deleted since: a 404 for it is not the "created resource not
    found" (ST302) Schemathesis takes it for, which only knows the deletes of its own scenario."""

    def __init__(self) -> None:
        self._answers: dict[str, int] = {}

    def note(self, case, response) -> None:
        if operation_id(case) != "createCall" or not 200 <= response.status_code < 300:
            return
        try:
            call_id = response.json()["data"]["call_id"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(call_id, str):
            self._answers[call_id] = self._answers.get(call_id, 0) + 1

    def replayed(self, case) -> bool:
        call_id = (case.path_parameters or {}).get("call_id")
        return isinstance(call_id, str) and self._answers.get(call_id, 0) > 1


def operation_id(case) -> str | None:
    """The operationId of a Schemathesis case, from its public method and path."""
    from .spec import operation_ids
    return operation_ids().get((case.operation.method.upper(), case.operation.path))


def breaks_rule(case, ledger: IdempotencyLedger, strictest: bool = False) -> bool:
    """Whether `case` breaks a rule JSON Schema cannot state: the mock's rules, or with
    `strictest` the strictest rules the docs allow a server."""
    from .spec import docs_example_range
    op = operation_id(case)
    longest = docs_example_range(op) if strictest and op in ("getScheduleTracking", "regenerateTracking") \
        else MAX_RANGE_DAYS
    if op == "getScheduleTracking":
        query = case.query or {}
        return breaks_date_range(query.get("date_from"), query.get("date_to"), longest)
    if op == "regenerateTracking" and isinstance(case.body, dict):
        return breaks_date_range(case.body.get("date_from"), case.body.get("date_to"), longest)
    if op == "updateTrackingRecord" and strictest:
        return isinstance(case.body, dict) and case.body.get("max_slots") is not None
    if op == "createCall":
        headers = {k.lower(): v for k, v in (case.headers or {}).items()}
        return ledger.reuses_with_other_body(headers.get("idempotency-key"), case.body)
    return False


def excluded_operations(target: Target, *, calls_to_test_number: bool = False) -> set[str]:
    """Operations Schemathesis must not send on this target. Creating a call places a real
    phone call to whatever number was generated, so off the bundled mock call creation is
    never fuzzed; only the stateful test (`calls_to_test_number`), which rewrites every
    created call's number to TEST_CONTACT_NUMBER, may create calls there."""
    from .spec import CALL_WRITES, WRITE_OPERATIONS
    if target.is_mock:
        return set()
    if not target.allow_writes:
        return set(WRITE_OPERATIONS)
    if not target.contact_number:
        return set(CALL_WRITES)
    return set() if calls_to_test_number else {"createCall"}
