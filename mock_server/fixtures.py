"""One loader for every fixture kind. A malformed file fails at start with the file,
the record and the field named, never later with a traceback from a handler."""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

from .spec import SafeLoader
from .store.keys import KeyRing, RateLimitSpec
from .store.slots import (ISO_DATE, SESSIONS, WEEKDAYS, Appointment, AppointmentType, Branch,
                          CalendarWindow, SlotStore)

DEFAULT_DIR = (Path(__file__).parent / "fixtures").resolve()  # a link to the top-level fixtures/ (a copy in a wheel)
SCOPES = ("calls:create", "calls:read", "calls:cancel", "calls:delete",
          "appointments:read", "appointments:write", "slots:read", "slots:write")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class FixtureError(ValueError):
    pass


# ── field checkers: each returns the converted value or raises ValueError(reason) ──
def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def uuid_text(value: Any) -> str:
    if not isinstance(value, str) or not UUID_RE.match(value):
        raise ValueError("must be a UUID")
    return value.lower()


def optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def one_of(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return check


def count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return value


def count_up_to(limit: int):
    def check(value: Any) -> int:
        if count(value) > limit:
            raise ValueError(f"must be at most {limit:,}")
        return value
    return check


# What one fixture record or seed request may make: each appointment is an object the mock
# holds, and a `count` of 10**20 kept the server busy creating them (decision D-control-api-limits).
MAX_COUNT = 10_000
MAX_APPOINTMENTS = 200_000


def clock_time(value: Any) -> str:
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise ValueError("must be a time HH:MM")
    return value


def a_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and ISO_DATE.fullmatch(value) else _bad()
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


def timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def list_of(check: Callable[[Any], Any]) -> Callable[[Any], list]:
    def checked(value: Any) -> list:
        if not isinstance(value, list):
            raise ValueError("must be a list")
        return [check(v) for v in value]
    return checked


def scopes(value: Any) -> list[str]:
    return list_of(one_of(*SCOPES))(value)


def rate_limit(value: Any) -> RateLimitSpec:
    if not isinstance(value, dict) or set(value) != {"burst", "per_second"}:
        raise ValueError("must be {burst: N, per_second: X}")
    per_second = value["per_second"]
    if not isinstance(per_second, (int, float)) or isinstance(per_second, bool) or not math.isfinite(per_second) \
            or per_second <= 0:
        raise ValueError("per_second must be a number above 0")
    return RateLimitSpec(burst=count(value["burst"]), per_second=float(per_second))


def _bad():
    raise ValueError


@dataclass(frozen=True)
class Kind:
    file: str
    key: str  # the top-level list in the file
    fields: dict[str, tuple[Callable[[Any], Any], bool]]  # name → (check, required)


def req(check):
    return (check, True)


def opt(check):
    return (check, False)


KINDS = {
    "api_keys": Kind("api_keys.yaml", "keys", {
        "key": req(text), "label": req(text), "scopes": req(scopes), "rate_limit": opt(rate_limit)}),
    "appointment_types": Kind("appointment_types.yaml", "appointment_types", {
        "appointment_type_id": req(uuid_text), "name": req(text)}),
    "branches": Kind("branches.yaml", "branches", {
        "branch_id": req(text), "name": req(text), "appointment_type_ids": req(list_of(uuid_text))}),
    "calendar_windows": Kind("calendar_windows.yaml", "calendar_windows", {
        "calendar_id": req(uuid_text), "branch_id": req(text), "day": req(one_of(*WEEKDAYS)),
        "session": req(one_of(*SESSIONS)), "batch": req(text), "start_time": req(clock_time),
        "end_time": req(clock_time), "appointment_type_id": opt(optional(uuid_text)),
        "max_slots": req(count), "ai_slots": req(count), "status": req(one_of("OPEN", "CLOSED")),
        "created_at": req(timestamp), "updated_at": req(timestamp)}),
    "appointments": Kind("appointments.yaml", "appointments", {
        "calendar_id": req(uuid_text), "date": req(a_date), "appointment_type_id": req(uuid_text),
        "status": req(one_of("confirmed", "pending", "cancelled")), "count": opt(count_up_to(MAX_COUNT)),
        "appointment_id": opt(text)}),
}


def read_kind(directory: Path, kind: Kind) -> list[dict[str, Any]]:
    path = directory / kind.file
    where = str(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
    except FileNotFoundError:
        raise FixtureError(f"{where}: file not found") from None
    except yaml.YAMLError as exc:
        raise FixtureError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get(kind.key), list):
        raise FixtureError(f"{where}: must hold a list under '{kind.key}:'")
    return [parse_record(kind, raw, f"{where}: {kind.key}[{index}]") for index, raw in enumerate(document[kind.key])]


def parse_record(kind: Kind, raw: Any, at: str) -> dict[str, Any]:
    """One record of `kind`, checked field by field; `at` names it in errors."""
    if not isinstance(raw, dict):
        raise FixtureError(f"{at}: must be a mapping")
    unknown = set(raw) - set(kind.fields)
    if unknown:
        raise FixtureError(f"{at}.{sorted(unknown)[0]}: unknown field")
    record = {}
    for name, (check, required) in kind.fields.items():
        if name not in raw:
            if required:
                raise FixtureError(f"{at}.{name}: missing")
            continue
        try:
            record[name] = check(raw[name])
        except ValueError as exc:
            raise FixtureError(f"{at}.{name}: {exc} (got {raw[name]!r})") from None
    return record


def load_keys(directory: Path = DEFAULT_DIR) -> KeyRing:
    ring = KeyRing()
    where = Path(directory) / KINDS["api_keys"].file
    labels: set[str] = set()
    secrets: set[str] = set()
    for index, rec in enumerate(read_kind(Path(directory), KINDS["api_keys"])):
        # The label is the key's identity for idempotency and rate limits: two keys
        # sharing one would share those.
        if rec["label"] in labels:
            raise FixtureError(f"{where}: keys[{index}].label: {rec['label']!r} is already used by another key")
        if rec["key"] in secrets:
            raise FixtureError(f"{where}: keys[{index}].key: the same key is listed twice")
        labels.add(rec["label"])
        secrets.add(rec["key"])
        ring.add(rec["key"], rec["label"], rec["scopes"], rec.get("rate_limit"))
    return ring


def add_branch(store: SlotStore, rec: dict, at: str) -> Branch:
    if len(set(rec["appointment_type_ids"])) != len(rec["appointment_type_ids"]):
        raise FixtureError(f"{at}.appointment_type_ids: lists an appointment type twice")
    for type_id in rec["appointment_type_ids"]:
        if type_id not in store.appointment_types:
            raise FixtureError(f"{at}.appointment_type_ids: unknown appointment type {type_id}")
    branch = Branch(**rec)
    store.add_branch(branch)
    return branch


def add_window(store: SlotStore, rec: dict, at: str) -> CalendarWindow:
    if rec["branch_id"] not in store.branches:
        raise FixtureError(f"{at}.branch_id: unknown branch {rec['branch_id']}")
    type_id = rec.setdefault("appointment_type_id", None)
    if type_id is not None and type_id not in store.branches[rec["branch_id"]].appointment_type_ids:
        raise FixtureError(f"{at}.appointment_type_id: branch {rec['branch_id']} does not offer {type_id}")
    if rec["ai_slots"] > rec["max_slots"]:
        raise FixtureError(f"{at}.ai_slots: more than max_slots")
    window = CalendarWindow(**rec)
    store.add_window(window)
    return window


def add_appointments(store: SlotStore, rec: dict, at: str) -> list[Appointment]:
    window = store.windows.get(rec["calendar_id"])
    if window is None:
        raise FixtureError(f"{at}.calendar_id: unknown calendar window {rec['calendar_id']}")
    if WEEKDAYS[rec["date"].weekday()] != window.day:
        raise FixtureError(f"{at}.date: {rec['date']} is not a {window.day}, the window's day")
    if rec["appointment_type_id"] not in {t.appointment_type_id for t in store.types_served(window)}:
        raise FixtureError(f"{at}.appointment_type_id: the window does not serve {rec['appointment_type_id']}")
    fields = {k: v for k, v in rec.items() if k not in ("count", "appointment_id")}
    if len(store.appointments) + rec.get("count", 1) > MAX_APPOINTMENTS:
        raise FixtureError(f"{at}.count: the mock holds at most {MAX_APPOINTMENTS:,} appointments; it has "
                           f"{len(store.appointments):,}")
    made = []
    for _ in range(rec.get("count", 1)):
        appointment = Appointment(appointment_id=rec.get("appointment_id") or str(uuid.uuid4()), **fields)
        store.add_appointment(appointment)
        made.append(appointment)
    return made


def load_slots(directory: Path = DEFAULT_DIR) -> SlotStore:
    directory = Path(directory)
    store = SlotStore()
    for rec in read_kind(directory, KINDS["appointment_types"]):
        store.add_appointment_type(AppointmentType(**rec))
    for kind, add in (("branches", add_branch), ("calendar_windows", add_window), ("appointments", add_appointments)):
        where = directory / KINDS[kind].file
        for index, rec in enumerate(read_kind(directory, KINDS[kind])):
            add(store, rec, f"{where}: {KINDS[kind].key}[{index}]")
    return store
