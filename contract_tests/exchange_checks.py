"""The contract's checks over recorded HTTP exchanges: one implementation per clause, shared
by the contract suite (contract_tests/test_*.py), the validating proxy (mock_server/proxy.py)
and an offline replay of a HAR file.

An `Exchange` is one request and its answer as they went over the wire. `check_exchange`
judges one exchange on its own; a `Watcher` judges a sequence of them (what an answer
means given the answers before it) and runs `check_exchange` on each too. Every
`Violation` names a clause of contract_tests/clauses.yaml.

The checks read the docs in **foreign mode**, as the suite does off the bundled mock: what
the docs state, never the mock's own choices (docs/decisions.md). Responses are judged by
the docs' reading of openapi.yaml (`spec.for_target(is_mock=False)`): an error's body and
media type are not judged (D-error-envelope), any 4xx is a documented status
(D-other-4xx), the tracking PATCH may answer any 2xx with any body (D-patch-response), a
create may answer a replay with 200 (D-idempotency), fields a server adds are its own
(D-extra-response-fields). An exchange that the docs leave open is passed.

What a check cannot know from traffic, it does not guess: a call's status is only compared
with statuses answered before; the answers of one exchange are judged against the request
as it was sent, not as a client meant it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from . import spec
from .client import codes_in, retry_after_delay, retry_after_seconds

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STARTED = frozenset({"in_progress", "completed", "failed"})
# The docs' lifecycle: "scheduled | in_progress | completed | failed | cancelled"; "Cancel a call in
# pending or scheduled status. Returns 409 if already started or completed." Whether pending comes
# before scheduled, and whether a completed call may later read failed, the docs do not say.
STAGE = {"pending": 0, "scheduled": 0, "in_progress": 1, "completed": 2, "failed": 2, "cancelled": 2}
PHONE = re.compile(r"\A\+91[0-9]{10}\Z")  # "E.164 format (+91XXXXXXXXXX)"
ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
REGENERATE_COUNTS = ("processed", "skipped", "errors", "upserted")
# D-appointments-read-availability: the scope table grants appointments:read "Fetch … availability" too.
DOCS_ALSO_GRANT = {"getAvailability": frozenset({"appointments:read"})}
# The docs give no window for idempotent creation (the mock's 24 hours is its own choice,
# D-idempotency); any window worth the name covers a retry within a minute.
IDEMPOTENCY_WINDOW = timedelta(seconds=60)
# A retry's answer time is all an Exchange holds; allow this long for the request to have
# been sent before the indicated delay had passed.
RETRY_MARGIN = timedelta(seconds=1)
MESSAGE_LIMIT = 300
NO_BODY = object()  # no body, or none a JSON reader could take


# ── the interface ───────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as they went over the wire."""
    method: str                 # "GET"
    path: str                   # path under the API base, e.g. "/calls/abc" (no /v1 prefix)
    query: tuple[tuple[str, str], ...]   # decoded query pairs, in order
    request_headers: tuple[tuple[str, str], ...]  # as sent (names any case)
    request_body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    at: datetime | None = None  # when the answer came (UTC), if known

    def request_header(self, name: str) -> str | None:
        return _header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)

    def query_values(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300

    @cached_property
    def operation(self) -> str | None:
        return operation_of(self.method, self.path)

    @cached_property
    def path_parameters(self) -> dict[str, str]:
        return _route_parameters(self.method, self.path)

    @cached_property
    def body(self) -> Any:
        """The answer's JSON, or NO_BODY."""
        return _json(_decoded(self.response_body, self.response_header("content-encoding")))

    @cached_property
    def sent(self) -> Any:
        """The request's JSON, or NO_BODY."""
        return _json(_decoded(self.request_body, self.request_header("content-encoding")))

    @cached_property
    def credential(self) -> str | None:
        """The Authorization header's credential: the token after `Bearer `, else the whole value."""
        value = (self.request_header("authorization") or "").strip()
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else value

    @property
    def bearer(self) -> bool:
        return (self.request_header("authorization") or "").strip().lower().startswith("bearer ")


@dataclass(frozen=True)
class Violation:
    clause: str      # an id from contract_tests/clauses.yaml
    message: str     # one line: what was expected, what came


def check_exchange(exchange: Exchange) -> list[Violation]:
    """Per-exchange checks (no memory). An exchange of no documented operation is not judged."""
    op = exchange.operation
    if op is None:
        return []
    found: list[Violation] = []
    for check in (*GENERAL, *BY_OPERATION.get(op, ())):
        found.extend(check(exchange))
    return found


def operation_of(method: str, path: str) -> str | None:
    """The operationId of `method path` (a path under the API base, raw or percent-decoded), or None."""
    return _route(method, path)[0]


# ── the spec, as the checks read it ─────────────────────────────────────────
@lru_cache(maxsize=1)
def _docs_reading() -> dict:
    return spec.for_target(False)


@lru_cache(maxsize=1)
def _routes() -> list[tuple[str, re.Pattern, str, tuple[str, ...]]]:
    routes = []
    for op_id, (method, template, _) in spec.operations().items():
        names = tuple(re.findall(r"{(\w+)}", template))
        pattern = "^" + re.sub(r"\\{\w+\\}", "([^/]+)", re.escape(template)) + "$"
        routes.append((method, re.compile(pattern), op_id, names))
    return routes


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    method = method.upper()
    for route_method, pattern, op_id, names in _routes():
        if route_method != method:
            continue
        match = pattern.match(path)
        if match:
            return op_id, {n: unquote(v) for n, v in zip(names, match.groups())}
    return None, {}


def _route_parameters(method: str, path: str) -> dict[str, str]:
    return _route(method, path)[1]


@lru_cache(maxsize=None)
def _operation(op_id: str) -> dict:
    return spec.operations(_docs_reading())[op_id][2]


@lru_cache(maxsize=None)
def _response(op_id: str, status: int) -> tuple[str, dict] | None:
    """The docs' reading's response for `status`: its exact code, else its range (4XX), else default."""
    responses = _operation(op_id).get("responses", {})
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            return key, spec.inline(responses[key], _docs_reading())
    return None


@lru_cache(maxsize=None)
def _validator(op_id: str, status: int) -> OAS30Validator | None:
    found = _response(op_id, status)
    schema = (found[1].get("content") or {}).get("application/json", {}).get("schema") if found else None
    return None if schema is None else OAS30Validator(schema, format_checker=oas30_format_checker)


@lru_cache(maxsize=None)
def _required_scope(op_id: str) -> str | None:
    return _operation(op_id).get("x-required-scope")


@lru_cache(maxsize=None)
def _secured(op_id: str) -> bool:
    return bool(_operation(op_id).get("security", _docs_reading().get("security")))


# ── small readings ──────────────────────────────────────────────────────────
def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def _decoded(raw: bytes, encoding: str | None) -> bytes | None:
    """The body with its Content-Encoding undone; None when it cannot be (an encoding this
    module does not read). A body already decoded by the client that recorded it is taken as is."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        return raw
    if encoding in ("gzip", "x-gzip", "deflate"):
        for wbits in ((31,) if "gzip" in encoding else (15, -15)):
            try:
                return zlib.decompress(raw, wbits)
            except zlib.error:
                continue
        return raw if _json(raw) is not NO_BODY else None
    return None


def _json(raw: bytes | None) -> Any:
    if not raw:
        return NO_BODY
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NO_BODY


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _real_date(value: Any) -> date | None:
    """A YYYY-MM-DD string naming a date that exists, as a date."""
    if not (isinstance(value, str) and ISO_DATE.match(value)):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _data(body: Any) -> dict | None:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None


def _same_id(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.casefold() == b.casefold()


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


def _v(clause: str, message: str) -> Violation:
    return Violation(clause, _short(message))


class _Problems:
    """Problems found over a list, one Violation per clause: the first one met, and how many more."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._count: dict[str, int] = {}

    def add(self, clause: str, message: str) -> None:
        self._first.setdefault(clause, message)
        self._count[clause] = self._count.get(clause, 0) + 1

    def violations(self) -> list[Violation]:
        return [_v(c, m + (f" (and {self._count[c] - 1} more)" if self._count[c] > 1 else ""))
                for c, m in self._first.items()]


def _filter_values(exchange: Exchange, name: str) -> set[str]:
    """The values a filter was sent with; an empty one filters nothing the docs say (D-empty-as-omitted)."""
    return {v.casefold() for v in exchange.query_values(name) if v != ""}


def _available_holds(capacity: Any, filled: Any, available: Any) -> bool | None:
    """'computed as … − filled_slots': None when the counts are not integers. Below zero the docs
    are silent (D-available-not-negative): 0 or the negative difference."""
    capacity, filled, available = _count(capacity), _count(filled), _count(available)
    if capacity is None or filled is None or available is None:
        return None
    return available == capacity - filled if capacity >= filled else available in (0, capacity - filled)


# ── per-exchange checks: every operation ────────────────────────────────────
def documented_status(exchange: Exchange) -> Iterator[Violation]:
    """SPEC-CONFORMANCE: the status is one the docs' reading gives the operation; a 5xx never is."""
    if _response(exchange.operation, exchange.status) is None:
        kind = "a server error, which the docs never give" if exchange.status >= 500 else "not a documented status"
        documented = ", ".join(_operation(exchange.operation).get("responses", {}))
        yield _v("SPEC-CONFORMANCE", f"{exchange.operation} answered {exchange.status}: {kind} "
                                     f"(documented: {documented})")


def json_content_type(exchange: Exchange) -> Iterator[Violation]:
    """SPEC-CONFORMANCE: an answer the docs print as JSON comes as application/json."""
    found = _response(exchange.operation, exchange.status)
    if found is None or "application/json" not in (found[1].get("content") or {}):
        return
    media = _media_type(exchange.response_header("content-type"))
    if media != "application/json":
        yield _v("SPEC-CONFORMANCE", f"{exchange.operation} {exchange.status} came as {media or 'no Content-Type'}; "
                                     f"the docs give application/json")


def documented_schema(exchange: Exchange) -> Iterator[Violation]:
    """SPEC-CONFORMANCE: the body matches the docs' reading of the response schema."""
    validator = _validator(exchange.operation, exchange.status)
    if validator is None:
        return
    if exchange.response_header("content-encoding") and _decoded(
            exchange.response_body, exchange.response_header("content-encoding")) is None:
        return  # an encoding this module cannot undo: the body is not judged
    body = exchange.body
    if body is NO_BODY:
        yield _v("SPEC-CONFORMANCE", f"{exchange.operation} {exchange.status} has no JSON body; the docs print one")
        return
    try:
        error = next(iter(sorted(validator.iter_errors(body), key=lambda e: len(e.absolute_path))), None)
    except RecursionError:
        return
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the body"
        yield _v("SPEC-CONFORMANCE", f"{exchange.operation} {exchange.status}: {where}: {error.message}")


def retry_after_on_429(exchange: Exchange) -> Iterator[Violation]:
    """RATE-429: 'retry after the indicated delay': a 429 says how long, in Retry-After
    (delta-seconds or an HTTP-date, D-retry-after-form)."""
    if exchange.status != 429:
        return
    value = exchange.response_header("retry-after")
    if retry_after_seconds(value) is None:
        yield _v("RATE-429", f"a 429 must indicate the delay in Retry-After; it is {value!r}")


def key_required(exchange: Exchange) -> Iterator[Violation]:
    """AUTH-401: a request without an Authorization header is never answered with a success."""
    if exchange.succeeded and _secured(exchange.operation) and exchange.credential is None:
        yield _v("AUTH-401", f"{exchange.operation} without an Authorization header answered {exchange.status}; "
                             f"a missing API key is 401")


def slots_403_code(exchange: Exchange) -> Iterator[Violation]:
    """SLOTS-403: '403 | INSUFFICIENT_SCOPE' on the slots endpoints (the code anywhere in the body)."""
    if exchange.status == 403 and exchange.path.startswith("/appointment-slots") \
            and "INSUFFICIENT_SCOPE" not in codes_in(exchange.body):
        yield _v("SLOTS-403", f"{exchange.operation} 403 does not carry the code INSUFFICIENT_SCOPE")


GENERAL: tuple[Callable[[Exchange], Iterable[Violation]], ...] = (
    documented_status, json_content_type, documented_schema, retry_after_on_429, key_required, slots_403_code)


# ── per-exchange checks: calls ──────────────────────────────────────────────
def _create_request_problems(exchange: Exchange) -> Iterator[Violation]:
    """A create that succeeded although its body lacks a required field, or names a number of another form."""
    if not exchange.succeeded:
        return
    body = exchange.sent
    if body is NO_BODY and not exchange.request_body.strip():
        body = {}  # no body at all: nothing required was sent
    if not isinstance(body, dict):
        return  # not JSON, or not an object: what a server read from it the docs do not say
    missing = [f for f in ("agent_id", "contact_number") if f not in body]
    if missing:
        yield _v("CALLS-CREATE-REQUIRED", f"a create without {' and '.join(missing)} answered {exchange.status}; "
                                          f"both are required")
    if "contact_number" in body and not (isinstance(body["contact_number"], str)
                                         and PHONE.match(body["contact_number"])):
        yield _v("CALLS-PHONE-E164", f"a create to {body['contact_number']!r} answered {exchange.status}; only "
                                     f"+91 followed by 10 digits is supported")


def _create_answer_problems(exchange: Exchange) -> Iterator[Violation]:
    """A new call is '201 Created' with status 'scheduled'."""
    if exchange.status == 201:
        data = _data(exchange.body)
        status = data.get("status") if data else None
        if status != "scheduled":
            yield _v("CALLS-CREATE-201", f"a new call answered 201 with status {status!r}; the docs' 201 says "
                                         f"'scheduled'")


def create_call(exchange: Exchange) -> Iterator[Violation]:
    """CALLS-CREATE-201, CALLS-CREATE-REQUIRED, CALLS-PHONE-E164. A create with an Idempotency-Key may be
    a replay of an earlier one, answered as that one was (D-idempotency): only a Watcher that has
    not seen the key before judges it."""
    if exchange.request_header("idempotency-key") is not None:
        return
    if exchange.status == 200:
        yield _v("CALLS-CREATE-201", "a create without Idempotency-Key answered 200; a new call is 201 Created")
    yield from _create_answer_problems(exchange)
    yield from _create_request_problems(exchange)


def _answers_about_its_call(exchange: Exchange, clause: str) -> Iterator[Violation]:
    data = _data(exchange.body) or {}
    asked = exchange.path_parameters.get("call_id")
    if not _same_id(data.get("call_id"), asked):
        yield _v(clause, f"{exchange.operation} of call {asked} answered {exchange.status} about call "
                         f"{data.get('call_id', '(none)')!r}")


def get_call(exchange: Exchange) -> Iterator[Violation]:
    """CALLS-GET: 'Retrieve status and details for a specific call': that call."""
    if exchange.succeeded:
        yield from _answers_about_its_call(exchange, "CALLS-GET")


def cancel_call(exchange: Exchange) -> Iterator[Violation]:
    """CALLS-CANCEL: a cancel that succeeded answers the call with status 'cancelled' and its cancelled_at."""
    if not exchange.succeeded:
        return
    yield from _answers_about_its_call(exchange, "CALLS-CANCEL")
    data = _data(exchange.body) or {}
    if data.get("status") != "cancelled":
        yield _v("CALLS-CANCEL", f"cancel answered {exchange.status} with status {data.get('status')!r}, "
                                 f"not 'cancelled'")
    if not (isinstance(data.get("cancelled_at"), str) and data["cancelled_at"]):
        yield _v("CALLS-CANCEL", f"cancel answered {exchange.status} without cancelled_at "
                                 f"(it is {data.get('cancelled_at')!r})")


def delete_call(exchange: Exchange) -> Iterator[Violation]:
    """CALLS-DELETE: a delete that succeeded answers the call with deleted: true."""
    if not exchange.succeeded:
        return
    yield from _answers_about_its_call(exchange, "CALLS-DELETE")
    data = _data(exchange.body) or {}
    if data.get("deleted") is not True:
        yield _v("CALLS-DELETE", f"delete answered {exchange.status} with deleted {data.get('deleted')!r}, not true")


# ── per-exchange checks: slots ──────────────────────────────────────────────
def _required_date(exchange: Exchange, name: str, missing: bool, clause: str) -> Iterator[Violation]:
    """'400 | VALIDATION_ERROR | Missing required parameter (date or date_from)'."""
    if not missing:
        return
    if exchange.succeeded:
        yield _v(clause, f"{exchange.operation} without {name} answered {exchange.status}; it is required (400)")
    elif exchange.status == 400 and "VALIDATION_ERROR" not in codes_in(exchange.body):
        yield _v("SLOTS-400", f"{exchange.operation} without {name} is 400 but does not carry the code "
                              f"VALIDATION_ERROR")


def availability(exchange: Exchange) -> Iterator[Violation]:
    """AVAIL-DATE, AVAIL-SLOT-ID, AVAIL-OPEN-WINDOWS, AVAIL-ARITHMETIC, AVAIL-SESSION-FILTER,
    AVAIL-BRANCH-FILTER, SLOTS-400: the answer is that date's open windows, with their ids and
    arithmetic, and nothing the filters leave out."""
    yield from _required_date(exchange, "date", not exchange.query_values("date"), "AVAIL-DATE")
    if not exchange.succeeded or not isinstance(exchange.body, dict):
        return
    body = exchange.body
    asked = exchange.query_values("date")
    if asked and all(_real_date(d) for d in asked) and body.get("date") not in asked:
        yield _v("AVAIL-DATE", f"availability for {asked[0]} answered date {body.get('date')!r}")
    # A date that does not exist may be read as another (D-date-format): the answer names the one read.
    day = _real_date(body.get("date")) or (_real_date(asked[0]) if len(asked) == 1 else None)
    slots = body.get("slots")
    if not isinstance(slots, list):
        return
    sessions, branches = _filter_values(exchange, "session"), _filter_values(exchange, "branch_id")
    problems = _Problems()
    for slot in slots:
        if not isinstance(slot, dict):
            continue
        name = slot.get("slot_id")
        if day is not None and isinstance(slot.get("calendar_id"), str) \
                and name != f"{slot['calendar_id']}||{day.isoformat()}":
            problems.add("AVAIL-SLOT-ID", f"slot_id {name!r} is not calendar_id||date "
                                          f"({slot['calendar_id']}||{day.isoformat()})")
        if day is not None and "day" in slot and slot["day"] != WEEKDAYS[day.weekday()]:
            problems.add("AVAIL-OPEN-WINDOWS", f"slot {name!r} of {day.isoformat()} says day {slot['day']!r}, "
                                               f"not {WEEKDAYS[day.weekday()]!r}")
        if "status" in slot and slot["status"] != "OPEN":
            problems.add("AVAIL-OPEN-WINDOWS", f"slot {name!r} is {slot['status']!r}; availability lists open "
                                               f"windows")
        if _available_holds(slot.get("ai_slots"), slot.get("filled_slots"), slot.get("available_slots")) is False:
            problems.add("AVAIL-ARITHMETIC", f"slot {name!r}: available_slots {slot['available_slots']}, but "
                                             f"ai_slots − filled_slots = {slot['ai_slots']} − {slot['filled_slots']}")
        if sessions and isinstance(slot.get("session"), str) and slot["session"].casefold() not in sessions:
            problems.add("AVAIL-SESSION-FILTER", f"slot {name!r} of session {slot['session']!r} answers "
                                                 f"session={'/'.join(sorted(sessions))}")
        if branches and isinstance(slot.get("branch_id"), str) and slot["branch_id"].casefold() not in branches:
            problems.add("AVAIL-BRANCH-FILTER", f"slot {name!r} of branch {slot['branch_id']!r} answers "
                                                f"branch_id={'/'.join(sorted(branches))}")
    yield from problems.violations()


def tracking_range(exchange: Exchange) -> tuple[date, date, str] | None:
    """The dates a tracking read asked for and the clause that says so: date_from…date_to, or
    date_from alone when date_to is omitted ('defaults to date_from'); None when the docs do not
    say (a date that does not exist, an end before the start). A repeated parameter may be read as
    any of its values (the docs' reading), so the range spans them all."""
    froms = exchange.query_values("date_from")
    tos = [v for v in exchange.query_values("date_to") if v != ""]  # empty is omitted (D-empty-as-omitted)
    if not froms or not all(_real_date(v) for v in froms + tos):
        return None
    start = min(_real_date(v) for v in froms)
    if tos:
        end, clause = max(_real_date(v) for v in tos), "TRACK-RECORDS"
    else:
        end, clause = max(_real_date(v) for v in froms), "TRACK-DATE-TO-DEFAULT"
    return (start, end, clause) if end >= start else None


def tracking(exchange: Exchange) -> Iterator[Violation]:
    """TRACK-RECORDS, TRACK-DATE-TO-DEFAULT, TRACK-SLOT-ID, TRACK-FILTERS, TRACK-DATE-FROM, SLOTS-400:
    per-date records of the range asked, with the 3-part id, available = max_slots − filled_slots,
    and nothing the session or service filters leave out."""
    yield from _required_date(exchange, "date_from", not exchange.query_values("date_from"), "TRACK-DATE-FROM")
    if not exchange.succeeded or not isinstance(exchange.body, dict) or not isinstance(exchange.body.get("data"), list):
        return
    asked = tracking_range(exchange)
    sessions, types = _filter_values(exchange, "session"), _filter_values(exchange, "appointment_type_id")
    problems = _Problems()
    for record in exchange.body["data"]:
        if not isinstance(record, dict):
            continue
        name, day = record.get("slot_id"), _real_date(record.get("date"))
        if day is not None and asked is not None and not asked[0] <= day <= asked[1]:
            problems.add(asked[2], f"record {name!r} is dated {day.isoformat()}, outside the range asked "
                                   f"({asked[0].isoformat()}…{asked[1].isoformat()})")
        if day is not None and "day_of_week" in record and record["day_of_week"] != WEEKDAYS[day.weekday()]:
            problems.add("TRACK-RECORDS", f"record {name!r} of {day.isoformat()} says day_of_week "
                                          f"{record['day_of_week']!r}, not {WEEKDAYS[day.weekday()]!r}")
        parts = (record.get("calendar_id"), record.get("date"), record.get("appointment_type_id"))
        if all(isinstance(p, str) for p in parts) and name != "||".join(parts):
            problems.add("TRACK-SLOT-ID", f"slot_id {name!r} is not calendar_id||YYYY-MM-DD||appointment_type_id "
                                          f"({'||'.join(parts)})")
        if _available_holds(record.get("max_slots"), record.get("filled_slots"), record.get("available_slots")) is False:
            problems.add("TRACK-RECORDS", f"record {name!r}: available_slots {record['available_slots']}, but "
                                          f"max_slots − filled_slots = {record['max_slots']} − {record['filled_slots']}")
        if sessions and isinstance(record.get("session"), str) and record["session"].casefold() not in sessions:
            problems.add("TRACK-FILTERS", f"record {name!r} of session {record['session']!r} answers "
                                          f"session={'/'.join(sorted(sessions))}")
        if types and isinstance(record.get("appointment_type_id"), str) \
                and record["appointment_type_id"].casefold() not in types:
            problems.add("TRACK-FILTERS", f"record {name!r} of service {record['appointment_type_id']!r} answers "
                                          f"appointment_type_id={'/'.join(sorted(types))}")
    yield from problems.violations()


def three_part_id(slot_id: str | None) -> bool:
    """'the 3-part format … calendar_id||YYYY-MM-DD||appointment_type_id' (ids of any form, a date of that form)."""
    parts = (slot_id or "").split("||")
    return len(parts) == 3 and all(parts) and bool(ISO_DATE.match(parts[1]))


def update_tracking_record(exchange: Exchange) -> Iterator[Violation]:
    """PATCH-THREE-PART: only a 3-part id is taken; PATCH-404: '404 | NOT_FOUND' (the code anywhere in the body)."""
    slot_id = exchange.path_parameters.get("slot_id")
    if exchange.succeeded and not three_part_id(slot_id):
        yield _v("PATCH-THREE-PART", f"a PATCH of {slot_id!r}, not of the 3-part form, answered {exchange.status}")
    if exchange.status == 404 and "NOT_FOUND" not in codes_in(exchange.body):
        yield _v("PATCH-404", "a PATCH answered 404 without the code NOT_FOUND")


def regenerate(exchange: Exchange) -> Iterator[Violation]:
    """REGEN-DATES, REGEN-RESPONSE, SLOTS-400: date_from is required; the answer has success and its
    four counts (processed, skipped, errors, upserted), whole numbers ≥ 0."""
    sent = exchange.sent
    yield from _required_date(exchange, "date_from", isinstance(sent, dict) and "date_from" not in sent, "REGEN-DATES")
    if not exchange.succeeded:
        return
    body = exchange.body if isinstance(exchange.body, dict) else {}
    wrong = {k: body.get(k, "missing") for k in REGENERATE_COUNTS if not (_count(body.get(k)) is not None and body[k] >= 0)}
    if wrong:
        yield _v("REGEN-RESPONSE", f"regenerate answered {exchange.status} without its counts as whole numbers ≥ 0: "
                                   + ", ".join(f"{k} {v!r}" for k, v in wrong.items()))
    if body.get("success") is not True:
        yield _v("REGEN-RESPONSE", f"regenerate answered {exchange.status} with success {body.get('success', 'missing')!r}")


BY_OPERATION: dict[str, tuple[Callable[[Exchange], Iterable[Violation]], ...]] = {
    "createCall": (create_call,),
    "getCall": (get_call,),
    "cancelCall": (cancel_call,),
    "deleteCall": (delete_call,),
    "getAvailability": (availability,),
    "getScheduleTracking": (tracking,),
    "updateTrackingRecord": (update_tracking_record,),
    "regenerateTracking": (regenerate,),
}


# ── across exchanges ────────────────────────────────────────────────────────
class _Bounded(OrderedDict):
    """A mapping that forgets its oldest entries beyond `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = max(1, limit)

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class _Call:
    status: str | None = None  # the status last answered
    started: bool = False  # an answer said it had started
    deleted: bool = False  # a DELETE of it succeeded


@dataclass
class _Patch:
    """What a tracking PATCH answered with a success set, awaiting the next read of that record."""
    expected: dict[str, Any]  # status / max_slots → the value sent
    computed: dict[str, Any]  # filled_slots / available_slots → the value sent (which cannot be set)
    before: dict[str, Any] | None  # the record as last read before the PATCH


@dataclass
class _RateLimited:
    request: tuple
    at: datetime
    delay: float


class Watcher:
    """Cross-exchange checks, state kept per API key (the Authorization header's credential,
    hashed — never store keys), bounded (at most max_calls call ids remembered, oldest dropped).

    What is kept, and under which key:
    - per API key (a keyed hash of the credential): the Idempotency-Keys it sent, the dates it
      saw tracking records on, its last 429; with `keys`, the scopes of each known key (hashed
      when the Watcher is made; the keys themselves are not kept);
    - per call id and per tracking record id: what answers said of that call or record. Both ids
      are UUID-based, so an answer about one to any key is about that one; a key of another
      account cannot be answered about it with a success.
    Each store holds at most `max_calls` entries, the oldest dropped first.

    Exchanges are judged in the order `observe` is given them, which must be the order their
    answers came: two requests in flight at once about the same call (a status read racing a
    cancel) can be answered out of the order the server handled them."""

    def __init__(self, *, max_calls: int = 100_000, keys: dict[str, set[str]] | None = None):
        self._salt = os.urandom(16)
        self._scopes = {self._hash(k): frozenset(v) for k, v in (keys or {}).items()}
        self._calls: _Bounded = _Bounded(max_calls)  # call id → _Call
        self._idempotency: _Bounded = _Bounded(max_calls)  # (key hash, Idempotency-Key) → (body, call id, at)
        self._records: _Bounded = _Bounded(max_calls)  # slot id → the record's fields as last read
        self._patches: _Bounded = _Bounded(max_calls)  # slot id → _Patch
        self._branches: _Bounded = _Bounded(max_calls)  # calendar id → branch id (availability)
        self._dates: _Bounded = _Bounded(max_calls)  # (key hash, YYYY-MM-DD) → True: tracking records seen
        self._limited: _Bounded = _Bounded(max_calls)  # key hash → _RateLimited
        self._lock = threading.Lock()

    def _hash(self, credential: str | None) -> str:
        if credential is None:
            return "-"
        return hmac.new(self._salt, credential.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]

    def observe(self, exchange: Exchange) -> list[Violation]:
        """check_exchange and the cross-exchange checks, then remember what the exchange showed."""
        found = check_exchange(exchange)
        op = exchange.operation
        if op is None:
            return found
        with self._lock:
            key = self._hash(exchange.credential)
            found += self._scope(exchange, key)
            found += self._rate_limit(exchange, key)
            found += {
                "createCall": self._seen_create_call, "getCall": self._seen_get_call,
                "cancelCall": self._seen_cancel_call, "deleteCall": self._seen_delete_call,
                "getAvailability": self._seen_availability, "getScheduleTracking": self._seen_tracking,
                "updateTrackingRecord": self._seen_patch, "regenerateTracking": self._seen_regenerate,
            }[op](exchange, key)
        return found

    # ── keys and scopes ──
    def _scope(self, exchange: Exchange, key: str) -> list[Violation]:
        """AUTH-403 and the scope's own clause (SCOPE-…): a known key without the operation's scope is
        answered 403, never a success, and never 401 (its key is valid)."""
        scopes = self._scopes.get(key)
        needed = _required_scope(exchange.operation)
        if scopes is None or not needed:
            return []
        if scopes & ({needed} | DOCS_ALSO_GRANT.get(exchange.operation, frozenset())):
            return []
        if exchange.succeeded:
            text = f"a key without {needed} was answered {exchange.status} to {exchange.operation}; 403 is due"
            return [_v(f"SCOPE-{needed.upper().replace(':', '-')}", text), _v("AUTH-403", text)]
        if exchange.status == 401 and exchange.bearer:
            return [_v("AUTH-403", f"a known key without {needed} was answered 401 to {exchange.operation}; "
                                   f"403 is due (the key is valid, its scope is missing)")]
        return []

    def _rate_limit(self, exchange: Exchange, key: str) -> list[Violation]:
        """RATE-429: 'retry after the indicated delay': the same request, the next one a key sends
        once the delay has passed, is not refused for rate again."""
        request = (exchange.method.upper(), exchange.path, exchange.query, exchange.request_body)
        last = self._limited.pop(key, None)
        found = []
        if last is not None and exchange.status == 429 and last.request == request and exchange.at is not None \
                and exchange.at - last.at >= timedelta(seconds=last.delay) + RETRY_MARGIN:
            found.append(_v("RATE-429", f"the same request was refused for rate again "
                                        f"{(exchange.at - last.at).total_seconds():.1f} s after a 429 that "
                                        f"indicated {last.delay:g} s"))
        if exchange.status == 429 and exchange.at is not None:
            delay = retry_after_delay(exchange.response_header("retry-after"), exchange.at)
            if delay is not None:
                self._limited.put(key, _RateLimited(request, exchange.at, delay))
        return found

    # ── calls ──
    def _call(self, call_id: str) -> _Call:
        norm = call_id.casefold()
        call = self._calls.get(norm)
        if call is None:
            call = _Call()
        self._calls.put(norm, call)
        return call

    def _status_seen(self, call: _Call, status: Any, what: str) -> list[Violation]:
        """CALLS-STATUS-VALUES, CALLS-CANCEL, CALLS-CANCEL-409: a call's status never moves back along
        the docs' lifecycle; a cancelled call stays cancelled; a started call is never cancelled."""
        if status not in STAGE:
            return []
        before, call.status = call.status, status
        call.started = call.started or status in STARTED
        if before is None or before == status:
            return []
        if before == "cancelled":
            return [_v("CALLS-CANCEL", f"{what} reads {status!r} after the call was cancelled")]
        if status == "cancelled" and before in STARTED:
            return [_v("CALLS-CANCEL-409", f"{what} reads 'cancelled' after the call was {before!r}; a call "
                                           f"already started or completed cannot be cancelled")]
        if STAGE[status] < STAGE[before]:
            return [_v("CALLS-STATUS-VALUES", f"{what} moved back from {before!r} to {status!r}")]
        return []

    def _deleted(self, exchange: Exchange, call: _Call) -> list[Violation]:
        """CALLS-DELETE: 'Permanently deletes': once a delete succeeded, the call answers no success."""
        if call.deleted and exchange.succeeded:
            return [_v("CALLS-DELETE", f"{exchange.operation} answered {exchange.status} for a call whose "
                                       f"DELETE had succeeded")]
        return []

    def _seen_create_call(self, exchange: Exchange, key: str) -> list[Violation]:
        found: list[Violation] = []
        data = _data(exchange.body)
        call_id = data.get("call_id") if data else None
        if not exchange.succeeded or not isinstance(call_id, str):
            return found
        idem = exchange.request_header("idempotency-key")
        if idem is not None:
            sent = exchange.sent if exchange.sent is not NO_BODY else exchange.request_body
            first = self._idempotency.get((key, idem))
            if first is None:
                # A key not seen before: a new call, judged as one (check_exchange left it alone).
                self._idempotency.put((key, idem), (sent, call_id, exchange.at))
                found += _create_answer_problems(exchange)
                found += _create_request_problems(exchange)
            elif first[0] == sent and not _same_id(first[1], call_id) and _within(first[2], exchange.at,
                                                                                 IDEMPOTENCY_WINDOW):
                found.append(_v("CALLS-IDEMPOTENCY", f"the same Idempotency-Key and body made two calls: "
                                                     f"{first[1]} and {call_id}"))
        if call_id.casefold() not in self._calls:  # a replay of a known call says nothing new of it
            found += self._status_seen(self._call(call_id), data.get("status"), f"call {call_id}")
        return found

    def _call_in_path(self, exchange: Exchange):
        """(call id, what was seen of it, the violations of an answer about a deleted call), or None."""
        call_id = exchange.path_parameters.get("call_id")
        if not call_id:
            return None
        call = self._call(call_id)
        return call_id, call, self._deleted(exchange, call)

    def _seen_get_call(self, exchange: Exchange, key: str) -> list[Violation]:
        if (seen := self._call_in_path(exchange)) is None:
            return []
        call_id, call, found = seen
        data = _data(exchange.body)
        if exchange.succeeded and data is not None:
            found += self._status_seen(call, data.get("status"), f"call {call_id}")
        return found

    def _seen_cancel_call(self, exchange: Exchange, key: str) -> list[Violation]:
        if (seen := self._call_in_path(exchange)) is None:
            return []
        call_id, call, found = seen
        if exchange.succeeded:
            if call.status in STARTED:
                found.append(_v("CALLS-CANCEL-409", f"cancel answered {exchange.status} for a call last read "
                                                    f"{call.status!r}; 'Returns 409 if already started or completed'"))
                call.status = "cancelled"
            else:
                found += self._status_seen(call, "cancelled", f"call {call_id}")
        return found

    def _seen_delete_call(self, exchange: Exchange, key: str) -> list[Violation]:
        if (seen := self._call_in_path(exchange)) is None:
            return []
        _, call, found = seen
        if exchange.succeeded:
            if call.status == "cancelled" and not call.started:
                found.append(_v("CALLS-DELETE-ENGAGEMENT", f"delete answered {exchange.status} for a call cancelled "
                                                           f"before it started, which has no engagement to record"))
            call.deleted = True
        return found

    # ── slots ──
    def _seen_availability(self, exchange: Exchange, key: str) -> list[Violation]:
        body = exchange.body
        if exchange.succeeded and isinstance(body, dict) and isinstance(body.get("slots"), list):
            for slot in body["slots"]:
                if isinstance(slot, dict) and isinstance(slot.get("calendar_id"), str) \
                        and isinstance(slot.get("branch_id"), str):
                    self._branches.put(slot["calendar_id"].casefold(), slot["branch_id"].casefold())
        return []

    def _seen_tracking(self, exchange: Exchange, key: str) -> list[Violation]:
        body = exchange.body
        if not (exchange.succeeded and isinstance(body, dict) and isinstance(body.get("data"), list)):
            return []
        problems = _Problems()
        branches = _filter_values(exchange, "branch_id")
        for record in body["data"]:
            if not isinstance(record, dict) or not isinstance(record.get("slot_id"), str):
                continue
            slot_id = record["slot_id"].casefold()
            if isinstance(record.get("date"), str):
                self._dates.put((key, record["date"]), True)
            calendar = record.get("calendar_id")
            branch = self._branches.get(calendar.casefold()) if isinstance(calendar, str) else None
            if branches and branch is not None and branch not in branches:
                problems.add("TRACK-FILTERS", f"record {record['slot_id']!r} is of a window of branch {branch!r} "
                                              f"(as availability answered) and answers "
                                              f"branch_id={'/'.join(sorted(branches))}")
            pending = self._patches.pop(slot_id, None)
            if pending is not None:
                self._reflects(record, pending, problems)
            self._records.put(slot_id, {k: record.get(k) for k in ("status", "max_slots", "filled_slots",
                                                                    "available_slots")})
        return problems.violations()

    @staticmethod
    def _reflects(record: dict, pending: _Patch, problems: _Problems) -> None:
        """PATCH-STATUS, PATCH-MAX-SLOTS: the next read of a PATCHed record shows what was set;
        PATCH-COMPUTED: and not a count sent that 'cannot be set directly'."""
        name = record["slot_id"]
        for field_name, clause in (("status", "PATCH-STATUS"), ("max_slots", "PATCH-MAX-SLOTS")):
            if field_name in pending.expected and field_name in record \
                    and record[field_name] != pending.expected[field_name]:
                problems.add(clause, f"record {name!r} was PATCHed to {field_name} {pending.expected[field_name]!r}, "
                                     f"yet the next read shows {record[field_name]!r}")
        before = pending.before
        if before is None:
            return
        for field_name, value in pending.computed.items():
            if field_name == "available_slots" and ("max_slots" in pending.expected
                                                    or record.get("max_slots") != before.get("max_slots")):
                continue  # a new capacity moves the available count by itself
            if record.get(field_name) == value != before.get(field_name):
                problems.add("PATCH-COMPUTED", f"record {name!r}: {field_name} {value!r} was sent in a PATCH and the "
                                               f"next read shows it (it was {before.get(field_name)!r})")

    def _seen_patch(self, exchange: Exchange, key: str) -> list[Violation]:
        slot_id = (exchange.path_parameters.get("slot_id") or "").casefold()
        if not slot_id or 400 <= exchange.status < 500:
            return []  # refused: nothing changed
        if not exchange.succeeded or not isinstance(exchange.sent, dict):
            self._patches.pop(slot_id, None)  # what changed is unknown
            return []
        sent = exchange.sent
        expected: dict[str, Any] = {}
        if sent.get("status") in ("OPEN", "CLOSED"):
            expected["status"] = sent["status"]
        if _count(sent.get("max_slots")) is not None and sent["max_slots"] >= 0:
            expected["max_slots"] = sent["max_slots"]
        computed = {k: sent[k] for k in ("filled_slots", "available_slots") if _count(sent.get(k)) is not None}
        earlier = self._patches.pop(slot_id, None)
        if earlier is not None:  # what this PATCH sent, in any form, replaces what the earlier one awaited
            expected = {**{k: v for k, v in earlier.expected.items() if k not in sent}, **expected}
            computed = {**{k: v for k, v in earlier.computed.items() if k not in sent}, **computed}
        before = earlier.before if earlier is not None else self._records.get(slot_id)
        if expected or computed:
            self._patches.put(slot_id, _Patch(expected, computed, before))
        return []

    def _seen_regenerate(self, exchange: Exchange, key: str) -> list[Violation]:
        """A regenerate may keep or drop overrides in its range (D-regenerate-counters): what was PATCHed
        there is no longer awaited. REGEN-RESPONSE: 'processed' counts at least every date of the range
        this key has seen tracking records on (true whether dates or records are counted)."""
        if 400 <= exchange.status < 500:
            return []
        days = regenerate_range(exchange)
        if days is None:
            self._patches.clear()
            return []
        start, end = days
        for slot_id in [s for s in self._patches if start <= (_record_date(s) or start) <= end]:
            del self._patches[slot_id]
        for slot_id in [s for s in self._records if start <= (_record_date(s) or start) <= end]:
            del self._records[slot_id]
        seen = {(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)}
        return regenerate_processed(exchange, {d for d in seen if (key, d) in self._dates})


def regenerate_range(exchange: Exchange) -> tuple[date, date] | None:
    """The dates a regenerate names: date_from…date_to, date_to 'defaults to date_from if omitted'
    (or empty, D-empty-as-omitted); None when they are not dates, or the end comes first."""
    sent = exchange.sent if isinstance(exchange.sent, dict) else {}
    start = _real_date(sent.get("date_from"))
    end = _real_date(sent.get("date_to")) if sent.get("date_to") not in (None, "") else start
    return (start, end) if start is not None and end is not None and start <= end else None


def regenerate_processed(exchange: Exchange, dates_with_records: Iterable[str]) -> list[Violation]:
    """REGEN-RESPONSE: a regenerate that succeeded processed at least every date of its range that
    has tracking records (`dates_with_records`, YYYY-MM-DD, as reads by the same key showed them):
    true whether dates or records are counted (D-regenerate-counters)."""
    days = regenerate_range(exchange)
    processed = _count(exchange.body.get("processed")) if isinstance(exchange.body, dict) else None
    if not exchange.succeeded or days is None or processed is None:
        return []
    inside = {d for d in dates_with_records if (day := _real_date(d)) is not None and days[0] <= day <= days[1]}
    if processed < len(inside):
        return [_v("REGEN-RESPONSE", f"regenerate of {days[0].isoformat()}…{days[1].isoformat()} processed "
                                     f"{processed}, yet {len(inside)} of its dates have tracking records")]
    return []


def _record_date(slot_id: str) -> date | None:
    parts = slot_id.split("||")
    return _real_date(parts[1]) if len(parts) == 3 else None


def _within(first: datetime | None, later: datetime | None, window: timedelta) -> bool:
    """Whether two answers came within `window`; unknown times are taken as close (a sequence recorded
    without times, such as a test's)."""
    return first is None or later is None or abs(later - first) <= window


# ── for the suite: exchanges from the HTTP clients it uses ──────────────────
def from_response(response, base_url: str = "") -> Exchange:
    """The Exchange of a `requests` or `httpx` response (a Starlette TestClient's too). Both
    clients hand on the body decoded, so Content-Encoding is left out of the answer's headers."""
    request = response.request
    url = urlsplit(str(request.url))
    base = urlsplit(base_url).path.rstrip("/")
    path = url.path[len(base):] if base and url.path.startswith(base + "/") else url.path
    if hasattr(request, "body"):  # requests' PreparedRequest
        sent = request.body or b""
    else:  # httpx.Request
        sent = request.content or b""
    if isinstance(sent, str):
        sent = sent.encode("utf-8")
    answer_headers = response.headers.multi_items() if hasattr(response.headers, "multi_items") \
        else response.headers.items()
    return Exchange(
        method=request.method, path=path, query=tuple(parse_qsl(url.query, keep_blank_values=True)),
        request_headers=tuple((str(k), str(v)) for k, v in request.headers.items()), request_body=bytes(sent),
        status=response.status_code,
        response_headers=tuple((str(k), str(v)) for k, v in answer_headers if str(k).lower() != "content-encoding"),
        response_body=response.content, at=datetime.now(timezone.utc))


def violations_of(response, base_url: str, *clauses: str) -> list[Violation]:
    """check_exchange over a response, keeping the violations of `clauses` (every one when none are named)."""
    found = check_exchange(from_response(response, base_url))
    return [v for v in found if not clauses or v.clause in clauses]


def explain(violations: Iterable[Violation]) -> str:
    return "; ".join(f"{v.clause}: {v.message}" for v in violations)


def assert_holds(response, base_url: str, *clauses: str) -> None:
    """For the suite: fail with what check_exchange finds of `clauses` in this answer."""
    found = violations_of(response, base_url, *clauses)
    if found:
        raise AssertionError(explain(found))


def watched(base_url: str, *responses, clauses: Iterable[str] = ()) -> list[Violation]:
    """A fresh Watcher's verdicts over `responses`, in order (of `clauses` only, when named)."""
    watcher, wanted = Watcher(), set(clauses)
    found = [v for r in responses for v in watcher.observe(from_response(r, base_url))]
    return [v for v in found if not wanted or v.clause in wanted]
